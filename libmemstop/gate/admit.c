/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <limits.h>
#include <stdlib.h>

#include "gate/admit.h"
#include "gate/history.h"

/* Past its prediction by more than 1/8 (at least 16 MiB): size unknown
 * again. Runs of one job, and jobs of one program, differ that much. */
static bool over_prediction(const struct ms_admitted *a)
{
        uint64_t slack = a->predicted / 8;

        if (a->kind == MS_PREDICT_UNKNOWN)
                return true;
        if (slack < MS_SETTLE_GROWTH * 8)
                slack = MS_SETTLE_GROWTH * 8;
        return a->rss > a->predicted + slack;
}

/* What one job of a program known only by its typical peak may turn out to
 * need beyond it: up to the program's largest peak, and at least as much
 * again while the program has run fewer than MS_TYPICAL_TRUSTED_RUNS times
 * (a first build's typical is a median of few runs: measured here, an Eigen
 * unit of 770 MB after units of 390 and 456). */
static uint64_t surprise_of(uint64_t predicted, uint64_t worst, unsigned runs)
{
        uint64_t target = worst > 2 * predicted || runs >= MS_TYPICAL_TRUSTED_RUNS ? worst : 2 * predicted;

        return target > predicted ? target - predicted : 0;
}

/* The largest surprise of the jobs so far, as kept in reserve in general
 * (all) and for a pair under a supervisor that freezes (pair: up to the
 * program's largest peak only, admit.h). */
struct surprises {
        uint64_t all, pair;
};

static void note_surprise(struct surprises *s, uint64_t predicted, uint64_t worst, unsigned runs)
{
        uint64_t all = surprise_of(predicted, worst, runs), pair = worst > predicted ? worst - predicted : 0;

        if (all > s->all)
                s->all = all;
        if (pair > s->pair)
                s->pair = pair;
}

/* A program's largest peak no more than a fifth above its typical: its
 * runs do not vary upward (the end of one is counted on, end_believed). */
static bool largest_near_typical(uint64_t typical, uint64_t peak)
{
        return peak <= typical + typical / 5;
}

unsigned ms_typical_trust(unsigned runs, uint64_t least, uint64_t typical, uint64_t peak)
{
        bool agree = typical > 0 && least >= typical - typical / 5 && largest_near_typical(typical, peak);

        return agree && runs < MS_TYPICAL_TRUSTED_RUNS ? MS_TYPICAL_TRUSTED_RUNS : runs;
}

void ms_candidate_predict(const struct ms_prediction *p, struct ms_candidate *cand)
{
        if (p->job_peak) {
                cand->kind = MS_PREDICT_VERIFIED;
                cand->predicted = p->job_peak;
                cand->worst = p->program_peak > p->job_peak ? p->program_peak : p->job_peak;
                cand->curve = p->job_curve;
        } else if (p->program_peak && p->program_runs < MS_TYPICAL_MIN_RUNS) {
                cand->kind = MS_PREDICT_UNKNOWN;
                cand->worst = p->program_peak;
        } else if (p->program_peak) {
                cand->kind = MS_PREDICT_TYPICAL;
                cand->runs = ms_typical_trust(p->program_runs, p->program_least, p->program_typical, p->program_peak);
                cand->predicted = p->program_typical ? p->program_typical : p->program_peak;
                cand->worst = p->program_peak;
                cand->curve = p->program_curve;
        }
}

bool ms_candidate_timed(const struct ms_candidate *cand)
{
        bool believed = cand->kind == MS_PREDICT_VERIFIED ||
                        (cand->kind == MS_PREDICT_TYPICAL && cand->runs >= MS_TYPICAL_TRUSTED_RUNS);

        return cand->supervised && believed && ms_curve_valid(&cand->curve);
}

uint64_t ms_admit_prior(uint64_t total)
{
        return total / 2 < MS_PRIOR_MAX ? total / 2 : MS_PRIOR_MAX;
}

uint64_t ms_admitted_pending(const struct ms_admitted *a)
{
        uint64_t target = a->predicted;

        /* An ancestor grows by what it starts: by the candidate, which
         * brings its own need (else an LTO link would wait for ever for
         * the ltrans jobs its lto-wrapper's make starts). */
        if (a->ancestor)
                return 0;
        /* Unknown: the prior, or as much again as it holds, till it ends. */
        if (a->kind == MS_PREDICT_UNKNOWN)
                target = a->worst > 2 * a->rss ? a->worst : 2 * a->rss;

        /* A prediction that proved too small: expect the program's worst, a
         * typical one at least as much again. */
        if (a->kind != MS_PREDICT_UNKNOWN && over_prediction(a) && a->worst > target)
                target = a->worst;
        if (a->kind == MS_PREDICT_TYPICAL && over_prediction(a))
                target = a->predicted + surprise_of(a->predicted, a->worst, a->runs);
        return target > a->rss ? target - a->rss : 0;
}

