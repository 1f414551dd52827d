/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/jobtree.h"
#include "gate/protocol.h"
#include "probe/proc.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/grow.h"
#include "util/macro.h"
#include "util/strutil.h"

/* The deepest ancestry looked at (hostile or racing data cannot loop). */
#define MAX_DEPTH 64

static bool in_list(const char *comm, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (ms_streq(comm, list[i]))
                        return true;
        return false;
}

bool ms_build_driver(const char *comm)
{
        static const char *const drivers[] = {
                "make", "gmake", "bmake", "pmake", "remake", "ninja", "samu", "samurai",
                "cargo", "bazel", "buck", "buck2", "scons", "meson", "cmake", "ctest",
                "xargs", "parallel", "memstop",
        };

        return in_list(comm, drivers, MS_ARRAY_SIZE(drivers));
}

bool ms_compiler_driver(const char *comm)
{
        static const char *const compilers[] = {
                "cc", "c++", "gcc", "g++", "clang", "clang++", "ccache", "distcc", "icecc", "sccache",
                "gfortran", "gccgo", "rustc", "nvcc",
        };
        if (in_list(comm, compilers, MS_ARRAY_SIZE(compilers)))
                return true;
        /* Versioned and cross names: gcc-12, x86_64-linux-gnu-g++-12, clang-14. */
        for (size_t i = 0; i < MS_ARRAY_SIZE(compilers); i++) {
                const char *hit = strstr(comm, compilers[i]);
                size_t len = strlen(compilers[i]);
                if (!hit || len < 3)
                        continue;
                if ((hit == comm || hit[-1] == '-') && (hit[len] == '\0' || hit[len] == '-'))
                        return true;
        }
        return false;
}

static int cmp_pid(const void *a, const void *b)
{
        const struct ms_snap_proc *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

void ms_snap_sort(struct ms_snap *s)
{
        if (s->n > 1)
                qsort(s->p, s->n, sizeof(*s->p), cmp_pid);
}

static const struct ms_snap_proc *find(const struct ms_snap *s, pid_t pid)
{
        struct ms_snap_proc key = { .pid = pid };

        return s->n ? bsearch(&key, s->p, s->n, sizeof(*s->p), cmp_pid) : NULL;
}

static struct ms_snap_proc entry(pid_t pid, const struct ms_proc_stat *st)
{
        return (struct ms_snap_proc){ .pid = pid, .ppid = st->ppid,
                                      .rss = st->rss_pages * (uint64_t)sysconf(_SC_PAGESIZE),
                                      .driver = ms_build_driver(st->comm), .running = st->state == 'R',
                                      .threads = st->threads > UINT32_MAX ? UINT32_MAX : (uint32_t)st->threads };
}

int ms_snap_take(int rootfd, struct ms_snap *s)
{
        struct ms_pid_dir d;
        pid_t pid;
        int r;

        s->n = 0;
        r = ms_pid_dir_open(rootfd, "proc", &d);
        if (r < 0)
                return r;
        while ((pid = ms_pid_dir_next(&d, NULL)) > 0) {
                struct ms_proc_stat st;
                if (ms_proc_stat_read(rootfd, pid, &st) < 0 || (st.flags & 0x00200000u))
                        continue; /* gone, or a kernel thread */
                if (ms_grow(&s->p, &s->cap, s->n, sizeof(*s->p), 256) < 0) {
                        ms_pid_dir_close(&d);
                        return -ENOMEM;
                }
                s->p[s->n] = entry(pid, &st);
                s->p[s->n++].kids = true;
        }
        ms_pid_dir_close(&d);
        ms_snap_sort(s);
        return 0;
}

void ms_snap_free(struct ms_snap *s)
{
        free(s->p);
        *s = (struct ms_snap){};
}

/* Whether p is root or below it, with no build driver in between. */
static bool in_tree(const struct ms_snap *s, const struct ms_snap_proc *p, pid_t root)
{
        for (unsigned depth = 0; p && depth < MAX_DEPTH; depth++) {
                if (p->pid == root)
                        return true;
                if (p->driver || p->ppid <= 0 || p->ppid == p->pid)
                        return false;
                p = find(s, p->ppid);
        }
        return false;
}

int ms_snap_tree_rss(const struct ms_snap *s, pid_t root, uint64_t *rss)
{
        uint64_t sum = 0;

        if (!find(s, root))
                return -ESRCH;
        for (size_t i = 0; i < s->n; i++)
                if (in_tree(s, &s->p[i], root) && s->p[i].rss < (UINT64_C(1) << 50))
                        sum += s->p[i].rss;
        *rss = sum;
        return 0;
}

pid_t ms_snap_tree_largest(const struct ms_snap *s, pid_t root)
{
        const struct ms_snap_proc *best = find(s, root);

        for (size_t i = 0; best && i < s->n; i++)
                if (s->p[i].rss > best->rss && in_tree(s, &s->p[i], root))
                        best = &s->p[i];
        return best ? best->pid : 0;
}

bool ms_snap_tree_running(const struct ms_snap *s, pid_t root)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->p[i].running && in_tree(s, &s->p[i], root))
                        return true;
        return false;
}

/* The index of pid's entry, read from proc/PID/stat into s (sorted) if it
 * is not there yet; -1 if gone, a kernel thread, or no memory. */
static ssize_t snap_get(struct ms_snap *s, int rootfd, pid_t pid)
{
        struct ms_proc_stat st;
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->p[mid].pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < s->n && s->p[lo].pid == pid)
                return (ssize_t)lo;
        if (pid <= 0 || ms_proc_stat_read(rootfd, pid, &st) < 0 || (st.flags & 0x00200000u) ||
            ms_grow(&s->p, &s->cap, s->n, sizeof(*s->p), 64) < 0)
                return -1;
        memmove(&s->p[lo + 1], &s->p[lo], (s->n - lo) * sizeof(*s->p));
        s->p[lo] = entry(pid, &st);
        s->n++;
        return (ssize_t)lo;
}

