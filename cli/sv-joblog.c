/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>

#include "probe/proc.h"
#include "util/fileio.h"
#include "util/grow.h"
#include "cli/sv-joblog.h"

const char *sv_job_state_name(enum sv_job_state s)
{
        return s == SV_JOB_HELD ? "held" : s == SV_JOB_FROZEN ? "frozen" : "running";
}

/* --- lanes ------------------------------------------------------------------ */

static int lane_take(struct sv_joblog *l, unsigned *lane)
{
        size_t i;

        for (i = 0; i < l->cap_lanes && l->lane_busy[i]; i++)
                ;
        if (i == l->cap_lanes) {
                size_t old = l->cap_lanes;
                if (ms_grow(&l->lane_busy, &l->cap_lanes, i, sizeof(*l->lane_busy), 16) < 0)
                        return -ENOMEM;
                memset(l->lane_busy + old, 0, (l->cap_lanes - old) * sizeof(*l->lane_busy));
        }
        l->lane_busy[i] = true;
        if (i + 1 > l->lanes)
                l->lanes = (unsigned)i + 1;
        *lane = (unsigned)i;
        return 0;
}

/* --- one record ---------------------------------------------------------------- */

static bool rec_open(const struct sv_job_record *r)
{
        return r->ended_ms == SV_NO_TIME;
}

static enum sv_job_state rec_state(const struct sv_job_record *r)
{
        return r->spans[r->n_spans - 1].state;
}

/* Close the open span at t_ms, counting its time. */
static void span_close(struct sv_job_record *r, uint64_t t_ms)
{
        struct sv_span *s = &r->spans[r->n_spans - 1];

        s->end_ms = t_ms > s->start_ms ? t_ms : s->start_ms;
        if (s->state == SV_JOB_HELD)
                r->held_ms += s->end_ms - s->start_ms;
        else if (s->state == SV_JOB_FROZEN)
                r->frozen_ms += s->end_ms - s->start_ms;
}

static int span_open(struct sv_job_record *r, enum sv_job_state state, uint64_t t_ms)
{
        if (ms_grow(&r->spans, &r->cap_spans, r->n_spans, sizeof(*r->spans), 4) < 0)
                return -ENOMEM;
        r->spans[r->n_spans++] = (struct sv_span){ .start_ms = t_ms, .end_ms = SV_NO_TIME, .state = state };
        if (state == SV_JOB_FROZEN)
                r->freezes++;
        if (state != SV_JOB_HELD && r->admitted_ms == SV_NO_TIME)
                r->admitted_ms = t_ms;
        return 0;
}

static int rec_switch(struct sv_job_record *r, enum sv_job_state state, uint64_t t_ms)
{
        if (rec_state(r) == state)
                return 0;
        span_close(r, t_ms);
        return span_open(r, state, t_ms);
}

static void rec_end(struct sv_joblog *l, struct sv_job_record *r, uint64_t t_ms)
{
        span_close(r, t_ms);
        r->ended_ms = t_ms;
        if (r->lane < l->cap_lanes)
                l->lane_busy[r->lane] = false;
}

/* The root's command line, when it is new or exec'd another program. */
static void rec_name(struct sv_job_record *r, const struct ms_proc_info *root)
{
        if (r->cmd[0] && strcmp(r->comm, root->comm) == 0)
                return;
        snprintf(r->comm, sizeof(r->comm), "%s", root->comm);
        if (ms_proc_cmdline_read(MS_ROOT_HOST, root->pid, r->cmd, sizeof(r->cmd)) < 0 || !r->cmd[0])
                snprintf(r->cmd, sizeof(r->cmd), "%s", root->comm);
}

static void rec_note_pid(struct sv_job_record *r, pid_t pid)
{
        for (unsigned i = 0; i < r->n_pids; i++)
                if (r->pids[i] == pid)
                        return;
        if (r->n_pids < SV_JOB_PIDS)
                r->pids[r->n_pids++] = pid;
}

static enum sv_job_state job_state(const struct ms_job *job)
{
        if (job->frozen)
                return SV_JOB_FROZEN;
        /* Every process of it that runs is waiting in the gate. */
        return job->held > 0 && job->held >= job->leaves ? SV_JOB_HELD : SV_JOB_RUNNING;
}

/* --- the log ------------------------------------------------------------------ */

static struct sv_job_record *rec_find(struct sv_joblog *l, pid_t pid, uint64_t starttime, bool open_only)
{
        /* Newest first: a reused pid is the latest job's. */
        for (size_t i = l->n; i-- > 0;) {
                struct sv_job_record *r = &l->rec[i];
                if (r->pid == pid && (!open_only || (rec_open(r) && r->starttime == starttime)))
                        return r;
        }
        return NULL;
}

static struct sv_job_record *rec_new(struct sv_joblog *l, const struct ms_job *job, uint64_t t_ms)
{
        struct sv_job_record *r;
        unsigned lane;

        if (ms_grow(&l->rec, &l->cap, l->n, sizeof(*l->rec), 64) < 0 || lane_take(l, &lane) < 0)
                return NULL;
        r = &l->rec[l->n];
        *r = (struct sv_job_record){ .pid = job->pid, .starttime = job->start, .lane = lane, .queued_ms = t_ms,
                                     .admitted_ms = SV_NO_TIME, .ended_ms = SV_NO_TIME, .oom_ms = SV_NO_TIME,
                                     .exit_status = -1 };
        if (span_open(r, job_state(job), t_ms) < 0) {
                l->lane_busy[lane] = false;
                return NULL;
        }
        r->pids[r->n_pids++] = job->pid;
        l->n++;
        return r;
}

