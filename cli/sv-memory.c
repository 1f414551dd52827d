/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe/memory.h"
#include "probe/psi.h"
#include "supervise/buildcg.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "gate/protocol.h"
#include "cli/sv-guard.h"
#include "cli/sv-memory.h"

/*
 * Under a limit, the build's processes would judge their memory by the
 * child's usage against the ancestors' limit, blind to what the rest of our
 * cgroup uses: keep them where they are and watch the tree. (Once libmemstop
 * reads the usage of the cgroup whose limit binds, this goes.)
 */
static bool own_limit_binds(const struct sv_memory *m)
{
        struct ms_sample own;

        return ms_sample_read(MS_ROOT_HOST, &m->own, &own) < 0 ||
               (own.has_cgroup && own.cgroup.limit != MS_UNLIMITED && own.cgroup.limit < own.host.total);
}

/* Back where we were, the guardian with us. */
static void undelegate(struct sv_memory *m, pid_t self)
{
        pid_t guard = sv_guard_pid();

        (void)ms_build_cgroup_undelegate(MS_ROOT_HOST, &m->own, self, m->memory_enabled, &guard, guard > 0);
        m->delegated = m->memory_enabled = false;
}

static int create_build_cgroup(struct sv_memory *m, pid_t self)
{
        int r = ms_build_cgroup_create(MS_ROOT_HOST, &m->own, self, &m->build);

        if (r == -EEXIST) {
                /* Left by an earlier memstop with our pid: empty, or not ours to take. */
                struct ms_cgroup stale;
                char abs[PATH_MAX + 2];
                if (ms_build_cgroup_name(&m->own, self, &stale) == 0 &&
                    (size_t)snprintf(abs, sizeof(abs), "/%s", stale.dir) < sizeof(abs) && rmdir(abs) == 0)
                        r = ms_build_cgroup_create(MS_ROOT_HOST, &m->own, self, &m->build);
        }
        return r;
}

/* v2: a build cgroup beside a leaf of ours, where our cgroup is ours to
 * divide (buildcg.h). Returns 0 or -errno. */
static int create_delegated(struct sv_memory *m, pid_t self)
{
        int r = ms_build_cgroup_delegate(MS_ROOT_HOST, &m->own, self, &m->memory_enabled);

        if (r < 0)
                return r;
        m->delegated = true;
        r = create_build_cgroup(m, self);
        if (r < 0)
                undelegate(m, self);
        return r;
}

static void setup_cgroup(struct sv_memory *m, const struct cli *cli, pid_t self, struct sv_report *rep)
{
        int r;

        rep->watch = "process tree";
        if (ms_cgroup_locate(m->rootfd, &m->own) < 0)
                memset(&m->own, 0, sizeof(m->own));
        /* A fake root is for reading figures: the build's cgroup is real. */
        if (m->sysroot || m->own.version == MS_CGROUP_NONE)
                return;
        if (m->own.version == MS_CGROUP_V1 && own_limit_binds(m)) {
                cli_verbose(cli, 1, "memory cgroup /%s has a limit: watching the build's process tree", m->own.dir);
                return;
        }
        r = create_build_cgroup(m, self);
        /* v2 below the root: the memory controller is handed down by us or not at all. */
        if (r == -EOPNOTSUPP && m->own.version == MS_CGROUP_V2)
                r = create_delegated(m, self);
        if (r < 0) {
                cli_verbose(cli, 1, "no memory cgroup for the build below /%s (%s): watching the process tree",
                            m->own.dir, strerror(-r));
                return;
        }
        m->has_build = true;
        m->self = self;
        rep->watch = m->build.version == MS_CGROUP_V2 ? "cgroup v2" : "cgroup v1";
        snprintf(rep->cgroup, sizeof(rep->cgroup), "/%s", m->build.dir);
}

/*
 * The OOM kills of this build are those counted from now on: the counter of
 * the cgroup the build runs in, the build's own or (watch mode) ours, has
 * counted every kill there since it was made (docker --memory, a CI job's
 * cgroup, an earlier build's). Victims are counted where they were: v1
 * memory.oom_control counts the cgroup's own, v2 memory.events those of
 * its subtree (a job's cgroup below the build's included).
 */
static void oom_baseline(struct sv_memory *m)
{
        const struct ms_cgroup *cg = m->has_build ? &m->build : &m->own;
        struct ms_cgroup_mem mem;

        m->oom_based = cg->version != MS_CGROUP_NONE && ms_cgroup_read(m->rootfd, cg, &mem) == 0;
        m->oom_base = m->oom_based ? mem.oom_kills : 0;
}

int sv_memory_open(struct sv_memory *m, const struct cli *cli)
{
        *m = (struct sv_memory){ .rootfd = MS_ROOT_HOST, .sysroot = cli->config.sysroot != NULL };
        return cli_root(cli, &m->rootfd);
}

