/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the supervising `memstop` and the preload tell each other, through
 * the environment of the build and one file. Every MEMSTOP_* variable that
 * is not a user's setting (gate/settings.h) is named here and only here; the
 * encoders and decoders of their values live beside them, so that writer
 * and reader cannot drift apart.
 *
 *   MEMSTOP_SUPERVISOR  pid of a supervising `memstop` that freezes jobs
 *                       which outgrow their room: admission may count on time
 *   MEMSTOP_REPORT      absolute path of the hold file: one line per admitted
 *                       process (ms_hold_line), appended with one write(2)
 *   MEMSTOP_SMALL       programs known to stay small, comma-separated
 *   MEMSTOP_CGROUP      the cgroup hint (probe/cgroup.h): "none" or
 *                       "v1:LIMIT:DIR" / "v2:LIMIT:DIR"; written with
 *                       ms_cgroup_hint_make, read with ms_cgroup_hint_read
 *   MEMSTOP_WARNED      the warnings given in this process tree (bad
 *                       settings, shared state), comma-separated ids: its
 *                       children stay quiet about them
 *   MEMSTOP_JOB         "PID.STARTTIME" of the job (gate/admit.h) this
 *                       process belongs to: set by memstop.so in a process
 *                       it admitted through the queue, so that what it starts
 *                       (a compiler driver's cc1plus, as, ld) is accounted in
 *                       its slot instead of queueing again; cleared by a build
 *                       driver (make, ninja...), whose children are jobs
 *   MEMSTOP_IMPLICIT    set by memstop.so in a process tree that did not
 *                       opt in, beside the hints it passes down: the
 *                       processes below stay under the rules of system-wide
 *                       use (ms_env_opted_in)
 *
 * Pure functions: no I/O, no allocation (the preload calls them).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe/cgroup.h"
#include "probe/memory.h"

#define MS_ENV_PREFIX "MEMSTOP_"
#define MS_ENV_SUPERVISOR "MEMSTOP_SUPERVISOR"
#define MS_ENV_REPORT "MEMSTOP_REPORT"
#define MS_ENV_SMALL "MEMSTOP_SMALL"
#define MS_ENV_CGROUP "MEMSTOP_CGROUP"
#define MS_ENV_WARNED "MEMSTOP_WARNED"
#define MS_ENV_IMPLICIT "MEMSTOP_IMPLICIT"
#define MS_ENV_JOB "MEMSTOP_JOB"

/*
 * Whether a process opted in to being held, from its MEMSTOP_* variables
 * (the "NAME=value" strings, n of them): any setting, MEMSTOP_SUPERVISOR or
 * MEMSTOP_REPORT does; so do the hints memstop.so passes down (CGROUP,
 * SMALL, WARNED) unless MEMSTOP_IMPLICIT says they were passed down in a
 * tree that had not opted in. No variable at all: not opted in.
 */
bool ms_env_opted_in(const char *const *vars, unsigned n);

/* The longest program name a hold line carries. */
#define MS_HOLD_PROGRAM_MAX 64u

/* One line of the hold file: "PID HELD_USEC PROGRAM\n". */
struct ms_hold_line {
        pid_t pid;
        uint64_t held_usec;
        char program[MS_HOLD_PROGRAM_MAX + 1];
};

/* Format h as one line, newline included, into buf; a longer program name
 * is cut at MS_HOLD_PROGRAM_MAX bytes, blanks and control characters in it
 * become '?'. Returns the length, or -ENOBUFS if buf is too small. */
int ms_hold_line_format(const struct ms_hold_line *h, char *buf, size_t size);

/* Parse one line (with or without its newline). Returns 0 or -EINVAL. */
int ms_hold_line_parse(const char *line, struct ms_hold_line *out);

/* MEMSTOP_SUPERVISOR's value for a supervisor's pid, and back. Return 0 or
 * -EINVAL (not a pid; for format also a buffer shorter than MS_SUPERVISOR_BUF). */
#define MS_SUPERVISOR_BUF 16u
int ms_supervisor_format(pid_t pid, char *buf, size_t size);
int ms_supervisor_parse(const char *value, pid_t *pid);

/* MEMSTOP_JOB's value for a job's root process, and back. Return 0 or
 * -EINVAL (not "PID.STARTTIME" with a pid > 0; a buffer shorter than
 * MS_JOB_BUF). */
#define MS_JOB_BUF 40u
int ms_job_format(pid_t pid, uint64_t starttime, char *buf, size_t size);
int ms_job_parse(const char *value, pid_t *pid, uint64_t *starttime);

/*
 * The cgroup hint for the processes below, from the cgroup located and a
 * sample of it. A limit at or above the host's memory never binds before the
 * host does: such a hint says "none", and the fast path reads no cgroup
 * file. Returns 0 or -ENAMETOOLONG.
 */
int ms_cgroup_hint_make(const struct ms_cgroup *cg, const struct ms_sample *s, char *buf, size_t size);

/*
 * A hint read back (MEMSTOP_CGROUP's value, NULL if unset): validated by
 * ms_cgroup_hint_parse and clamped as ms_cgroup_hint_make does, against the
 * host's total memory, whoever wrote it. hint->dir points into value.
 * Returns 0 or -EINVAL.
 */
int ms_cgroup_hint_read(const char *value, uint64_t host_total, struct ms_cgroup_hint *hint);
