/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hold/release policy as a pure step function, and the wait loop built on
 * it with an injected clock and sampler (tests run it without sleeping).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "gate/config.h"
#include "probe/memory.h"

/* Back-off while held: the first sleep, growing by half each time, up to the cap. */
#define MS_BACKOFF_MIN_USEC 10000ull
#define MS_BACKOFF_MAX_USEC 500000ull

enum ms_verdict {
        MS_ADMIT = 0,   /* enough memory: run */
        MS_WAIT = 1,    /* hold and sample again after sleep_usec */
        MS_EXPIRED = 2, /* held for the whole timeout */
};

struct ms_step {
        enum ms_verdict verdict;
        uint64_t sleep_usec; /* with MS_WAIT */
        uint64_t required;   /* bytes that had to be available */
};

/* attempt counts samples taken before this one (0 for the first). */
void ms_policy_step(const struct ms_config *c, const struct ms_sample *s, uint64_t waited_usec,
                    unsigned attempt, struct ms_step *out);

/* The sleep before sample attempt+1, without regard to the timeout. */
uint64_t ms_backoff_usec(unsigned attempt);

struct ms_clock {
        uint64_t (*now_usec)(void *userdata); /* monotonic */
        void (*sleep_usec)(uint64_t usec, void *userdata);
        void *userdata;
};

/* The real monotonic clock and nanosleep(). */
extern const struct ms_clock ms_clock_monotonic;

typedef int (*ms_sampler_fn)(struct ms_sample *s, void *userdata);

struct ms_wait_hooks {
        /* After the first sample. */
        void (*first)(const struct ms_sample *s, const struct ms_step *st, void *userdata);
        /* When the hold starts (once) and at release (once, only if held). */
        void (*hold)(const struct ms_sample *s, const struct ms_step *st, void *userdata);
        void (*release)(const struct ms_sample *s, const struct ms_step *st, uint64_t waited_usec, void *userdata);
        void *userdata;
};

struct ms_wait_result {
        enum ms_verdict verdict; /* MS_ADMIT or MS_EXPIRED */
        uint64_t waited_usec;
        unsigned samples;
        bool held;
        struct ms_sample last;
};

/*
 * Sample, step, sleep until admitted or expired. Returns 0 with the result
 * filled in, or the sampler's -errno (the caller then runs ungated).
 * hooks may be NULL.
 */
int ms_wait(const struct ms_config *c, ms_sampler_fn sample, void *sample_userdata,
            const struct ms_clock *clock, const struct ms_wait_hooks *hooks, struct ms_wait_result *result);