/* How long without growth counts as settled: MS_SETTLE_NS, or a quarter of
 * the job's age if longer: a compiler that has grown for 8 s and pauses for
 * a second (a new function, the next pass) has not settled. */
static uint64_t settle_window(const struct ms_admitted *a, uint64_t now_ns)
{
        uint64_t quarter = (now_ns - a->admitted_ns) / 4;

        return quarter > MS_SETTLE_NS ? quarter : MS_SETTLE_NS;
}

bool ms_admitted_settling(const struct ms_admitted *a, uint64_t now_ns)
{
        if (a->kind == MS_PREDICT_TYPICAL &&
            now_ns - a->admitted_ns < (a->supervised ? MS_PROBATION_SUPERVISED_NS : MS_PROBATION_NS))
                return true;
        /* An unknown job's reservation (its prior, or as much again) covers it. */
        if (a->kind == MS_PREDICT_UNKNOWN || !over_prediction(a) || now_ns - a->admitted_ns >= MS_SETTLE_MAX_NS)
                return false;
        return now_ns - a->grown_ns < settle_window(a, now_ns) || now_ns - a->admitted_ns < MS_SETTLE_NS;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
        return a > b ? a - b : 0;
}

/* Figures above 2^62 bytes are not memory: clamped, the sums cannot overflow. */
static int64_t clamp62(uint64_t v)
{
        return v > (UINT64_C(1) << 62) ? INT64_C(1) << 62 : (int64_t)v;
}

int64_t ms_admit_room(uint64_t available, uint64_t reserved, uint64_t required)
{
        return clamp62(available) - clamp62(reserved) - clamp62(required);
}

uint64_t ms_admit_end_ns(uint64_t admitted_ns, uint32_t duration_ms)
{
        uint64_t d = (uint64_t)duration_ms * 1000 * 1000;

        if (duration_ms == 0)
                return 0;
        return admitted_ns + d + d / 32 + MS_END_SLACK_NS;
}

struct release {
        uint64_t at;    /* ns from now */
        uint64_t bytes; /* what its end gives back: its RSS and its reservation */
};

static int cmp_release(const void *a, const void *b)
{
        const struct release *x = a, *y = b;

        return x->at < y->at ? -1 : x->at > y->at;
}

/* The longest age (ms, in the time of its curve) until which the candidate
 * stays within `room`, or -1 if it may exceed it at once. */
static int64_t age_within(const struct ms_candidate *cand, int64_t room)
{
        int64_t age = -1;

        for (uint32_t k = 0; k < MS_CURVE_STEPS; k++)
                if ((int64_t)ms_curve_bound(&cand->curve, cand->predicted, cand->curve.reach_ms[k]) <= room)
                        age = cand->curve.reach_ms[k];
        return age;
}

/*
 * Whether an admitted job's predicted end may be counted on: a verified
 * job's duration is its own; a typical job's is its program's newest run's,
 * believed only where the program's runs agree (its largest peak within a
 * fifth of the typical, as in ms_typical_trust: batch jobs that differ in an
 * argument). The units of one compiler differ threefold in length: in a
 * cold build in 1 GiB, lto0 was let in counting on tu9's end, guessed from
 * the 7 s of cc1plus's newest run; tu9 ran 12 s and past its prediction,
 * was frozen, and lto0, past its own, was OOM-killed beside it.
 */
static bool end_believed(const struct ms_admitted *a)
{
        return a->kind == MS_PREDICT_VERIFIED ||
               (a->kind == MS_PREDICT_TYPICAL && largest_near_typical(a->predicted, a->worst));
}

uint64_t ms_admit_fit_time(const struct ms_admitted *admitted, size_t n, const struct ms_candidate *cand,
                           int64_t free, uint64_t now_ns)
{
        struct release ends[MS_ADMIT_MAX];
        uint64_t at = now_ns;
        size_t m = 0;

        if (!ms_candidate_timed(cand))
                return (int64_t)cand->predicted <= free ? now_ns : UINT64_MAX;
        for (size_t i = 0; i < n && m < MS_ADMIT_MAX; i++) {
                const struct ms_admitted *a = &admitted[i];
                if (a->end_ns > now_ns && end_believed(a))
                        ends[m++] = (struct release){ a->end_ns - now_ns, a->rss + ms_admitted_pending(a) };
        }
        qsort(ends, m, sizeof(ends[0]), cmp_release);
        for (size_t i = 0; i < m && (int64_t)cand->predicted > free; i++) {
                /* Started at `at`, it must stay within what is free until this end. */
                int64_t age = age_within(cand, free);
                uint64_t lead = age < 0 ? 0 : (uint64_t)age * 1000 * 1000 * 100 / MS_HASTE_PCT;
                uint64_t end = now_ns + ends[i].at;
                if (end > lead && end - lead > at)
                        at = end - lead;
                free += (int64_t)ends[i].bytes;
        }
        return (int64_t)cand->predicted <= free ? at : UINT64_MAX;
}