/* Reads root's tree into c's snapshot: root, and below it everything but
 * what build drivers start. Returns 0, -ESRCH (root gone), or -ENOTSUP /
 * -ENOSPC (no children lists, or a tree too big to follow: list proc/). */
static int tree_load(struct ms_snap_cache *c, int rootfd, pid_t root)
{
        pid_t todo[MS_SNAP_TREE_MAX];
        size_t n = 1;

        todo[0] = root;
        for (size_t i = 0; i < n; i++) {
                ssize_t at = snap_get(&c->snap, rootfd, todo[i]);
                int r;
                if (at < 0) {
                        if (i == 0)
                                return -ESRCH;
                        continue; /* ended meanwhile */
                }
                if (c->snap.p[at].kids || (i > 0 && c->snap.p[at].driver))
                        continue;
                r = ms_proc_kids_read(rootfd, c->snap.p[at].pid, c->snap.p[at].threads, todo, MS_SNAP_TREE_MAX, &n);
                if (r == -ENOTSUP || r == -ENOSPC)
                        return r;
                c->snap.p[at].kids = true; /* or it ended: its children are gone or moved */
        }
        return 0;
}

/* Starts a new snapshot, empty, when c's is older than MS_SNAP_FRESH_NS. */
static void fresh(struct ms_snap_cache *c, uint64_t now_ns)
{
        if (c->taken_ns && (now_ns <= c->taken_ns || now_ns - c->taken_ns <= MS_SNAP_FRESH_NS))
                return;
        c->snap.n = 0;
        c->full = false;
        c->taken_ns = now_ns ? now_ns : 1;
}

/* Replaces c's snapshot by a listing of all of proc/. */
static bool listed(struct ms_snap_cache *c, int rootfd, uint64_t now_ns)
{
        uint64_t done;

        if (c->full)
                return true;
        if (ms_snap_take(rootfd, &c->snap) < 0)
                return (c->taken_ns = 0), false;
        /* Fresh from when it was done: where a listing takes longer than
         * MS_SNAP_FRESH_NS (a slow /proc: many processes, a VM), every look
         * after it would take it again, under the queue's lock. */
        done = ms_monotonic_ns();
        c->taken_ns = done > now_ns ? done : now_ns;
        c->full = true;
        return true;
}

/* After a question that read /proc: the snapshot serves from now on. A
 * look that reads for longer than MS_SNAP_FRESH_NS (a slow /proc: the
 * user-mode VM's) then keeps its snapshot to its end, instead of starting
 * it again at each question under the queue's lock. */
static void stamp(struct ms_snap_cache *c, size_t n_before, uint64_t now_ns)
{
        uint64_t done;

        if (c->full || c->snap.n == n_before)
                return;
        done = ms_monotonic_ns();
        c->taken_ns = done > now_ns ? done : now_ns;
}

/* Whether c's snapshot holds pid's whole tree at now_ns. */
static bool tree_ready(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns)
{
        size_t n;
        int r;

        fresh(c, now_ns);
        if (c->full)
                return true;
        n = c->snap.n;
        r = tree_load(c, rootfd, pid);
        stamp(c, n, now_ns);
        if (r == 0)
                return true;
        return r != -ESRCH && listed(c, rootfd, now_ns);
}

int ms_snap_cache_tree_rss(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns, uint64_t *rss)
{
        if (tree_ready(c, rootfd, pid, now_ns) && ms_snap_tree_rss(&c->snap, pid, rss) == 0)
                return 0;
        return ms_proc_rss_read(rootfd, pid, rss);
}

pid_t ms_snap_cache_parent(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns)
{
        ssize_t at;
        size_t n;

        fresh(c, now_ns);
        n = c->snap.n;
        at = snap_get(&c->snap, rootfd, pid);
        stamp(c, n, now_ns);
        return at >= 0 && c->snap.p[at].ppid > 0 ? c->snap.p[at].ppid : 0;
}

pid_t ms_snap_cache_tree_largest(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns)
{
        pid_t largest = tree_ready(c, rootfd, pid, now_ns) ? ms_snap_tree_largest(&c->snap, pid) : 0;

        return largest > 0 ? largest : pid;
}

bool ms_snap_cache_tree_running(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns)
{
        return tree_ready(c, rootfd, pid, now_ns) && ms_snap_tree_running(&c->snap, pid);
}

bool ms_parent_runs_jobs(int rootfd)
{
        struct ms_proc_stat st;

        return ms_proc_stat_read(rootfd, getppid(), &st) == 0 && ms_build_driver(st.comm) &&
               strcmp(st.comm, "memstop") != 0;
}

int ms_ancestors_read(int rootfd, pid_t *out, int max)
{
        pid_t p = getppid();
        int n = 0;

        while (p > 1 && n < max) {
                struct ms_proc_stat st;
                out[n++] = p;
                if (ms_proc_stat_read(rootfd, p, &st) < 0 || st.ppid == p)
                        break;
                p = st.ppid;
        }
        return n;
}

int ms_job_check(int rootfd, const char *value)
{
        struct ms_proc_stat st;
        uint64_t start;
        pid_t pid;

        if (!value)
                return 0;
        if (ms_job_parse(value, &pid, &start) < 0)
                return -EINVAL;
        if (ms_proc_stat_read(rootfd, pid, &st) < 0 || st.starttime != start || st.state == 'Z' ||
            st.state == 'X')
                return 0;
        return 1;
}
