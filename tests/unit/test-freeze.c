/* SPDX-License-Identifier: GPL-3.0-or-later */
/* freeze: which job to stop or resume, on made-up jobs and figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "supervise/freeze.h"

#define MS 1000000ull
#define S (1000 * MS)

static struct ms_freeze_params params(void)
{
        struct ms_freeze_params p;

        ms_freeze_params_default(&p, MiB(200)); /* freeze under 100 MiB, resume above 264 MiB */
        return p;
}

static struct ms_job_view job(uint64_t start, uint64_t rss_mib, int64_t rate_mib, bool frozen)
{
        return (struct ms_job_view){ .start = start, .rss = MiB(rss_mib), .rate = rate_mib * (int64_t)MiB(1),
                                     .frozen = frozen };
}

static size_t decide(const struct ms_freeze_input *in, const struct ms_job_view *jobs, size_t n,
                     struct ms_freeze_action *out)
{
        struct ms_freeze_params p = params();

        return ms_freeze_decide(&p, in, jobs, n, out, 16);
}

static void defaults(void **state)
{
        struct ms_freeze_params p;

        ms_freeze_params_default(&p, MiB(200));
        assert_int_equal(p.freeze_below, MiB(100));
        assert_int_equal(p.resume_above, MiB(264));
        assert_true(p.resume_above > p.freeze_below);
        ms_freeze_params_default(&p, MiB(10));
        assert_int_equal(p.freeze_below, MiB(64)); /* at least 64 MiB */
        ms_freeze_params_default(&p, 0);
        assert_int_equal(p.freeze_below, MiB(64));
}

