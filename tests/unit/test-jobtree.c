/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A job is a process tree (gate/jobtree.h): drivers, and the tree's RSS
 * summed from snapshots built by hand, hostile ones included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "gate/jobtree.h"
#include "util/clock.h"
#include "util/fileio.h"

#define MIB (1ull << 20)

static void drivers_and_compilers(void **state)
{
        static const char *const compilers[] = { "gcc", "g++", "cc", "c++", "clang", "clang++", "ccache",
                                                 "gcc-12", "g++-12", "x86_64-linux-gnu-g++-12", "clang-14",
                                                 "distcc" };
        static const char *const others[] = { "cc1plus", "cc1", "as", "ld", "collect2", "lto1", "sh", "make",
                                              "python3", "gccgox", "xgcc", "", "g++x" };

        for (size_t i = 0; i < sizeof(compilers) / sizeof(compilers[0]); i++)
                if (!ms_compiler_driver(compilers[i]))
                        fail_msg("'%s' is a compiler driver", compilers[i]);
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
                if (ms_compiler_driver(others[i]))
                        fail_msg("'%s' is not a compiler driver", others[i]);
        assert_true(ms_build_driver("make"));
        assert_true(ms_build_driver("ninja"));
        assert_true(ms_build_driver("xargs"));
        assert_false(ms_build_driver("g++"));
        assert_false(ms_build_driver("sh"));
}

/* make(10) -> sh(20) -> g++(30) -> cc1plus(40), as(41); make -> g++(50) ->
 * cc1plus(60); g++(30) -> make(70) -> cc1(80): a recursive build inside. */
static struct ms_snap build(struct ms_snap_proc *p, size_t n)
{
        struct ms_snap s = { .p = p, .n = n, .cap = n };

        ms_snap_sort(&s);
        return s;
}

static void a_tree_is_summed_down_to_build_drivers(void **state)
{
        struct ms_snap_proc p[] = {
                { 80, 70, 300 * MIB, false }, { 10, 1, 5 * MIB, true },  { 20, 10, 1 * MIB, false },
                { 30, 20, 3 * MIB, false },   { 40, 30, 400 * MIB, false }, { 41, 30, 20 * MIB, false },
                { 50, 10, 3 * MIB, false },   { 60, 50, 200 * MIB, false }, { 70, 30, 4 * MIB, true },
        };
        struct ms_snap s = build(p, sizeof(p) / sizeof(p[0]));
        uint64_t rss;

        assert_int_equal(ms_snap_tree_rss(&s, 30, &rss), 0);
        assert_int_equal(rss, 423 * MIB); /* g++ + cc1plus + as, not the make below nor its cc1 */
        assert_int_equal(ms_snap_tree_rss(&s, 20, &rss), 0);
        assert_int_equal(rss, 424 * MIB);
        assert_int_equal(ms_snap_tree_rss(&s, 50, &rss), 0);
        assert_int_equal(rss, 203 * MIB);
        assert_int_equal(ms_snap_tree_rss(&s, 40, &rss), 0);
        assert_int_equal(rss, 400 * MIB);
        assert_int_equal(ms_snap_tree_rss(&s, 99, &rss), -ESRCH);
        /* Its largest process: the compiler, not the driver, nor the cc1 of the make below. */
        assert_int_equal(ms_snap_tree_largest(&s, 20), 40);
        assert_int_equal(ms_snap_tree_largest(&s, 30), 40);
        assert_int_equal(ms_snap_tree_largest(&s, 50), 60);
        assert_int_equal(ms_snap_tree_largest(&s, 41), 41);
        assert_int_equal(ms_snap_tree_largest(&s, 99), 0);
}

/* A job runs when a process of its tree is on a CPU or waits for one; a
 * build driver below it (its own jobs) is not its. */
static void a_tree_runs_when_one_of_its_processes_does(void **state)
{
        struct ms_snap_proc p[] = {
                { 10, 1, 5 * MIB, true, true },    { 20, 10, 1 * MIB, false, false },
                { 30, 20, 3 * MIB, false, false }, { 40, 30, 400 * MIB, false, true },
                { 50, 10, 3 * MIB, false, false }, { 60, 50, 200 * MIB, false, false },
                { 70, 50, 4 * MIB, true, false },  { 80, 70, 300 * MIB, false, true },
        };
        struct ms_snap s = build(p, sizeof(p) / sizeof(p[0]));
        struct ms_snap empty = {};

        assert_true(ms_snap_tree_running(&s, 20));  /* its cc1plus (40) */
        assert_true(ms_snap_tree_running(&s, 40));
        assert_false(ms_snap_tree_running(&s, 50)); /* only the make below it (70 -> 80) runs */
        assert_true(ms_snap_tree_running(&s, 70));
        assert_false(ms_snap_tree_running(&s, 99));
        assert_false(ms_snap_tree_running(&empty, 1));
}

