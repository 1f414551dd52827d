/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admission decision: pure, with figures made up for each case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gate/admit.h"
#include "gate/history.h"

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

static void unknown_jobs_start_at_once_where_memory_is_plentiful(void **state)
{
        /* 24 GiB free: the prior is 2 GiB, and a running unknown job reserves it. */
        uint64_t total = 24576 * MIB, prior = ms_admit_prior(total);
        struct ms_admitted a = running(MS_PREDICT_UNKNOWN, 0, prior, 50 * MIB, 300 * MS, 20 * MS);
        struct ms_candidate unknown = { .kind = MS_PREDICT_UNKNOWN, .worst = prior };
        struct ms_admit_result r;

        assert_int_equal(prior, MS_PRIOR_MAX);
        ms_admit_decide(total - 100 * MIB, 1200 * MIB, &a, 1, &unknown, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, prior - 50 * MIB);
        assert_int_equal(r.need, prior);
}

static void unknown_jobs_go_one_at_a_time_in_a_tight_cgroup(void **state)
{
        /* 1 GiB: the prior is half of it; a second unknown job waits for the first. */
        uint64_t total = 1024 * MIB, prior = ms_admit_prior(total);
        struct ms_admitted a = running(MS_PREDICT_UNKNOWN, 0, prior, 3 * MIB, 300 * MS, 20 * MS);
        struct ms_candidate unknown = { .kind = MS_PREDICT_UNKNOWN, .worst = prior };
        struct ms_admit_result r;

        assert_int_equal(prior, 512 * MIB);
        ms_admit_decide(total - 3 * MIB, 100 * MIB, NULL, 0, &unknown, NOW, &r);
        assert_true(r.admit);
        /* Alone, it needs only the threshold: 300 MiB free, 100 required. */
        ms_admit_decide(300 * MIB, 100 * MIB, NULL, 0, &unknown, NOW, &r);
        assert_true(r.admit);
        ms_admit_decide(99 * MIB, 100 * MIB, NULL, 0, &unknown, NOW, &r);
        assert_false(r.admit);
        ms_admit_decide(total - 3 * MIB, 100 * MIB, &a, 1, &unknown, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
}

/* A script or the supervised command, admitted as an unknown job, does not
 * keep its own children out: what it starts is what it grows by. */
static void an_unknown_ancestor_reserves_nothing_against_its_children(void **state)
{
        uint64_t total = 200 * MIB, prior = ms_admit_prior(total);
        struct ms_admitted sh = running(MS_PREDICT_UNKNOWN, 0, prior, 3 * MIB, 300 * MS, 20 * MS);
        struct ms_candidate unknown = { .kind = MS_PREDICT_UNKNOWN, .worst = prior };
        struct ms_admit_result r;

        ms_admit_decide(total - 3 * MIB, 20 * MIB, &sh, 1, &unknown, NOW, &r);
        assert_false(r.admit);
        sh.ancestor = true;
        ms_admit_decide(total - 3 * MIB, 20 * MIB, &sh, 1, &unknown, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 0);
        assert_int_equal(ms_admitted_pending(&sh), 0);
}

/* An LTO link (verified, 900 MiB of 1 GiB reserved, outgrown and growing)
 * waits for the ltrans jobs its lto-wrapper's make starts: they must not wait
 * for its reservation, its surprise or its settling. */
static void a_known_ancestor_counts_for_nothing_either(void **state)
{
        struct ms_admitted link = running(MS_PREDICT_VERIFIED, 900 * MIB, 900 * MIB, 30 * MIB, 3000 * MS, 10 * MS);
        struct ms_candidate ltrans = { .kind = MS_PREDICT_TYPICAL, .predicted = 300 * MIB, .worst = 600 * MIB };
        struct ms_admit_result r;

        ms_admit_decide(1000 * MIB, 100 * MIB, &link, 1, &ltrans, NOW, &r);
        assert_false(r.admit);
        link.ancestor = true;
        ms_admit_decide(1000 * MIB, 100 * MIB, &link, 1, &ltrans, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 0); /* nor its own surprise: no others */
        link.rss = 1000 * MIB; /* past its prediction and growing: not settling for its child */
        link.ancestor = true;
        ms_admit_decide(1000 * MIB, 100 * MIB, &link, 1, &ltrans, NOW, &r);
        assert_true(r.admit);
}

static void unknown_job_past_its_prior_reserves_as_much_again(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_UNKNOWN, 0, 512 * MIB, 600 * MIB, 3000 * MS, 1 * MS);

        assert_int_equal(ms_admitted_pending(&a), 600 * MIB);
        a.rss = 100 * MIB;
        assert_int_equal(ms_admitted_pending(&a), 412 * MIB);
        /* Its reservation covers it: it never holds others as "settling". */
        assert_false(ms_admitted_settling(&a, NOW));
}