static void plenty_does_nothing(void **state)
{
        struct ms_job_view j[] = { job(1, 100, 200, false), job(2, 100, 200, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = GiB(2), .calm = true };
        struct ms_freeze_action a[16];

        assert_int_equal(decide(&in, j, 2, a), 0);
}

static void short_freezes_youngest_growing(void **state)
{
        /* Job 2 is the youngest but does not grow: job 1 (younger than 0)
         * goes first; still short (90 - 30 < 100), job 0 follows; job 2 runs on. */
        struct ms_job_view j[] = { job(10, 300, 100, false), job(30, 200, 100, false), job(40, 50, 0, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(90), .calm = true };
        struct ms_freeze_action a[16];
        size_t n = decide(&in, j, 3, a);

        assert_int_equal(n, 2);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 1);
        assert_int_equal(a[1].verb, MS_FREEZE_STOP);
        assert_int_equal(a[1].job, 0);

        /* Short by little: the youngest growing alone (jobs of unknown peak
         * count their RSS again: 450 - 500 < 100, without job 1: 150). */
        in.available = MiB(450);
        n = decide(&in, j, 3, a);
        assert_int_equal(n, 1);
        assert_int_equal(a[0].job, 1);
}

static void projection_freezes_before_the_level(void **state)
{
        /* 200 MiB available now, but three jobs of unknown peak grow at 300
         * MiB/s: as much again as their RSS, 300 MiB: freeze until the
         * projection is above 100 MiB. */
        struct ms_job_view j[] = { job(1, 100, 300, false), job(2, 100, 300, false), job(3, 100, 300, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(200), .calm = true };
        struct ms_freeze_action a[16];
        size_t n = decide(&in, j, 3, a);

        /* 200 - 300 < 100; without job 3: 200 - 200 = 0 < 100; without 2 too:
         * 200 - 100 = 100 >= 100. */
        assert_int_equal(n, 2);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 2);
        assert_int_equal(a[1].verb, MS_FREEZE_STOP);
        assert_int_equal(a[1].job, 1);
}

static void predicted_growth_is_not_projected(void **state)
{
        /* The same three jobs growing at 300 MiB/s (90 MiB over the horizon),
         * but each predicted to peak at 160 MiB (+1/8 = 180): what is still
         * to come was reserved by the gate; nothing is unexpected until a job
         * is past 180 MiB. */
        struct ms_job_view j[] = { job(1, 100, 300, false), job(2, 100, 300, false), job(3, 100, 300, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(200), .calm = true };
        struct ms_freeze_action a[16];

        for (int i = 0; i < 3; i++)
                j[i].peak = MiB(160);
        assert_int_equal(decide(&in, j, 3, a), 0);
        /* Predicted 90 MiB (+1/8 = 101.25), at 100 MiB: still within. */
        for (int i = 0; i < 3; i++)
                j[i].peak = MiB(90);
        assert_int_equal(decide(&in, j, 3, a), 0);
        /* Predicted 88 MiB (+1/8 = 99), at 100 MiB: past it, all 90 MiB each
         * unexpected, 200 - 270 < 100. */
        for (int i = 0; i < 3; i++)
                j[i].peak = MiB(88);
        assert_true(decide(&in, j, 3, a) > 0);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 2);
}

static void predicted_growth_counts_when_reservations_are_not_backed(void **state)
{
        /* Two jobs at 100 MiB growing at 300 MiB/s toward a predicted 300 MiB:
         * 400 MiB still reserved, 150 MiB available, under the margin of 200. */
        struct ms_freeze_params p = params();
        struct ms_job_view j[] = { job(1, 100, 300, false), job(2, 100, 300, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(150), .calm = true };
        struct ms_freeze_action a[16];

        j[0].peak = j[1].peak = MiB(300);
        assert_int_equal(p.margin, MiB(200));
        /* 150 - 2 x 90 < 100: the youngest goes. */
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 1);
        /* Above the margin, but not for as long as a freeze takes to act:
         * 2 x 60 MiB over MS_FREEZE_REACT_MS would take it below. */
        p.margin = MiB(150);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        p.margin = MiB(30) + 1;
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        /* Above it for that long: the reservations are trusted. */
        p.margin = MiB(30);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
        p.margin = 0;
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
}

static void a_fast_grower_counted_on_an_end_is_frozen_above_the_margin(void **state)
{
        /* A 700 MiB cgroup, the gate's threshold 70 MiB: job 0 at its
         * predicted 400 MiB, job 1 admitted counting on its end, at 200 of a
         * predicted 400 MiB and growing 400 MiB/s (the last 200 reserved,
         * not there). */
        struct ms_freeze_params p;
        struct ms_job_view j[] = { job(1, 400, 0, false), job(2, 200, 400, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(160), .calm = true };
        struct ms_freeze_action a[16];

        ms_freeze_params_default(&p, MiB(70));
        j[0].peak = j[1].peak = MiB(400);
        /* 160 - 70 = 90 MiB above the threshold, 80 of growth while a
         * freeze would take to act: trusted. */
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
        /* At 120 of it, 80 MiB of growth would cross the threshold before a
         * freeze acted: frozen now, not once under it. */
        j[1].rss = MiB(240);
        in.available = MiB(120);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 1);
        /* Near its peak its growth is what is left of it and 1/8: 450 - 420
         * = 30 MiB, 100 - 70 >= 30: trusted again. */
        j[1].rss = MiB(420);
        in.available = MiB(100);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
}

static void reservations_backed_by_available_memory(void **state)
{
        /* Still to come: 60 + 60 MiB; the idle job past its peak adds nothing.
         * Backed, 10 MiB each is unexpected: 120 - 20 >= 100. */
        struct ms_job_view j[] = { job(1, 100, 300, false), job(2, 100, 300, false), job(3, 300, 0, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(120), .calm = true };
        struct ms_freeze_action a[16];

        j[0].peak = j[1].peak = MiB(160);
        j[2].peak = MiB(100);
        assert_int_equal(decide(&in, j, 3, a), 0);
        /* A byte short of backing them, under the margin: all 180 MiB count. */
        in.available = MiB(120) - 1;
        assert_int_equal(decide(&in, j, 3, a), 2);
        assert_int_equal(a[0].job, 1);
        assert_int_equal(a[1].job, 0);
}

static void never_the_last_running(void **state)
{
        struct ms_job_view j[] = { job(1, 500, 300, false), job(2, 400, 300, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(10), .calm = true };
        struct ms_freeze_action a[16];

        assert_int_equal(decide(&in, j, 2, a), 0);

        struct ms_job_view one[] = { job(1, 500, 300, false) };
        assert_int_equal(decide(&in, one, 1, a), 0);
}

static void no_growth_no_freeze(void **state)
{
        struct ms_job_view j[] = { job(1, 500, 0, false), job(2, 400, 0, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(10), .calm = true };
        struct ms_freeze_action a[16];

        /* Under 1 MiB/s is noise, not growth. */
        j[1].rate = 768 << 10;
        assert_int_equal(decide(&in, j, 2, a), 0);
}

static void slow_growth_together_is_growth(void **state)
{
        /* Four jobs of unknown peak growing by 2 MiB/s each, 150 MiB left
         * (freeze under 100): each may grow by as much again as its RSS,
         * up to 30 s of its growth (60 MiB): the youngest are frozen until
         * the rest fits. */
        struct ms_job_view j[] = { job(1, 200, 2, false), job(2, 200, 2, false), job(3, 200, 2, false),
                                   job(4, 200, 2, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(150), .calm = true };
        struct ms_freeze_action a[16];

        /* 150 - 240 < 100; without 4: 150 - 180; without 3: 150 - 120;
         * without 2: 150 - 60 = 90; with only job 1 running, no more. */
        assert_int_equal(decide(&in, j, 4, a), 3);
        assert_int_equal(a[0].job, 3);
        assert_int_equal(a[1].job, 2);
        assert_int_equal(a[2].job, 1);
}

static void resume_oldest_with_hysteresis(void **state)
{
        struct ms_job_view j[] = { job(5, 100, 0, false), job(20, 200, 0, true), job(10, 200, 0, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(200), .calm = true,
                                      .last_freeze_ns = 5 * S, .last_end_ns = 9 * S };
        struct ms_freeze_action a[16];

        /* Above the critical level but under resume_above: nothing either way. */
        assert_int_equal(decide(&in, j, 3, a), 0);
        /* Nor with room for it alone: a job of unknown peak resumes into
         * growth, as much again as its 200 MiB. */
        in.available = MiB(300);
        assert_int_equal(decide(&in, j, 3, a), 0);
        in.available = MiB(500);
        assert_int_equal(decide(&in, j, 3, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 2); /* start 10: the oldest frozen */
}

static void resume_rate_limited(void **state)
{
        struct ms_job_view j[] = { job(5, 100, 0, false), job(20, 200, 0, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = GiB(1), .calm = true,
                                      .last_resume_ns = 10 * S - 200 * MS, .last_end_ns = 9 * S };
        struct ms_freeze_action a[16];

        assert_int_equal(decide(&in, j, 2, a), 0);
        in.now_ns = 10 * S + 300 * MS;
        assert_int_equal(decide(&in, j, 2, a), 1);
        /* Nor right after a freeze. */
        in.last_resume_ns = 0;
        in.last_freeze_ns = in.now_ns - 100 * MS;
        assert_int_equal(decide(&in, j, 2, a), 0);
}

/* A job past its prediction (and 1/8) is of unknown size again: it may grow
 * as much again as it holds, so a job is frozen though memory looks fine for
 * the next 0.3 s; and it is that job, older though it is: the younger one,
 * within its prediction, has its growth reserved (250 MiB more, 400
 * available), while frozen in its place it would leave the other to grow
 * into 400 MiB with 460 to come. */
static void a_job_past_its_prediction_is_projected_as_unknown(void **state)
{
        struct ms_job_view j[] = { job(5, 460, 100, false), job(10, 150, 100, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(400), .calm = true };
        struct ms_freeze_action a[16];

        j[0].peak = MiB(400);
        j[1].peak = MiB(400);
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 0);
        /* Within its prediction, growth was reserved: nothing to do. */
        j[0].rss = MiB(300);
        assert_int_equal(decide(&in, j, 2, a), 0);
}

/* Jobs past their predictions go first, the youngest of them first, while
 * the others' growth to their predictions fits in what is available: they
 * can end beside them. When it does not, the jobs with the most growth ahead
 * go first: a job just let in before one near its end. */
static void surprises_first_while_the_others_fit(void **state)
{
        struct ms_job_view j[] = { job(5, 600, 100, false), job(10, 600, 100, false), job(20, 100, 100, false),
                                   job(30, 100, 100, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(650), .calm = true };
        struct ms_freeze_action a[16];
        size_t n;

        j[0].peak = j[1].peak = MiB(200); /* past 225: surprises, 400 MiB past it each */
        j[2].peak = j[3].peak = MiB(200); /* 125 MiB each to come, 250 fit in 650 */
        /* 650 - 600 - 600 (backed: 200 reserved, 650 available): job 1
         * (50), job 0 (650). */
        n = decide(&in, j, 4, a);
        assert_int_equal(n, 2);
        assert_int_equal(a[0].job, 1);
        assert_int_equal(a[1].job, 0);

        /* 300 MiB each, 100 past their prediction; 350 + 350 MiB to come
         * beside them, 50 available: the two within, the youngest first,
         * then the younger surprise: 50 - 300 - 300 - 2 x 30 (not backed),
         * + 30, + 30, + 300; never the fourth. */
        j[0].rss = j[1].rss = MiB(300);
        j[2].peak = j[3].peak = MiB(400);
        in.available = MiB(50);
        n = decide(&in, j, 4, a);
        assert_int_equal(n, 3);
        assert_int_equal(a[0].job, 3);
        assert_int_equal(a[1].job, 2);
        assert_int_equal(a[2].job, 1);

        /* None past its prediction: the most growth ahead (jobs 2 and 3:
         * 350 MiB each), the youngest of them. */
        j[0].peak = j[1].peak = MiB(400);
        n = decide(&in, j, 4, a);
        assert_true(n >= 1);
        assert_int_equal(a[0].job, 3);
}

/* The cold real-compiler build's lost job (bench/realbuild.sh, 1 GiB): one
 * compile let in counting on another's end, which outlived its prediction
 * and went a little past it. Frozen near its end, the old one would free
 * nothing while the new one grew into what it holds: the new one, with
 * more growth ahead, is frozen, and the old one ends. */
static void a_job_let_in_on_a_late_end_is_frozen_not_the_late_one(void **state)
{
        /* Job 0: predicted 470 MiB, at 540 (past 528.75), growing 20 MiB/s;
         * job 1: predicted 470, at 350, growing 100 MiB/s (178.75 to come,
         * 150 available). */
        struct ms_job_view j[] = { job(5, 540, 20, false), job(10, 350, 100, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(150), .calm = true };
        struct ms_freeze_action a[16];

        j[0].peak = j[1].peak = MiB(470);
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 1);
        /* With room for job 1 to end beside it, the late one is frozen. */
        in.available = MiB(180);
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].job, 0);
}

/*
 * Measured in a warm build in 1 GiB: tu5 let in counting on tu4's predicted
 * end; tu4 ran 20% late (the machine had slowed down). Memory was not short
 * yet, so nothing was frozen until tu5 had 329 MiB, and tu4, growing to its
 * 746 beside it, was OOM-killed. A late job that the running jobs' growth
 * to their predictions no longer leaves room for: the one with most growth
 * ahead is frozen at once, one a step, and none resumes meanwhile.
 */
static void a_job_is_frozen_as_soon_as_the_one_it_counted_on_is_late(void **state)
{
        struct ms_freeze_params p;
        struct ms_job_view j[] = { job(1, 600, 30, false), job(2, 150, 40, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(244), .calm = true };
        struct ms_freeze_action a[16];

        ms_freeze_params_default(&p, MiB(102));
        j[0].peak = MiB(746);
        j[0].end_ns = 9 * S;
        j[1].peak = MiB(475);
        j[1].end_ns = 20 * S;
        /* Owed: 146 + 325 = 471 > 244 + 64; ahead: 239 against 384. */
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 1);
        /* In a pause, it waits for it to grow again: frozen near its own
         * end, the late one would free nothing, and the other, then the
         * last running job, could not be frozen any more. */
        j[1].rate = 0;
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
        j[1].rate = 40 * (int64_t)MiB(1);
        /* Not late yet: the gate counted on it, nothing to do. */
        j[0].end_ns = 11 * S;
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
        /* Late, with room for both to reach their predictions: nothing either. */
        j[0].end_ns = 9 * S;
        in.available = MiB(540);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
        /* Frozen, it does not resume while the late one still needs the room,
         * though a job ended since. */
        in.available = MiB(244);
        j[1].frozen = true;
        j[1].frozen_ns = 10 * S;
        j[1].rate = 0;
        in.now_ns = 12 * S;
        in.last_end_ns = 11 * S;
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
        /* Once the late one has ended, it does. */
        j[0] = (struct ms_job_view){};
        j[0].held = true;
        in.available = MiB(800);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 1);
}

/*
 * A late job past its peak is not late: a warm 1 GiB build, tu9's cc1plus
 * has ended at 805 MiB, its `as` grows at 72 MiB/s past tu9's predicted
 * end, and tu0, let in counting on that end, grows beside it. Counted as
 * still to grow to 805 MiB, tu9 was frozen for 3.3 s with memory to spare.
 * Before its peak, the same job is late, and frozen.
 */
static void a_job_past_its_peak_is_not_late(void **state)
{
        struct ms_freeze_params p;
        struct ms_job_view j[] = { job(1, 107, 72, false), job(2, 100, 40, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(748), .calm = true };
        struct ms_freeze_action a[16];

        ms_freeze_params_default(&p, MiB(102));
        j[0].peak = MiB(805);
        j[0].most_rss = MiB(805);
        j[0].end_ns = 9 * S;
        j[1].peak = MiB(399);
        j[1].end_ns = 20 * S;
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 0);
        /* Nor does it keep a frozen job from resuming. */
        j[1].frozen = true;
        j[1].frozen_ns = 9 * S;
        j[1].rate = 0;
        in.last_end_ns = 9500 * MS;
        in.now_ns = 20 * S;
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 1);
        /* Before its peak: 698 MiB still to grow, late, and most ahead. */
        j[1] = job(2, 100, 40, false);
        j[1].peak = MiB(399);
        j[1].end_ns = 30 * S;
        j[0].most_rss = MiB(107);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 0);
        /* At its peak, not past it: late, it owes the rest, and the one
         * let in on its end is frozen. */
        j[0].rss = j[0].most_rss = MiB(790);
        in.available = MiB(200);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 2, a, 16), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 1);
}

/* A job let in a moment ago has not shown a rate yet; under half its
 * predicted peak, its growth is ahead of it, and it is the one frozen, not
 * the one near its peak. Two seconds later, still not growing, it is not
 * frozen: it would free nothing; nor once it has been frozen and resumed. */
static void a_fresh_job_is_frozen_before_it_shows_a_rate(void **state)
{
        struct ms_job_view j[] = { job(1 * S, 500, 30, false), job(10 * S - 200 * MS, 20, 0, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(150), .calm = true };
        struct ms_freeze_action a[16];

        j[1].peak = MiB(500); /* job 0: unknown, as much again as its RSS: 150 - 500 < 100 */
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_STOP);
        assert_int_equal(a[0].job, 1);
        in.now_ns = 12 * S;
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].job, 0);
        /* Past half its peak it is not fresh. */
        in.now_ns = 10 * S;
        j[1].rss = MiB(260);
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].job, 0);
        /* Frozen as fresh once and resumed, it is not fresh again: at no
         * rate, the growing one goes. */
        j[1].rss = MiB(20);
        j[1].freezes = 1;
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].job, 0);
}

