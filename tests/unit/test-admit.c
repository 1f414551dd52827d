/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admission decision: pure, with figures made up for each case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admit.h"

#define MIB (UINT64_C(1) << 20)
#define MS (UINT64_C(1000000))
#define NOW (UINT64_C(100) * 1000 * MS) /* 100 s after boot, any point will do */

static struct ms_admitted running(enum ms_prediction_kind kind, uint64_t predicted, uint64_t worst, uint64_t rss,
                                  uint64_t age_ns, uint64_t grown_ago_ns)
{
        return (struct ms_admitted){ .kind = kind, .predicted = predicted, .worst = worst, .rss = rss,
                                     .admitted_ns = NOW - age_ns, .grown_ns = NOW - grown_ago_ns };
}

static void empty_machine_admits_anything_that_fits(void **state)
{
        struct ms_candidate c = { .kind = MS_PREDICT_VERIFIED, .predicted = 256 * MIB, .worst = 256 * MIB };
        struct ms_admit_result r;

        ms_admit_decide(1024 * MIB, 100 * MIB, NULL, 0, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reason, MS_ADMIT_FITS);
        assert_int_equal(r.reserved, 0);
        assert_int_equal(r.need, 256 * MIB);
        assert_int_equal(r.free, 1024 * MIB);
}

static void fits_exactly_at_the_threshold(void **state)
{
        struct ms_candidate c = { .kind = MS_PREDICT_VERIFIED, .predicted = 300 * MIB, .worst = 300 * MIB };
        struct ms_admit_result r;

        ms_admit_decide(400 * MIB, 100 * MIB, NULL, 0, &c, NOW, &r);
        assert_true(r.admit);
        ms_admit_decide(400 * MIB - 1, 100 * MIB, NULL, 0, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
}

/* The bug of the original memstop: 24 jobs pass in the same millisecond. */
static void reservations_of_just_admitted_jobs_count(void **state)
{
        struct ms_admitted a[5];
        struct ms_candidate c = { .kind = MS_PREDICT_VERIFIED, .predicted = 256 * MIB, .worst = 256 * MIB };
        struct ms_admit_result r;

        /* Five jobs admitted a moment ago, none has allocated yet. */
        for (int i = 0; i < 5; i++)
                a[i] = running(MS_PREDICT_VERIFIED, 256 * MIB, 256 * MIB, 2 * MIB, 5 * MS, 5 * MS);
        ms_admit_decide(1500 * MIB, 150 * MIB, a, 5, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_int_equal(r.reserved, 5 * 254 * MIB);
        /* With four, the fifth fits: 1500 - 4*254 = 484 >= 256 + 150. */
        ms_admit_decide(1500 * MIB, 150 * MIB, a, 4, &c, NOW, &r);
        assert_true(r.admit);
}

static void grown_jobs_reserve_nothing_more(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_VERIFIED, 256 * MIB, 256 * MIB, 256 * MIB, 2000 * MS, 1000 * MS);

        assert_int_equal(ms_admitted_pending(&a), 0);
        a.rss = 100 * MIB;
        assert_int_equal(ms_admitted_pending(&a), 156 * MIB);
}

static void unknown_job_growing_holds_everyone(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_UNKNOWN, 0, 0, 50 * MIB, 300 * MS, 20 * MS);
        struct ms_candidate known = { .kind = MS_PREDICT_VERIFIED, .predicted = 10 * MIB, .worst = 10 * MIB };
        struct ms_candidate unknown = { .kind = MS_PREDICT_UNKNOWN };
        struct ms_admit_result r;

        ms_admit_decide(8000 * MIB, 100 * MIB, &a, 1, &unknown, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_SETTLING);
        ms_admit_decide(8000 * MIB, 100 * MIB, &a, 1, &known, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_SETTLING);
}

static void unknown_job_settles(void **state)
{
        struct ms_candidate unknown = { .kind = MS_PREDICT_UNKNOWN };
        struct ms_admit_result r;
        /* Last grew longer ago than MS_SETTLE_NS. */
        struct ms_admitted a = running(MS_PREDICT_UNKNOWN, 0, 0, 50 * MIB, 1000 * MS, MS_SETTLE_NS + MS);

        assert_false(ms_admitted_settling(&a, NOW));
        ms_admit_decide(8000 * MIB, 100 * MIB, &a, 1, &unknown, NOW, &r);
        assert_true(r.admit);
        /* Just admitted: settling even if its RSS has not moved yet. */
        a = running(MS_PREDICT_UNKNOWN, 0, 0, 1 * MIB, MS_SETTLE_NS / 2, MS_SETTLE_NS / 2);
        assert_true(ms_admitted_settling(&a, NOW));
}

