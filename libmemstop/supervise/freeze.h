/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * When to freeze a build's job (SIGSTOP of its subtree) and when to resume
 * one: a pure step function over the jobs' figures and memory, so that the
 * policy is tested without processes or clocks.
 *
 * - Freeze when memory is about to run out: the projected available memory
 *   (available now minus what the running jobs grow by over the horizon, at
 *   their current rates, but a job with a predicted peak counts only once it
 *   is past it and 1/8 more: the gate reserved the rest; a job of unknown
 *   peak counts as much again as its RSS, up to MS_FREEZE_UNKNOWN_MS of its
 *   growth: a frozen job keeps its memory, and those left running must be
 *   able to end beside it, even when many grow slowly at once) falls under
 *   freeze_below. The gate's reservations are trusted only while they are
 *   backed: while available memory covers what they still reserve, or stays
 *   above the gate's threshold (`margin`; the gate may admit a job counting
 *   on others' predicted ends, admit.h) for as long as a freeze takes to
 *   act (MS_FREEZE_REACT_MS of their growth). Below both, a job that
 *   outlives its prediction is eating the margin and all growth counts. Or freeze when
 *   pressure says the
 *   build stalls. A frozen job keeps what it holds and stops what it would
 *   still grow by. While the growth the jobs within their predictions still
 *   have ahead (to the peak and 1/8) fits in what is available, a job past
 *   its prediction and 1/8 goes first (the others can end beside it; frozen
 *   in its place, a job within its prediction would leave the one that broke
 *   its own to grow into what is left). When it does not fit (the gate let
 *   a job in counting on the end of one that outlived its prediction), the
 *   job with the most growth ahead goes first (a surprise is counted to
 *   outgrow its prediction by as much again as it has): frozen near its
 *   end, the late job would free nothing while the one let in grew into
 *   what it holds. Of jobs without a prediction, or even, the youngest;
 *   then the next, until the projection is back above the level; never the
 *   last running job. And freeze, one job a step, the one with most growth
 *   ahead, as soon as a job of verified size is past its predicted end (the
 *   gate may have let another in counting on it, admit.h), and not past its
 *   peak (reached, and more than half let go since: the tail of a driver
 *   whose cc1plus has ended has no growth ahead), while what the
 *   running jobs still grow by to their predictions no longer fits in what
 *   is available (and freeze_below): the one let in on time is stopped
 *   before it has grown into what the late one needs to end; nor does a
 *   frozen job resume into that room while the late one still needs it.
 *   A frozen job past its prediction resumes into growth of as much again
 *   as its RSS, like one of unknown peak. A job that does not grow is
 *   never frozen: it would free
 *   nothing; but one let in under MS_FREEZE_FRESH_MS ago, under half its
 *   predicted peak and never frozen may be, before it has shown a rate.
 * - A job is frozen at most MS_FREEZE_MAX_PER_JOB times: after that it is
 *   never chosen again (the next one is), so no job flaps.
 * - Resume oldest-first only when what the frozen job waits for has gone: a
 *   job of the build has ended since it was frozen (last_end_ns), never
 *   because memory looked better for a moment (page cache dropped, a pause
 *   in a compiler's growth); and then only when available memory is back
 *   above resume_above (hysteresis: resume_above > freeze_below), pressure
 *   is calm, and the last freeze or resume is at least resume_interval_ns
 *   ago; one job per step. With no job running at all the oldest frozen one is resumed at
 *   once, whatever memory says: a build must never stand still. A job held
 *   in the gate's queue does not count as running (it may be waiting for
 *   the very memory the frozen jobs hold).
 * - When the build is being stopped, every frozen job is resumed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Growth under this rate is not growth (stacks, a heap's noise). Slow
 * growth is growth: eight jobs of 3 MiB/s fill 1 GiB in 43 s. */
#define MS_FREEZE_GROWING_RATE (1ull << 20) /* bytes per second */
/* A growing job of unknown peak: as much again as its RSS, at most this
 * long at its rate. */
#define MS_FREEZE_UNKNOWN_MS 30000ull
/* How long a freeze takes to act, from the look that shows the need: a
 * tick or two of the supervisor (40-100 ms) and a rate still catching up
 * with a job that speeds up. A job within its prediction growing at 400
 * MiB/s, counted on to meet the room a job before it leaves at its
 * predicted end, is frozen 80 MiB above the gate's threshold: with nothing
 * but the threshold (70 MiB of a 700 MiB cgroup) between it and the limit,
 * it was still growing when that job outlived its prediction and the
 * limit came. */
#define MS_FREEZE_REACT_MS 200ull
/* A job let in this recently, under half its predicted peak, may be frozen
 * before it has shown a rate: a look or two of the supervisor, and a
 * compiler driver's start before its compiler grows. */
#define MS_FREEZE_FRESH_MS 2000ull
/* No job is frozen more often than this. */
#define MS_FREEZE_MAX_PER_JOB 3u

struct ms_job_view {
        uint64_t start; /* when it started running (out of the gate): a larger value is a younger job */
        uint64_t born;  /* its root process's start, for ties of start: larger is younger */
        uint64_t rss;   /* bytes, the whole subtree */
        uint64_t most_rss; /* ... the most it held at one look so far */
        int64_t rate;   /* bytes per second, recent */
        bool frozen;
        bool held;      /* waiting in the gate: not running, nothing to freeze */
        uint64_t peak;  /* the gate's predicted peak of its admitted processes, 0 if none */
        uint64_t end_ns; /* their predicted end, which the gate may count on (monotonic), 0: none */
        unsigned freezes;   /* how often it was frozen so far */
        uint64_t frozen_ns; /* frozen: since when (monotonic) */
};

struct ms_freeze_params {
        uint64_t freeze_below; /* bytes */
        uint64_t resume_above; /* bytes, > freeze_below */
        uint64_t margin;       /* bytes: the gate's threshold */
        uint64_t horizon_ms;   /* how far ahead growth is projected */
        uint64_t resume_interval_ns;
        uint64_t stall_interval_ns; /* between freezes for pressure alone */
};

struct ms_freeze_input {
        uint64_t now_ns;
        uint64_t available;
        bool stalling; /* pressure: the build has started to stall */
        bool calm;     /* pressure: low enough to resume */
        bool stopping; /* the build is being stopped: resume everything */
        /* Nothing of the build has run but frozen jobs and processes waiting
         * in the gate, even with the gate let to admit by memory again (a
         * running job's own sub-make, as an LTO link's ltrans steps, waits
         * there): as when no job runs, the oldest frozen job resumes. */
        bool stuck;
        uint64_t last_freeze_ns, last_resume_ns; /* 0: never */
        uint64_t last_end_ns; /* when a job of the build last ended, 0: never */
};

enum ms_freeze_verb {
        MS_FREEZE_STOP = 1,
        MS_FREEZE_RESUME = 2,
};

struct ms_freeze_action {
        enum ms_freeze_verb verb;
        size_t job; /* index into the jobs given */
};

/* Defaults for a gate threshold of `required` bytes: freeze under half of
 * it, at least 64 MiB; resume above twice that plus 64 MiB; margin: it. */
void ms_freeze_params_default(struct ms_freeze_params *p, uint64_t required);

/* The actions to take now, at most max, in order. Returns how many. */
size_t ms_freeze_decide(const struct ms_freeze_params *p, const struct ms_freeze_input *in,
                        const struct ms_job_view *jobs, size_t n, struct ms_freeze_action *out, size_t max);

/* The rate estimate from the last one and the newest (prev_rss -> rss over
 * dt_ns): a slower newest rate at once (a job that stopped growing, e.g. at
 * its peak, is not frozen for growth it no longer has), a faster one half
 * and half with the last. */
int64_t ms_freeze_rate(int64_t old_rate, uint64_t prev_rss, uint64_t rss, uint64_t dt_ns);
