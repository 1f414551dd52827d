/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Growth curves: how fast a job reached its memory and how long it ran,
 * learned so that admission can count on time as well as on size: a big job
 * may start while another still holds its peak if it will only need that
 * memory after the other has ended.
 *
 * While a process runs, whoever looks at its RSS (the queue's head, the
 * supervising `memstop`) notes it in a trace kept in its ledger slot. The
 * trace is conservative: an RSS first seen at one look is written down with
 * the time of the look before (it may have been reached any time after
 * that), and when the trace is full, the two neighbouring points that are
 * closest (time apart times RSS apart) are merged into one with the
 * earlier time and the larger RSS. At exit the process turns
 * the trace and its peak into a curve: for k = 1..8, the earliest age at
 * which its RSS may have reached k/8 of the peak. Before reach_ms[k-1] it
 * certainly stayed below k/8 of the peak.
 *
 * A job's pace depends on what else runs (CPU, a supervisor's freezing):
 * frozen time is left out of its ages, and a job's curve keeps, level by
 * level, the earliest time any recorded run of it reached it, and nearly
 * the longest duration (ms_curve_keep_worst): it describes the fastest
 * growth and the slowest end seen (never another job's: its program's curve
 * predicts a new job, and is not learned as its own). A job that shared the CPUs with others ran
 * longer than it would have alone, and the next run's order (longest first)
 * and predicted ends go by what it takes alone: a job that was on a CPU at
 * least half of the time it ran is taken to be CPU-bound, and to take its
 * CPU time with a CPU to itself (ms_curve_alone_ms); its reach times shrink
 * with it.
 *
 * Pure functions; ages are milliseconds of running since admission.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define MS_CURVE_STEPS 8u
#define MS_CURVE_POINTS 16u

struct ms_curve {
        uint32_t duration_ms;              /* admission to exit; 0: unknown (no curve) */
        uint32_t reach_ms[MS_CURVE_STEPS]; /* nondecreasing, each <= duration_ms */
};

struct ms_curve_point {
        uint32_t age_ms;
        uint32_t rss_kib;
};

struct ms_curve_trace {
        uint32_t seen_ms; /* age at the last look */
        uint32_t n;
        struct ms_curve_point point[MS_CURVE_POINTS]; /* ages and RSS increasing */
};

/* A look at the process's RSS at age_ms. */
void ms_curve_note(struct ms_curve_trace *t, uint64_t age_ms, uint64_t rss);

/* The curve of a process that reached `peak` bytes and ran duration_ms
 * (at least 1) after admission, from its trace (which may be empty: then it
 * may have reached its peak at once). A trace that does not parse (n too
 * large) counts as empty. */
void ms_curve_from_trace(const struct ms_curve_trace *t, uint64_t peak, uint64_t duration_ms, struct ms_curve *out);

/* How long a job that ran wall_ms since admission (frozen time left out)
 * and used cpu_ms of CPU time (its tree's user and system time) would have
 * taken alone: cpu_ms when that is at least half of wall_ms and less than it
 * (CPU-bound, the rest lost to other jobs on the CPUs); else wall_ms (it
 * slept, waited for I/O or ran threads in parallel; 0: not known). At
 * least 1. */
uint64_t ms_curve_alone_ms(uint64_t wall_ms, uint64_t cpu_ms);

/* Shrink a valid curve to a duration of alone_ms (at least 1, at most its
 * duration): its reach times in the same proportion, rounded down (the
 * growth is taken as fast as the job's pace alone). */
void ms_curve_shrink(struct ms_curve *c, uint64_t alone_ms);

/* Merge the curve of an earlier run (before) into this run's (c), when both
 * are valid: each reach time becomes the earlier of the two; the duration
 * the longer of c's and 7/8 of before's (a slow run fades out). */
void ms_curve_keep_worst(struct ms_curve *c, const struct ms_curve *before);

/* Whether a curve read from elsewhere is well-formed (known, nondecreasing,
 * within its duration). */
bool ms_curve_valid(const struct ms_curve *c);

/* An upper bound of the RSS of a job whose peak is `peak`, over its ages
 * below age_ms: peak if the curve is unknown. */
uint64_t ms_curve_bound(const struct ms_curve *c, uint64_t peak, uint64_t age_ms);