static void typical_job_reserves_one_surprise(void **state)
{
        /* Typical 48M, but the program once reached 900M. */
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 48 * MIB, .worst = 900 * MIB };
        struct ms_admit_result r;

        /* Beside another job (reserving nothing more): 1000 - 852 reserved =
         * 148 free: exactly 100 + 48. */
        struct ms_admitted other = running(MS_PREDICT_VERIFIED, 10 * MIB, 10 * MIB, 10 * MIB, 500 * MS, 400 * MS);

        ms_admit_decide(1000 * MIB, 100 * MIB, &other, 1, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 852 * MIB);
        ms_admit_decide(1000 * MIB - 1, 100 * MIB, &other, 1, &c, NOW, &r);
        assert_false(r.admit);
        /* Alone, its own surprise harms nobody. */
        ms_admit_decide(200 * MIB, 100 * MIB, NULL, 0, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 0);
}

/* Typical 400, largest 450: a surprise may still be as much again (a first
 * build's median of few runs): 400 in reserve, not 50. */
static void a_surprise_is_at_least_as_much_again(void **state)
{
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 400 * MIB, .worst = 450 * MIB };
        struct ms_admitted a = running(MS_PREDICT_TYPICAL, 400 * MIB, 450 * MIB, 10 * MIB, 500 * MS, 400 * MS);
        struct ms_admit_result r;

        /* 1024: one running (390 to come) + its surprise 400 + 400 + 102 > 1024. */
        ms_admit_decide(1014 * MIB, 102 * MIB, &a, 1, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reserved, 390 * MIB + 400 * MIB);
        /* Past its typical: it may reach 800. */
        a.rss = 500 * MIB;
        assert_int_equal(ms_admitted_pending(&a), 300 * MIB);
        /* A program that ran MS_TYPICAL_TRUSTED_RUNS times: its largest is believed. */
        a.rss = 10 * MIB;
        a.runs = c.runs = MS_TYPICAL_TRUSTED_RUNS;
        ms_admit_decide(1014 * MIB, 102 * MIB, &a, 1, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 390 * MIB + 50 * MIB);
}

static void runs_that_agree_are_trusted(void **state)
{
        /* 8 python jobs of 315 MiB: from the third on. */
        assert_int_equal(ms_typical_trust(3, 315 * MIB, 315 * MIB, 315 * MIB), MS_TYPICAL_TRUSTED_RUNS);
        assert_int_equal(ms_typical_trust(3, 260 * MIB, 315 * MIB, 370 * MIB), MS_TYPICAL_TRUSTED_RUNS);
        /* main.cpp before two Eigen units: 30, 399, 456. */
        assert_int_equal(ms_typical_trust(3, 30 * MIB, 399 * MIB, 456 * MIB), 3);
        assert_int_equal(ms_typical_trust(3, 399 * MIB, 399 * MIB, 770 * MIB), 3);
        assert_int_equal(ms_typical_trust(12, 30 * MIB, 399 * MIB, 770 * MIB), 12);
        assert_int_equal(ms_typical_trust(0, 0, 0, 0), 0);
}

static const struct ms_curve big_curve = { 2000, { 187, 375, 562, 750, 937, 1125, 1312, 1500 } };

/* A history lookup made into a candidate: verified, typical from 3 runs,
 * else unknown with the program's largest peak as the least of its prior. */
