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

static void plan_share(struct lockd_budget_item *it, size_t n, uint64_t budget, unsigned share,
                       struct lockd_budget_result *r)
{
        struct lockd_budget_params p = { .budget = budget, .now = 100 * SEC, .user_share = share };
        size_t buf[300];

        lockd_budget_plan(it, n, &p, buf, r);
}

static void plan(struct lockd_budget_item *it, size_t n, uint64_t budget, uint64_t max_file, uint64_t now,
                 uint64_t release, struct lockd_budget_result *r)
{
        struct lockd_budget_params p = {
                .budget = budget, .max_file = max_file, .now = now, .release_after = release, .user_share = 100,
        };
        size_t buf[64];

        lockd_budget_plan(it, n, &p, buf, r);
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
        /* 100M budget: within a class, the two recently used files win over the older one. */
        struct lockd_budget_item it[] = {
                { .bytes = 60 * MiB, .last_used = 10 * SEC, .order = 0 },
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

/* Issue 12: ranked by last use alone, any user's "cc1" in use pushed the
 * toolchain of the start-up search out. The start-up search ranks first,
 * then files of several users, then one user's own files. */
static void test_toolchain_before_a_users_files(void **state)
{
        struct lockd_budget_item it[] = {
                { .bytes = 60 * MiB, .last_used = 0, .order = 0, .pinned = 1 },    /* the toolchain */
                { .bytes = 50 * MiB, .last_used = 90 * SEC, .order = 5, .user = 1000 },
                { .bytes = 30 * MiB, .last_used = 20 * SEC, .order = 6, .shared = 1 },
                { .bytes = 10 * MiB, .last_used = 95 * SEC, .order = 7, .user = 1001 },
        };
        struct lockd_budget_result r;

        plan(it, 4, 100 * MiB, 0, 100 * SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_KEEP);
        assert_int_equal(it[2].verdict, LOCKD_KEEP);
        assert_int_equal(it[1].verdict, LOCKD_SKIP_OVER_BUDGET);
        assert_int_equal(it[3].verdict, LOCKD_KEEP);
        assert_true(r.kept_bytes == 100 * MiB);
}

/* One user's own files take at most max_user_share of the budget, however
 * recently used; another user still gets room. */
static void test_user_share(void **state)
{
        struct lockd_budget_item it[8];
        struct lockd_budget_result r;

        for (unsigned i = 0; i < 6; i++) /* user 1000: 6 x 10M, all very recent */
                it[i] = (struct lockd_budget_item){ .bytes = 10 * MiB, .last_used = (90 + i) * SEC, .order = i,
                                                    .user = 1000 };
        it[6] = (struct lockd_budget_item){ .bytes = 10 * MiB, .last_used = 50 * SEC, .order = 6, .user = 1001 };
        it[7] = (struct lockd_budget_item){ .bytes = 10 * MiB, .last_used = 40 * SEC, .order = 7, .user = 1001 };
        plan_share(it, 8, 100 * MiB, 25, &r);
        for (unsigned i = 0; i < 6; i++)
                assert_int_equal(it[i].verdict, i >= 4 ? LOCKD_KEEP : LOCKD_SKIP_USER_SHARE);
        assert_int_equal(it[6].verdict, LOCKD_KEEP);
        assert_int_equal(it[7].verdict, LOCKD_KEEP);
        assert_true(r.kept_bytes == 40 * MiB);
        /* A file larger than the share alone never fits it; shared files are not limited. */
        it[0] = (struct lockd_budget_item){ .bytes = 30 * MiB, .last_used = 99 * SEC, .user = 7 };
        it[1] = (struct lockd_budget_item){ .bytes = 30 * MiB, .last_used = 99 * SEC, .shared = 1 };
        plan_share(it, 2, 100 * MiB, 25, &r);
        assert_int_equal(it[0].verdict, LOCKD_SKIP_USER_SHARE);
        assert_int_equal(it[1].verdict, LOCKD_KEEP);
        assert_string_equal(lockd_verdict_name(LOCKD_SKIP_USER_SHARE), "over its user's share (max_user_share)");
}

/* More distinct users than the table holds: the extra users' files are
 * skipped, never counted against the wrong user. */
static void test_many_users(void **state)
{
        static struct lockd_budget_item it[LOCKD_BUDGET_MAX_USERS + 10];
        struct lockd_budget_result r;
        size_t n = sizeof(it) / sizeof(it[0]), kept = 0;

        for (size_t i = 0; i < n; i++)
                it[i] = (struct lockd_budget_item){ .bytes = 4096, .last_used = SEC + i, .order = (unsigned)i,
                                                    .user = (uid_t)(1000 + i) };
        plan_share(it, n, 1024 * MiB, 50, &r);
        for (size_t i = 0; i < n; i++)
                kept += it[i].verdict == LOCKD_KEEP;
        assert_int_equal(kept, LOCKD_BUDGET_MAX_USERS);
}

/* Issue 12: a budget of 0 was no limit at all; it now keeps nothing. */
static void test_zero_budget_keeps_nothing(void **state)
{
        struct lockd_budget_item it[] = {
                { .bytes = 4096, .order = 0, .pinned = 1 },
                { .bytes = MiB, .last_used = 90 * SEC, .order = 1, .shared = 1 },
        };
        struct lockd_budget_result r;

        plan(it, 2, 0, 0, 100 * SEC, 0, &r);
        assert_int_equal(it[0].verdict, LOCKD_SKIP_OVER_BUDGET);
        assert_int_equal(it[1].verdict, LOCKD_SKIP_OVER_BUDGET);
        assert_true(r.kept_bytes == 0);
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
                                .shared = rand_r(&seed) % 2,
                                .user = (uid_t)(rand_r(&seed) % 3),
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
                cmocka_unit_test(test_toolchain_before_a_users_files),
                cmocka_unit_test(test_user_share),
                cmocka_unit_test(test_many_users),
                cmocka_unit_test(test_zero_budget_keeps_nothing),
                cmocka_unit_test(test_order_breaks_ties),
                cmocka_unit_test(test_too_big_and_smaller_after),
                cmocka_unit_test(test_release_after),
                cmocka_unit_test(test_failed),
                cmocka_unit_test(test_never_over_budget),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
