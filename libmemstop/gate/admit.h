/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The admission decision, pure: given what memory shows now and what the
 * processes admitted before are still expected to take, may one more start?
 *
 * Every admitted process reserves the peak it is predicted to reach; what is
 * still to come of it (predicted - current RSS) is subtracted from what is
 * available. Predictions are:
 *   - verified: this job's own peak from the history;
 *   - typical: the program's typical peak (this job never ran); the program's
 *     largest peak (learned, or seen in a running instance), and until the
 *     program has run MS_TYPICAL_TRUSTED_RUNS times at least twice the
 *     typical, is kept in reserve once, for one such job that turns out big
 *     (a "surprise"); a job that grows past its prediction reserves that
 *     instead;
 *   - unknown: nothing is known of the job, and its program has run fewer
 *     than MS_TYPICAL_MIN_RUNS times (history.h). It is assumed to reach the
 *     prior (ms_admit_prior: half of the memory, at most MS_PRIOR_MAX, or the
 *     program's largest peak if more; the caller puts it in `worst`), and once admitted it
 *     reserves the prior or as much again as it holds, whichever is more,
 *     until it ends: where memory is plentiful unknown jobs start at once,
 *     in a tight cgroup one at a time until the first has taught the size
 *     (a job is a process tree: its RSS is the tree's, gate/protocol.h
 *     MEMSTOP_JOB).
 * Alone (nothing else admitted) an unknown job needs only the threshold, and
 * an admitted job that is an ancestor of the candidate (a script, the
 * supervised command, an LTO link whose lto-wrapper runs make for its
 * ltrans jobs) counts for nothing against it: no reservation, no surprise,
 * no settling: what it starts is what it grows by, and the candidate brings
 * its own need. Else a parent would wait for its child and the child for the
 * parent's reservation.
 * An admitted job that a waiting process descends from (a script that waits
 * for what it started, which was gated as a job of its own) counts for
 * nothing against anyone: else the head would wait for its reservation, the
 * job for its child, and the child, behind the head in the queue, for ever.
 * While an admitted job that grew past its
 * prediction by more than 1/8 is still growing, nothing
 * else is admitted: its memory must settle first, for at most
 * MS_SETTLE_MAX_NS; and a job admitted on a typical prediction holds the
 * next one back for MS_PROBATION_NS, time enough to show that it grows
 * past it. Two surprises at once are then covered only by the threshold's
 * margin: a start-time gate cannot know more.
 *
 * The surprise is kept in reserve for supervised candidates too (a frozen
 * job frees nothing), and a candidate's own only beside other admitted jobs
 * (alone, a surprise harms nobody). But for a pair: a candidate that would
 * join exactly one other admitted job, both under a supervisor that freezes,
 * keeps only up to the program's largest peak in reserve. Of two jobs, the
 * one past its prediction and 1/8 is frozen first (supervise/freeze.h) and
 * holds no more than that 1/8 (the threshold's margin), while the other ends
 * in what was reserved for it; if both are, the younger is frozen and the
 * older has the rest. A third job beside them keeps the whole surprise in
 * reserve: on a first build's guess (a median of few runs, after a small
 * main.c) four units let in at once all outgrew it, and one was OOM-killed
 * though three were frozen. And time: a verified job, or a
 * typical one whose program's runs are believed (ms_typical_trust: batch
 * jobs that differ only in an argument), whose growth curve is known
 * (curve.h: its own, or its program's newest) and that is supervised may also
 * start when it does not fit now but will: if, until each admitted job's
 * predicted end (its learned duration, 1/32 more and MS_END_SLACK_NS; a
 * typical job's, its program's, is counted on only where the program's
 * runs agree: units of one compiler differ threefold in length),
 * what it may have grown to by then (its curve, MS_HASTE_PCT percent of
 * its pace) fits
 * beside what is still reserved, and once they have ended, its whole peak
 * fits. Admitted jobs keep their whole reservation until they end. When a
 * job outlives its prediction, the supervisor freezes the one that grows.
 *
 * CPUs: under the CLI (a build), while as many other jobs run as there are
 * CPUs (cand->cpus; a job runs when a process of its tree is on a CPU or
 * waits for one), a job waits for a CPU too (MS_HELD_CPUS), in its place in
 * the queue: started now, it would only share the CPUs with the running
 * jobs, slow them all, and take early the memory they need to end. It waits
 * only while each of those jobs is due to end (a duration learned, not yet
 * twice past), so at most until the first is past that: a job of unknown
 * duration, or one that runs twice late (a server a test suite started), never holds anyone
 * for CPUs. Jobs that sleep, wait for I/O or are frozen do not count. Where
 * memory is plentiful no process joins the queue: the command's -j decides.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate/curve.h"

/* The most admitted jobs a decision looks at. */
#define MS_ADMIT_MAX 512u

/* A job's predicted end: its learned duration, 1/32 more, and this. */
#define MS_END_SLACK_NS (30ull * 1000 * 1000)
/* A job may grow this much faster (percent) than its curve says. */
#define MS_HASTE_PCT 106u

/* From this many runs of a program on, its typical peak and largest are
 * believed: a surprise is its largest, no longer at least twice the typical
 * (batch jobs that differ only in an argument, once learned). */
#define MS_TYPICAL_TRUSTED_RUNS 8u

/* The runs a typical prediction counts as (ms_candidate.runs): its
 * program's runs, or MS_TYPICAL_TRUSTED_RUNS when they agree (every recent
 * peak within a fifth of the typical: batch jobs that differ only in an
 * argument), so that their largest is believed from the third run on. */
unsigned ms_typical_trust(unsigned runs, uint64_t least, uint64_t typical, uint64_t peak);

/* The most an unknown job is assumed to reach (ms_admit_prior). */
#define MS_PRIOR_MAX (2ull << 30)

/* RSS growth below this over MS_SETTLE_NS, or a quarter of the job's age
 * if longer (a pause is not the end of growth), means "settled". */
#define MS_SETTLE_GROWTH (2ull << 20)
#define MS_SETTLE_NS (150ull * 1000 * 1000)
/* A job admitted on its program's typical size holds the next one back this
 * long; half as long when it is supervised (a surprise is frozen). */
#define MS_PROBATION_NS (100ull * 1000 * 1000)
#define MS_PROBATION_SUPERVISED_NS (50ull * 1000 * 1000)
/* An unknown job stops blocking others after this long, settled or not. */
#define MS_SETTLE_MAX_NS (5ull * 1000 * 1000 * 1000)
/* A job admitted this recently counts as running (MS_HELD_CPUS). */
#define MS_CPU_START_NS (1000ull * 1000 * 1000)

enum ms_prediction_kind {
        MS_PREDICT_UNKNOWN = 0,
        MS_PREDICT_TYPICAL = 1,
        MS_PREDICT_VERIFIED = 2,
};

struct ms_admitted {
        enum ms_prediction_kind kind;
        uint64_t predicted;   /* bytes: the peak reserved (0 if unknown) */
        uint64_t worst;       /* the program's largest known peak (typical kind); unknown: the prior */
        uint64_t rss;         /* now */
        uint64_t admitted_ns; /* monotonic */
        uint64_t grown_ns;    /* last time its RSS grew by MS_SETTLE_GROWTH or more */
        uint64_t end_ns;      /* predicted end, with slack (ms_admit_end_ns); 0: unknown */
        bool supervised;      /* a supervisor freezes it if it outgrows its room */
        pid_t pid;            /* its process (ms_slot_to_admitted) */
        unsigned runs;        /* typical kind: runs of the program behind the prediction */
        bool ancestor;        /* an ancestor of the candidate (ms_admit_decide's caller sets it):
                               * it counts for nothing against it */
        bool container;       /* an ancestor of a waiting process (the caller sets it): it
                               * counts for nothing against anyone */
        bool running;         /* its tree has a process on a CPU or waiting for one (the caller
                               * sets it) */
};

struct ms_candidate {
        enum ms_prediction_kind kind;
        uint64_t predicted;
        uint64_t worst;        /* unknown kind: the prior (ms_admit_prior), what it needs */
        unsigned runs;         /* typical kind: runs of the program behind the prediction */
        struct ms_curve curve; /* of a verified job, or its program's for a
                                * typical one; duration_ms 0: unknown */
        bool supervised;       /* a supervisor freezes it if it outgrows its room */
        unsigned cpus;         /* CPUs the jobs share (the caller sets it); 0: not counted */
};

enum ms_admit_reason {
        MS_ADMIT_FITS = 0,
        MS_HELD_MEMORY,   /* available - reserved < required */
        MS_HELD_SETTLING, /* an unknown job's memory is still growing */
        MS_HELD_FROZEN,   /* jobs frozen by the supervisor resume first */
        MS_HELD_CPUS,     /* as many jobs run as there are CPUs, each due to end */
        MS_HELD_GATHERING, /* others are joining: the longest start first (queue.h) */
};

struct ms_admit_result {
        bool admit;
        enum ms_admit_reason reason;
        uint64_t reserved; /* still to come of admitted processes, incl. surprise reserve */
        uint64_t need;     /* what this candidate adds */
        uint64_t free;     /* available - reserved (0 if negative) */
        bool timed;        /* admitted because others will have ended in time */
        unsigned cpus_spare; /* CPUs free beside the running jobs, all due to end;
                              * UINT_MAX: not counted (no CPUs given, or a running
                              * job's end unknown or past) */
};

/* Whether a job started now would wait for a CPU (MS_HELD_CPUS's test,
 * whatever the reason): nothing is let in ahead of it then. */
static inline bool ms_admit_cpus_full(const struct ms_admit_result *r)
{
        return r->cpus_spare == 0;
}

/*
 * When the candidate would fit in time (see above) if nothing else were
 * admitted meanwhile: now_ns if it does already, UINT64_MAX if its peak
 * does not fit even once every admitted job with a predicted end has ended.
 * `room` is what is free beyond the threshold and the reservations
 * (ms_admit_room; negative: short already). Without a curve, it fits now
 * or never.
 */
uint64_t ms_admit_fit_time(const struct ms_admitted *admitted, size_t n, const struct ms_candidate *cand,
                           int64_t room, uint64_t now_ns);
int64_t ms_admit_room(uint64_t available, uint64_t reserved, uint64_t required);

/* The predicted end of a job admitted at admitted_ns that ran duration_ms
 * last time (0: unknown, returns 0). */
uint64_t ms_admit_end_ns(uint64_t admitted_ns, uint32_t duration_ms);

/* What an unknown job is assumed to reach in memory of this total. */
uint64_t ms_admit_prior(uint64_t total);

/* What an admitted process still holds in reserve: its prediction minus
 * its RSS; a typical one that grew past its prediction (by more than 1/8)
 * reserves up to worst; an unknown one up to the larger of worst (its
 * prior) and twice its RSS. */
uint64_t ms_admitted_pending(const struct ms_admitted *a);

/* Whether an admitted job that outgrew its prediction is still growing, or
 * a typical one is on probation: nothing else is admitted meanwhile. */
bool ms_admitted_settling(const struct ms_admitted *a, uint64_t now_ns);

void ms_admit_decide(uint64_t available, uint64_t required, const struct ms_admitted *admitted, size_t n,
                     const struct ms_candidate *cand, uint64_t now_ns, struct ms_admit_result *out);

const char *ms_admit_reason_name(enum ms_admit_reason r);

/* Whether the candidate may start on time (see above): supervised, verified
 * or typical and believed, with a curve. */
bool ms_candidate_timed(const struct ms_candidate *cand);

/* What a history lookup (gate/history.h) makes of a candidate: verified from
 * the job's own peak and curve; typical from its program's (and its program's
 * newest curve), once the program has run
 * MS_TYPICAL_MIN_RUNS times (runs from ms_typical_trust); else unknown, with
 * the program's largest peak, if any, as the least of its prior (the queue
 * raises it to ms_admit_prior). Fields with nothing to say stay as they are. */
struct ms_prediction;
void ms_candidate_predict(const struct ms_prediction *p, struct ms_candidate *cand);
