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
 *     largest peak (learned, or seen in a running instance) is kept in
 *     reserve once, for one such job that turns out big (a "surprise"); a job
 *     that grows past its prediction reserves the program's largest instead;
 *   - unknown: nothing is known of the program.
 * While an admitted job of unknown size, or one that grew past its
 * prediction (a verified one by more than 1/8), is still growing, nothing
 * else is admitted: its memory must settle first, for at most
 * MS_SETTLE_MAX_NS; and a job admitted on a typical prediction holds the
 * next one back for MS_PROBATION_NS, time enough to show that it grows
 * past it. Two surprises at once are then covered only by the threshold's
 * margin: a start-time gate cannot know more.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RSS growth below this over MS_SETTLE_NS means "settled". */
#define MS_SETTLE_GROWTH (2ull << 20)
#define MS_SETTLE_NS (150ull * 1000 * 1000)
/* A job admitted on its program's typical size holds the next one back this long. */
#define MS_PROBATION_NS (100ull * 1000 * 1000)
/* An unknown job stops blocking others after this long, settled or not. */
#define MS_SETTLE_MAX_NS (5ull * 1000 * 1000 * 1000)

enum ms_prediction_kind {
        MS_PREDICT_UNKNOWN = 0,
        MS_PREDICT_TYPICAL = 1,
        MS_PREDICT_VERIFIED = 2,
};

struct ms_admitted {
        enum ms_prediction_kind kind;
        uint64_t predicted;   /* bytes: the peak reserved (0 if unknown) */
        uint64_t worst;       /* the program's largest known peak (typical kind) */
        uint64_t rss;         /* now */
        uint64_t admitted_ns; /* monotonic */
        uint64_t grown_ns;    /* last time its RSS grew by MS_SETTLE_GROWTH or more */
};

struct ms_candidate {
        enum ms_prediction_kind kind;
        uint64_t predicted;
        uint64_t worst;
};

enum ms_admit_reason {
        MS_ADMIT_FITS = 0,
        MS_HELD_MEMORY,   /* available - reserved < required */
        MS_HELD_SETTLING, /* an unknown job's memory is still growing */
        MS_HELD_FROZEN,   /* jobs frozen by the supervisor resume first */
};

struct ms_admit_result {
        bool admit;
        enum ms_admit_reason reason;
        uint64_t reserved; /* still to come of admitted processes, incl. surprise reserve */
        uint64_t need;     /* what this candidate adds */
        uint64_t free;     /* available - reserved (0 if negative) */
};

/* What an admitted process still holds in reserve: its prediction minus
 * its RSS; a typical one that grew past its prediction reserves up to worst. */
uint64_t ms_admitted_pending(const struct ms_admitted *a);

/* Whether an admitted process of unknown size is still growing. */
bool ms_admitted_settling(const struct ms_admitted *a, uint64_t now_ns);

void ms_admit_decide(uint64_t available, uint64_t required, const struct ms_admitted *admitted, size_t n,
                     const struct ms_candidate *cand, uint64_t now_ns, struct ms_admit_result *out);

const char *ms_admit_reason_name(enum ms_admit_reason r);
