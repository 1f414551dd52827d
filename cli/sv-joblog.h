/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What each job of a supervised build did, for --trace, --report's "jobs"
 * and --timeline's lanes: from the supervisor's looks at its jobs
 * (supervise/jobs.h), one record per job with its states over time.
 *
 * - A job is held while every process of it that runs waits in the gate,
 *   running once one of them is let in (or needs no gate), frozen while the
 *   supervisor has it stopped; it ends at the first look without it.
 * - Each job gets a lane when it appears: the lowest one free, as a build
 *   tool's job slots; so there are as many lanes as jobs ever ran at once.
 * - Its command is its root process's command line, read again when the
 *   root execs another program (make's `sh -c 'cc ...'` becomes cc).
 * - Its exit status is known when a look saw its root as a zombie (the
 *   build tool had not reaped it yet) or memstop reaped it; else unknown.
 *   It was OOM-killed when one of its processes is named by the OOM count.
 * - The counts a look shows are jobs: running ones (not held, not frozen),
 *   held ones, frozen ones.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervise/jobs.h"

enum sv_job_state {
        SV_JOB_HELD,
        SV_JOB_RUNNING,
        SV_JOB_FROZEN,
};

/* A period of one state, in ms since the build started. */
struct sv_span {
        uint64_t start_ms, end_ms;
        enum sv_job_state state;
};

#define SV_JOB_PIDS 8
#define SV_NO_TIME UINT64_MAX

struct sv_job_record {
        pid_t pid;          /* the job's root */
        uint64_t starttime; /* ... its start time (clock ticks since boot) */
        char comm[16];      /* the root's program at the last look */
        char cmd[256];      /* its command line */
        unsigned lane;
        uint64_t queued_ms;   /* first seen */
        uint64_t admitted_ms; /* first seen not held; SV_NO_TIME: never */
        uint64_t ended_ms;    /* SV_NO_TIME while it runs */
        uint64_t oom_ms;      /* SV_NO_TIME: not OOM-killed */
        uint64_t peak;        /* bytes: the largest RSS of the whole job seen */
        uint64_t held_ms, frozen_ms;
        unsigned freezes;
        int exit_status; /* as a shell shows it; -1: unknown */
        pid_t pids[SV_JOB_PIDS]; /* processes of it seen (the first ones) */
        unsigned n_pids;
        struct sv_span *spans; /* the last one is open until it ends */
        size_t n_spans, cap_spans;
};

struct sv_joblog {
        struct sv_job_record *rec;
        size_t n, cap;
        unsigned lanes;     /* lanes used at once, at most */
        bool *lane_busy;
        size_t cap_lanes;
        size_t ooms_seen;   /* of the report's OOM-killed list (report.c) */
};

/* The counts of a look, in jobs. */
struct sv_counts {
        unsigned running, held, frozen;
};

/* A look at t_ms (since the build started): the jobs as grouped from
 * procs. Fills *counts. Returns 0 or -ENOMEM (the look is partly recorded). */
int sv_joblog_look(struct sv_joblog *l, const struct ms_jobs *jobs, const struct ms_procs *procs, uint64_t t_ms,
                   struct sv_counts *counts);

/* The OOM count named pid at t_ms: its job was OOM-killed. */
void sv_joblog_oom(struct sv_joblog *l, pid_t pid, uint64_t t_ms);

/* memstop reaped pid (an orphan of the build) with this wait status. */
void sv_joblog_reaped(struct sv_joblog *l, pid_t pid, int status);

/* The build is over at t_ms: every job still open ends; nothing is later. */
void sv_joblog_end(struct sv_joblog *l, uint64_t t_ms);

void sv_joblog_free(struct sv_joblog *l);

const char *sv_job_state_name(enum sv_job_state s);
