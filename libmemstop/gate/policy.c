/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <time.h>

#include "gate/policy.h"
#include "util/clock.h"

uint64_t ms_backoff_usec(unsigned attempt)
{
        uint64_t t = MS_BACKOFF_MIN_USEC;

        while (attempt-- > 0 && t < MS_BACKOFF_MAX_USEC)
                t += t / 2;
        return t < MS_BACKOFF_MAX_USEC ? t : MS_BACKOFF_MAX_USEC;
}

void ms_policy_step(const struct ms_config *c, const struct ms_sample *s, uint64_t waited_usec,
                    unsigned attempt, struct ms_step *out)
{
        struct ms_step st = { .required = ms_config_required(c, s->total) };

        if (s->available >= st.required) {
                st.verdict = MS_ADMIT;
        } else if (c->timeout_usec && waited_usec >= c->timeout_usec) {
                st.verdict = MS_EXPIRED;
        } else {
                st.verdict = MS_WAIT;
                st.sleep_usec = ms_backoff_usec(attempt);
                /* Wake up at the deadline, not after it. */
                if (c->timeout_usec && c->timeout_usec - waited_usec < st.sleep_usec)
                        st.sleep_usec = c->timeout_usec - waited_usec;
        }
        *out = st;
}

static uint64_t monotonic_now(void *userdata)
{
        return ms_monotonic_ns() / 1000u;
}

static void monotonic_sleep(uint64_t usec, void *userdata)
{
        struct timespec ts = { .tv_sec = (time_t)(usec / 1000000u), .tv_nsec = (long)(usec % 1000000u) * 1000 };

        /* An interrupted sleep just samples early. */
        (void)nanosleep(&ts, NULL);
}

const struct ms_clock ms_clock_monotonic = {
        .now_usec = monotonic_now,
        .sleep_usec = monotonic_sleep,
};

int ms_wait(const struct ms_config *c, ms_sampler_fn sample, void *sample_userdata,
            const struct ms_clock *clock, const struct ms_wait_hooks *hooks, struct ms_wait_result *result)
{
        static const struct ms_wait_hooks none = {};
        struct ms_wait_result res = {};
        uint64_t start = clock->now_usec(clock->userdata);
        struct ms_step st;

        if (!hooks)
                hooks = &none;
        for (;;) {
                int r = sample(&res.last, sample_userdata);
                if (r < 0)
                        return r;
                uint64_t now = clock->now_usec(clock->userdata);
                res.waited_usec = now > start ? now - start : 0;
                ms_policy_step(c, &res.last, res.waited_usec, res.samples, &st);
                if (res.samples++ == 0 && hooks->first)
                        hooks->first(&res.last, &st, hooks->userdata);
                if (st.verdict == MS_ADMIT) {
                        if (res.held && hooks->release)
                                hooks->release(&res.last, &st, res.waited_usec, hooks->userdata);
                        break;
                }
                if (st.verdict == MS_EXPIRED)
                        break;
                if (!res.held) {
                        res.held = true;
                        if (hooks->hold)
                                hooks->hold(&res.last, &st, hooks->userdata);
                }
                clock->sleep_usec(st.sleep_usec, clock->userdata);
        }
        res.verdict = st.verdict;
        *result = res;
        return 0;
}