static void candidates_from_the_history(void **state)
{
        struct ms_prediction job = { .job_peak = 200 * MIB, .program_peak = 300 * MIB, .program_runs = 1 };
        struct ms_prediction two = { .program_peak = 456 * MIB, .program_typical = 456 * MIB,
                                     .program_least = 30 * MIB, .program_runs = 2 };
        struct ms_prediction three = { .program_peak = 456 * MIB, .program_typical = 399 * MIB,
                                       .program_least = 30 * MIB, .program_runs = 3 };
        struct ms_prediction none = {};
        struct ms_candidate c = {};

        ms_candidate_predict(&job, &c);
        assert_int_equal(c.kind, MS_PREDICT_VERIFIED);
        assert_int_equal(c.predicted, 200 * MIB);
        assert_int_equal(c.worst, 300 * MIB);
        c = (struct ms_candidate){};
        ms_candidate_predict(&two, &c);
        assert_int_equal(c.kind, MS_PREDICT_UNKNOWN);
        assert_int_equal(c.worst, 456 * MIB);
        c = (struct ms_candidate){};
        three.program_curve = big_curve;
        ms_candidate_predict(&three, &c);
        assert_int_equal(c.kind, MS_PREDICT_TYPICAL);
        assert_int_equal(c.predicted, 399 * MIB);
        assert_int_equal(c.worst, 456 * MIB);
        assert_int_equal(c.runs, 3);
        assert_memory_equal(&c.curve, &big_curve, sizeof(big_curve));
        c = (struct ms_candidate){};
        ms_candidate_predict(&none, &c);
        assert_int_equal(c.kind, MS_PREDICT_UNKNOWN);
        assert_int_equal(c.worst, 0);
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

/* A pause is not the end: a job 4 s old that last grew 0.8 s ago still grows
 * (a quarter of its age); after more than 1 s without growth it has settled. */
static void a_pause_in_growth_is_not_settling(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_VERIFIED, 100 * MIB, 100 * MIB, 300 * MIB, 4000 * MS, 800 * MS);

        assert_true(ms_admitted_settling(&a, NOW));
        a.grown_ns = NOW - 1001 * MS;
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

static void typical_job_has_the_same_slack_as_a_verified_one(void **state)
{
        /* Predicted 400M: slack 50M. */
        struct ms_admitted a = running(MS_PREDICT_TYPICAL, 400 * MIB, 900 * MIB, 450 * MIB, 1000 * MS, 1 * MS);

        assert_int_equal(ms_admitted_pending(&a), 0);
        assert_false(ms_admitted_settling(&a, NOW));
        a.rss = 450 * MIB + 1;
        assert_int_equal(ms_admitted_pending(&a), 450 * MIB - 1);
        assert_true(ms_admitted_settling(&a, NOW));

        /* Predicted 48M: 1/8 is 6M, but the slack is at least 16M. */
        a = running(MS_PREDICT_TYPICAL, 48 * MIB, 900 * MIB, 64 * MIB, 1000 * MS, 1 * MS);
        assert_int_equal(ms_admitted_pending(&a), 0);
        assert_false(ms_admitted_settling(&a, NOW));
        a.rss = 64 * MIB + 1;
        assert_int_equal(ms_admitted_pending(&a), 836 * MIB - 1);
        assert_true(ms_admitted_settling(&a, NOW));
}

static void supervised_typical_job_is_on_probation_half_as_long(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_TYPICAL, 48 * MIB, 48 * MIB, 1 * MIB, 49 * MS, 0);
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 48 * MIB, .worst = 48 * MIB };
        struct ms_admit_result r;

        a.supervised = true;
        assert_true(ms_admitted_settling(&a, NOW));
        ms_admit_decide(8000 * MIB, 100 * MIB, &a, 1, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_SETTLING);
        a.admitted_ns = NOW - MS_PROBATION_SUPERVISED_NS;
        assert_false(ms_admitted_settling(&a, NOW));
        ms_admit_decide(8000 * MIB, 100 * MIB, &a, 1, &c, NOW, &r);
        assert_true(r.admit);
        /* The same job unsupervised is still on probation. */
        a.supervised = false;
        assert_true(ms_admitted_settling(&a, NOW));
}

