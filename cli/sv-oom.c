/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "util/grow.h"
#include "util/fileio.h"
#include "cli/sv-oom.h"

#define OOM_WINDOW_NS (3000ull * 1000 * 1000)

/* pid with start time start, or (start UINT64_MAX) the living one of pid. */
static struct sv_known *known_find(struct sv_ooms *o, pid_t pid, uint64_t start)
{
        for (size_t i = 0; i < o->n_known; i++)
                if (o->known[i].pid == pid && (start == UINT64_MAX || o->known[i].start == start) &&
                    (start != UINT64_MAX || !o->known[i].gone_ns))
                        return &o->known[i];
        return NULL;
}

static struct sv_known *known_add(struct sv_ooms *o, const struct ms_proc_info *pi)
{
        struct sv_known *k;

        if (ms_grow(&o->known, &o->cap_known, o->n_known, sizeof(*o->known), 256) < 0)
                return NULL;
        k = &o->known[o->n_known++];
        *k = (struct sv_known){ .pid = pi->pid, .start = pi->starttime };
        if (ms_proc_cmdline_read(MS_ROOT_HOST, pi->pid, k->cmd, sizeof(k->cmd)) < 0 || !k->cmd[0])
                snprintf(k->cmd, sizeof(k->cmd), "%s", pi->comm);
        return k;
}

void sv_ooms_note(struct sv_ooms *o, const struct ms_procs *procs, uint64_t now_ns)
{
        for (size_t i = 0; i < o->n_known; i++)
                if (!o->known[i].gone_ns && !ms_procs_find(procs, o->known[i].pid))
                        o->known[i].gone_ns = now_ns;
        for (size_t i = 0; i < procs->n; i++) {
                const struct ms_proc *p = &procs->p[i];
                struct sv_known *k = known_find(o, p->info.pid, p->info.starttime);
                if (!k)
                        k = known_add(o, &p->info);
                if (k && p->info.state == 'Z' && !k->gone_ns)
                        k->gone_ns = now_ns;
                if (k && p->info.rss > k->rss)
                        k->rss = p->info.rss;
        }
}

void sv_ooms_reaped(struct sv_ooms *o, pid_t pid, int status)
{
        struct sv_known *k = known_find(o, pid, UINT64_MAX);

        if (k && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                k->sigkilled = true;
}

void sv_ooms_count(struct sv_ooms *o, struct sv_report *rep, uint64_t kills, uint64_t now_ns)
{
        if (kills <= rep->oom_kills)
                return;
        o->pending += kills - rep->oom_kills;
        rep->oom_kills = kills;
        o->seen_ns = now_ns;
}

/* The likeliest victim not yet named: gone while the count rose, the
 * largest first (the killer's choice), those we reaped dead of SIGKILL
 * before all. */
static struct sv_known *victim(struct sv_ooms *o)
{
        struct sv_known *best = NULL;

        for (size_t i = 0; i < o->n_known; i++) {
                struct sv_known *k = &o->known[i];
                if (!k->gone_ns || k->named || k->gone_ns + OOM_WINDOW_NS < o->seen_ns)
                        continue;
                if (!best || (k->sigkilled && !best->sigkilled) ||
                    (k->sigkilled == best->sigkilled && k->rss > best->rss))
                        best = k;
        }
        return best;
}

void sv_ooms_name(struct sv_ooms *o, struct sv_report *rep, uint64_t now_ns)
{
        while (o->pending > 0) {
                struct sv_known *best = victim(o), unknown = { .pid = 0 };
                if (!best) {
                        /* Not gone yet: wait, but not forever. */
                        if (now_ns < o->seen_ns + OOM_WINDOW_NS)
                                return;
                        best = &unknown;
                        snprintf(best->cmd, sizeof(best->cmd), "an unidentified process");
                }
                best->named = true;
                struct sv_oom *n = realloc(rep->ooms, (rep->n_ooms + 1) * sizeof(*n));
                if (n) {
                        rep->ooms = n;
                        n[rep->n_ooms].pid = best->pid;
                        snprintf(n[rep->n_ooms].cmd, sizeof(n[0].cmd), "%s", best->cmd);
                        rep->n_ooms++;
                }
                o->pending--;
        }
}

void sv_ooms_prune(struct sv_ooms *o, uint64_t now_ns)
{
        size_t j = 0;

        for (size_t i = 0; i < o->n_known; i++)
                if (!o->known[i].gone_ns || now_ns < o->known[i].gone_ns + 2 * OOM_WINDOW_NS)
                        o->known[j++] = o->known[i];
        o->n_known = j;
}

void sv_ooms_free(struct sv_ooms *o)
{
        free(o->known);
        *o = (struct sv_ooms){ 0 };
}
