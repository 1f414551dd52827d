/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Growth curves: traces of RSS looks, the curves made of them, and their bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gate/curve.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)

static void assert_reach(const struct ms_curve *c, const uint32_t want[MS_CURVE_STEPS])
{
        for (unsigned k = 0; k < MS_CURVE_STEPS; k++)
                if (c->reach_ms[k] != want[k])
                        fail_msg("reach_ms[%u] = %u, want %u", k, c->reach_ms[k], want[k]);
}

static void assert_point(const struct ms_curve_trace *t, uint32_t i, uint32_t age_ms, uint32_t rss_kib)
{
        assert_true(i < t->n);
        if (t->point[i].age_ms != age_ms || t->point[i].rss_kib != rss_kib)
                fail_msg("point %u = (%u ms, %u KiB), want (%u ms, %u KiB)", i, t->point[i].age_ms,
                         t->point[i].rss_kib, age_ms, rss_kib);
}

/* ---- traces and the curves made of them ---- */

static void linear_ramp_reach_is_never_late_and_at_most_one_look_early(void **state)
{
        /* 1 MiB per ms up to 800 MiB at 800 ms, looked at every 100 ms from
         * 50 ms: level k/8 is truly crossed at 100k ms. */
        struct ms_curve_trace t = {};
        struct ms_curve c;
        const uint32_t want[MS_CURVE_STEPS] = { 50, 150, 250, 350, 450, 550, 650, 750 };

        for (uint64_t age = 50; age < 1000; age += 100)
                ms_curve_note(&t, age, (age < 800 ? age : 800) * MIB);
        assert_int_equal(t.n, 9);
        assert_int_equal(t.seen_ms, 950);
        ms_curve_from_trace(&t, 800 * MIB, 1000, &c);
        assert_int_equal(c.duration_ms, 1000);
        assert_reach(&c, want);
        for (unsigned k = 0; k < MS_CURVE_STEPS; k++) {
                uint32_t crossed = 100 * (k + 1);
                assert_true(c.reach_ms[k] <= crossed);
                assert_true(c.reach_ms[k] + 100 >= crossed);
        }
        assert_true(ms_curve_valid(&c));
}

static void late_first_look_reaches_passed_levels_at_once(void **state)
{
        /* The same ramp, first seen at 500 ms: 5/8 were reached at some
         * time after admission, maybe at once. */
        struct ms_curve_trace t = {};
        struct ms_curve c;
        const uint32_t want[MS_CURVE_STEPS] = { 0, 0, 0, 0, 0, 500, 600, 700 };

        for (uint64_t age = 500; age <= 900; age += 100)
                ms_curve_note(&t, age, (age < 800 ? age : 800) * MIB);
        assert_point(&t, 0, 0, 500 * 1024);
        ms_curve_from_trace(&t, 800 * MIB, 1000, &c);
        assert_reach(&c, want);
}

static void rss_that_drops_is_not_recorded(void **state)
{
        struct ms_curve_trace t = {};

        ms_curve_note(&t, 100, 200 * MIB);
        ms_curve_note(&t, 200, 100 * MIB);
        ms_curve_note(&t, 300, 200 * MIB);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.seen_ms, 300);
        /* First seen higher at 400 ms: reached after the look at 300 ms. */
        ms_curve_note(&t, 400, 300 * MIB);
        assert_int_equal(t.n, 2);
        assert_point(&t, 0, 0, 200 * 1024);
        assert_point(&t, 1, 300, 300 * 1024);
        assert_int_equal(t.seen_ms, 400);
}

static void rss_is_counted_in_kib_rounded_up(void **state)
{
        struct ms_curve_trace t = {};

        ms_curve_note(&t, 10, 1);
        assert_point(&t, 0, 0, 1);
        /* Still 1 KiB: nothing new. */
        ms_curve_note(&t, 20, KIB);
        assert_int_equal(t.n, 1);
        ms_curve_note(&t, 30, KIB + 1);
        assert_int_equal(t.n, 2);
        assert_point(&t, 1, 20, 2);
}

static void ages_going_backwards_are_clamped(void **state)
{
        struct ms_curve_trace t = {};

        ms_curve_note(&t, 500, 100 * MIB);
        ms_curve_note(&t, 300, 200 * MIB);
        assert_int_equal(t.seen_ms, 500);
        ms_curve_note(&t, 400, 300 * MIB);
        assert_int_equal(t.seen_ms, 500);
        assert_int_equal(t.n, 3);
        assert_point(&t, 0, 0, 100 * 1024);
        assert_point(&t, 1, 500, 200 * 1024);
        assert_point(&t, 2, 500, 300 * 1024);
        ms_curve_note(&t, 600, 300 * MIB);
        assert_int_equal(t.seen_ms, 600);
}