/* Typical 400, largest 450: a pair under a supervisor that freezes keeps
 * only the largest in reserve (50), not as much again; a third job, or a
 * job nobody freezes, keeps it all; and once past its prediction a job
 * reserves as before. */
static void a_supervised_pair_keeps_the_largest_peak_in_reserve(void **state)
{
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 400 * MIB, .worst = 450 * MIB,
                                  .supervised = true };
        struct ms_admitted a[2] = { running(MS_PREDICT_TYPICAL, 400 * MIB, 450 * MIB, 10 * MIB, 500 * MS, 400 * MS),
                                    running(MS_PREDICT_VERIFIED, 10 * MIB, 10 * MIB, 10 * MIB, 500 * MS, 400 * MS) };
        struct ms_admit_result r;

        a[0].supervised = a[1].supervised = true;
        /* 390 to come + 50 + 400 + 102 = 942 <= 1014. */
        ms_admit_decide(1014 * MIB, 102 * MIB, a, 1, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 390 * MIB + 50 * MIB);
        /* A third: as much again. */
        ms_admit_decide(2048 * MIB, 102 * MIB, a, 2, &c, NOW, &r);
        assert_int_equal(r.reserved, 390 * MIB + 400 * MIB);
        /* The other job not frozen by anyone, or the candidate not. */
        a[0].supervised = false;
        ms_admit_decide(1014 * MIB, 102 * MIB, a, 1, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reserved, 390 * MIB + 400 * MIB);
        a[0].supervised = true;
        c.supervised = false;
        ms_admit_decide(1014 * MIB, 102 * MIB, a, 1, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reserved, 390 * MIB + 400 * MIB);
        /* Past its prediction and 1/8: as much again, pair or not. */
        a[0].rss = 500 * MIB;
        assert_int_equal(ms_admitted_pending(&a[0]), 300 * MIB);
        /* Beside a verified job: the candidate's own largest only. */
        c.supervised = true;
        ms_admit_decide(1014 * MIB, 102 * MIB, &a[1], 1, &c, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 50 * MIB);
}