/* Whether an admitted job takes a CPU: a process of its tree is on one or
 * waits for one, or it was admitted just now (a driver starting its
 * compiler, not yet seen running: jobs let in one after the other in a
 * moment would all look idle). */
static bool job_runs(const struct ms_admitted *a, uint64_t now_ns)
{
        return a->running || (now_ns >= a->admitted_ns && now_ns - a->admitted_ns < MS_CPU_START_NS);
}

/* Whether a running job is due to end, for the CPU rule: a known end, and
 * not yet twice its run past. A job learned alone runs longer beside others
 * sharing its CPUs (seen: 1.4x); its end alone would let a third job in beside
 * two that merely run late, and three at a time all ran later still. A job
 * that runs for ever (a server spinning) holds others twice its learned
 * duration at most. */
static bool cpu_due(const struct ms_admitted *a, uint64_t now_ns)
{
        uint64_t run = a->end_ns > a->admitted_ns ? a->end_ns - a->admitted_ns : 0;

        return a->end_ns != 0 && now_ns < a->end_ns + run;
}

/* CPUs free beside the running jobs, when each is due to end (cpu_due);
 * none free: the candidate waits for the first of them to end or to run
 * twice its learned time, and no longer. */
static unsigned spare_cpus(const struct ms_candidate *cand, size_t running, bool undue)
{
        if (cand->cpus == 0 || undue)
                return UINT_MAX;
        return cand->cpus > running ? cand->cpus - (unsigned)running : 0;
}

void ms_admit_decide(uint64_t available, uint64_t required, const struct ms_admitted *admitted, size_t n,
                     const struct ms_candidate *cand, uint64_t now_ns, struct ms_admit_result *out)
{
        struct ms_admit_result r = { .admit = true, .reason = MS_ADMIT_FITS };
        struct surprises surprise = { 0, 0 };
        bool settling = false, all_supervised = cand->supervised;
        size_t others = 0;  /* admitted jobs not its ancestors */
        size_t running = 0; /* ... of them on a CPU or waiting for one */
        bool undue = false; /* one of those has no known end, or is twice past it */

        for (size_t i = 0; i < n; i++) {
                const struct ms_admitted *a = &admitted[i];
                if (a->ancestor || a->container)
                        continue; /* the candidate is part of it, or it waits for a job */
                others++;
                if (job_runs(a, now_ns)) {
                        running++;
                        if (!cpu_due(a, now_ns))
                                undue = true;
                }
                r.reserved += ms_admitted_pending(a);
                if (ms_admitted_settling(a, now_ns))
                        settling = true;
                all_supervised &= a->supervised;
                /* One typical job still below its prediction may yet turn out big. */
                if (a->kind == MS_PREDICT_TYPICAL && !over_prediction(a))
                        note_surprise(&surprise, a->predicted, a->worst, a->runs);
        }
        /* Its own surprise matters only beside others: alone, it is -j1. */
        if (cand->kind == MS_PREDICT_TYPICAL && others > 0)
                note_surprise(&surprise, cand->predicted, cand->worst, cand->runs);
        /* Freezing a surprise stops its growth but frees nothing, and in a
         * tight cgroup what it holds is what the others need to end: as
         * much again is kept in reserve, but for a pair that a supervisor
         * freezes (admit.h). */
        r.reserved += others == 1 && all_supervised ? surprise.pair : surprise.all;
        r.need = cand->kind == MS_PREDICT_UNKNOWN ? cand->worst : cand->predicted;
        r.free = sat_sub(available, r.reserved);

        if (settling) {
                r.admit = false;
                r.reason = MS_HELD_SETTLING;
        } else if (r.free >= required && cand->kind == MS_PREDICT_UNKNOWN && others == 0) {
                /* Alone, an unknown job meets the threshold only: its prior
                 * is a guess that keeps others off, not a size it needs. */
        } else if (r.free < required || r.free - required < r.need) {
                r.admit = false;
                r.reason = MS_HELD_MEMORY;
                if (ms_candidate_timed(cand) &&
                    ms_admit_fit_time(admitted, n, cand, ms_admit_room(available, r.reserved, required), now_ns) <=
                            now_ns) {
                        r.admit = true;
                        r.reason = MS_ADMIT_FITS;
                        r.timed = true;
                }
        }
        r.cpus_spare = spare_cpus(cand, running, undue);
        if (r.admit && ms_admit_cpus_full(&r)) {
                r.admit = r.timed = false;
                r.reason = MS_HELD_CPUS;
        }
        *out = r;
}

const char *ms_admit_reason_name(enum ms_admit_reason r)
{
        switch (r) {
        case MS_ADMIT_FITS:
                return "fits";
        case MS_HELD_MEMORY:
                return "not enough memory";
        case MS_HELD_SETTLING:
                return "a job that outgrew its prediction is still growing";
        case MS_HELD_CPUS:
                return "as many jobs run as there are CPUs";
        case MS_HELD_FROZEN:
                return "frozen jobs resume first";
        case MS_HELD_GATHERING:
                return "others are joining: the longest start first";
        }
        return "?";
}
