/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "supervise/buildcg.h"
#include "util/fileio.h"
#include "cli/common.h"
#include "cli/sv-freezer.h"
#include "cli/sv-guard.h"

static int cg_job_find(const struct sv_tree *t, pid_t job)
{
        for (size_t i = 0; i < t->n_cg_jobs; i++)
                if (t->cg_jobs[i] == job)
                        return (int)i;
        return -1;
}

static int freeze_file(const struct sv_tree *t, pid_t job, char *buf, size_t size)
{
        char file[PATH_MAX];
        int r = ms_job_cgroup_freeze_file(t->freezer, job, file, sizeof(file));

        if (r == 0 && (size_t)snprintf(buf, size, "/%s", file) >= size)
                r = -ENAMETOOLONG;
        return r;
}

int sv_freezer_freeze(struct sv_tree *t, size_t j)
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

void sv_freezer_forget_gone(struct sv_tree *t)
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

bool sv_freezer_refreeze(struct sv_tree *t, const struct ms_proc *p)
{
        pid_t job = t->jobs.job[p->job].pid;

        if (cg_job_find(t, job) < 0)
                return false;
        (void)ms_job_cgroup_freeze(MS_ROOT_HOST, t->freezer, job, &p->info.pid, 1);
        return true;
}

void sv_freezer_thaw(struct sv_tree *t, pid_t job)
{
        int c = cg_job_find(t, job);

        if (c >= 0)
                cg_thaw(t, (size_t)c);
}

void sv_freezer_thaw_all(struct sv_tree *t)
{
        while (t->n_cg_jobs > 0)
                cg_thaw(t, t->n_cg_jobs - 1);
}

/* What a memstop killed with its guardian left frozen runs again. */
static void reap_stale(const struct ms_cgroup *own)
{
        unsigned removed;
        int n = ms_freezer_v1_reap(MS_ROOT_HOST, own, cli_pid_alive, NULL, &removed);

        if (n > 0)
                cli_error("resumed %d process%s left frozen in %u freezer cgroup%s of a memstop killed with its "
                          "guardian",
                          n, n == 1 ? "" : "es", removed, removed == 1 ? "" : "s");
}

void sv_freezer_open(struct sv_tree *t, const struct ms_cgroup *build)
{
        if (build && build->version == MS_CGROUP_V2) {
                t->freezer = build;
                return;
        }
        if (ms_cgroup_locate_v1(MS_ROOT_HOST, "freezer", &t->v1_freezer_own) < 0)
                return;
        reap_stale(&t->v1_freezer_own);
        if (!t->freeze || ms_freezer_v1_create(MS_ROOT_HOST, &t->v1_freezer_own, t->self, &t->v1_freezer) < 0)
                return;
        t->has_v1_freezer = true;
        t->freezer = &t->v1_freezer;
        char dir[PATH_MAX + 2];
        if ((size_t)snprintf(dir, sizeof(dir), "/%s", t->v1_freezer.dir) < sizeof(dir))
                sv_guard_cgroup_dir(dir);
}

void sv_freezer_v1_close(struct sv_tree *t)
{
        if (!t->has_v1_freezer)
                return;
        sv_freezer_thaw_all(t);
        (void)ms_build_cgroup_remove(MS_ROOT_HOST, &t->v1_freezer, &t->v1_freezer_own);
        sv_guard_cgroup_dir(NULL);
        t->has_v1_freezer = false;
        t->freezer = NULL;
}
