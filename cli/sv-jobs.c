/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "util/size.h"
#include "cli/cli.h"
#include "cli/sv-freezer.h"
#include "cli/sv-guard.h"
#include "cli/sv-jobs.h"

#define STALL_FRACTION 0.10 /* of time fully stalled: the build stalls */
#define CALM_FRACTION 0.02

/* --- the tree ------------------------------------------------------------- */

int sv_tree_init(struct sv_tree *t, pid_t self, bool freeze, const struct cli *cli)
{
        *t = (struct sv_tree){ .self = self, .freeze = freeze, .cli = cli };
        t->pids = calloc(SV_MAX_PROCS, sizeof(*t->pids));
        t->infos = calloc(SV_MAX_PROCS, sizeof(*t->infos));
        t->procs.p = calloc(SV_MAX_PROCS, sizeof(*t->procs.p));
        t->views = calloc(SV_MAX_PROCS, sizeof(*t->views));
        return t->pids && t->infos && t->procs.p && t->views ? 0 : -ENOMEM;
}

void sv_tree_free(struct sv_tree *t)
{
        sv_freezer_v1_close(t);
        free(t->pids);
        free(t->infos);
        free(t->procs.p);
        free(t->views);
        ms_jobs_free(&t->jobs);
        t->pids = NULL;
        t->infos = NULL;
        t->procs = (struct ms_procs){ 0 };
        t->views = NULL;
}

void sv_tree_scan(struct sv_tree *t, struct sv_report *rep, uint64_t now_ns)
{
        int n = ms_proc_tree_info_read(MS_ROOT_HOST, t->self, t->pids, t->infos, SV_MAX_PROCS);
        uint64_t ended_frozen_ns;
        size_t m = 0;

        /* infos[0] is ourselves; the guardian is no part of the build. */
        for (int i = 1; i < n; i++)
                if (t->infos[i].pid != sv_guard_pid())
                        t->procs.p[m++].info = t->infos[i];
        t->procs.n = m;
        t->leaves = ms_procs_index(&t->procs);
        (void)ms_jobs_update(&t->jobs, &t->procs, t->self, t->child, now_ns, &ended_frozen_ns);
        rep->frozen_ns += ended_frozen_ns;
        sv_guard_prune();
        sv_freezer_forget_gone(t);
        for (size_t i = 0; i < m; i++)
                if (ms_jobs_must_stop(&t->jobs, &t->procs.p[i]) && !sv_freezer_refreeze(t, &t->procs.p[i]))
                        (void)sv_guard_stop(t->procs.p[i].info.pid, t->procs.p[i].info.starttime);
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

        if (t->cli->config.verbose < 2)
                return;
        if (ms_proc_cmdline_read(MS_ROOT_HOST, job->pid, cmd, sizeof(cmd)) < 0 || !cmd[0])
                snprintf(cmd, sizeof(cmd), "?");
        cli_verbose(t->cli, 2, "%s job %d (%s): %s, growing %s/s; %s", what, (int)job->pid, cmd,
                    ms_size_format(job->rss, rss, sizeof(rss)),
                    ms_size_format(job->rate > 0 ? (uint64_t)job->rate : 0, rate, sizeof(rate)), why);
}

static void freeze_job(struct sv_tree *t, struct ms_watch *w, size_t j, struct sv_report *rep, uint64_t now_ns)
{
        log_job(t, j, "froze", "memory is about to run short");
        /* Frozen time is not the job's own: its slots say when it stopped. */
        ms_watch_pause(w, &t->procs, (int)j, now_ns, true);
        ms_jobs_freeze(&t->jobs, j, now_ns);
        if (sv_freezer_freeze(t, j) < 0)
                signal_job(t, j, SIGSTOP);
        rep->freezes++;
        if (t->jobs.job[j].freezes > rep->max_job_freezes)
                rep->max_job_freezes = t->jobs.job[j].freezes;
        if (t->jobs.frozen > rep->max_frozen)
                rep->max_frozen = t->jobs.frozen;
}

static void resume_job(struct sv_tree *t, struct ms_watch *w, size_t j, struct sv_report *rep, uint64_t now_ns)
{
        log_job(t, j, "resumed", "memory is back");
        sv_freezer_thaw(t, t->jobs.job[j].pid);
        signal_job(t, j, SIGCONT);
        ms_watch_pause(w, &t->procs, (int)j, now_ns, false);
        rep->frozen_ns += ms_jobs_resume(&t->jobs, j, now_ns);
        rep->resumes++;
}

/* Whether every process of the build that could run is a frozen job's or
 * waits in the gate: its leaves (processes with no living child) outside
 * frozen jobs are all held. A job that started a make of its own (gcc
 * -flto=auto) is running but has no leaf: its steps are jobs of their own,
 * held while jobs are frozen (the supervisor's hold), and it would never end
 * for the frozen ones to resume. The hold is lifted then, and the gate
 * admits by memory, where the frozen jobs' memory counts as used: the
 * link's small steps get in and it ends, while the job frozen for want of
 * memory stays frozen. Only if that lets nothing in for SV_STUCK_NS does
 * the oldest frozen job resume. */
static bool build_stuck(const struct sv_tree *t)
{
        unsigned runnable = 0;

        if (t->jobs.frozen == 0)
                return false;
        for (size_t i = 0; i < t->procs.n; i++) {
                const struct ms_proc *p = &t->procs.p[i];
                if (!p->leaf || p->info.state == 'Z')
                        continue;
                if (p->job >= 0 && (size_t)p->job < t->jobs.n && t->jobs.job[p->job].frozen)
                        continue;
                runnable++;
        }
        return runnable <= t->held;
}

void sv_tree_step(struct sv_tree *t, struct ms_watch *w, const struct sv_figures *f, double psi_frac,
                  bool stopping, struct sv_report *rep, uint64_t now_ns)
{
        struct ms_freeze_action act[64];
        size_t n;

        if (!build_stuck(t))
                t->stuck_ns = 0;
        else if (!t->stuck_ns)
                t->stuck_ns = now_ns;
        if (t->freeze || t->jobs.frozen) {
                struct ms_freeze_input in = {
                        .now_ns = now_ns,
                        .available = f->ok ? f->available : UINT64_MAX,
                        .stalling = psi_frac >= STALL_FRACTION && f->available < 4 * t->fp.freeze_below,
                        .calm = psi_frac < CALM_FRACTION,
                        .stopping = stopping || !t->freeze || !f->ok,
                        .stuck = t->stuck_ns && now_ns >= t->stuck_ns + SV_STUCK_NS,
                        .last_freeze_ns = t->jobs.last_freeze_ns,
                        .last_resume_ns = t->jobs.last_resume_ns,
                        .last_end_ns = t->jobs.last_end_ns,
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
        /* While jobs are frozen, the gate admits nothing new, unless nothing
         * else could run. */
        ms_watch_hold(w, t->jobs.frozen > 0 && !t->stuck_ns);
}

void sv_tree_resume_all(struct sv_tree *t, struct ms_watch *w, struct sv_report *rep, uint64_t now_ns)
{
        for (size_t j = 0; j < t->jobs.n; j++)
                if (t->jobs.job[j].frozen)
                        resume_job(t, w, j, rep, now_ns);
        sv_freezer_thaw_all(t);
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