static void full_trace_merges_the_closest_neighbours(void **state)
{
        /* Points (10j ms, 100(j+1) KiB), but point c at 100c + 10 KiB: c - 1
         * and c are the closest pair and become (10(c-1) ms, 100c + 10 KiB).
         * The first pair, one inside, the last. */
        const uint32_t close[] = { 1, 6, MS_CURVE_POINTS - 1 };

        for (size_t n = 0; n < sizeof(close) / sizeof(close[0]); n++) {
                struct ms_curve_trace t = {};
                uint32_t c = close[n];

                for (uint32_t i = 1; i <= MS_CURVE_POINTS; i++)
                        ms_curve_note(&t, 10 * i, (i - 1 == c ? 100 * c + 10 : 100 * i) * KIB);
                assert_int_equal(t.n, MS_CURVE_POINTS);
                ms_curve_note(&t, 170, 1700 * KIB);
                assert_int_equal(t.n, MS_CURVE_POINTS);
                assert_int_equal(t.seen_ms, 170);
                for (uint32_t j = 0; j + 1 < c; j++)
                        assert_point(&t, j, 10 * j, 100 * (j + 1));
                assert_point(&t, c - 1, 10 * (c - 1), 100 * c + 10);
                for (uint32_t j = c; j + 1 < MS_CURVE_POINTS; j++)
                        assert_point(&t, j, 10 * j + 10, 100 * (j + 2));
                assert_point(&t, MS_CURVE_POINTS - 1, 160, 1700);
        }
}

static void merge_weighs_time_apart_too(void **state)
{
        /* RSS 100 KiB apart everywhere, looks 10 ms apart but for points 6
         * and 7 (2 ms): that pair loses least (2 x 100) and is merged into
         * (60 ms, 800 KiB); the pair after it (18 x 100) is not. */
        struct ms_curve_trace t = { .seen_ms = 150, .n = MS_CURVE_POINTS };

        for (uint32_t j = 0; j < MS_CURVE_POINTS; j++)
                t.point[j] = (struct ms_curve_point){ 10 * j, 100 * (j + 1) };
        t.point[7].age_ms = 62;
        ms_curve_note(&t, 170, 1700 * KIB);
        assert_int_equal(t.n, MS_CURVE_POINTS);
        for (uint32_t j = 0; j < 6; j++)
                assert_point(&t, j, 10 * j, 100 * (j + 1));
        assert_point(&t, 6, 60, 800);
        for (uint32_t j = 7; j + 1 < MS_CURVE_POINTS; j++)
                assert_point(&t, j, 10 * (j + 1), 100 * (j + 2));
        assert_point(&t, MS_CURVE_POINTS - 1, 150, 1700);
}

static void merged_curve_keeps_fastest_growth_and_fading_slowest_end(void **state)
{
        const struct ms_curve before = { 2400, { 100, 200, 300, 400, 500, 600, 700, 800 } };
        struct ms_curve c = { 2000, { 150, 150, 350, 350, 450, 650, 650, 1900 } }, bad = { 0, {} };

        ms_curve_keep_worst(&c, &before);
        /* Level by level the earlier; the duration 2400 - 2400/8. */
        const struct ms_curve want = { 2100, { 100, 150, 300, 350, 450, 600, 650, 800 } };
        assert_memory_equal(&c, &want, sizeof(c));
        assert_true(ms_curve_valid(&c));
        /* A longer run of its own keeps its duration. */
        c.duration_ms = 2200;
        ms_curve_keep_worst(&c, &before);
        assert_int_equal(c.duration_ms, 2200);
        /* Nothing to merge with an invalid curve, either way. */
        ms_curve_keep_worst(&c, &bad);
        assert_int_equal(c.duration_ms, 2200);
        ms_curve_keep_worst(&bad, &before);
        assert_int_equal(bad.duration_ms, 0);
}