/* Pressure: the build cgroup's (v2), else whose limit binds us (psi.h). */
static void choose_pressure(struct sv_memory *m, const struct cli *cli)
{
        struct ms_psi_source src;
        struct ms_sample own;
        const char *limit_dir = "";

        if (m->has_build && m->build.version == MS_CGROUP_V2) {
                snprintf(m->psi.path, sizeof(m->psi.path), "%s/memory.pressure", m->build.dir);
                m->psi.scope = MS_PSI_CGROUP;
                return;
        }
        if (ms_sample_read(m->rootfd, &m->own, &own) == 0 && own.has_cgroup)
                limit_dir = own.cgroup.limit_dir;
        (void)ms_psi_locate(m->rootfd, &m->own, limit_dir, &src);
        snprintf(m->psi.path, sizeof(m->psi.path), "%s", src.path);
        m->psi.scope = src.scope;
        if (cli->config.verbose) {
                char name[PATH_MAX + 16];
                ms_psi_source_name(&src, name, sizeof(name));
                cli_verbose(cli, 1, "memory pressure of the %s", name);
        }
}

void sv_memory_setup(struct sv_memory *m, const struct cli *cli, pid_t self, struct sv_report *rep)
{
        setup_cgroup(m, cli, self, rep);
        oom_baseline(m);
        choose_pressure(m, cli);
        m->psi.on = true;
}

/* A sum of RSS counts a shared page (a compiler's code, a mapped file) once
 * per process that maps it; the cgroup the build runs in (its own or an
 * ancestor) is charged for it once: what it uses bounds the build's. */
static uint64_t charged_at_most(const struct ms_sample *own, uint64_t rss_sum)
{
        uint64_t used;

        if (!own->has_cgroup || own->cgroup.usage == 0)
                return rss_sum;
        used = own->cgroup.usage > own->cgroup.inactive_file ? own->cgroup.usage - own->cgroup.inactive_file : 0;
        return used < rss_sum ? used : rss_sum;
}

void sv_memory_read(struct sv_memory *m, const struct ms_procs *procs, struct sv_figures *f)
{
        struct ms_sample own, build;
        uint64_t kills;

        *f = (struct sv_figures){ .limit = MS_UNLIMITED };
        if (ms_sample_read(m->rootfd, &m->own, &own) < 0)
                return;
        f->ok = true;
        f->available = own.available;
        f->limit = own.total;
        if (m->has_build && ms_sample_read(m->rootfd, &m->build, &build) == 0) {
                if (build.available < f->available)
                        f->available = build.available;
                f->used = build.cgroup.usage > build.cgroup.inactive_file ?
                                  build.cgroup.usage - build.cgroup.inactive_file : 0;
                kills = build.cgroup.oom_kills;
        } else {
                for (size_t i = 0; i < procs->n; i++)
                        f->used += procs->p[i].info.rss;
                f->used = charged_at_most(&own, f->used);
                /* Not the own cgroup's count for a build cgroup's. */
                kills = m->has_build ? m->oom_base : own.has_cgroup ? own.cgroup.oom_kills : 0;
        }
        if (!m->oom_based) {
                /* Unreadable at the start: from the first figures on. */
                m->oom_base = kills;
                m->oom_based = true;
        }
        f->oom_kills = kills > m->oom_base ? kills - m->oom_base : 0;
}

void sv_memory_pressure(struct sv_memory *m, uint64_t now_ns, struct sv_report *rep)
{
        struct sv_pressure *p = &m->psi;
        struct ms_psi psi;
        double frac;

        if (!p->on || ms_psi_read(m->rootfd, p->path, &psi) < 0 || !psi.has_full) {
                p->on = false;
                return;
        }
        if (p->prev_ns && now_ns > p->prev_ns && psi.full.total >= p->prev_total) {
                frac = (double)(psi.full.total - p->prev_total) * 1000.0 / (double)(now_ns - p->prev_ns);
                if (frac > 1.0)
                        frac = 1.0;
                p->frac = p->frac / 2 + frac / 2;
                if (p->frac * 100 > rep->psi_full_max)
                        rep->psi_full_max = p->frac * 100;
        }
        p->prev_total = psi.full.total;
        p->prev_ns = now_ns;
}

void sv_memory_peak(const struct sv_memory *m, struct sv_report *rep)
{
        char p[PATH_MAX + 32];
        uint64_t v;

        if (!m->has_build)
                return;
        snprintf(p, sizeof(p), "%s/%s", m->build.dir,
                 m->build.version == MS_CGROUP_V2 ? "memory.peak" : "memory.max_usage_in_bytes");
        if (ms_read_u64_at(MS_ROOT_HOST, p, &v) == 0 && v > rep->peak)
                rep->peak = v;
}

void sv_memory_remove_cgroup(struct sv_memory *m)
{
        int r = -EBUSY;

        if (!m->has_build)
                return;
        for (int i = 0; i < 40 && r == -EBUSY; i++) {
                r = ms_build_cgroup_remove(MS_ROOT_HOST, &m->build, &m->own);
                if (r == -EBUSY)
                        usleep(25000);
        }
        if (r < 0)
                cli_error("cannot remove the build's cgroup /%s: %s", m->build.dir, strerror(-r));
        m->has_build = false;
        if (m->delegated)
                undelegate(m, m->self);
}

void sv_memory_close(struct sv_memory *m)
{
        sv_memory_remove_cgroup(m);
        m->rootfd = ms_close(m->rootfd);
}