/* Parent cycles and self-parents (hostile or racing data) end. */
static void cycles_end(void **state)
{
        struct ms_snap_proc p[] = {
                { 5, 6, 1 * MIB, false }, { 6, 5, 2 * MIB, false }, { 7, 7, 4 * MIB, false }, { 8, 7, 8 * MIB, false },
        };
        struct ms_snap s = build(p, sizeof(p) / sizeof(p[0]));
        uint64_t rss;

        assert_int_equal(ms_snap_tree_rss(&s, 5, &rss), 0);
        assert_int_equal(rss, 3 * MIB);
        assert_int_equal(ms_snap_tree_rss(&s, 7, &rss), 0);
        assert_int_equal(rss, 12 * MIB);
}

static void empty_snapshot(void **state)
{
        struct ms_snap s = {};
        uint64_t rss;

        assert_int_equal(ms_snap_tree_rss(&s, 1, &rss), -ESRCH);
}

/* The real /proc: this process is in it, with an RSS. */
static void real_snapshot_has_us(void **state)
{
        struct ms_snap s = {};
        uint64_t rss = 0;

        assert_int_equal(ms_snap_take(MS_ROOT_HOST, &s), 0);
        assert_true(s.n > 0);
        assert_int_equal(ms_snap_tree_rss(&s, getpid(), &rss), 0);
        assert_true(rss > 0);
        assert_true(ms_snap_tree_running(&s, getpid())); /* reading /proc, it runs */
        ms_snap_free(&s);
}

/* Parents from the cache: read from stat as asked, or 0 for a process gone;
 * the snapshot is stamped when its last read was done (the clock). */
static void parents_from_the_cache(void **state)
{
        struct ms_snap_cache c = {};
        uint64_t t0 = ms_monotonic_ns(), taken;

        (void)state;
        assert_int_equal(ms_snap_cache_parent(&c, MS_ROOT_HOST, getpid(), 1), getppid());
        assert_true(c.taken_ns >= t0 && c.taken_ns <= ms_monotonic_ns());
        taken = c.taken_ns;
        /* Within MS_SNAP_FRESH_NS of it: the same snapshot, nothing read. */
        ms_snap_cache_parent(&c, MS_ROOT_HOST, getpid(), taken + MS_SNAP_FRESH_NS);
        assert_int_equal(c.taken_ns, taken);
        assert_int_equal(c.snap.n, 1);
        c.snap.n = 0; /* a snapshot that misses us: stat answers */
        assert_int_equal(ms_snap_cache_parent(&c, MS_ROOT_HOST, getpid(), 2), getppid());
        assert_int_equal(ms_snap_cache_parent(&c, MS_ROOT_HOST, 0x7ffffff0, 3), 0);
        ms_snap_free(&c.snap);
}

/* proc/PID/stat of a fake process (field 20: threads, 24: RSS in pages) and,
 * unless children is NULL, its main thread's children list. */
static void fake_proc(const char *root, int pid, const char *comm, char state, int ppid, int threads,
                      unsigned rss_pages, const char *children)
{
        char rel[96];

        snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
        fake_writef(root, rel, "%d (%s) %c %d 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 %d 0 100 0 %u\n", pid, comm, state,
                    ppid, threads, rss_pages);
        if (!children)
                return;
        snprintf(rel, sizeof(rel), "proc/%d/task/%d/children", pid, pid);
        fake_write(root, rel, children);
}

/* make(10) -> sh(20) -> g++(30) -> cc1plus(40, two threads: as(42) is the
 * second's child) and make(70) -> cc1(80); make -> sh(50); an unrelated
 * process 99. In pages of RSS: the pid. */
static void fake_build(const char *root)
{
        fake_proc(root, 10, "make", 'S', 1, 1, 10, "20 50 ");
        fake_proc(root, 20, "sh", 'S', 10, 1, 20, "30 ");
        fake_proc(root, 30, "g++", 'S', 20, 1, 30, "40 70 ");
        fake_proc(root, 40, "cc1plus", 'S', 30, 2, 40, "");
        fake_write(root, "proc/40/task/41/children", "42 ");
        fake_proc(root, 42, "as", 'R', 40, 1, 42, "");
        fake_proc(root, 70, "make", 'R', 30, 1, 70, "80 ");
        fake_proc(root, 80, "cc1", 'R', 70, 1, 80, "");
        fake_proc(root, 50, "sh", 'S', 10, 1, 50, "");
        fake_proc(root, 99, "bash", 'R', 1, 1, 99, "");
}

static bool in_snap(const struct ms_snap *s, pid_t pid)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->p[i].pid == pid)
                        return true;
        return false;
}