/* A frozen surprise frees nothing: supervised candidates keep it in reserve too. */
static void supervised_candidate_keeps_the_surprise_in_reserve(void **state)
{
        struct ms_candidate c = { .kind = MS_PREDICT_TYPICAL, .predicted = 48 * MIB, .worst = 900 * MIB,
                                  .supervised = true };
        struct ms_admitted a = running(MS_PREDICT_TYPICAL, 48 * MIB, 900 * MIB, 48 * MIB, 500 * MS, 400 * MS);
        struct ms_admitted other = running(MS_PREDICT_VERIFIED, 10 * MIB, 10 * MIB, 10 * MIB, 500 * MS, 400 * MS);
        struct ms_candidate v = { .kind = MS_PREDICT_VERIFIED, .predicted = 100 * MIB, .worst = 100 * MIB };
        struct ms_admit_result r;

        /* Its own surprise beside another job: 200 would be enough for 100 + 48 but for the 852 reserved. */
        ms_admit_decide(200 * MIB, 100 * MIB, &other, 1, &c, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_int_equal(r.reserved, 852 * MIB);

        /* An admitted typical job's surprise. */
        ms_admit_decide(1000 * MIB, 100 * MIB, &a, 1, &v, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_int_equal(r.reserved, 852 * MIB);
        v.supervised = true;
        ms_admit_decide(1000 * MIB, 100 * MIB, &a, 1, &v, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reserved, 852 * MIB);
}

static void predicted_end(void **state)
{
        assert_int_equal(ms_admit_end_ns(NOW, 0), 0);
        /* The duration, 1/32 more and the slack. */
        assert_int_equal(ms_admit_end_ns(NOW, 2000), NOW + 2000 * MS + 2000 * MS / 32 + MS_END_SLACK_NS);
        assert_int_equal(ms_admit_end_ns(NOW, 1), NOW + 1 * MS + 31250 + MS_END_SLACK_NS);
        assert_int_equal(ms_admit_end_ns(0, UINT32_MAX),
                         (uint64_t)UINT32_MAX * MS + (uint64_t)UINT32_MAX * MS / 32 + MS_END_SLACK_NS);
}

static void room_is_signed(void **state)
{
        assert_int_equal(ms_admit_room(636 * MIB, 0, 154 * MIB), 482 * MIB);
        assert_int_equal(ms_admit_room(100 * MIB, 200 * MIB, 50 * MIB), -150 * (int64_t)MIB);
        /* Beyond any memory: clamped to 2^62, never an overflow. */
        assert_int_equal(ms_admit_room(UINT64_MAX, 0, 0), INT64_C(1) << 62);
        assert_int_equal(ms_admit_room(0, UINT64_MAX, UINT64_MAX), INT64_MIN);
}

/* Reaches k/8 of 900 MiB at k * 187.5 ms (rounded), ends at 2000 ms. */

/* A job at its peak of 900 MiB that ends `end_in` ns from now. */
static struct ms_admitted big_running(uint64_t end_in)
{
        struct ms_admitted a = running(MS_PREDICT_VERIFIED, 900 * MIB, 900 * MIB, 900 * MIB, 1500 * MS, 1000 * MS);

        a.end_ns = NOW + end_in;
        a.supervised = true;
        return a;
}

static struct ms_candidate big_candidate(void)
{
        return (struct ms_candidate){ .kind = MS_PREDICT_VERIFIED, .predicted = 900 * MIB, .worst = 900 * MIB,
                                      .curve = big_curve, .supervised = true };
}

static void supervised_job_starts_when_the_others_end_in_time(void **state)
{
        struct ms_admitted a = big_running(300 * MS);
        struct ms_candidate b = big_candidate();
        struct ms_admit_result r;

        /* 636 - 154 = 482 free now, 900 needed. But within 300 ms (318 ms
         * of its curve at 106% of the pace) b stays below 2/8 of 900 = 225,
         * and once a has ended, 482 + 900 >= 900. */
        assert_int_equal(MS_HASTE_PCT, 106);
        assert_int_equal(ms_curve_bound(&b.curve, b.predicted, 318), 225 * MIB);
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), NOW);
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reason, MS_ADMIT_FITS);
        assert_true(r.timed);
        assert_int_equal(r.reserved, 0);
        assert_int_equal(r.need, 900 * MIB);
        assert_int_equal(r.free, 636 * MIB);
}

static void only_supervised_verified_jobs_with_a_curve_start_in_time(void **state)
{
        struct ms_admitted a = big_running(300 * MS);
        struct ms_candidate b = big_candidate();
        struct ms_admit_result r;

        b.supervised = false;
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_false(r.timed);

        b = big_candidate();
        b.curve = (struct ms_curve){};
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_false(r.timed);

        /* A curve that does not parse is no curve. */
        b.curve = big_curve;
        b.curve.reach_ms[3] = 100;
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_false(r.timed);

        b = big_candidate();
        b.kind = MS_PREDICT_TYPICAL;
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_false(r.timed);
}

static void candidate_is_taken_to_grow_faster_than_its_curve(void **state)
{
        /* Within 482 MiB it may stay up to age 750 (4/8): at 106% of its
         * pace, that is 707.5 ms from now. */
        struct ms_admitted a = big_running(707 * MS);
        struct ms_candidate b = big_candidate();
        struct ms_admit_result r;

        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_true(r.admit);
        assert_true(r.timed);
        /* 708 ms would be 750.5 ms of its curve, the 5th step: 562.5 > 482. */
        a = big_running(708 * MS);
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_false(r.timed);
}

static void fit_time_is_when_the_wait_has_become_short_enough(void **state)
{
        struct ms_admitted a = big_running(2000 * MS);
        struct ms_candidate b = big_candidate();
        struct ms_admit_result r;
        /* 2000 ms - 750 ms * 100 / 106 = 1292.452831 ms */
        uint64_t at = NOW + UINT64_C(1292452831);

        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_false(r.timed);
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), at);
        /* Nothing changed meanwhile: it is admitted then, not a ns before. */
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, at - 1, &r);
        assert_false(r.admit);
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, at, &r);
        assert_true(r.admit);
        assert_true(r.timed);
}

