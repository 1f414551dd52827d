/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "supervise/buildcg.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/size.h"
#include "cli/cli.h"
#include "cli/sv-guard.h"
#include "cli/sv-jobs.h"

#define STALL_FRACTION 0.10 /* of time fully stalled: the build stalls */
#define CALM_FRACTION 0.02

/* --- the tree ------------------------------------------------------------- */

int sv_tree_init(struct sv_tree *t, pid_t self, bool freeze, unsigned verbose)
{
        *t = (struct sv_tree){ .self = self, .freeze = freeze, .verbose = verbose };
        t->pids = calloc(SV_MAX_PROCS, sizeof(*t->pids));
        t->procs.p = calloc(SV_MAX_PROCS, sizeof(*t->procs.p));
        t->views = calloc(SV_MAX_PROCS, sizeof(*t->views));
        return t->pids && t->procs.p && t->views ? 0 : -ENOMEM;
}

void sv_tree_free(struct sv_tree *t)
{
        free(t->pids);
        free(t->procs.p);
        free(t->views);
        ms_jobs_free(&t->jobs);
        t->pids = NULL;
        t->procs = (struct ms_procs){ 0 };
        t->views = NULL;
}

/* --- freezing through cgroup.freeze (v2) ------------------------------------- */

static int cg_job_find(const struct sv_tree *t, pid_t job)
{
        for (size_t i = 0; i < t->n_cg_jobs; i++)
                if (t->cg_jobs[i] == job)
                        return (int)i;
        return -1;
}

static int freeze_file(const struct sv_tree *t, pid_t job, char *buf, size_t size)
{
        char dir[PATH_MAX];
        int r = ms_job_cgroup_dir(t->freezer, job, dir, sizeof(dir));

        if (r == 0 && (size_t)snprintf(buf, size, "/%s/cgroup.freeze", dir) >= size)
                r = -ENAMETOOLONG;
        return r;
}

/* Freeze job j's processes in a cgroup of its own. Returns 0 or -errno
 * (then nothing is frozen: the caller stops it by signal). */
static int cg_freeze(struct sv_tree *t, size_t j)
{
        pid_t job = t->jobs.job[j].pid;
        char file[PATH_MAX + 32];
        size_t n = 0;
        int r;

        if (!t->freezer || t->n_cg_jobs >= SV_MAX_CG_JOBS || freeze_file(t, job, file, sizeof(file)) < 0)
                return -EOPNOTSUPP;
        for (size_t i = 0; i < t->procs.n; i++)
                if (t->procs.p[i].job == (int)j)
                        t->pids[n++] = t->procs.p[i].info.pid;
        /* Known to the guardian before it is frozen: a crash in between thaws it. */
        r = sv_guard_frozen_cgroup(file, true);
        if (r == 0)
                r = ms_job_cgroup_freeze(MS_ROOT_HOST, t->freezer, job, t->pids, n);
        if (r < 0) {
                (void)ms_job_cgroup_thaw(MS_ROOT_HOST, t->freezer, job);
                (void)sv_guard_frozen_cgroup(file, false);
                return r;
        }
        t->cg_jobs[t->n_cg_jobs++] = job;
        return 0;
}

static void cg_thaw(struct sv_tree *t, size_t i)
{
        char file[PATH_MAX + 32];

        (void)ms_job_cgroup_thaw(MS_ROOT_HOST, t->freezer, t->cg_jobs[i]);
        if (freeze_file(t, t->cg_jobs[i], file, sizeof(file)) == 0)
                (void)sv_guard_frozen_cgroup(file, false);
        t->cg_jobs[i] = t->cg_jobs[--t->n_cg_jobs];
}

/* Jobs frozen in cgroups that are gone (an OOM kill, a kill from outside):
 * their cgroups go too. */
static void cg_forget_gone(struct sv_tree *t)
{
        for (size_t i = 0; i < t->n_cg_jobs;) {
                bool found = false;
                for (size_t j = 0; j < t->jobs.n && !found; j++)
                        found = t->jobs.job[j].pid == t->cg_jobs[i] && t->jobs.job[j].frozen;
                if (found)
                        i++;
                else
                        cg_thaw(t, i);
        }
}

/* A process of a frozen job that runs: stopped again, or moved into the
 * job's frozen cgroup. */
static void stop_again(struct sv_tree *t, const struct ms_proc *p)
{
        pid_t job = t->jobs.job[p->job].pid;

        if (cg_job_find(t, job) >= 0)
                (void)ms_job_cgroup_freeze(MS_ROOT_HOST, t->freezer, job, &p->info.pid, 1);
        else
                (void)sv_guard_stop(p->info.pid, p->info.starttime);
}

/* --- the looks ------------------------------------------------------------------ */

void sv_tree_scan(struct sv_tree *t, struct sv_report *rep, uint64_t now_ns)
{
        int n = ms_proc_tree_read(MS_ROOT_HOST, t->self, t->pids, SV_MAX_PROCS);
        uint64_t ended_frozen_ns;
        size_t m = 0;

        /* pids[0] is ourselves; the guardian is no part of the build. */
        for (int i = 1; i < n; i++)
                if (t->pids[i] != sv_guard_pid() &&
                    ms_proc_info_read(MS_ROOT_HOST, t->pids[i], &t->procs.p[m].info) == 0)
                        m++;
        t->procs.n = m;
        t->leaves = ms_procs_index(&t->procs);
        (void)ms_jobs_update(&t->jobs, &t->procs, t->self, t->child, now_ns, &ended_frozen_ns);
        rep->frozen_ns += ended_frozen_ns;
        sv_guard_prune();
        cg_forget_gone(t);
        for (size_t i = 0; i < m; i++)
                if (ms_jobs_must_stop(&t->jobs, &t->procs.p[i]))
                        stop_again(t, &t->procs.p[i]);
}