/* The gate's cache reads the trees it is asked about down the children
 * lists (threads' too), not all of proc/, and sums what a listing would. */
static void the_cache_follows_children_lists(void **state)
{
        struct fake *f = *state;
        struct ms_snap_cache c = {};
        struct ms_snap all = {};
        uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), rss = 0, want = 0, now;

        fake_build(f->root);
        now = ms_monotonic_ns();
        assert_int_equal(ms_snap_cache_tree_rss(&c, f->fd, 20, now, &rss), 0);
        assert_int_equal(rss, (20 + 30 + 40 + 42) * page); /* not the make below, nor its cc1 */
        assert_false(c.full);
        assert_false(in_snap(&c.snap, 99));
        assert_false(in_snap(&c.snap, 80)); /* below a build driver: not read */
        assert_int_equal(ms_snap_take(f->fd, &all), 0);
        assert_int_equal(ms_snap_tree_rss(&all, 20, &want), 0);
        assert_int_equal(rss, want);
        ms_snap_free(&all);
        /* as(42) runs: the tree runs; sh(50) does not; the make runs. */
        assert_true(ms_snap_cache_tree_running(&c, f->fd, 20, now));
        assert_false(ms_snap_cache_tree_running(&c, f->fd, 50, now));
        assert_true(ms_snap_cache_tree_running(&c, f->fd, 70, now));
        assert_int_equal(ms_snap_cache_parent(&c, f->fd, 50, now), 10);
        assert_false(c.full);
        /* Within MS_SNAP_FRESH_NS of its last read the figures stay; after
         * it, read again. */
        fake_proc(f->root, 42, "as", 'R', 40, 1, 142, "");
        assert_int_equal(ms_snap_cache_tree_rss(&c, f->fd, 20, c.taken_ns + MS_SNAP_FRESH_NS, &rss), 0);
        assert_int_equal(rss, (20 + 30 + 40 + 42) * page);
        assert_int_equal(ms_snap_cache_tree_rss(&c, f->fd, 20, c.taken_ns + MS_SNAP_FRESH_NS + 1, &rss), 0);
        assert_int_equal(rss, (20 + 30 + 40 + 142) * page);
        /* A root gone: its own RSS from statm, which is gone too. */
        assert_int_equal(ms_snap_cache_tree_rss(&c, f->fd, 60, c.taken_ns + 2 * MS_SNAP_FRESH_NS, &rss), -ESRCH);
        ms_snap_free(&c.snap);
}

/* Without children lists (a kernel without CONFIG_PROC_CHILDREN), all of
 * proc/ is listed, stamped when the listing was done. */
static void without_children_lists_proc_is_listed(void **state)
{
        struct fake *f = *state;
        struct ms_snap_cache c = {};
        uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), rss = 0;

        fake_build(f->root);
        fake_remove(f->root, "proc/30/task/30/children");
        assert_int_equal(ms_snap_cache_tree_rss(&c, f->fd, 20, 1000, &rss), 0);
        assert_int_equal(rss, (20 + 30 + 40 + 42) * page);
        assert_true(c.full);
        assert_true(in_snap(&c.snap, 99));
        assert_true(c.taken_ns > 1000);
        ms_snap_free(&c.snap);
}

/* Hostile lists: text that is not pids, pids that do not exist, a cycle. */
static void hostile_children_lists(void **state)
{
        struct fake *f = *state;
        struct ms_snap_cache c = {};
        uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), rss = 0;

        fake_proc(f->root, 5, "sh", 'S', 1, 1, 5, "6 7 12345 ");
        fake_proc(f->root, 6, "g++", 'S', 5, 1, 6, "x1 ");
        fake_proc(f->root, 7, "g++", 'S', 8, 1, 7, "8 ");
        fake_proc(f->root, 8, "cc1", 'S', 7, 1, 8, "7 5 ");
        assert_int_equal(ms_snap_cache_tree_rss(&c, f->fd, 5, 1000, &rss), 0);
        assert_int_equal(rss, (5 + 6) * page); /* 7 and 8 point at each other, not up to 5 */
        assert_false(c.full);
        ms_snap_free(&c.snap);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(drivers_and_compilers),
                cmocka_unit_test(a_tree_is_summed_down_to_build_drivers),
                cmocka_unit_test(a_tree_runs_when_one_of_its_processes_does),
                cmocka_unit_test(cycles_end),
                cmocka_unit_test(empty_snapshot),
                cmocka_unit_test(real_snapshot_has_us),
                cmocka_unit_test(parents_from_the_cache),
                cmocka_unit_test_setup_teardown(the_cache_follows_children_lists, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(without_children_lists_proc_is_listed, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(hostile_children_lists, fake_setup, fake_teardown),
        };

        return cmocka_run_group_tests_name("jobtree", tests, NULL, NULL);
}
