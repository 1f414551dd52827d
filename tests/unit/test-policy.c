/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy: the hold/release step function and the wait loop, on a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "gate/policy.h"

#define TOTAL GiB(10)
#define ENOUGH GiB(2) /* default 10 % of TOTAL is 1 GiB */
#define SHORT MiB(100)

static struct ms_sample sample_of(uint64_t total, uint64_t available)
{
        return (struct ms_sample){ .total = total, .available = available };
}

static struct ms_config config(uint64_t timeout_usec)
{
        struct ms_config c;

        ms_config_init(&c);
        c.timeout_usec = timeout_usec;
        return c;
}

/* ---- ms_policy_step ---- */

static void step_admits_at_exactly_required(void **state)
{
        struct ms_config c = config(0);
        struct ms_sample s = sample_of(GiB(10), GiB(1));
        struct ms_step st;

        ms_policy_step(&c, &s, 0, 0, &st);
        assert_int_equal(st.verdict, MS_ADMIT);
        assert_true(st.required == GiB(1));
}

static void step_waits_one_byte_below(void **state)
{
        struct ms_config c = config(0);
        struct ms_sample s = sample_of(GiB(10), GiB(1) - 1);
        struct ms_step st;

        ms_policy_step(&c, &s, 0, 0, &st);
        assert_int_equal(st.verdict, MS_WAIT);
        assert_true(st.required == GiB(1));
        assert_int_equal(st.sleep_usec, MS_BACKOFF_MIN_USEC);
}

static void step_required_uses_min_available(void **state)
{
        struct ms_config c = config(0);
        struct ms_sample s = sample_of(GiB(10), GiB(3));
        struct ms_step st;

        c.min_available = GiB(4);
        ms_policy_step(&c, &s, 0, 0, &st);
        assert_int_equal(st.verdict, MS_WAIT);
        assert_true(st.required == GiB(4));
}

static void step_percent_zero_always_admits(void **state)
{
        struct ms_config c = config(0);
        struct ms_sample s = sample_of(GiB(10), 0);
        struct ms_step st;

        c.percent = 0;
        ms_policy_step(&c, &s, 0, 0, &st);
        assert_int_equal(st.verdict, MS_ADMIT);
}

static void step_expires_at_timeout(void **state)
{
        struct ms_config c = config(5000000);
        struct ms_sample s = sample_of(TOTAL, SHORT);
        struct ms_step st;

        ms_policy_step(&c, &s, 4999999, 3, &st);
        assert_int_equal(st.verdict, MS_WAIT);
        ms_policy_step(&c, &s, 5000000, 3, &st);
        assert_int_equal(st.verdict, MS_EXPIRED);
        ms_policy_step(&c, &s, 9000000, 3, &st);
        assert_int_equal(st.verdict, MS_EXPIRED);
}

static void step_admit_wins_over_expiry(void **state)
{
        struct ms_config c = config(5000000);
        struct ms_sample s = sample_of(TOTAL, ENOUGH);
        struct ms_step st;

        ms_policy_step(&c, &s, 6000000, 3, &st);
        assert_int_equal(st.verdict, MS_ADMIT);
}

static void step_timeout_zero_never_expires(void **state)
{
        struct ms_config c = config(0);
        struct ms_sample s = sample_of(TOTAL, SHORT);
        struct ms_step st;

        ms_policy_step(&c, &s, UINT64_C(1) << 62, 1000, &st);
        assert_int_equal(st.verdict, MS_WAIT);
        assert_int_equal(st.sleep_usec, MS_BACKOFF_MAX_USEC);
        ms_policy_step(&c, &s, UINT64_MAX, 0, &st);
        assert_int_equal(st.verdict, MS_WAIT);
}

static void step_sleep_clipped_to_remaining(void **state)
{
        struct ms_config c = config(1000000);
        struct ms_sample s = sample_of(TOTAL, SHORT);
        struct ms_step st;

        /* Back-off would be the cap (500 ms), 5 ms remain. */
        ms_policy_step(&c, &s, 995000, 50, &st);
        assert_int_equal(st.verdict, MS_WAIT);
        assert_int_equal(st.sleep_usec, 5000);
        /* 1 us remains. */
        ms_policy_step(&c, &s, 999999, 0, &st);
        assert_int_equal(st.verdict, MS_WAIT);
        assert_int_equal(st.sleep_usec, 1);
        /* Far from the deadline: not clipped. */
        ms_policy_step(&c, &s, 0, 0, &st);
        assert_int_equal(st.sleep_usec, MS_BACKOFF_MIN_USEC);
}

