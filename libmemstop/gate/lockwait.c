/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "gate/ledger.h"
#include "gate/lockwait.h"
#include "probe/proc.h"
#include "util/fileio.h"
#include "util/macro.h"

/* /proc/locks has a line per lock in the system: a few hundred bytes each. */
#define LOCKS_MAX (4u << 20)

/* One line: "N: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INO START END", where a
 * waiter's line has "->" before FLOCK. Returns the pid or 0. */
static pid_t line_holder(const char *line, uint64_t dev, uint64_t ino)
{
        char kind[16], mode[16], access[16];
        unsigned maj, min;
        uint64_t i;
        int pid;

        if (sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%" SCNu64, kind, mode, access, &pid, &maj, &min, &i) != 7)
                return 0;
        if (strcmp(kind, "FLOCK") != 0 || pid <= 0)
                return 0;
        return maj == major(dev) && min == minor(dev) && i == ino ? (pid_t)pid : 0;
}

pid_t ms_locks_flock_holder(const char *text, uint64_t dev, uint64_t ino)
{
        char line[256];

        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                pid_t pid;

                if (len < sizeof(line)) {
                        memcpy(line, p, len);
                        line[len] = '\0';
                        pid = line_holder(line, dev, ino);
                        if (pid > 0)
                                return pid;
                }
                p = nl ? nl + 1 : NULL;
        }
        return 0;
}

bool ms_flock_holder_busy(int rootfd, int fd)
{
        _cleanup_free_ char *text = NULL;
        struct ms_proc_stat st;
        struct stat fst;
        size_t len;
        pid_t pid;

        if (fstat(fd, &fst) < 0 || ms_read_alloc_at(rootfd, "proc/locks", LOCKS_MAX, &text, &len) < 0)
                return false;
        pid = ms_locks_flock_holder(text, (uint64_t)fst.st_dev, (uint64_t)fst.st_ino);
        if (pid <= 0 || pid == getpid() || ms_proc_stat_read(rootfd, pid, &st) < 0)
                return false;
        return st.state == 'R' || st.state == 'D';
}

static uint64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ms_flock_patient(int fd, int op, uint64_t patience_ns)
{
        uint64_t start = monotonic_ns(), first = patience_ns < MS_LEDGER_LOCK_NS ? patience_ns : MS_LEDGER_LOCK_NS;
        int r = ms_flock_within(fd, op, first);

        while (r == -ETIMEDOUT) {
                uint64_t waited = monotonic_ns() - start;
                if (waited >= patience_ns || !ms_flock_holder_busy(MS_ROOT_HOST, fd))
                        break;
                /* Look at the holder again every 100 ms. */
                r = ms_flock_within(fd, op, patience_ns - waited < 100000000 ? patience_ns - waited : 100000000);
        }
        return r;
}
