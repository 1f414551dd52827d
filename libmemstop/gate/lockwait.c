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

bool ms_flock_holder_busy(int rootfd, int fd)
{
        struct holder_search h = { 0 };
        struct ms_proc_stat st;
        struct stat fst;
        char buf[256];

        if (fstat(fd, &fst) < 0)
                return false;
        h.dev = (uint64_t)fst.st_dev;
        h.ino = (uint64_t)fst.st_ino;
        if (ms_read_lines_at(rootfd, "proc/locks", buf, sizeof(buf), holder_line, &h, NULL) <= 0)
                return false;
        if (h.pid == own_pid(rootfd) || ms_proc_stat_read(rootfd, h.pid, &st) < 0)
                return false;
        return st.state == 'R' || st.state == 'D';
}

int ms_flock_patient(int fd, int op, uint64_t patience_ns)
{
        uint64_t start = ms_monotonic_ns(), first = patience_ns < MS_LEDGER_LOCK_NS ? patience_ns : MS_LEDGER_LOCK_NS;
        int r = ms_flock_within(fd, op, first);

        while (r == -ETIMEDOUT) {
                uint64_t waited = ms_monotonic_ns() - start;
                if (waited >= patience_ns)
                        break;
                if (!ms_flock_holder_busy(MS_ROOT_HOST, fd)) {
                        /* Stuck, or gone since the last try (no holder in
                         * /proc/locks): one more try tells which. */
                        r = ms_flock_within(fd, op, 0);
                        break;
                }
                /* Look at the holder again every 100 ms. */
                r = ms_flock_within(fd, op, patience_ns - waited < 100000000 ? patience_ns - waited : 100000000);
        }
        return r;
}
