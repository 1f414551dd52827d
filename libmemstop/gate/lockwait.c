/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gate/ledger.h"
#include "gate/lockwait.h"
#include "probe/proc.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/macro.h"

/* One line: "N: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INO START END", where a
 * waiter's line has "->" before FLOCK. */
pid_t ms_locks_line_holder(const char *line, uint64_t dev, uint64_t ino)
{
        char kind[16], mode[16], access[16];
        unsigned maj, min;
        uint64_t i;
        int pid;

        if (!line)
                return 0;
        if (sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%" SCNu64, kind, mode, access, &pid, &maj, &min, &i) != 7)
                return 0;
        if (strcmp(kind, "FLOCK") != 0 || pid <= 0)
                return 0;
        return maj == major(dev) && min == minor(dev) && i == ino ? (pid_t)pid : 0;
}

struct holder_search {
        uint64_t dev, ino;
        pid_t pid;
};

static int holder_line(char *line, void *userdata)
{
        struct holder_search *h = userdata;

        h->pid = ms_locks_line_holder(line, h->dev, h->ino);
        return h->pid > 0;
}

/* This process's pid as the /proc below rootfd numbers it: in a pid
 * namespace whose /proc is its parent's, getpid() names someone else. */
static pid_t own_pid(int rootfd)
{
        char link[32], abs[64];
        const char *path = ms_at_path(rootfd, "proc/self", abs, sizeof(abs));
        ssize_t n = path ? readlinkat(rootfd, path, link, sizeof(link) - 1) : -1;
        int pid;

        if (n <= 0)
                return getpid();
        link[n] = '\0';
        return sscanf(link, "%d", &pid) == 1 && pid > 0 ? (pid_t)pid : getpid();
}

/* What holder pid (named by proc/locks or by the holder) is doing. */
static enum ms_holder holder_state(int rootfd, pid_t pid)
{
        struct ms_proc_stat st;

        if (pid == own_pid(rootfd))
                return MS_HOLDER_UNKNOWN;
        if (ms_proc_stat_read(rootfd, pid, &st) < 0)
                return MS_HOLDER_IDLE; /* gone */
        return st.state == 'R' || st.state == 'D' ? MS_HOLDER_BUSY : MS_HOLDER_IDLE;
}

enum ms_holder ms_flock_holder(int rootfd, int fd, pid_t *pid)
{
        struct holder_search h = { 0 };
        struct stat fst;
        char buf[256];
        int r;

        *pid = 0;
        if (fstat(fd, &fst) < 0)
                return MS_HOLDER_UNKNOWN;
        h.dev = (uint64_t)fst.st_dev;
        h.ino = (uint64_t)fst.st_ino;
        r = ms_read_lines_at(rootfd, "proc/locks", buf, sizeof(buf), holder_line, &h, NULL);
        if (r < 0)
                return MS_HOLDER_UNKNOWN;
        if (h.pid <= 0)
                return MS_HOLDER_NONE;
        *pid = h.pid;
        return holder_state(rootfd, h.pid);
}

enum ms_holder ms_lock_owner_holder(const struct ms_lock_owner *owner, int fd, pid_t *pid)
{
        /* Written by other processes without our lock: read once each. */
        int32_t p = owner ? __atomic_load_n(owner->pid, __ATOMIC_ACQUIRE) : 0;
        uint64_t ns = owner ? __atomic_load_n(owner->pidns, __ATOMIC_RELAXED) : 0;

        /* No owner to ask, or a holder of another pid namespace: proc/locks
         * tells. None named: the lock is being let go or was just taken
         * (every holder of a ledger says so); not proc/locks, which would
         * bring back the stall in the storm. */
        if (!owner || (p > 0 && (!ns || ns != owner->own_pidns)))
                return ms_flock_holder(MS_ROOT_HOST, fd, pid);
        if (p <= 0) {
                *pid = 0;
                return MS_HOLDER_PASSING;
        }
        *pid = p;
        return holder_state(MS_ROOT_HOST, p);
}

/* Looks in a row that find no holder listed before the lock counts as stuck. */
#define MS_LOCK_UNLISTED 10

/* How many times pid has been given a CPU (proc/PID/schedstat's third
 * figure), or UINT64_MAX when it cannot be read. */
static uint64_t times_run(int rootfd, pid_t pid)
{
        char path[48], text[128];
        unsigned long long run_ns, wait_ns, slices;

        snprintf(path, sizeof(path), "proc/%d/schedstat", (int)pid);
        if (pid <= 0 || ms_read_at(rootfd, path, text, sizeof(text), NULL) < 0 ||
            sscanf(text, "%llu %llu %llu", &run_ns, &wait_ns, &slices) != 3)
                return UINT64_MAX;
        return slices;
}

int ms_flock_patient(int fd, int op, uint64_t patience_ns, const struct ms_lock_owner *owner)
{
        uint64_t start = ms_monotonic_ns(), first = patience_ns < MS_LEDGER_LOCK_NS ? patience_ns : MS_LEDGER_LOCK_NS;
        int r = ms_flock_within(fd, op, first);
        pid_t idle = -1;   /* the holder seen idle at the last look */
        uint64_t runs = 0; /* and how many times it had run then */
        unsigned unlisted = 0;

        while (r == -ETIMEDOUT) {
                uint64_t waited = ms_monotonic_ns() - start, now_runs;
                pid_t pid;
                enum ms_holder h;
                if (waited >= patience_ns)
                        break;
                h = ms_lock_owner_holder(owner, fd, &pid);
                now_runs = h == MS_HOLDER_IDLE ? times_run(MS_ROOT_HOST, pid) : UINT64_MAX;
                /* Stuck: the same holder idle at two looks, not having run
                 * in between (or no telling); none listed at MS_LOCK_UNLISTED
                 * looks in a row; or no telling who holds it. When hundreds
                 * of processes join the queue at once, the lock changes
                 * hands all the time: a holder seen asleep may have let go
                 * and taken it again since (a supervisor looks every tick),
                 * and proc/locks, read while its list changes, may miss the
                 * holder of the moment. The wait goes on; so it does while
                 * the ledger names no holder (MS_HOLDER_PASSING): each one
                 * names itself from taking the lock to letting it go, so a
                 * stuck one is named. */
                unlisted = h == MS_HOLDER_NONE ? unlisted + 1 : 0;
                if (h == MS_HOLDER_UNKNOWN || unlisted >= MS_LOCK_UNLISTED ||
                    (h == MS_HOLDER_IDLE && pid == idle && now_runs == runs)) {
                        r = ms_flock_within(fd, op, 0); /* one more try: it may have just been let go */
                        break;
                }
                idle = h == MS_HOLDER_IDLE ? pid : -1;
                runs = now_runs;
                /* Look at the holder again every 100 ms. */
                r = ms_flock_within(fd, op, patience_ns - waited < 100000000 ? patience_ns - waited : 100000000);
        }
        return r;
}
