/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the supervisor of a build (supervise.c) records for its report
 * (report.c): the summary line, --report JSON, --timeline SVG and the live
 * status line.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli/sv-joblog.h"

struct cli;

/* One point of the timeline. */
struct sv_point {
        uint64_t t_ms;       /* since the build started */
        uint64_t used;       /* bytes */
        uint64_t limit;      /* bytes, MS_UNLIMITED if none */
        uint16_t running, held, frozen;
};

struct sv_oom {
        pid_t pid;
        char cmd[256];
};

struct sv_report {
        char *const *argv;
        bool started;       /* the command was run */
        int exit_status;    /* as a shell shows it: 128+N for signal N */
        int term_signal;    /* 0 unless killed by a signal */
        int forwarded;      /* signal passed to the build, 0 if none */
        uint64_t wall_ns;
        char cgroup[4096 + 8]; /* the build's own cgroup ("/sys/fs/cgroup/..."), "" if none */
        const char *watch;  /* "cgroup v1", "cgroup v2", "process tree" */
        unsigned gated;     /* processes admitted by the gate (MEMSTOP_REPORT) */
        uint64_t hold_total_us, hold_max_us;
        char hold_max_program[72];
        unsigned freezes, resumes;
        uint64_t frozen_ns; /* job-time spent frozen */
        unsigned max_frozen;
        unsigned max_job_freezes; /* the most often one job was frozen */
        uint64_t peak;      /* bytes */
        uint64_t limit;     /* bytes, MS_UNLIMITED if none */
        uint64_t oom_kills;
        struct sv_oom *ooms;
        size_t n_ooms;
        double psi_full_max; /* percent, over sample intervals */
        struct sv_point *points;
        size_t n_points, cap_points;
        struct sv_joblog jobs; /* each job's states (sv-joblog.h) */
};

/* The line printed at the end, without "memstop: " or newline. */
void sv_summary_format(const struct sv_report *r, char *buf, size_t size);
/* Each returns 0 or -errno; r is a const struct sv_report * (cli_out_writer_fn). */
int sv_report_json_write(const void *r, FILE *f);
int sv_report_svg_write(const void *r, FILE *f);   /* sv-svg.c */
int sv_report_trace_write(const void *r, FILE *f); /* sv-trace.c */

/* A look at the jobs at t_ms since the start (sv-joblog.h), with the OOM
 * kills named so far; *counts gets the counts in jobs. */
void sv_report_look(struct sv_report *r, const struct ms_jobs *jobs, const struct ms_procs *procs, uint64_t t_ms,
                    struct sv_counts *counts);

/* The live status line's text (no escape codes), at most `width` columns. */
void sv_status_format(const struct sv_counts *c, uint64_t used, uint64_t limit, double psi_full, char *buf,
                      size_t size);

/* Append a point; when full, every other point is dropped (the timeline keeps
 * its shape at half the resolution). Returns 0 or -ENOMEM. */
int sv_points_add(struct sv_report *r, const struct sv_point *p);

/* The hold file the build's admitted processes append to (MEMSTOP_REPORT):
 * a private temporary directory with one file. */
struct sv_holdfile {
        char dir[PATH_MAX]; /* "" if none */
        char path[PATH_MAX + 16];
};

#define SV_HOLD_PREFIX "memstop-"
#define SV_HOLD_FILE "held"

/* The directory is $TMPDIR/memstop-PIDNS-PID-XXXXXX (PIDNS: the inode of our
 * /proc/self/ns/pid, PID our pid). Returns 0 or -errno (the directory, if
 * made, is still to be removed). */
int sv_holdfile_make(struct sv_holdfile *h);
/* Parse a hold directory's name. Returns 0 or -EINVAL. */
int sv_holdfile_name_parse(const char *name, uint64_t *pidns, pid_t *pid);
/* Remove what memstops killed with their guardians left in tmp (NULL:
 * $TMPDIR or /tmp): the hold directories owned by uid, of pid namespace
 * pidns (0: none is removed), whose memstop is not alive(). Only the hold
 * file and the directory go; one holding anything else stays. Returns how
 * many were removed. */
unsigned sv_holdfile_reap(const char *tmp, uint64_t pidns, uid_t uid, bool (*alive)(pid_t pid, void *userdata),
                          void *userdata);
/* Add its lines to the report: how many were gated, held how long. */
void sv_holdfile_read(const struct sv_holdfile *h, struct sv_report *r);
void sv_holdfile_remove(struct sv_holdfile *h);

/* The end of a build: --report, --timeline and --trace written, the
 * OOM-killed jobs and the summary line on stderr, unless -q. Returns 0, or
 * -EIO when a requested file could not be written (said on stderr). */
int sv_report_finish(struct sv_report *r, const struct cli *c);
void sv_report_free(struct sv_report *r);