/* ---- ms_backoff_usec ---- */

static void backoff_starts_at_min(void **state)
{
        assert_int_equal(ms_backoff_usec(0), MS_BACKOFF_MIN_USEC);
}

static void backoff_grows_by_half(void **state)
{
        assert_int_equal(ms_backoff_usec(1), 15000);
        assert_int_equal(ms_backoff_usec(2), 22500);
        assert_int_equal(ms_backoff_usec(3), 33750);
        for (unsigned a = 1; a < 100; a++) {
                uint64_t prev = ms_backoff_usec(a - 1), cur = ms_backoff_usec(a);
                if (cur != MS_BACKOFF_MAX_USEC && cur != prev + prev / 2)
                        fail_msg("backoff(%u) = %llu after %llu: not x1.5", a, (unsigned long long)cur,
                                 (unsigned long long)prev);
                assert_true(cur >= prev);
        }
}

static void backoff_capped(void **state)
{
        assert_int_equal(ms_backoff_usec(100), MS_BACKOFF_MAX_USEC);
        assert_int_equal(ms_backoff_usec(1000000), MS_BACKOFF_MAX_USEC);
        assert_int_equal(ms_backoff_usec(UINT32_MAX), MS_BACKOFF_MAX_USEC);
        for (unsigned a = 0; a < 200; a++)
                assert_true(ms_backoff_usec(a) <= MS_BACKOFF_MAX_USEC);
        /* It does reach the cap (10 ms * 1.5^n passes 500 ms at n = 10). */
        assert_int_equal(ms_backoff_usec(10), MS_BACKOFF_MAX_USEC);
        assert_true(ms_backoff_usec(9) < MS_BACKOFF_MAX_USEC);
}

/* ---- ms_wait with a fake clock and a scripted sampler ---- */

#define MAX_SLEEPS 4096

struct fake_clock {
        uint64_t now;
        uint64_t start;
        uint64_t deadline; /* 0: none; else no sleep may end after it */
        unsigned nsleeps;
        uint64_t slept;
        uint64_t sleeps[MAX_SLEEPS];
};

static uint64_t fake_now(void *userdata)
{
        struct fake_clock *k = userdata;

        return k->now;
}

static void fake_sleep(uint64_t usec, void *userdata)
{
        struct fake_clock *k = userdata;

        assert_true(usec > 0);
        assert_true(k->nsleeps < MAX_SLEEPS);
        if (k->deadline && k->now + usec > k->deadline)
                fail_msg("sleep of %llu us at %llu ends after the deadline %llu", (unsigned long long)usec,
                         (unsigned long long)k->now, (unsigned long long)k->deadline);
        k->sleeps[k->nsleeps++] = usec;
        k->slept += usec;
        k->now += usec;
}

struct script {
        const uint64_t *available; /* one per sample; the last repeats */
        size_t n;
        unsigned calls;
        int fail_at; /* sample index that fails with err; -1: never */
        int err;
        struct fake_clock *clock;
        uint64_t cost_usec; /* clock time a sample takes */
};

static int scripted_sample(struct ms_sample *s, void *userdata)
{
        struct script *sc = userdata;
        unsigned i = sc->calls++;

        if (sc->clock)
                sc->clock->now += sc->cost_usec;
        if (sc->fail_at >= 0 && i == (unsigned)sc->fail_at)
                return sc->err;
        *s = sample_of(TOTAL, sc->available[i < sc->n ? i : sc->n - 1]);
        return 0;
}

struct hook_log {
        unsigned first, hold, release;
        uint64_t release_waited;
        enum ms_verdict first_verdict;
        uint64_t hold_required;
};

static void on_first(const struct ms_sample *s, const struct ms_step *st, void *userdata)
{
        struct hook_log *h = userdata;

        h->first++;
        h->first_verdict = st->verdict;
}

static void on_hold(const struct ms_sample *s, const struct ms_step *st, void *userdata)
{
        struct hook_log *h = userdata;

        h->hold++;
        h->hold_required = st->required;
        assert_int_equal(st->verdict, MS_WAIT);
}

static void on_release(const struct ms_sample *s, const struct ms_step *st, uint64_t waited, void *userdata)
{
        struct hook_log *h = userdata;

        h->release++;
        h->release_waited = waited;
        assert_int_equal(st->verdict, MS_ADMIT);
}