static void alone_a_cpu_bound_job_takes_its_cpu_time(void **state)
{
        (void)state;
        /* Shared the CPUs: on one 6 of its 10 s, or just half of them. */
        assert_int_equal(ms_curve_alone_ms(10000, 6000), 6000);
        assert_int_equal(ms_curve_alone_ms(10000, 5000), 5000);
        assert_int_equal(ms_curve_alone_ms(10001, 5001), 5001);
        /* Slept or waited for I/O most of the time: its wall time. */
        assert_int_equal(ms_curve_alone_ms(10000, 4999), 10000);
        assert_int_equal(ms_curve_alone_ms(10001, 5000), 10001);
        assert_int_equal(ms_curve_alone_ms(10000, 0), 10000);
        /* Threads in parallel, or all of its time on a CPU. */
        assert_int_equal(ms_curve_alone_ms(10000, 25000), 10000);
        assert_int_equal(ms_curve_alone_ms(10000, 10000), 10000);
        /* Nothing measured: at least 1 ms. */
        assert_int_equal(ms_curve_alone_ms(0, 0), 1);
        assert_int_equal(ms_curve_alone_ms(1, 1), 1);
        assert_int_equal(ms_curve_alone_ms(UINT64_MAX, UINT64_MAX - 1), UINT64_MAX - 1);
}

static void shrunk_curve_keeps_its_proportions(void **state)
{
        struct ms_curve c = { 2000, { 0, 100, 500, 500, 1000, 1500, 1999, 2000 } }, bad = { 0, {} };
        const struct ms_curve want = { 1000, { 0, 50, 250, 250, 500, 750, 999, 1000 } };

        (void)state;
        ms_curve_shrink(&c, 1000);
        assert_memory_equal(&c, &want, sizeof(c));
        assert_true(ms_curve_valid(&c));
        /* Never longer, never 0, never an invalid curve touched. */
        ms_curve_shrink(&c, 3000);
        ms_curve_shrink(&c, 0);
        assert_memory_equal(&c, &want, sizeof(c));
        ms_curve_shrink(&bad, 10);
        assert_int_equal(bad.duration_ms, 0);
        ms_curve_shrink(&c, 1);
        assert_int_equal(c.duration_ms, 1);
        assert_true(ms_curve_valid(&c));
}

/* The curve of every look kept, by the same rule as ms_curve_from_trace. */
static void reference_reach(const uint32_t *age, const uint32_t *kib, unsigned n, uint32_t seen, uint64_t peak,
                            uint32_t duration, uint32_t out[MS_CURVE_STEPS])
{
        for (unsigned k = 0; k < MS_CURVE_STEPS; k++) {
                uint64_t level = (peak + 1023) / 1024 * (k + 1) / MS_CURVE_STEPS;
                unsigned i = 0;
                while (i < n && kib[i] < level)
                        i++;
                out[k] = i < n ? age[i] : seen;
                if (out[k] > duration)
                        out[k] = duration;
        }
}

static void merging_never_makes_a_reach_later(void **state)
{
        /* 100 looks every 10 ms of a ramp that grows ever faster, and of one
         * that grows ever slower: whatever is merged, each level is at most
         * as late as with all 100 points. */
        for (int shape = 0; shape < 2; shape++) {
                struct ms_curve_trace t = {};
                uint32_t age[100], kib[100], want[MS_CURVE_STEPS];
                struct ms_curve c;
                uint64_t peak = 0;
                unsigned merged = 0;

                for (uint32_t i = 1; i <= 100; i++) {
                        uint64_t x = shape == 0 ? i * i : 10000 - (100 - i) * (100 - i), rss = x * 100 * KIB;
                        age[i - 1] = 10 * (i - 1);
                        kib[i - 1] = (uint32_t)(rss / KIB);
                        peak = rss;
                        ms_curve_note(&t, 10 * i, rss);
                        assert_true(t.n <= MS_CURVE_POINTS);
                        for (uint32_t j = 1; j < t.n; j++) {
                                assert_true(t.point[j].age_ms > t.point[j - 1].age_ms);
                                assert_true(t.point[j].rss_kib > t.point[j - 1].rss_kib);
                        }
                }
                assert_int_equal(t.n, MS_CURVE_POINTS);
                assert_int_equal(t.seen_ms, 1000);
                assert_int_equal(t.point[0].age_ms, 0);
                assert_int_equal(t.point[t.n - 1].rss_kib, kib[99]);
                for (uint64_t p = peak / 8; p <= peak; p += peak / 8) {
                        ms_curve_from_trace(&t, p, 1000, &c);
                        reference_reach(age, kib, 100, 1000, p, 1000, want);
                        for (unsigned k = 0; k < MS_CURVE_STEPS; k++) {
                                assert_true(c.reach_ms[k] <= want[k]);
                                merged += c.reach_ms[k] < want[k];
                        }
                }
                /* Merging lost something (else this test shows nothing). */
                assert_true(merged > 0);
        }
}

