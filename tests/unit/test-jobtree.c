/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A job is a process tree (gate/jobtree.h): drivers, and the tree's RSS
 * summed from snapshots built by hand, hostile ones included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gate/jobtree.h"
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

/* Parents from a cached snapshot, and from stat for what it misses. */
static void parents_from_the_cache(void **state)
{
        struct ms_snap_cache c = {};

        struct timespec ts;
        uint64_t taken;

        assert_int_equal(ms_snap_cache_parent(&c, MS_ROOT_HOST, getpid(), 1), getppid());
        /* Stamped when it was done (the clock), not when it was asked for. */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        assert_true(c.taken_ns > 1 && c.taken_ns <= (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
        taken = c.taken_ns;
        /* Asked with an earlier time, or within MS_SNAP_FRESH_NS of it: the same one. */
        ms_snap_cache_parent(&c, MS_ROOT_HOST, getpid(), taken + MS_SNAP_FRESH_NS);
        assert_int_equal(c.taken_ns, taken);
        c.snap.n = 0; /* a snapshot that misses us: stat answers */
        assert_int_equal(ms_snap_cache_parent(&c, MS_ROOT_HOST, getpid(), 2), getppid());
        assert_int_equal(ms_snap_cache_parent(&c, MS_ROOT_HOST, 0x7ffffff0, 3), 0);
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
        };

        return cmocka_run_group_tests_name("jobtree", tests, NULL, NULL);
}