/* A frozen job that was past its prediction resumes into growth of as much
 * again as its RSS, like one of unknown size. */
static void a_frozen_surprise_resumes_counting_its_rss(void **state)
{
        struct ms_job_view j[] = { job(5, 100, 0, false), job(20, 300, 0, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(500), .calm = true,
                                      .last_end_ns = 9 * S };
        struct ms_freeze_action a[16];

        j[1].frozen_ns = 8 * S;
        j[1].peak = MiB(200); /* past 225 */
        /* 500 - 300 = 200 < 264: not yet. */
        assert_int_equal(decide(&in, j, 2, a), 0);
        in.available = MiB(600); /* 300 >= 264 */
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        /* Within its prediction, its growth was reserved: 500 will do. */
        j[1].peak = MiB(400);
        in.available = MiB(500);
        assert_int_equal(decide(&in, j, 2, a), 1);
}

/* Memory that looks better for a moment is no reason: a job must have ended. */
static void resume_only_after_a_job_ended(void **state)
{
        struct ms_job_view j[] = { job(5, 100, 0, false), job(20, 200, 0, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = GiB(4), .calm = true };
        struct ms_freeze_action a[16];

        j[1].frozen_ns = 8 * S;
        assert_int_equal(decide(&in, j, 2, a), 0);
        in.last_end_ns = 7 * S; /* before it was frozen: not what it waits for */
        assert_int_equal(decide(&in, j, 2, a), 0);
        in.last_end_ns = 9 * S;
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 1);
}

/* A job frozen MS_FREEZE_MAX_PER_JOB times is not frozen again: the next
 * youngest growing one is. */
static void no_job_is_frozen_more_than_its_share(void **state)
{
        struct ms_job_view j[] = { job(5, 100, 20, false), job(10, 100, 20, false), job(20, 100, 20, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(10), .calm = true };
        struct ms_freeze_action a[16];
        size_t n;

        j[2].freezes = MS_FREEZE_MAX_PER_JOB;
        n = decide(&in, j, 3, a);
        assert_true(n >= 1);
        for (size_t i = 0; i < n; i++)
                assert_int_not_equal(a[i].job, 2);
        assert_int_equal(a[0].job, 1);
}

static void no_resume_under_pressure(void **state)
{
        struct ms_job_view j[] = { job(5, 100, 0, false), job(20, 200, 0, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = GiB(1), .calm = false };
        struct ms_freeze_action a[16];

        assert_int_equal(decide(&in, j, 2, a), 0);
}

static void nothing_running_resumes_at_once(void **state)
{
        /* Whatever memory says, a build must not stand still. */
        struct ms_job_view j[] = { job(20, 200, 0, true), job(10, 300, 0, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(5), .calm = false,
                                      .last_resume_ns = 10 * S - MS };
        struct ms_freeze_action a[16];

        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 1);
}

static void held_jobs_are_not_running(void **state)
{
        /* The only other job waits in the gate for memory the frozen one holds. */
        struct ms_job_view j[] = { job(10, 300, 0, true), job(20, 16, 0, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(50), .calm = true,
                                      .last_freeze_ns = 10 * S - MS };
        struct ms_freeze_action a[16];

        j[1].held = true;
        assert_int_equal(decide(&in, j, 2, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 0);

        /* Nor is a held job ever frozen, however young. */
        struct ms_job_view k[] = { job(10, 300, 100, false), job(15, 300, 100, false), job(20, 16, 100, false) };
        k[2].held = true;
        assert_int_equal(decide(&in, k, 3, a), 1);
        assert_int_equal(a[0].job, 1);
}

static void a_stuck_build_resumes_at_once(void **state)
{
        /* g++ -flto=auto runs a make of its own: its steps are jobs, held in
         * the gate while a job is frozen, and the link (running, no leaf of
         * its own) never ends. The supervisor says the build is stuck. */
        struct ms_job_view j[] = { job(10, 560, 0, true), job(20, 26, 0, false), job(30, 0, 0, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(50), .calm = false,
                                      .last_freeze_ns = 10 * S - MS };
        struct ms_freeze_action a[16];

        j[2].held = true;
        assert_int_equal(decide(&in, j, 3, a), 0); /* the link runs: wait for an end */
        in.stuck = true;
        assert_int_equal(decide(&in, j, 3, a), 1);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 0);
}

static void stopping_resumes_all(void **state)
{
        struct ms_job_view j[] = { job(1, 200, 0, true), job(2, 300, 100, false), job(3, 300, 0, true) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(5), .stopping = true };
        struct ms_freeze_action a[16];
        size_t n = decide(&in, j, 3, a);

        assert_int_equal(n, 2);
        assert_int_equal(a[0].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[0].job, 0);
        assert_int_equal(a[1].verb, MS_FREEZE_RESUME);
        assert_int_equal(a[1].job, 2);
}

static void stalling_freezes_one_per_interval(void **state)
{
        struct ms_job_view j[] = { job(1, 200, 50, false), job(2, 200, 50, false), job(3, 200, 50, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = GiB(1), .stalling = true };
        struct ms_freeze_action a[16];

        assert_int_equal(decide(&in, j, 3, a), 1);
        assert_int_equal(a[0].job, 2);
        in.last_freeze_ns = 10 * S - 500 * MS;
        assert_int_equal(decide(&in, j, 3, a), 0);
}

static void max_bounds_actions(void **state)
{
        struct ms_freeze_params p = params();
        struct ms_job_view j[] = { job(1, 10, 500, false), job(2, 10, 500, false), job(3, 10, 500, false) };
        struct ms_freeze_input in = { .now_ns = 10 * S, .available = MiB(1) };
        struct ms_freeze_action a[1];

        assert_int_equal(ms_freeze_decide(&p, &in, j, 3, a, 1), 1);
        assert_int_equal(a[0].job, 2);
        assert_int_equal(ms_freeze_decide(&p, &in, j, 0, a, 1), 0);
}

static void rate_estimate(void **state)
{
        /* 0 -> 100 MiB in 1 s from a rate of 0: half of 100 MiB/s. */
        assert_int_equal(ms_freeze_rate(0, 0, MiB(100), 1000 * MS), (int64_t)MiB(50));
        /* Stopped growing: believed at once, not halved away over several samples. */
        assert_int_equal(ms_freeze_rate((int64_t)MiB(50), MiB(100), MiB(100), 1000 * MS), 0);
        /* Faster: half way. */
        assert_int_equal(ms_freeze_rate((int64_t)MiB(50), MiB(100), MiB(250), 1000 * MS), (int64_t)MiB(100));
        assert_true(ms_freeze_rate(0, MiB(100), 0, 1000 * MS) < 0);
        assert_int_equal(ms_freeze_rate(7, 0, MiB(1), 0), 7);
}

/*
 * The VM's finding (tests/vm/v2-make.sh): 8 jobs of 300 MiB, unknown to the
 * gate, all let in within seconds on one slow CPU that grows them by 40
 * MiB/s in all, in 1 GiB. Frozen jobs keep their memory: the policy must
 * freeze early enough that those left running can end. A simulation in
 * 100 ms steps, jobs holding their peak for 2 s before they end.
 */
#define SIM_JOBS 8
struct sim_job {
        uint64_t admit_ms, rss, prev, held_ms;
        bool frozen, done;
};

static unsigned sim_freezes;
static uint64_t sim_last_freeze_ns, sim_last_resume_ns;
/* Growth per 100 ms step: shared by the growing jobs (sim_total), or each
 * job's own (sim_each, if not 0). */
static uint64_t sim_total = MiB(4), sim_each;

static bool sim_step(struct sim_job *sj, uint64_t t_ms, uint64_t *used)
{
        struct ms_freeze_params p = params();
        struct ms_job_view v[SIM_JOBS];
        struct ms_freeze_action a[16];
        struct ms_freeze_input in = { .now_ns = t_ms * MS, .calm = true, .last_freeze_ns = sim_last_freeze_ns,
                                      .last_resume_ns = sim_last_resume_ns };
        unsigned growers = 0, live = 0;
        size_t idx[SIM_JOBS], n = 0;

        *used = 0;
        for (size_t i = 0; i < SIM_JOBS; i++) {
                if (sj[i].done || t_ms < sj[i].admit_ms)
                        continue;
                live++;
                growers += !sj[i].frozen && sj[i].rss < MiB(300);
        }
        for (size_t i = 0; i < SIM_JOBS; i++) {
                struct sim_job *j = &sj[i];
                if (j->done || t_ms < j->admit_ms)
                        continue;
                j->prev = j->rss;
                if (!j->frozen && j->rss < MiB(300))
                        j->rss += sim_each ? sim_each : sim_total / growers; /* over 100 ms */
                if (!j->frozen && j->rss >= MiB(300) && (j->held_ms += 100) > 2000) {
                        j->done = true;
                        continue;
                }
                *used += j->rss;
                v[n] = (struct ms_job_view){ .start = j->admit_ms + 1, .rss = j->rss,
                                             .rate = (int64_t)(j->rss - j->prev) * 10, .frozen = j->frozen };
                idx[n++] = i;
        }
        in.available = *used < GiB(1) ? GiB(1) - *used : 0;
        size_t k = ms_freeze_decide(&p, &in, v, n, a, 16);
        for (size_t i = 0; i < k; i++) {
                sj[idx[a[i].job]].frozen = a[i].verb == MS_FREEZE_STOP;
                sim_freezes += a[i].verb == MS_FREEZE_STOP;
                *(a[i].verb == MS_FREEZE_STOP ? &sim_last_freeze_ns : &sim_last_resume_ns) = t_ms * MS;
        }
        return live > 0;
}

/* Runs the simulation to its end (at most 20 minutes): each job must have
 * ended; returns the peak of memory used. */
static uint64_t sim_run(struct sim_job *sj)
{
        uint64_t used, peak = 0, t = 0;

        sim_freezes = 0;
        sim_last_freeze_ns = sim_last_resume_ns = 0;
        while (sim_step(sj, t, &used) && t < 1200 * 1000) {
                if (used > peak)
                        peak = used;
                t += 100;
        }
        for (size_t i = 0; i < SIM_JOBS; i++)
                assert_true(sj[i].done);
        return peak;
}

static void slow_unknown_growers_all_end(void **state)
{
        struct sim_job sj[SIM_JOBS] = { 0 };
        uint64_t peak;

        for (size_t i = 0; i < SIM_JOBS; i++)
                sj[i].admit_ms = 1500 * i; /* the gate's settling lets one in every 1.5 s */
        sim_total = MiB(4); /* 40 MiB/s in all */
        sim_each = 0;
        peak = sim_run(sj);
        /* Each ended; memory never reached the limit (an OOM kill). */
        assert_true(peak < GiB(1));
        /* A resumed job has room to grow: it may be frozen again as the
         * others grow beside it, but there is no freeze-resume churn. */
        assert_true(sim_freezes <= 4 * SIM_JOBS);
}

/* Eight jobs of 300 MiB let in at once (exempt from the gate, or admitted
 * on a wrong prediction), each growing by 3 MiB/s: slowly one by one, 24
 * MiB/s together into 1 GiB. (With growth counted from 4 MiB/s, none was
 * frozen, and memory ran out at 43 s.) */
static void creeping_jobs_all_end(void **state)
{
        struct sim_job sj[SIM_JOBS] = { 0 };
        uint64_t peak;

        sim_each = MiB(3) / 10;
        peak = sim_run(sj);
        sim_each = 0;
        assert_true(peak < GiB(1));
        assert_true(sim_freezes <= 4 * SIM_JOBS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(defaults),
                cmocka_unit_test(plenty_does_nothing),
                cmocka_unit_test(short_freezes_youngest_growing),
                cmocka_unit_test(projection_freezes_before_the_level),
                cmocka_unit_test(predicted_growth_is_not_projected),
                cmocka_unit_test(predicted_growth_counts_when_reservations_are_not_backed),
                cmocka_unit_test(reservations_backed_by_available_memory),
                cmocka_unit_test(a_fast_grower_counted_on_an_end_is_frozen_above_the_margin),
                cmocka_unit_test(never_the_last_running),
                cmocka_unit_test(no_growth_no_freeze),
                cmocka_unit_test(slow_growth_together_is_growth),
                cmocka_unit_test(resume_oldest_with_hysteresis),
                cmocka_unit_test(resume_rate_limited),
                cmocka_unit_test(resume_only_after_a_job_ended),
                cmocka_unit_test(a_job_past_its_prediction_is_projected_as_unknown),
                cmocka_unit_test(surprises_first_while_the_others_fit),
                cmocka_unit_test(a_job_let_in_on_a_late_end_is_frozen_not_the_late_one),
                cmocka_unit_test(a_job_is_frozen_as_soon_as_the_one_it_counted_on_is_late),
                cmocka_unit_test(a_job_past_its_peak_is_not_late),
                cmocka_unit_test(a_fresh_job_is_frozen_before_it_shows_a_rate),
                cmocka_unit_test(a_frozen_surprise_resumes_counting_its_rss),
                cmocka_unit_test(no_job_is_frozen_more_than_its_share),
                cmocka_unit_test(no_resume_under_pressure),
                cmocka_unit_test(nothing_running_resumes_at_once),
                cmocka_unit_test(a_stuck_build_resumes_at_once),
                cmocka_unit_test(held_jobs_are_not_running),
                cmocka_unit_test(stopping_resumes_all),
                cmocka_unit_test(stalling_freezes_one_per_interval),
                cmocka_unit_test(max_bounds_actions),
                cmocka_unit_test(rate_estimate),
                cmocka_unit_test(slow_unknown_growers_all_end),
                cmocka_unit_test(creeping_jobs_all_end),

        };

        return cmocka_run_group_tests_name("freeze", tests, NULL, NULL);
}