static void signal_job(struct sv_tree *t, size_t j, int sig)
{
        for (size_t i = 0; i < t->procs.n; i++) {
                if (t->procs.p[i].job != (int)j)
                        continue;
                if (sig == SIGSTOP)
                        (void)sv_guard_stop(t->procs.p[i].info.pid, t->procs.p[i].info.starttime);
                else
                        sv_guard_cont(t->procs.p[i].info.pid);
        }
}

/* -vv: say which job was frozen or resumed, and why, as the gate says why it holds. */
static void log_job(const struct sv_tree *t, size_t j, const char *what, const char *why)
{
        const struct ms_job *job = &t->jobs.job[j];
        char cmd[120], rss[MS_SIZE_BUF], rate[MS_SIZE_BUF];

        if (t->verbose < 2)
                return;
        if (ms_proc_cmdline_read(MS_ROOT_HOST, job->pid, cmd, sizeof(cmd)) < 0 || !cmd[0])
                snprintf(cmd, sizeof(cmd), "?");
        cli_error("%s job %d (%s): %s, growing %s/s; %s", what, (int)job->pid, cmd,
                  ms_size_format(job->rss, rss, sizeof(rss)),
                  ms_size_format(job->rate > 0 ? (uint64_t)job->rate : 0, rate, sizeof(rate)), why);
}

static void freeze_job(struct sv_tree *t, struct ms_watch *w, size_t j, struct sv_report *rep, uint64_t now_ns)
{
        log_job(t, j, "froze", "memory is about to run short");
        /* Frozen time is not the job's own: its slots say when it stopped. */
        ms_watch_pause(w, &t->procs, (int)j, now_ns, true);
        ms_jobs_freeze(&t->jobs, j, now_ns);
        if (cg_freeze(t, j) < 0)
                signal_job(t, j, SIGSTOP);
        rep->freezes++;
        if (t->jobs.frozen > rep->max_frozen)
                rep->max_frozen = t->jobs.frozen;
}

static void resume_job(struct sv_tree *t, struct ms_watch *w, size_t j, struct sv_report *rep, uint64_t now_ns)
{
        int c = cg_job_find(t, t->jobs.job[j].pid);

        log_job(t, j, "resumed", "memory is back");
        if (c >= 0)
                cg_thaw(t, (size_t)c);
        signal_job(t, j, SIGCONT);
        ms_watch_pause(w, &t->procs, (int)j, now_ns, false);
        rep->frozen_ns += ms_jobs_resume(&t->jobs, j, now_ns);
        rep->resumes++;
}

void sv_tree_step(struct sv_tree *t, struct ms_watch *w, const struct sv_figures *f, double psi_frac,
                  bool stopping, struct sv_report *rep, uint64_t now_ns)
{
        struct ms_freeze_action act[64];
        size_t n;

        if (t->freeze || t->jobs.frozen) {
                struct ms_freeze_input in = {
                        .now_ns = now_ns,
                        .available = f->ok ? f->available : UINT64_MAX,
                        .stalling = psi_frac >= STALL_FRACTION && f->available < 4 * t->fp.freeze_below,
                        .calm = psi_frac < CALM_FRACTION,
                        .stopping = stopping || !t->freeze || !f->ok,
                        .last_freeze_ns = t->jobs.last_freeze_ns,
                        .last_resume_ns = t->jobs.last_resume_ns,
                };
                n = ms_jobs_views(&t->jobs, t->views, SV_MAX_PROCS);
                n = ms_freeze_decide(&t->fp, &in, t->views, n, act, MS_ARRAY_SIZE(act));
                for (size_t i = 0; i < n; i++) {
                        if (act[i].verb == MS_FREEZE_STOP)
                                freeze_job(t, w, act[i].job, rep, now_ns);
                        else
                                resume_job(t, w, act[i].job, rep, now_ns);
                }
        }
        /* While jobs are frozen, the gate admits nothing new. */
        ms_watch_hold(w, t->jobs.frozen > 0);
}

void sv_tree_resume_all(struct sv_tree *t, struct ms_watch *w, struct sv_report *rep, uint64_t now_ns)
{
        for (size_t j = 0; j < t->jobs.n; j++)
                if (t->jobs.job[j].frozen)
                        resume_job(t, w, j, rep, now_ns);
        while (t->n_cg_jobs > 0)
                cg_thaw(t, t->n_cg_jobs - 1);
        sv_guard_resume_all();
        ms_watch_hold(w, t->jobs.frozen > 0);
}

void sv_tree_set_level(struct sv_tree *t, const struct cli *cli, const struct ms_sample *first)
{
        /* The critical level: half the gate's threshold, at least 64 MiB, or the option's. */
        ms_freeze_params_default(&t->fp, first ? ms_config_required(&cli->config, first->total) : 0);
        if (cli->freeze_below_bytes) {
                t->fp.freeze_below = cli->freeze_below_bytes;
                t->fp.resume_above = 2 * cli->freeze_below_bytes + (64ull << 20);
        }
}

bool sv_tree_short(const struct sv_tree *t, const struct sv_figures *f)
{
        return f->ok && f->available < 4 * t->fp.freeze_below;
}
