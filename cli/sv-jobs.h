/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The supervised build's jobs, as the front end handles them: the looks at
 * the process tree (proctree.h, grouped by jobs.h), freezing and resuming
 * jobs as freeze.h decides, with the gate told through the ledger
 * (watch.h); what was stopped is continued on every way out, kill -9 of
 * memstop included (sv-guard.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe/memory.h"
#include "supervise/freeze.h"
#include "supervise/jobs.h"
#include "supervise/watch.h"
#include "cli/cli.h"
#include "cli/supervise.h"
#include "cli/sv-memory.h"

/* At most this many processes are seen in one look. */
#define SV_MAX_PROCS 4096
/* Nothing but frozen jobs and processes waiting in the gate, with the gate
 * admitting by memory, this long: the oldest frozen job resumes. */
#define SV_STUCK_NS (2000ull * 1000 * 1000)

/* At most this many jobs are frozen through cgroups at once (more: SIGSTOP). */
#define SV_MAX_CG_JOBS 64

struct sv_tree {
        pid_t self, child;
        /* The build's v2 cgroup, or our own in the v1 freezer hierarchy
         * (v1_freezer): jobs are frozen in cgroups below it (buildcg.h);
         * NULL: by SIGSTOP. */
        const struct ms_cgroup *freezer;
        struct ms_cgroup v1_freezer, v1_freezer_own;
        bool has_v1_freezer;
        pid_t cg_jobs[SV_MAX_CG_JOBS]; /* roots of the jobs frozen so */
        size_t n_cg_jobs;
        bool freeze;     /* freezing allowed (not --no-freeze) */
        const struct cli *cli; /* -vv: say which job was frozen or resumed (cli_verbose) */
        struct ms_freeze_params fp;
        /* The last look: buffers of SV_MAX_PROCS entries. */
        pid_t *pids;
        struct ms_proc_info *infos;
        struct ms_procs procs;
        size_t leaves;
        unsigned held; /* ... its processes waiting in the gate (ms_watch_count) */
        uint64_t stuck_ns; /* since when nothing but frozen and held processes, 0: not so */
        struct ms_job_view *views;
        struct ms_jobs jobs;
};

/* Returns 0 or -ENOMEM. */
int sv_tree_init(struct sv_tree *t, pid_t self, bool freeze, const struct cli *cli);
void sv_tree_free(struct sv_tree *t);

/* A look at the tree at now_ns: processes, jobs and their rates; a frozen
 * job's processes that run again are stopped again. rep counts the frozen
 * time of jobs gone. */
void sv_tree_scan(struct sv_tree *t, struct sv_report *rep, uint64_t now_ns);

/* Let freeze.h decide on this look's figures and freeze or resume jobs. */
void sv_tree_step(struct sv_tree *t, struct ms_watch *w, const struct sv_figures *f, double psi_frac,
                  bool stopping, struct sv_report *rep, uint64_t now_ns);

/* Resume every frozen job (the build is stopping or over). */
void sv_tree_resume_all(struct sv_tree *t, struct ms_watch *w, struct sv_report *rep, uint64_t now_ns);

/* The freeze policy's levels for this build (first: a sample of its memory,
 * or NULL), --freeze-below overriding them. */
void sv_tree_set_level(struct sv_tree *t, const struct cli *cli, const struct ms_sample *first);

/* Whether memory is short: under 4 times the freeze level. */
bool sv_tree_short(const struct sv_tree *t, const struct sv_figures *f);