/* Batch jobs that differ only in an argument: typical, and once their runs
 * agree, believed; with their program's curve they start on time too. Not
 * while the typical is a guess, and not unsupervised. */
static void believed_typical_job_starts_on_time(void **state)
{
        struct ms_admitted a = big_running(300 * MS);
        struct ms_candidate b = big_candidate();
        struct ms_admit_result r;

        b.kind = MS_PREDICT_TYPICAL;
        b.runs = MS_TYPICAL_TRUSTED_RUNS;
        assert_true(ms_candidate_timed(&b));
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_true(r.admit);
        assert_true(r.timed);
        b.runs = MS_TYPICAL_TRUSTED_RUNS - 1;
        assert_false(ms_candidate_timed(&b));
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), UINT64_MAX);
        b.runs = MS_TYPICAL_TRUSTED_RUNS;
        b.supervised = false;
        assert_false(ms_candidate_timed(&b));
        b.supervised = true;
        b.kind = MS_PREDICT_UNKNOWN;
        assert_false(ms_candidate_timed(&b));
}

/* A running job admitted on its program's typical size ends when its
 * program's newest run did only where the program's runs agree: the units
 * of one compiler differ threefold in length, and a job let in counting on
 * such an end was OOM-killed beside the one that ran on. */
static void a_typical_end_is_counted_on_only_where_runs_agree(void **state)
{
        struct ms_admitted a = big_running(300 * MS);
        struct ms_candidate b = big_candidate();

        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), NOW);
        a.kind = MS_PREDICT_TYPICAL;
        a.worst = a.predicted + a.predicted / 5; /* agree: a batch of one script */
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), NOW);
        a.worst = a.predicted + a.predicted / 5 + 1; /* units of a compiler */
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), UINT64_MAX);
        /* Beside a job verified, ending in time, the typical one stays. */
        struct ms_admitted two[] = { big_running(300 * MS), a };
        assert_int_equal(ms_admit_fit_time(two, 2, &b, 482 * MIB, NOW), NOW);
        two[0].predicted = two[0].rss = two[0].worst = 100 * MIB; /* frees 100: 582 < 900 */
        assert_int_equal(ms_admit_fit_time(two, 2, &b, 482 * MIB, NOW), UINT64_MAX);
}

/* An admitted job that a waiting process descends from counts for nothing
 * against anyone, like an ancestor of the candidate. */
