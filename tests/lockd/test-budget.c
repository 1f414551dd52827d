/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lockd/budget.h"

#define MiB (1ull << 20)
#define SEC 1000000ull

static void plan(struct lockd_budget_item *it, size_t n, uint64_t budget, uint64_t max_file, uint64_t now,
                 uint64_t release, struct lockd_budget_result *r)
{
        size_t buf[64];

        lockd_budget_plan(it, n, budget, max_file, now, release, buf, r);
}

static void test_all_fit(void **state)
{
        struct lockd_budget_item it[] = {
                { .bytes = 10 * MiB, .order = 0, .pinned = 1 },
                { .bytes = 20 * MiB, .order = 1, .pinned = 1 },
        };
        struct lockd_budget_result r;

        plan(it, 2, 100 * MiB, 0, 100 * SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_KEEP);
        assert_int_equal(it[1].verdict, LOCKD_KEEP);
        assert_true(r.kept_bytes == 30 * MiB);
        assert_int_equal(r.kept, 2);
        assert_int_equal(r.skipped, 0);
}

static void test_recent_first(void **state)
{
        /* 100M budget: the two recently used files win over the older, earlier-found one. */
        struct lockd_budget_item it[] = {
                { .bytes = 60 * MiB, .last_used = 0, .order = 0, .pinned = 1 },
                { .bytes = 50 * MiB, .last_used = 90 * SEC, .order = 5 },
                { .bytes = 40 * MiB, .last_used = 80 * SEC, .order = 6 },
        };
        struct lockd_budget_result r;

        plan(it, 3, 100 * MiB, 0, 100 * SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_SKIP_OVER_BUDGET);
        assert_int_equal(it[1].verdict, LOCKD_KEEP);
        assert_int_equal(it[2].verdict, LOCKD_KEEP);
        assert_true(r.kept_bytes == 90 * MiB);
}

static void test_order_breaks_ties(void **state)
{
        struct lockd_budget_item it[] = {
                { .bytes = 60 * MiB, .order = 2, .pinned = 1 },
                { .bytes = 60 * MiB, .order = 1, .pinned = 1 },
        };
        struct lockd_budget_result r;

        plan(it, 2, 100 * MiB, 0, SEC, 0, &r);
        assert_int_equal(it[1].verdict, LOCKD_KEEP);
        assert_int_equal(it[0].verdict, LOCKD_SKIP_OVER_BUDGET);
}

static void test_too_big_and_smaller_after(void **state)
{
        /* libLLVM-size file over the per-file max is skipped; a smaller file after an
         * over-budget one still fits. */
        struct lockd_budget_item it[] = {
                { .bytes = 300 * MiB, .order = 0, .pinned = 1 },
                { .bytes = 80 * MiB, .order = 1, .pinned = 1 },
                { .bytes = 30 * MiB, .order = 2, .pinned = 1 },
                { .bytes = 15 * MiB, .order = 3, .pinned = 1 },
        };
        struct lockd_budget_result r;

        plan(it, 4, 100 * MiB, 256 * MiB, SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_SKIP_TOO_BIG);
        assert_int_equal(it[1].verdict, LOCKD_KEEP);
        assert_int_equal(it[2].verdict, LOCKD_SKIP_OVER_BUDGET);
        assert_int_equal(it[3].verdict, LOCKD_KEEP);
        assert_true(r.kept_bytes == 95 * MiB);
        assert_int_equal(r.skipped, 2);
        /* 110M fits a 256M per-file max. */
        it[0].bytes = 110 * MiB;
        plan(it, 4, 1024 * MiB, 256 * MiB, SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_KEEP);
}

static void test_release_after(void **state)
{
        struct lockd_budget_item it[] = {
                { .bytes = MiB, .last_used = 10 * SEC, .order = 0 },          /* old, unpinned */
                { .bytes = MiB, .last_used = 10 * SEC, .order = 1, .pinned = 1 }, /* old, pinned */
                { .bytes = MiB, .last_used = 3590 * SEC, .order = 2 },        /* recent */
                { .bytes = MiB, .last_used = 0, .order = 3 },                 /* never used, unpinned */
        };
        struct lockd_budget_result r;

        plan(it, 4, 100 * MiB, 0, 3600 * SEC, 60 * SEC, &r);
        assert_int_equal(it[0].verdict, LOCKD_SKIP_UNUSED);
        assert_int_equal(it[1].verdict, LOCKD_KEEP);
        assert_int_equal(it[2].verdict, LOCKD_KEEP);
        assert_int_equal(it[3].verdict, LOCKD_SKIP_UNUSED);
        /* release_after 0: kept as long as used once. */
        plan(it, 4, 100 * MiB, 0, 3600 * SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_KEEP);
        assert_int_equal(it[3].verdict, LOCKD_SKIP_UNUSED);
}

static void test_failed(void **state)
{
        struct lockd_budget_item it[] = {
                { .bytes = MiB, .order = 0, .pinned = 1, .failed = 1 },
        };
        struct lockd_budget_result r;

        plan(it, 1, 100 * MiB, 0, SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_SKIP_ERROR);
        assert_true(r.kept_bytes == 0);
        assert_string_equal(lockd_verdict_name(LOCKD_SKIP_OVER_BUDGET), "over budget");
}

/* Whatever the sizes and uses, the kept bytes never exceed the budget. */
static void test_never_over_budget(void **state)
{
        struct lockd_budget_item it[64];
        struct lockd_budget_result r;
        unsigned seed = 12345;

        for (int round = 0; round < 2000; round++) {
                size_t n = (size_t)(rand_r(&seed) % 64) + 1;
                uint64_t budget = (uint64_t)(rand_r(&seed) % 512) * MiB, sum = 0;

                for (size_t i = 0; i < n; i++)
                        it[i] = (struct lockd_budget_item){
                                .bytes = (uint64_t)(rand_r(&seed) % (200 * 256)) * 4096,
                                .last_used = (uint64_t)(rand_r(&seed) % 5) * SEC,
                                .order = (unsigned)i,
                                .pinned = rand_r(&seed) % 2,
                        };
                plan(it, n, budget, 128 * MiB, 10 * SEC, 0, &r);
                for (size_t i = 0; i < n; i++)
                        if (it[i].verdict == LOCKD_KEEP)
                                sum += it[i].bytes;
                assert_true(sum == r.kept_bytes);
                assert_true(sum <= budget);
                assert_int_equal(r.kept + r.skipped, n);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_fit),
                cmocka_unit_test(test_recent_first),
                cmocka_unit_test(test_order_breaks_ties),
                cmocka_unit_test(test_too_big_and_smaller_after),
                cmocka_unit_test(test_release_after),
                cmocka_unit_test(test_failed),
                cmocka_unit_test(test_never_over_budget),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