static void peak_above_anything_seen_is_reached_after_the_last_look(void **state)
{
        struct ms_curve_trace t = {};
        struct ms_curve c;
        const uint32_t want[MS_CURVE_STEPS] = { 0, 100, 300, 300, 300, 300, 300, 300 };

        ms_curve_note(&t, 100, 100 * MIB);
        ms_curve_note(&t, 200, 200 * MIB);
        ms_curve_note(&t, 300, 200 * MIB);
        ms_curve_from_trace(&t, 800 * MIB, 1000, &c);
        assert_reach(&c, want);
        assert_true(ms_curve_valid(&c));
}

static void curve_is_clamped_to_its_duration(void **state)
{
        struct ms_curve_trace t = {};
        struct ms_curve c;
        const uint32_t at_250[MS_CURVE_STEPS] = { 0, 100, 250, 250, 250, 250, 250, 250 };
        const uint32_t at_1[MS_CURVE_STEPS] = { 0, 1, 1, 1, 1, 1, 1, 1 };

        ms_curve_note(&t, 100, 100 * MIB);
        ms_curve_note(&t, 200, 200 * MIB);
        ms_curve_note(&t, 300, 200 * MIB);
        ms_curve_from_trace(&t, 800 * MIB, 250, &c);
        assert_int_equal(c.duration_ms, 250);
        assert_reach(&c, at_250);
        /* A duration of 0 is taken as 1. */
        ms_curve_from_trace(&t, 800 * MIB, 0, &c);
        assert_int_equal(c.duration_ms, 1);
        assert_reach(&c, at_1);
        assert_true(ms_curve_valid(&c));
        ms_curve_from_trace(&t, 800 * MIB, UINT64_C(1) << 40, &c);
        assert_int_equal(c.duration_ms, UINT32_MAX);
}

static void empty_trace_reaches_everything_at_once(void **state)
{
        struct ms_curve_trace t = {};
        struct ms_curve c;
        const uint32_t zero[MS_CURVE_STEPS] = {};

        memset(&c, 0xff, sizeof(c));
        ms_curve_from_trace(&t, 800 * MIB, 1000, &c);
        assert_int_equal(c.duration_ms, 1000);
        assert_reach(&c, zero);
        assert_true(ms_curve_valid(&c));
        assert_int_equal(ms_curve_bound(&c, 800 * MIB, 1), 800 * MIB);
}

static void garbled_trace_still_gives_a_valid_curve(void **state)
{
        /* Ages out of order and past the last look (a trace in shared
         * memory may hold anything): the curve stays nondecreasing. */
        struct ms_curve_trace t = { 50, 2, { { 300, 400 * 1024 }, { 100, 800 * 1024 } } };
        struct ms_curve c;
        const uint32_t want[MS_CURVE_STEPS] = { 300, 300, 300, 300, 300, 300, 300, 300 };

        ms_curve_from_trace(&t, 800 * MIB, 1000, &c);
        assert_reach(&c, want);
        assert_true(ms_curve_valid(&c));
}

static void corrupt_trace_is_reset_and_counts_as_empty(void **state)
{
        const uint32_t corrupt_n[] = { MS_CURVE_POINTS + 1, UINT32_MAX };
        const uint32_t zero[MS_CURVE_STEPS] = {};
        struct ms_curve_trace t;
        struct ms_curve c;

        for (size_t i = 0; i < sizeof(corrupt_n) / sizeof(corrupt_n[0]); i++) {
                memset(&t, 0x55, sizeof(t));
                t.n = corrupt_n[i];
                t.seen_ms = 5000;
                ms_curve_from_trace(&t, 800 * MIB, 1000, &c);
                assert_reach(&c, zero);
                ms_curve_note(&t, 100, 50 * MIB);
                assert_int_equal(t.n, 1);
                assert_point(&t, 0, 0, 50 * 1024);
                assert_int_equal(t.seen_ms, 100);
        }
}

/* ---- bounds ---- */

static const struct ms_curve steps = { 2000, { 100, 200, 300, 400, 500, 600, 700, 800 } };

static void bound_at_and_around_reach_times(void **state)
{
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 0), 100 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 100), 100 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 101), 200 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 200), 200 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 201), 300 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 800), 800 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 801), 800 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, 2001), 800 * MIB);
        assert_int_equal(ms_curve_bound(&steps, 800 * MIB, UINT64_MAX), 800 * MIB);
}

