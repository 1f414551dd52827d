/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the history of peaks (history.h) has learned, job by job, for
 * `memstop history`; and the history without what is to be forgotten. Pure:
 * history text in, records or text out.
 *
 * Functions return 0 or -errno (libmemstop's convention).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/key.h"

/* One job as the history knows it. */
struct ms_history_entry {
        uint64_t job_hash, program_hash;
        char program[MS_PROGRAM_MAX];
        uint64_t peak;        /* bytes, its newest record's */
        uint64_t largest;     /* bytes, the largest of its records */
        uint32_t duration_ms; /* its newest known run time, 0: unknown */
        uint64_t when;        /* unix seconds of its newest record */
        unsigned runs;        /* records of it in the file */
};

/* The jobs of history text, in the order of their first record; *out is
 * malloc'd (NULL when there are none). Bad lines, and a last line without
 * '\n' (a truncated record), are skipped. Returns 0 or -ENOMEM. */
int ms_history_entries(const char *text, size_t len, struct ms_history_entry **out, size_t *n);

/* Whether a record is one to forget: its program matches the glob pattern,
 * or pattern is its job's hash (16 hex digits, as listed). */
bool ms_history_matches(const char *pattern, uint64_t job_hash, const char *program);

/* The text without the records pattern matches (bad lines and a truncated
 * last line kept as they are: not ours to judge); *out is malloc'd and NUL-terminated, *removed
 * counts what went. Returns 0 or -ENOMEM. */
int ms_history_without(const char *text, size_t len, const char *pattern, char **out, size_t *out_len,
                       unsigned *removed);
