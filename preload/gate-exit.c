/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop-gate.so at exit: what an admitted process leaves for the next build
 * (its peak, its job tree's, its growth curve) and its slot in the ledger,
 * also when it ends with _exit() (memstop.so's, exit.c, calls exit_hook) or
 * after it sandboxed itself.
 */
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "gate/history.h"
#include "gate/queue.h"
#include "probe/proc.h"
#include "util/fileio.h"

/*
 * The peak to learn: the peak RSS; under strict overcommit
 * (vm.overcommit_memory = 2) what the process committed, if more: a job is
 * refused memory by its commit charge there, not by its RSS. Looked at only
 * in that mode.
 */
static uint64_t peak_to_learn(const struct gate *g, uint64_t rss_peak)
{
        uint64_t mode, committed;

        if (ms_read_u64_at(g->rootfd, "proc/sys/vm/overcommit_memory", &mode) < 0 || mode != 2 ||
            ms_proc_commit_read(g->rootfd, 0, &committed) < 0)
                return rss_peak;
        return committed > rss_peak ? committed : rss_peak;
}

/*
 * A job root's tree peak is its own and its largest child's (collect2,
 * cc1plus: the children a driver waited for, grandchildren included, also
 * one that was killed): the next build predicts `g++ -c foo.cpp` from what
 * its cc1plus reached. Children run one after the other in a compiler
 * driver, so the sum is close, and never below the truth for them.
 */
static uint64_t children_peak(const struct gate *g)
{
        struct rusage ru;

        if (!g->job_root || getrusage(RUSAGE_CHILDREN, &ru) < 0 || ru.ru_maxrss <= 0)
                return 0;
        return (uint64_t)ru.ru_maxrss * 1024;
}

static uint64_t timeval_ms(const struct timeval *t)
{
        return (uint64_t)t->tv_sec * 1000 + (uint64_t)t->tv_usec / 1000;
}

/*
 * The CPU time (user and system) of the process (self: its getrusage), and
 * for a job root of the children it waited for, grandchildren included:
 * its tree's, to tell how long it would have taken alone (curve.h). The
 * children's part is left out if getrusage() fails for them.
 */
static uint64_t tree_cpu_ms(const struct gate *g, const struct rusage *self)
{
        struct rusage ru;
        uint64_t ms = timeval_ms(&self->ru_utime) + timeval_ms(&self->ru_stime);

        if (g->job_root && getrusage(RUSAGE_CHILDREN, &ru) == 0)
                ms += timeval_ms(&ru.ru_utime) + timeval_ms(&ru.ru_stime);
        return ms;
}

/* At exit: record the peak for the next build, leave the ledger, wake the head. */
void leave_at_exit(void)
{
        struct gate *g = gate;
        struct rusage ru;

        /* A forked child that did not exec inherits this handler: not ours. */
        if (!g || !g->in_ledger || (pid_t)syscall(SYS_getpid) != g->pid)
                return;
        g->in_ledger = false;
        if (g->sandboxed) {
                (void)ms_ledger_leave_unlocked(g->ledger.map, g->slot, g->pid, g->starttime);
                return;
        }
        if (g->config.learn && g->history_dir[0] && getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0) {
                uint64_t peak = peak_to_learn(g, (uint64_t)ru.ru_maxrss * 1024) + children_peak(g);
                struct ms_curve curve = {};
                (void)ms_queue_curve(&g->ledger, g->pid, g->starttime, peak, tree_cpu_ms(g, &ru), now_ns(NULL),
                                     &curve);
                (void)ms_history_record(g->history_dir, &g->key, peak, &curve, (uint64_t)time(NULL));
        }
        /* Its lock, if the fd is still the ledger's; else without it. */
        ms_queue_leave(&g->ledger, g->pid, g->starttime);
        ms_ledger_close(&g->ledger);
}

/* How long _exit() waits for the ledger's lock to learn its curve. */
#define EXIT_CURVE_LOCK_NS (20ull * 1000 * 1000)

/*
 * What _exit() does first (exit_hook, set at the entry): programs that end
 * with _exit() (dash does) skip atexit handlers, and must leave the ledger at
 * once too. Only the program's own calls come here; libc's internal ones do
 * not. It may be called from a signal handler, or after the program
 * sandboxed itself (seccomp): leaving is one atomic swap on the mapped slot
 * and a futex wake, no file, no allocation. The peak and curve are then
 * appended without allocating (the shells of a build end so, and must be
 * learned), unless the program sandboxed itself; the curve needs the
 * ledger's lock (flock), taken only if it comes within EXIT_CURVE_LOCK_NS. A
 * vfork()ed child shares our memory: only the process admitted leaves.
 */
void leave_at_exit_now(struct gate *g)
{
        struct rusage ru;

        if (g->in_ledger && g->ledger.map && (pid_t)syscall(SYS_getpid) == g->pid) {
                bool learn = !g->sandboxed && g->config.learn && g->history_dir[0] &&
                             getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0;
                uint64_t peak = learn ? (uint64_t)ru.ru_maxrss * 1024 + children_peak(g) : 0;
                struct ms_curve curve = {};

                /* Its curve while the slot is still its own (batch jobs run
                 * under a shell that ends so: their curves let the next
                 * start on time), if the lock comes soon enough. */
                if (learn)
                        (void)ms_queue_curve_within(&g->ledger, EXIT_CURVE_LOCK_NS, g->pid, g->starttime, peak,
                                                    tree_cpu_ms(g, &ru), now_ns(NULL), &curve);
                g->in_ledger = false;
                (void)ms_ledger_leave_unlocked(g->ledger.map, g->slot, g->pid, g->starttime);
                if (learn)
                        (void)ms_history_append(g->history_dir, &g->key, peak, &curve, (uint64_t)time(NULL));
        }
}