static void container_counts_for_nothing(void **state)
{
        struct ms_admitted a = running(MS_PREDICT_UNKNOWN, 0, 512 * MIB, 1 * MIB, 0, 0);
        struct ms_candidate b = { .kind = MS_PREDICT_UNKNOWN, .worst = 512 * MIB };
        struct ms_admit_result r;

        ms_admit_decide(1000 * MIB, 100 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        a.container = true;
        ms_admit_decide(1000 * MIB, 100 * MIB, &a, 1, &b, NOW, &r);
        assert_true(r.admit);
        assert_int_equal(r.reserved, 0);
}

/* Under the CLI, while as many jobs run as there are CPUs, each due to end,
 * a job waits for a CPU, whether memory is short or not; a running job of
 * unknown duration or past its end, sleeping jobs, its own ancestors and a
 * candidate that counts no CPUs (plain LD_PRELOAD) hold no one. */
static void a_job_waits_for_a_cpu_while_the_jobs_are_due(void **state)
{
        struct ms_admitted a[2] = { big_running(300 * MS), big_running(300 * MS) };
        struct ms_candidate b = big_candidate();
        struct ms_admit_result r;

        a[0].predicted = a[0].worst = a[0].rss = 10 * MIB;
        a[1].predicted = a[1].worst = a[1].rss = 10 * MIB;
        b.cpus = 2;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit); /* neither runs */
        a[0].running = true;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit); /* one runs, a CPU is free */
        a[1].running = true;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_false(r.admit); /* memory to spare, but both CPUs are taken */
        assert_false(r.timed);
        assert_int_equal(r.reason, MS_HELD_CPUS);
        assert_string_equal(ms_admit_reason_name(r.reason), "as many jobs run as there are CPUs");
        a[1].ancestor = true;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit);
        a[1].ancestor = false;
        b.cpus = 3;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit);
        b.cpus = 0; /* not counted */
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit);
        b.cpus = 2;
        /* One of unknown duration: it may run for ever, no one waits for it. */
        a[1].end_ns = 0;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit);
        /* One past its end: sharing CPUs slows a job, so it is waited for
         * until twice its run (let in 1.5 s ago); past that, no longer. */
        a[1].end_ns = NOW;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_false(r.admit);
        a[1].end_ns = NOW - 750 * MS;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit);
        a[1].end_ns = NOW - 749 * MS;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_false(r.admit);
        a[1].end_ns = NOW + 1;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_false(r.admit);
        assert_true(ms_admit_cpus_full(&r));
        /* Short of memory as well: memory's reason comes first. */
        ms_admit_decide(500 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_true(ms_admit_cpus_full(&r)); /* and no one goes ahead of it */
        /* A job admitted a moment ago runs, seen or not: its driver may not
         * have started its compiler yet. */
        a[1].running = false;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_true(r.admit);
        assert_false(ms_admit_cpus_full(&r));
        a[1].admitted_ns = NOW - MS_CPU_START_NS + 1;
        ms_admit_decide(4000 * MIB, 154 * MIB, a, 2, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_CPUS);
}

static void fit_time_orders_the_ends(void **state)
{
        /* 100 MiB free; a[1] gives back 300 MiB at 300 ms, a[0] 600 at 1000 ms.
         * Not before 300 ms (1/8 is 112.5 > 100); then within 400 up to age
         * 562 (3/8), i.e. 530.188679 ms before 1000 ms. */
        struct ms_admitted a[2] = {
                running(MS_PREDICT_VERIFIED, 600 * MIB, 600 * MIB, 600 * MIB, 1500 * MS, 1000 * MS),
                running(MS_PREDICT_VERIFIED, 300 * MIB, 300 * MIB, 100 * MIB, 1500 * MS, 1000 * MS),
        };
        struct ms_candidate b = big_candidate();

        a[0].end_ns = NOW + 1000 * MS;
        a[1].end_ns = NOW + 300 * MS;
        /* a[1]'s end gives back its RSS and what it still reserves. */
        assert_int_equal(ms_admitted_pending(&a[1]), 200 * MIB);
        assert_int_equal(ms_admit_fit_time(a, 2, &b, 100 * MIB, NOW), NOW + UINT64_C(469811321));
}

static void fit_time_of_a_job_short_already_is_an_end(void **state)
{
        struct ms_admitted a = big_running(300 * MS);
        struct ms_candidate b = big_candidate();

        /* It may take 1/8 at once: only once a has ended, and only if then it fits. */
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, -100 * (int64_t)MIB, NOW), UINT64_MAX);
        b.predicted = 800 * MIB;
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, -100 * (int64_t)MIB, NOW), NOW + 300 * MS);
}

static void overdue_and_endless_jobs_are_taken_to_stay(void **state)
{
        struct ms_admitted a = big_running(0);
        struct ms_candidate b = big_candidate();
        struct ms_admit_result r;

        a.end_ns = NOW - 1;
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(r.reason, MS_HELD_MEMORY);
        assert_false(r.timed);
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), UINT64_MAX);
        a.end_ns = 0;
        ms_admit_decide(636 * MIB, 154 * MIB, &a, 1, &b, NOW, &r);
        assert_false(r.admit);
        assert_int_equal(ms_admit_fit_time(&a, 1, &b, 482 * MIB, NOW), UINT64_MAX);
}

