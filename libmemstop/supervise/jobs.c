/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "util/grow.h"
#include "supervise/jobs.h"

static int cmp_proc_pid(const void *a, const void *b)
{
        pid_t x = ((const struct ms_proc *)a)->info.pid, y = ((const struct ms_proc *)b)->info.pid;

        return (x > y) - (x < y);
}

struct ms_proc *ms_procs_find(const struct ms_procs *procs, pid_t pid)
{
        struct ms_proc key = { .info.pid = pid };

        if (procs->n == 0)
                return NULL;
        return bsearch(&key, procs->p, procs->n, sizeof(*procs->p), cmp_proc_pid);
}

size_t ms_procs_index(struct ms_procs *procs)
{
        size_t leaves = 0;

        if (procs->n > 1)
                qsort(procs->p, procs->n, sizeof(*procs->p), cmp_proc_pid);
        for (size_t i = 0; i < procs->n; i++)
                procs->p[i].leaf = true;
        /* Each living process makes its parent no leaf: one lookup each. */
        for (size_t i = 0; i < procs->n; i++) {
                struct ms_proc *parent;
                if (procs->p[i].info.state == 'Z')
                        continue;
                parent = ms_procs_find(procs, procs->p[i].info.ppid);
                if (parent)
                        parent->leaf = false;
        }
        for (size_t i = 0; i < procs->n; i++)
                leaves += procs->p[i].leaf;
        return leaves;
}

bool ms_proc_structural(const struct ms_proc_info *p, pid_t self, pid_t child)
{
        return p->pid == self || p->pid == child || ms_build_driver(p->comm);
}

static struct ms_job *job_get(struct ms_jobs *jobs, pid_t pid, uint64_t start, uint64_t now_ns)
{
        for (size_t i = 0; i < jobs->n; i++)
                if (jobs->job[i].pid == pid && jobs->job[i].start == start)
                        return &jobs->job[i];
        if (ms_grow(&jobs->job, &jobs->cap, jobs->n, sizeof(*jobs->job), 64) < 0)
                return NULL;
        jobs->job[jobs->n] = (struct ms_job){ .pid = pid, .start = start, .prev_ns = now_ns };
        return &jobs->job[jobs->n++];
}

/* Each process to the job of its highest ancestor below a structural one. */
static int assign(struct ms_jobs *jobs, struct ms_procs *procs, pid_t self, pid_t child, uint64_t now_ns)
{
        int r = 0;

        for (size_t j = 0; j < jobs->n; j++) {
                struct ms_job *job = &jobs->job[j];
                job->rss = job->peak = job->end_ns = 0;
                job->procs = job->leaves = job->held = 0;
        }
        for (size_t i = 0; i < procs->n; i++) {
                struct ms_proc *p = &procs->p[i], *q = p, *parent;
                struct ms_job *job;

                p->job = -1;
                if (p->info.state == 'Z' || ms_proc_structural(&p->info, self, child))
                        continue;
                while ((parent = ms_procs_find(procs, q->info.ppid)) &&
                       !ms_proc_structural(&parent->info, self, child))
                        q = parent;
                job = job_get(jobs, q->info.pid, q->info.starttime, now_ns);
                if (!job) {
                        r = -ENOMEM;
                        continue;
                }
                p->job = (int)(job - jobs->job);
                job->rss += p->info.rss;
                job->procs++;
                job->leaves += p->leaf;
        }
        return r;
}

/* Job j is gone: the last one takes its place. Its stopped pids are gone
 * with it (or reused: nothing to continue). */
static void drop(struct ms_jobs *jobs, struct ms_procs *procs, size_t j)
{
        jobs->job[j] = jobs->job[--jobs->n];
        for (size_t i = 0; i < procs->n; i++)
                if (procs->p[i].job == (int)jobs->n)
                        procs->p[i].job = (int)j;
}

int ms_jobs_update(struct ms_jobs *jobs, struct ms_procs *procs, pid_t self, pid_t child, uint64_t now_ns,
                   uint64_t *ended_frozen_ns)
{
        int r = assign(jobs, procs, self, child, now_ns);

        *ended_frozen_ns = 0;
        jobs->running = jobs->frozen = 0;
        for (size_t j = 0; j < jobs->n;) {
                struct ms_job *job = &jobs->job[j];
                if (job->procs == 0) {
                        if (job->frozen)
                                *ended_frozen_ns += now_ns - job->frozen_ns;
                        jobs->last_end_ns = now_ns;
                        drop(jobs, procs, j);
                        continue;
                }
                if (job->rss > job->most_rss)
                        job->most_rss = job->rss;
                if (now_ns >= job->prev_ns + MS_JOBS_RATE_NS) {
                        job->rate = ms_freeze_rate(job->rate, job->prev_rss, job->rss, now_ns - job->prev_ns);
                        job->prev_rss = job->rss;
                        job->prev_ns = now_ns;
                }
                if (job->frozen)
                        jobs->frozen++;
                else
                        jobs->running++;
                j++;
        }
        return r;
}

bool ms_jobs_must_stop(const struct ms_jobs *jobs, const struct ms_proc *p)
{
        return p->job >= 0 && (size_t)p->job < jobs->n && jobs->job[p->job].frozen && p->info.state != 'T' &&
               p->info.state != 't';
}

static bool job_held(const struct ms_job *job)
{
        return job->held > 0 && job->held >= job->leaves;
}

void ms_jobs_note_running(struct ms_jobs *jobs, uint64_t now_ns)
{
        for (size_t j = 0; j < jobs->n; j++) {
                struct ms_job *job = &jobs->job[j];
                if (job_held(job))
                        job->run_ns = 0;
                else if (job->run_ns == 0)
                        job->run_ns = now_ns ? now_ns : 1;
        }
}

size_t ms_jobs_views(const struct ms_jobs *jobs, struct ms_job_view *out, size_t max)
{
        size_t n = jobs->n < max ? jobs->n : max;

        for (size_t j = 0; j < n; j++) {
                const struct ms_job *job = &jobs->job[j];
                out[j] = (struct ms_job_view){
                        .start = job->run_ns,
                        .born = job->start,
                        .rss = job->rss,
                        .most_rss = job->most_rss,
                        .rate = job->rate,
                        .frozen = job->frozen,
                        /* Every process of it that runs is waiting in the gate. */
                        .held = job_held(job),
                        .peak = job->peak,
                        .end_ns = job->end_ns,
                        .freezes = job->freezes,
                        .frozen_ns = job->frozen_ns,
                };
        }
        return n;
}

void ms_jobs_freeze(struct ms_jobs *jobs, size_t j, uint64_t now_ns)
{
        jobs->job[j].frozen = true;
        jobs->job[j].frozen_ns = now_ns;
        jobs->job[j].freezes++;
        jobs->last_freeze_ns = now_ns;
        jobs->frozen++;
        jobs->running--;
}

uint64_t ms_jobs_resume(struct ms_jobs *jobs, size_t j, uint64_t now_ns)
{
        jobs->job[j].frozen = false;
        jobs->last_resume_ns = now_ns;
        jobs->frozen--;
        jobs->running++;
        return now_ns - jobs->job[j].frozen_ns;
}

void ms_jobs_free(struct ms_jobs *jobs)
{
        free(jobs->job);
        *jobs = (struct ms_jobs){ 0 };
}