static void unknown_job_stops_blocking_after_the_maximum(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_UNKNOWN, 0, 0, 500 * MIB, MS_SETTLE_MAX_NS, 1 * MS);

        assert_false(ms_admitted_settling(&a, NOW));
        a.admitted_ns = NOW - MS_SETTLE_MAX_NS + 1;
        assert_true(ms_admitted_settling(&a, NOW));
}

static void typical_job_reserves_one_surprise(void **state)
{
        /* Typical 48M, but the program once reached 900M. */
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 48 * MIB, .worst = 900 * MIB };
        struct ms_admit_result r;

        /* 1000 - 852 reserved = 148 free: exactly 100 + 48. */
        ms_admit_decide(1000 * MIB, 100 * MIB, NULL, 0, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 852 * MIB);
        ms_admit_decide(1000 * MIB - 1, 100 * MIB, NULL, 0, &c, NOW, &r);
        assert_false(r.admit);
}

static void surprise_reserve_is_counted_once(void **state)
{
        struct ms_admitted a[3];
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 48 * MIB, .worst = 900 * MIB };
        struct ms_admit_result r;

        for (int i = 0; i < 3; i++)
                a[i] = running(MS_PREDICT_TYPICAL, 48 * MIB, 900 * MIB, 48 * MIB, 500 * MS, 400 * MS);
        ms_admit_decide(4000 * MIB, 100 * MIB, a, 3, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 852 * MIB);
}

static void job_past_its_typical_size_reserves_the_worst_and_settles(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_TYPICAL, 48 * MIB, 900 * MIB, 300 * MIB, 500 * MS, 10 * MS);

        assert_int_equal(ms_admitted_pending(&a), 600 * MIB);
        assert_true(ms_admitted_settling(&a, NOW));
        /* Stopped growing. */
        a.grown_ns = NOW - MS_SETTLE_NS - 1;
        assert_false(ms_admitted_settling(&a, NOW));
}

static void typical_job_on_probation(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_TYPICAL, 48 * MIB, 48 * MIB, 1 * MIB, MS_PROBATION_NS - 1, 0);
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 48 * MIB, .worst = 48 * MIB };
        struct ms_admit_result r;

        assert_true(ms_admitted_settling(&a, NOW));
        ms_admit_decide(8000 * MIB, 100 * MIB, &a, 1, &c, NOW, &r);
        assert_false(r.admit);
        a.admitted_ns = NOW - MS_PROBATION_NS;
        ms_admit_decide(8000 * MIB, 100 * MIB, &a, 1, &c, NOW, &r);
        assert_true(r.admit);
}

static void verified_job_has_slack_before_it_counts_as_growing(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_VERIFIED, 800 * MIB, 800 * MIB, 850 * MIB, 1000 * MS, 1 * MS);

        /* 850 < 800 + 800/8: within the slack. */
        assert_false(ms_admitted_settling(&a, NOW));
        a.rss = 950 * MIB;
        assert_true(ms_admitted_settling(&a, NOW));
}

static void available_below_reserved_is_zero_free(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_VERIFIED, 900 * MIB, 900 * MIB, 0, 10 * MS, 10 * MS);
        struct ms_candidate c = { .kind = MS_PREDICT_VERIFIED, .predicted = 1, .worst = 1 };
        struct ms_admit_result r;

        ms_admit_decide(500 * MIB, 0, &a, 1, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.free, 0);
}

static void reason_names(void **state)
{
        assert_string_equal(ms_admit_reason_name(MS_ADMIT_FITS), "fits");
        assert_string_equal(ms_admit_reason_name(MS_HELD_MEMORY), "not enough memory");
        assert_non_null(ms_admit_reason_name(MS_HELD_SETTLING));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(empty_machine_admits_anything_that_fits),
                cmocka_unit_test(fits_exactly_at_the_threshold),
                cmocka_unit_test(reservations_of_just_admitted_jobs_count),
                cmocka_unit_test(grown_jobs_reserve_nothing_more),
                cmocka_unit_test(unknown_job_growing_holds_everyone),
                cmocka_unit_test(unknown_job_settles),
                cmocka_unit_test(unknown_job_stops_blocking_after_the_maximum),
                cmocka_unit_test(typical_job_reserves_one_surprise),
                cmocka_unit_test(surprise_reserve_is_counted_once),
                cmocka_unit_test(job_past_its_typical_size_reserves_the_worst_and_settles),
                cmocka_unit_test(typical_job_on_probation),
                cmocka_unit_test(verified_job_has_slack_before_it_counts_as_growing),
                cmocka_unit_test(available_below_reserved_is_zero_free),
                cmocka_unit_test(reason_names),
        };
        return cmocka_run_group_tests_name("admit", tests, NULL, NULL);
}