static void fit_time_without_a_curve_is_now_or_never(void **state)
{
        struct ms_admitted a = big_running(300 * MS);
        struct ms_candidate c = { .kind = MS_PREDICT_VERIFIED, .predicted = 400 * MIB, .worst = 400 * MIB };

        assert_int_equal(ms_admit_fit_time(&a, 1, &c, 400 * MIB, NOW), NOW);
        assert_int_equal(ms_admit_fit_time(&a, 1, &c, 400 * MIB - 1, NOW), UINT64_MAX);
        assert_int_equal(ms_admit_fit_time(NULL, 0, &c, -1, NOW), UINT64_MAX);
        /* A curve is for verified jobs only. */
        c.kind = MS_PREDICT_TYPICAL;
        c.curve = big_curve;
        assert_int_equal(ms_admit_fit_time(&a, 1, &c, 400 * MIB - 1, NOW), UINT64_MAX);
}

static void reason_names(void **state)
{
        assert_string_equal(ms_admit_reason_name(MS_ADMIT_FITS), "fits");
        assert_string_equal(ms_admit_reason_name(MS_HELD_MEMORY), "not enough memory");
        assert_string_equal(ms_admit_reason_name(MS_HELD_CPUS), "as many jobs run as there are CPUs");
        assert_non_null(ms_admit_reason_name(MS_HELD_SETTLING));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(empty_machine_admits_anything_that_fits),
                cmocka_unit_test(fits_exactly_at_the_threshold),
                cmocka_unit_test(reservations_of_just_admitted_jobs_count),
                cmocka_unit_test(grown_jobs_reserve_nothing_more),
                cmocka_unit_test(unknown_jobs_start_at_once_where_memory_is_plentiful),
                cmocka_unit_test(unknown_jobs_go_one_at_a_time_in_a_tight_cgroup),
                cmocka_unit_test(unknown_job_past_its_prior_reserves_as_much_again),
                cmocka_unit_test(an_unknown_ancestor_reserves_nothing_against_its_children),
                cmocka_unit_test(a_known_ancestor_counts_for_nothing_either),
                cmocka_unit_test(typical_job_reserves_one_surprise),
                cmocka_unit_test(surprise_reserve_is_counted_once),
                cmocka_unit_test(a_surprise_is_at_least_as_much_again),
                cmocka_unit_test(a_supervised_pair_keeps_the_largest_peak_in_reserve),
                cmocka_unit_test(runs_that_agree_are_trusted),
                cmocka_unit_test(candidates_from_the_history),
                cmocka_unit_test(job_past_its_typical_size_reserves_the_worst_and_settles),
                cmocka_unit_test(a_pause_in_growth_is_not_settling),
                cmocka_unit_test(typical_job_on_probation),
                cmocka_unit_test(verified_job_has_slack_before_it_counts_as_growing),
                cmocka_unit_test(available_below_reserved_is_zero_free),
                cmocka_unit_test(typical_job_has_the_same_slack_as_a_verified_one),
                cmocka_unit_test(supervised_typical_job_is_on_probation_half_as_long),
                cmocka_unit_test(supervised_candidate_keeps_the_surprise_in_reserve),
                cmocka_unit_test(predicted_end),
                cmocka_unit_test(room_is_signed),
                cmocka_unit_test(supervised_job_starts_when_the_others_end_in_time),
                cmocka_unit_test(only_supervised_verified_jobs_with_a_curve_start_in_time),
                cmocka_unit_test(candidate_is_taken_to_grow_faster_than_its_curve),
                cmocka_unit_test(fit_time_is_when_the_wait_has_become_short_enough),
                cmocka_unit_test(believed_typical_job_starts_on_time),
                cmocka_unit_test(a_typical_end_is_counted_on_only_where_runs_agree),
                cmocka_unit_test(container_counts_for_nothing),
                cmocka_unit_test(a_job_waits_for_a_cpu_while_the_jobs_are_due),
                cmocka_unit_test(fit_time_orders_the_ends),
                cmocka_unit_test(fit_time_of_a_job_short_already_is_an_end),
                cmocka_unit_test(overdue_and_endless_jobs_are_taken_to_stay),
                cmocka_unit_test(fit_time_without_a_curve_is_now_or_never),
                cmocka_unit_test(reason_names),
        };
        return cmocka_run_group_tests_name("admit", tests, NULL, NULL);
}