static void bound_of_equal_reach_times_is_the_lowest_level(void **state)
{
        /* Below 100 ms it stayed under 1/8, then reached 4/8 at once. */
        struct ms_curve c = { 1000, { 100, 100, 100, 100, 500, 500, 500, 500 } };

        assert_int_equal(ms_curve_bound(&c, 800 * MIB, 100), 100 * MIB);
        assert_int_equal(ms_curve_bound(&c, 800 * MIB, 101), 500 * MIB);
        assert_int_equal(ms_curve_bound(&c, 800 * MIB, 501), 800 * MIB);
}

static void bound_rounds_down_without_overflow(void **state)
{
        /* floor(15 k / 8) */
        assert_int_equal(ms_curve_bound(&steps, 15, 0), 1);
        assert_int_equal(ms_curve_bound(&steps, 15, 400), 7);
        assert_int_equal(ms_curve_bound(&steps, 15, 700), 13);
        assert_int_equal(ms_curve_bound(&steps, 15, 800), 15);
        /* peak * 4 would overflow. */
        assert_true(ms_curve_bound(&steps, UINT64_MAX, 400) == UINT64_MAX / 2);
        assert_true(ms_curve_bound(&steps, UINT64_MAX, 800) == UINT64_MAX);
}

static void valid_curves(void **state)
{
        struct ms_curve c = { 1, {} };

        assert_true(ms_curve_valid(&steps));
        assert_true(ms_curve_valid(&c));
        /* All at the duration. */
        c = (struct ms_curve){ 800, { 100, 200, 300, 400, 500, 600, 700, 800 } };
        assert_true(ms_curve_valid(&c));
        c.duration_ms = UINT32_MAX;
        for (unsigned k = 0; k < MS_CURVE_STEPS; k++)
                c.reach_ms[k] = UINT32_MAX;
        assert_true(ms_curve_valid(&c));
}

static void invalid_curves_are_rejected_and_bound_to_the_peak(void **state)
{
        const struct ms_curve bad[] = {
                { 0, {} },                                                 /* unknown */
                { 0, { 100, 200, 300, 400, 500, 600, 700, 800 } },          /* unknown */
                { 2000, { 100, 200, 150, 400, 500, 600, 700, 800 } },      /* decreasing */
                { 2000, { 100, 200, 300, 400, 500, 600, 700, 600 } },      /* decreasing at the end */
                { 2000, { 100, 200, 300, 400, 500, 600, 700, 2001 } },     /* past the duration */
                { 50, { 100, 100, 100, 100, 100, 100, 100, 100 } },        /* all past the duration */
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (ms_curve_valid(&bad[i]))
                        fail_msg("invalid curve %zu accepted", i);
                if (ms_curve_bound(&bad[i], 800 * MIB, 0) != 800 * MIB)
                        fail_msg("invalid curve %zu bounds below the peak", i);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(linear_ramp_reach_is_never_late_and_at_most_one_look_early),
                cmocka_unit_test(late_first_look_reaches_passed_levels_at_once),
                cmocka_unit_test(rss_that_drops_is_not_recorded),
                cmocka_unit_test(rss_is_counted_in_kib_rounded_up),
                cmocka_unit_test(ages_going_backwards_are_clamped),
                cmocka_unit_test(full_trace_merges_the_closest_neighbours),
                cmocka_unit_test(merge_weighs_time_apart_too),
                cmocka_unit_test(merged_curve_keeps_fastest_growth_and_fading_slowest_end),
                cmocka_unit_test(merging_never_makes_a_reach_later),
                cmocka_unit_test(peak_above_anything_seen_is_reached_after_the_last_look),
                cmocka_unit_test(curve_is_clamped_to_its_duration),
                cmocka_unit_test(empty_trace_reaches_everything_at_once),
                cmocka_unit_test(garbled_trace_still_gives_a_valid_curve),
                cmocka_unit_test(corrupt_trace_is_reset_and_counts_as_empty),
                cmocka_unit_test(bound_at_and_around_reach_times),
                cmocka_unit_test(bound_of_equal_reach_times_is_the_lowest_level),
                cmocka_unit_test(bound_rounds_down_without_overflow),
                cmocka_unit_test(valid_curves),
                cmocka_unit_test(alone_a_cpu_bound_job_takes_its_cpu_time),
                cmocka_unit_test(shrunk_curve_keeps_its_proportions),
                cmocka_unit_test(invalid_curves_are_rejected_and_bound_to_the_peak),
        };
        return cmocka_run_group_tests_name("curve", tests, NULL, NULL);
}