struct waiter {
        struct fake_clock clock;
        struct ms_clock ms_clock;
        struct script script;
        struct hook_log log;
        struct ms_wait_hooks hooks;
        struct ms_wait_result result;
};

static struct waiter *waiter_new(const uint64_t *available, size_t n, uint64_t start)
{
        struct waiter *w = test_calloc(1, sizeof(*w));

        w->clock.now = w->clock.start = start;
        w->ms_clock = (struct ms_clock){ .now_usec = fake_now, .sleep_usec = fake_sleep, .userdata = &w->clock };
        w->script = (struct script){ .available = available, .n = n, .fail_at = -1, .clock = &w->clock };
        w->hooks = (struct ms_wait_hooks){ .first = on_first, .hold = on_hold, .release = on_release, .userdata = &w->log };
        return w;
}

static int run(struct waiter *w, const struct ms_config *c)
{
        return ms_wait(c, scripted_sample, &w->script, &w->ms_clock, &w->hooks, &w->result);
}

static void wait_admits_immediately(void **state)
{
        static const uint64_t avail[] = { ENOUGH };
        struct ms_config c = config(0);
        struct waiter *w = waiter_new(avail, 1, 1000000);

        assert_int_equal(run(w, &c), 0);
        assert_int_equal(w->result.verdict, MS_ADMIT);
        assert_false(w->result.held);
        assert_int_equal(w->result.samples, 1);
        assert_int_equal(w->result.waited_usec, 0);
        assert_true(w->result.last.available == ENOUGH);
        assert_int_equal(w->clock.nsleeps, 0);
        assert_int_equal(w->log.first, 1);
        assert_int_equal(w->log.first_verdict, MS_ADMIT);
        assert_int_equal(w->log.hold, 0);
        assert_int_equal(w->log.release, 0);
        test_free(w);
}

static void wait_holds_then_releases(void **state)
{
        static const uint64_t avail[] = { SHORT, SHORT, SHORT, ENOUGH };
        struct ms_config c = config(0);
        struct waiter *w = waiter_new(avail, 4, 0);

        assert_int_equal(run(w, &c), 0);
        assert_int_equal(w->result.verdict, MS_ADMIT);
        assert_true(w->result.held);
        assert_int_equal(w->result.samples, 4);
        assert_int_equal(w->clock.nsleeps, 3);
        /* Back-off: 10 ms, 15 ms, 22.5 ms. */
        assert_int_equal(w->clock.sleeps[0], 10000);
        assert_int_equal(w->clock.sleeps[1], 15000);
        assert_int_equal(w->clock.sleeps[2], 22500);
        assert_int_equal(w->result.waited_usec, 47500);
        assert_int_equal(w->log.first, 1);
        assert_int_equal(w->log.first_verdict, MS_WAIT);
        assert_int_equal(w->log.hold, 1);
        assert_true(w->log.hold_required == GiB(1));
        assert_int_equal(w->log.release, 1);
        assert_int_equal(w->log.release_waited, w->clock.slept);
        test_free(w);
}

static void wait_long_hold_backoff_capped(void **state)
{
        uint64_t avail[200];
        struct ms_config c = config(0);
        struct waiter *w;

        for (size_t i = 0; i < 199; i++)
                avail[i] = SHORT;
        avail[199] = ENOUGH;
        w = waiter_new(avail, 200, 0);
        assert_int_equal(run(w, &c), 0);
        assert_int_equal(w->result.verdict, MS_ADMIT);
        assert_int_equal(w->clock.nsleeps, 199);
        for (unsigned i = 0; i < w->clock.nsleeps; i++)
                assert_int_equal(w->clock.sleeps[i], ms_backoff_usec(i));
        assert_int_equal(w->clock.sleeps[198], MS_BACKOFF_MAX_USEC);
        assert_int_equal(w->log.hold, 1);
        assert_int_equal(w->log.release, 1);
        assert_int_equal(w->log.release_waited, w->clock.slept);
        test_free(w);
}

static void wait_expires(void **state)
{
        static const uint64_t avail[] = { SHORT };
        struct ms_config c = config(2000000);
        struct waiter *w = waiter_new(avail, 1, 5000000);

        w->clock.deadline = w->clock.start + c.timeout_usec;
        assert_int_equal(run(w, &c), 0);
        assert_int_equal(w->result.verdict, MS_EXPIRED);
        assert_true(w->result.held);
        assert_true(w->result.waited_usec >= c.timeout_usec);
        /* Never slept past the deadline: the sleeps add up to the timeout exactly. */
        assert_int_equal(w->clock.slept, c.timeout_usec);
        assert_int_equal(w->result.samples, w->clock.nsleeps + 1);
        assert_int_equal(w->log.hold, 1);
        assert_int_equal(w->log.release, 0);
        assert_int_equal(w->log.first, 1);
        test_free(w);
}