/* The wait status of a zombie, from field 52 (exit_code) of its stat; -1. */
static int zombie_status(pid_t pid)
{
        char path[64], text[1024];
        const char *p;
        int field = 3;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        if (ms_read_at(MS_ROOT_HOST, path, text, sizeof(text), NULL) < 0 || !(p = strrchr(text, ')')))
                return -1;
        for (p++; *p && field < 52; field++) {
                p += strspn(p, " ");
                p += strcspn(p, " ");
        }
        return field == 52 && *p ? (int)strtol(p, NULL, 10) : -1;
}

static int shell_status(int status)
{
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

void sv_joblog_reaped(struct sv_joblog *l, pid_t pid, int status)
{
        struct sv_job_record *r = rec_find(l, pid, 0, false);

        if (r && r->exit_status < 0)
                r->exit_status = shell_status(status);
}

/* Zombies of the look whose job roots they are: their exit status. */
static void note_zombies(struct sv_joblog *l, const struct ms_procs *procs)
{
        for (size_t i = 0; i < procs->n; i++) {
                const struct ms_proc_info *p = &procs->p[i].info;
                struct sv_job_record *r;
                int status;

                if (p->state != 'Z' || !(r = rec_find(l, p->pid, 0, false)) || r->starttime != p->starttime ||
                    r->exit_status >= 0)
                        continue;
                status = zombie_status(p->pid);
                if (status >= 0)
                        r->exit_status = shell_status(status);
        }
}

/* A job of the look brought up to date in its record r. */
static int look_job(struct sv_job_record *r, const struct ms_job *job, const struct ms_procs *procs,
                    size_t j, uint64_t t_ms)
{
        const struct ms_proc *root = ms_procs_find(procs, job->pid);

        if (root)
                rec_name(r, &root->info);
        if (job->rss > r->peak)
                r->peak = job->rss;
        for (size_t i = 0; i < procs->n; i++)
                if (procs->p[i].job == (int)j)
                        rec_note_pid(r, procs->p[i].info.pid);
        return rec_switch(r, job_state(job), t_ms);
}

/* The jobs of the look that have a record: up to date, marked in seen; the
 * records of jobs gone are ended (their lanes free for the new ones). */
static int look_known(struct sv_joblog *l, const struct ms_jobs *jobs, const struct ms_procs *procs,
                      uint64_t t_ms, bool *seen, bool *known)
{
        int r = 0;

        for (size_t j = 0; j < jobs->n; j++) {
                struct sv_job_record *rec = rec_find(l, jobs->job[j].pid, jobs->job[j].start, true);
                if (!rec)
                        continue;
                known[j] = seen[rec - l->rec] = true;
                if (look_job(rec, &jobs->job[j], procs, j, t_ms) < 0)
                        r = -ENOMEM;
        }
        for (size_t i = 0; i < l->n; i++)
                if (rec_open(&l->rec[i]) && !seen[i])
                        rec_end(l, &l->rec[i], t_ms);
        return r;
}

int sv_joblog_look(struct sv_joblog *l, const struct ms_jobs *jobs, const struct ms_procs *procs, uint64_t t_ms,
                   struct sv_counts *counts)
{
        bool *seen = calloc(l->n + 1, sizeof(*seen)), *known = calloc(jobs->n + 1, sizeof(*known));
        int r = -ENOMEM;

        *counts = (struct sv_counts){ 0 };
        if (!seen || !known)
                goto out;
        r = look_known(l, jobs, procs, t_ms, seen, known);
        for (size_t j = 0; j < jobs->n; j++) {
                enum sv_job_state st = job_state(&jobs->job[j]);
                struct sv_job_record *rec;

                counts->held += st == SV_JOB_HELD;
                counts->frozen += st == SV_JOB_FROZEN;
                counts->running += st == SV_JOB_RUNNING;
                if (known[j])
                        continue;
                rec = rec_new(l, &jobs->job[j], t_ms);
                if (!rec || look_job(rec, &jobs->job[j], procs, j, t_ms) < 0)
                        r = -ENOMEM;
        }
        note_zombies(l, procs);
out:
        free(seen);
        free(known);
        return r;
}

void sv_joblog_oom(struct sv_joblog *l, pid_t pid, uint64_t t_ms)
{
        for (size_t i = l->n; i-- > 0;) {
                struct sv_job_record *r = &l->rec[i];
                for (unsigned k = 0; k < r->n_pids; k++)
                        if (r->pids[k] == pid && r->oom_ms == SV_NO_TIME) {
                                r->oom_ms = t_ms;
                                if (r->pids[k] == r->pid && r->exit_status < 0)
                                        r->exit_status = 128 + SIGKILL;
                                return;
                        }
        }
}

/* Nothing of a record after t_ms: the last look may come after the end. */
static void rec_clamp(struct sv_job_record *r, uint64_t t_ms)
{
        if (r->ended_ms > t_ms)
                r->ended_ms = t_ms;
        if (r->admitted_ms != SV_NO_TIME && r->admitted_ms > t_ms)
                r->admitted_ms = t_ms;
        if (r->queued_ms > t_ms)
                r->queued_ms = t_ms;
        for (size_t k = 0; k < r->n_spans; k++) {
                if (r->spans[k].start_ms > t_ms)
                        r->spans[k].start_ms = t_ms;
                if (r->spans[k].end_ms > t_ms)
                        r->spans[k].end_ms = t_ms;
        }
}

void sv_joblog_end(struct sv_joblog *l, uint64_t t_ms)
{
        for (size_t i = 0; i < l->n; i++) {
                if (rec_open(&l->rec[i]))
                        rec_end(l, &l->rec[i], t_ms);
                rec_clamp(&l->rec[i], t_ms);
        }
}

void sv_joblog_free(struct sv_joblog *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->rec[i].spans);
        free(l->rec);
        free(l->lane_busy);
        *l = (struct sv_joblog){ 0 };
}
