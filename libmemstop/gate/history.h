/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Learned peaks: how much memory earlier runs of a job and of a program
 * reached, kept in the user's cache directory so that the next build can
 * predict its jobs.
 *
 * File: $XDG_CACHE_HOME/memstop/peaks (else $HOME/.cache/memstop/peaks),
 * directory mode 0700, files 0600. Text, one record per line, appended with a
 * single write(2) (O_APPEND, a line < PIPE_BUF: concurrent writers never
 * interleave):
 *
 *     v1 JOBHASH PROGHASH PEAK_KIB UNIX_TIME PROGRAM
 *     v2 JOBHASH PROGHASH PEAK_KIB UNIX_TIME DURATION_MS R1 ... R8 PROGRAM
 *
 * A v2 record adds the job's growth curve (curve.h): how long it ran after
 * admission and, for k = 1..8, the earliest age (ms) at which it may have
 * reached k/8 of its peak; numbers up to 2^32-1, R1 <= ... <= R8 <=
 * DURATION_MS, DURATION_MS >= 1. Hashes are exactly 16 hex digits; PEAK_KIB is 1..2^40 (1 PiB, larger is
 * taken as corrupt); UNIX_TIME any unsigned number (future times are
 * accepted); PROGRAM 1..MS_PROGRAM_MAX-1 bytes without blanks or control
 * characters (written with '?' in their place); single blanks between fields,
 * at most MS_HISTORY_LINE_MAX bytes. Later lines are newer: order in the file,
 * not UNIX_TIME, decides.
 *
 * Robustness: lines that do not parse (garbage, overlong, a last line without
 * '\n' = truncated) are skipped and counted in bad_lines, never fatal; empty
 * lines are skipped silently (an appender that finds the file not ending in
 * '\n' writes one first, so a truncated record costs only itself). A file
 * larger than 2 x MS_HISTORY_MAX_BYTES is read from its end only, from the first
 * whole line. The directory must be ours (owner = euid), not a symlink and not
 * group/other writable, else -EPERM (-ENOTDIR for a symlink or a
 * file); the history file must be a regular file, not a symlink.
 *
 * Locking: appenders hold flock(LOCK_SH) on "peaks.lock" in the same
 * directory from before they open the file until after their write. When the
 * file grows past MS_HISTORY_MAX_BYTES, a writer takes LOCK_EX on it (waiting
 * for the appends in flight), reads the file, compacts (ms_history_compact_text;
 * keeping fewer jobs, halving, if the lines of MS_HISTORY_MAX_JOBS do not fit),
 * writes a temporary file in the directory (mkostemp) and renames it over
 * "peaks", then unlocks: no append can go to the old file between the read
 * and the rename, so none is lost. Readers take no lock: rename is atomic.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/curve.h"
#include "gate/key.h"

/* The longest wait for the history's lock: a holder stopped or stuck never
 * hangs the others' exits (the record is given up). */
#define MS_HISTORY_LOCK_NS (500ull * 1000 * 1000)

/* Room for MS_HISTORY_MAX_JOBS v2 lines (about 200 bytes each). */
#define MS_HISTORY_MAX_BYTES (1024u * 1024u)

/* Programs whose every recorded peak stays below this skip the queue (MEMSTOP_SMALL). */
#define MS_SMALL_PROGRAM (32ull << 20)
#define MS_HISTORY_MAX_JOBS 4096u
/* Longest valid line without its '\n' (a real one is at most 200 bytes). */
#define MS_HISTORY_LINE_MAX 256u

struct ms_history_record {
        uint64_t job_hash;
        uint64_t program_hash;
        uint64_t peak;     /* bytes */
        uint64_t when;     /* unix seconds */
        char program[MS_PROGRAM_MAX];
        struct ms_curve curve; /* duration_ms 0: a v1 record, no curve */
};

/* A program's typical peak is believed from this many of its runs on: one
 * or two (main.cpp before the heavy units, say) make no type; until then a
 * new job of it is unknown, with at least the largest peak seen as prior. */
#define MS_TYPICAL_MIN_RUNS 3u

struct ms_prediction {
        uint64_t job_peak;     /* newest peak of this job, 0 if unknown */
        struct ms_curve job_curve; /* ... and its growth curve (duration_ms 0: unknown) */
        uint64_t program_peak; /* largest recent peak of this program, 0 if unknown */
        uint64_t program_typical; /* median of the same recent peaks (the upper
                                   * one of an even count), 0 if unknown */
        uint64_t program_least; /* smallest of the same recent peaks, 0 if unknown */
        struct ms_curve program_curve; /* the newest growth curve of the program
                                        * (duration_ms 0: none recorded) */
        unsigned program_runs; /* records of this program seen */
        unsigned bad_lines;    /* lines skipped as corrupt */
};