static void wait_expires_when_sampling_takes_time(void **state)
{
        static const uint64_t avail[] = { SHORT };
        struct ms_config c = config(1000000);
        struct waiter *w = waiter_new(avail, 1, 0);

        /* Each sample costs 7 ms of clock time. */
        w->script.cost_usec = 7000;
        w->clock.deadline = w->clock.start + c.timeout_usec;
        assert_int_equal(run(w, &c), 0);
        assert_int_equal(w->result.verdict, MS_EXPIRED);
        assert_true(w->result.waited_usec >= c.timeout_usec);
        assert_true(w->result.waited_usec < c.timeout_usec + 7000 + 1);
        test_free(w);
}

static void wait_released_just_before_timeout(void **state)
{
        static const uint64_t avail[] = { SHORT, SHORT, ENOUGH };
        struct ms_config c = config(20000);
        struct waiter *w = waiter_new(avail, 3, 0);

        /* 10 ms, then 10 ms (15 ms clipped to the 10 ms left), then admitted at the deadline. */
        assert_int_equal(run(w, &c), 0);
        assert_int_equal(w->result.verdict, MS_ADMIT);
        assert_int_equal(w->clock.sleeps[0], 10000);
        assert_int_equal(w->clock.sleeps[1], 10000);
        assert_int_equal(w->log.release, 1);
        assert_int_equal(w->log.release_waited, 20000);
        test_free(w);
}

static void wait_sampler_error_first(void **state)
{
        static const uint64_t avail[] = { ENOUGH };
        struct ms_config c = config(0);
        struct waiter *w = waiter_new(avail, 1, 0);

        w->script.fail_at = 0;
        w->script.err = -EACCES;
        assert_int_equal(run(w, &c), -EACCES);
        assert_int_equal(w->log.first, 0);
        assert_int_equal(w->clock.nsleeps, 0);
        test_free(w);
}

static void wait_sampler_error_while_held(void **state)
{
        static const uint64_t avail[] = { SHORT };
        struct ms_config c = config(0);
        struct waiter *w = waiter_new(avail, 1, 0);

        w->script.fail_at = 3;
        w->script.err = -EIO;
        assert_int_equal(run(w, &c), -EIO);
        assert_int_equal(w->script.calls, 4);
        assert_int_equal(w->log.hold, 1);
        assert_int_equal(w->log.release, 0);
        test_free(w);
}

static void wait_without_hooks(void **state)
{
        static const uint64_t avail[] = { SHORT, ENOUGH };
        struct ms_config c = config(0);
        struct waiter *w = waiter_new(avail, 2, 0);

        assert_int_equal(ms_wait(&c, scripted_sample, &w->script, &w->ms_clock, NULL, &w->result), 0);
        assert_int_equal(w->result.verdict, MS_ADMIT);
        assert_true(w->result.held);
        assert_int_equal(w->result.samples, 2);
        test_free(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(step_admits_at_exactly_required),
                cmocka_unit_test(step_waits_one_byte_below),
                cmocka_unit_test(step_required_uses_min_available),
                cmocka_unit_test(step_percent_zero_always_admits),
                cmocka_unit_test(step_expires_at_timeout),
                cmocka_unit_test(step_admit_wins_over_expiry),
                cmocka_unit_test(step_timeout_zero_never_expires),
                cmocka_unit_test(step_sleep_clipped_to_remaining),
                cmocka_unit_test(backoff_starts_at_min),
                cmocka_unit_test(backoff_grows_by_half),
                cmocka_unit_test(backoff_capped),
                cmocka_unit_test(wait_admits_immediately),
                cmocka_unit_test(wait_holds_then_releases),
                cmocka_unit_test(wait_long_hold_backoff_capped),
                cmocka_unit_test(wait_expires),
                cmocka_unit_test(wait_expires_when_sampling_takes_time),
                cmocka_unit_test(wait_released_just_before_timeout),
                cmocka_unit_test(wait_sampler_error_first),
                cmocka_unit_test(wait_sampler_error_while_held),
                cmocka_unit_test(wait_without_hooks),
        };

        return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
