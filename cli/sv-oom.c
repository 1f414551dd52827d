/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util/grow.h"
#include "util/fileio.h"
#include "cli/sv-oom.h"

#define OOM_WINDOW_NS (3000ull * 1000 * 1000)
#define LARGE (16ull << 20) /* held by pidfd from this RSS */
#define MAX_REFS 256u       /* pidfds held at most */

/* pid with start time start, or (start UINT64_MAX) the living one of pid. */
static struct sv_known *known_find(struct sv_ooms *o, pid_t pid, uint64_t start)
{
        for (size_t i = 0; i < o->n_known; i++)
                if (o->known[i].pid == pid && (start == UINT64_MAX || o->known[i].start == start) &&
                    (start != UINT64_MAX || !o->known[i].gone_ns))
                        return &o->known[i];
        return NULL;
}

/* Its command now: read again after an exec (a shell's fork seen before it
 * became the hog it runs must not be named as the shell). */
static void known_command(struct sv_known *k, const struct ms_proc_info *pi)
{
        snprintf(k->comm, sizeof(k->comm), "%s", pi->comm);
        if (ms_proc_cmdline_read(MS_ROOT_HOST, pi->pid, k->cmd, sizeof(k->cmd)) < 0 || !k->cmd[0])
                snprintf(k->cmd, sizeof(k->cmd), "%s", pi->comm);
}

static struct sv_known *known_add(struct sv_ooms *o, const struct ms_proc_info *pi)
{
        struct sv_known *k;

        if (ms_grow(&o->known, &o->cap_known, o->n_known, sizeof(*o->known), 256) < 0)
                return NULL;
        k = &o->known[o->n_known++];
        *k = (struct sv_known){ .pid = pi->pid, .start = pi->starttime, .ref = MS_PIDREF_NONE };
        known_command(k, pi);
        return k;
}

static void drop_ref(struct sv_ooms *o, struct sv_known *k)
{
        if (k->ref.fd >= 0)
                o->n_refs--;
        ms_pidref_close(&k->ref);
}

/* A large process is held by pidfd: the kernel tells how it died. */
static void hold(struct sv_ooms *o, struct sv_known *k)
{
        if (k->ref.pid || k->rss < LARGE || o->n_refs >= MAX_REFS)
                return;
        if (ms_pidref_open(MS_ROOT_HOST, k->pid, k->start, &k->ref) < 0)
                k->ref = (struct ms_pidref){ .pid = k->pid, .fd = -1 }; /* tried */
        else if (k->ref.fd >= 0)
                o->n_refs++;
}

/* What the pidfd of a process gone says of its death (once reaped). */
static void learn_death(struct sv_ooms *o, struct sv_known *k)
{
        int status;
        int r = ms_pidref_exit_status(&k->ref, &status);

        if (r == -EAGAIN)
                return;
        if (r == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                k->sigkilled = true;
        drop_ref(o, k);
}

/* A zombie tells its wait status in proc/PID/stat until it is reaped. */
static void learn_zombie(struct sv_known *k)
{
        char path[64], text[2048];
        int status;

        snprintf(path, sizeof(path), "proc/%d/stat", (int)k->pid);
        if (ms_read_at(MS_ROOT_HOST, path, text, sizeof(text), NULL) == 0 &&
            ms_proc_exit_code_parse(text, &status) == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                k->sigkilled = true;
}

void sv_ooms_note(struct sv_ooms *o, const struct ms_procs *procs, uint64_t now_ns)
{
        for (size_t i = 0; i < o->n_known; i++) {
                struct sv_known *k = &o->known[i];
                const struct ms_proc *p = ms_procs_find(procs, k->pid);
                if (!k->gone_ns && (!p || p->info.starttime != k->start))
                        k->gone_ns = now_ns;
                if (k->gone_ns && k->ref.fd >= 0)
                        learn_death(o, k);
        }
        for (size_t i = 0; i < procs->n; i++) {
                const struct ms_proc *p = &procs->p[i];
                struct sv_known *k = known_find(o, p->info.pid, p->info.starttime);
                if (!k)
                        k = known_add(o, &p->info);
                else if (!k->gone_ns && p->info.state != 'Z' && strcmp(k->comm, p->info.comm) != 0)
                        known_command(k, &p->info);
                if (!k)
                        continue;
                if (p->info.state == 'Z' && !k->gone_ns) {
                        k->gone_ns = now_ns;
                        learn_zombie(k);
                }
                if (p->info.rss > k->rss)
                        k->rss = p->info.rss;
                if (!k->gone_ns)
                        hold(o, k);
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

/* The likeliest victim not yet named: died of SIGKILL within the window of
 * the count's rise, the largest first (the killer's choice). */
static struct sv_known *victim(struct sv_ooms *o)
{
        struct sv_known *best = NULL;

        for (size_t i = 0; i < o->n_known; i++) {
                struct sv_known *k = &o->known[i];
                if (!k->gone_ns || k->named || !k->sigkilled || k->gone_ns + OOM_WINDOW_NS < o->seen_ns ||
                    k->gone_ns > o->seen_ns + OOM_WINDOW_NS)
                        continue;
                if (!best || k->rss > best->rss)
                        best = k;
        }
        return best;
}

void sv_ooms_name(struct sv_ooms *o, struct sv_report *rep, uint64_t now_ns)
{
        while (o->pending > 0) {
                struct sv_known *best = victim(o);
                struct sv_oom *n;
                if (!best) {
                        /* Not known dead yet: wait, but not forever; then
                         * the kills stay counted, unnamed. */
                        if (now_ns >= o->seen_ns + OOM_WINDOW_NS)
                                o->pending = 0;
                        return;
                }
                best->named = true;
                o->pending--;
                n = realloc(rep->ooms, (rep->n_ooms + 1) * sizeof(*n));
                if (!n)
                        continue;
                rep->ooms = n;
                n[rep->n_ooms].pid = best->pid;
                snprintf(n[rep->n_ooms].cmd, sizeof(n[0].cmd), "%s", best->cmd);
                rep->n_ooms++;
        }
}

void sv_ooms_prune(struct sv_ooms *o, uint64_t now_ns)
{
        size_t j = 0;

        for (size_t i = 0; i < o->n_known; i++) {
                if (!o->known[i].gone_ns || now_ns < o->known[i].gone_ns + 2 * OOM_WINDOW_NS)
                        o->known[j++] = o->known[i];
                else
                        drop_ref(o, &o->known[i]);
        }
        o->n_known = j;
}

void sv_ooms_free(struct sv_ooms *o)
{
        for (size_t i = 0; i < o->n_known; i++)
                drop_ref(o, &o->known[i]);
        free(o->known);
        *o = (struct sv_ooms){ 0 };
}