/* Parse one line (without its '\n'). Returns 0 or -EINVAL. */
int ms_history_parse_line(const char *line, size_t len, struct ms_history_record *rec);

/* Format one line, with its '\n' and a NUL. Returns the length, -EINVAL (peak
 * 0 or > 1 PiB, empty program) or -ENAMETOOLONG. The peak is rounded up to KiB. */
int ms_history_format_line(const struct ms_history_record *rec, char *buf, size_t size);

/* Scan history text for key: the newest (last) record of the job, the largest
 * and the median peak among the program's newest MS_HISTORY_PROGRAM_WINDOW
 * records, the program's newest curve, the number of the program's records
 * and of bad lines. Pure; text
 * may hold NULs (len counts). A job matches on both job_hash and
 * program_hash. */
#define MS_HISTORY_PROGRAM_WINDOW 64u
void ms_history_predict(const char *text, size_t len, const struct ms_key *key, struct ms_prediction *out);

/* The directory of the history file, from the environment values given
 * (xdg_cache_home may be NULL or relative: then home/.cache). Returns 0 or
 * -ENOENT (no usable directory) / -ENAMETOOLONG. */
int ms_history_dir(const char *xdg_cache_home, const char *home, char *buf, size_t size);

/* Read the history file in dir and predict. A missing directory or file is an
 * empty history (returns 0). Returns 0 or -errno; *out is all zero on error. */
int ms_history_lookup(const char *dir, const struct ms_key *key, struct ms_prediction *out);

/* Append a record (creating dir 0700, its parent 0700 if missing, and the
 * files 0600 as needed) and compact when the file is larger than
 * MS_HISTORY_MAX_BYTES. Directories are created only in a directory owned by
 * the effective uid (a root process with a user's HOME leaves nothing
 * there). curve may be NULL or invalid: a v1 record. Returns 0, -EINVAL
 * (peak 0 or > 1 PiB, empty program name), -EPERM (not our directory),
 * -ETIMEDOUT (the lock is held too long) or -errno. */
int ms_history_record(const char *dir, const struct ms_key *key, uint64_t peak, const struct ms_curve *curve,
                      uint64_t now);

/* ms_history_record() for _exit(), which may run in a signal handler: the
 * file is not compacted (the next ms_history_record() does it), so nothing
 * is allocated. */
int ms_history_append(const char *dir, const struct ms_key *key, uint64_t peak, const struct ms_curve *curve,
                      uint64_t now);

/* Compact the file in dir now, whatever its size (under LOCK_EX as above).
 * A missing directory or file is fine. Returns 0 or -errno. */
int ms_history_compact(const char *dir);

/* The text of the history file in dir (what ms_history_lookup() scans), for
 * ms_history_small_programs(): *text is malloc'd, NUL-terminated, "" if there
 * is no file. Returns 0 or -errno. */
int ms_history_read(const char *dir, char **text, size_t *len);

/* ms_history_read() + ms_history_small_programs() with MS_SMALL_PROGRAM: the
 * list for MEMSTOP_SMALL. As many names as fit. Returns 0 or -errno. */
int ms_history_small_list(const char *dir, char *buf, size_t size);

/* Compact the file: pure part, text in, text out: the newest record of each
 * of the max_jobs jobs seen most recently (the others are dropped), bad lines
 * dropped, in file order (oldest first, so later lines stay newer), lines
 * rewritten canonically, NUL-terminated. Returns the output length, -ENOSPC if
 * out is too small or -ENOMEM. */
long ms_history_compact_text(const char *text, size_t len, unsigned max_jobs, char *out, size_t size);

/* Programs whose peaks (all records in text) are all at most `small` bytes,
 * as a comma-separated list of distinct names in order of first appearance
 * (for MEMSTOP_SMALL). Names are compared as written (so cut names of
 * different programs count as one); names with ',' '=' or bytes outside
 * printable ASCII are left out. Returns 0, -ENOMEM, or -ENOSPC when not all
 * fit: buf then holds the whole names that fit, still a valid list. */
int ms_history_small_programs(const char *text, size_t len, uint64_t small, char *buf, size_t size);
