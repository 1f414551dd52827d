/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>

#include "gate/queue.h"
#include "supervise/watch.h"

int ms_watch_open(struct ms_watch *w, int dirfd, const char *name, pid_t self, uint64_t self_starttime)
{
        int r;

        *w = (struct ms_watch){ .self = self, .self_starttime = self_starttime };
        r = ms_ledger_open(dirfd, name, &w->ledger);
        w->open = r == 0;
        return r;
}

void ms_watch_close(struct ms_watch *w)
{
        if (w->open)
                ms_ledger_close(&w->ledger);
        w->open = false;
        w->n_waiting = 0;
}

/* The process of the look an admitted slot belongs to, or NULL. */
static struct ms_proc *admitted_proc(const struct ms_procs *procs, const struct ms_slot *slot)
{
        struct ms_proc *p;

        if (!ms_slot_admitted(slot))
                return NULL;
        p = ms_procs_find(procs, slot->pid);
        return p && p->info.starttime == slot->starttime ? p : NULL;
}

/* The RSS of a slot's process and what it started, down to build drivers:
 * its job's tree (gate/jobtree.h), as the gate counts it. */
static uint64_t tree_rss(const struct ms_procs *procs, const struct ms_proc *root)
{
        uint64_t sum = 0;

        for (size_t i = 0; i < procs->n; i++) {
                const struct ms_proc *q = &procs->p[i];
                for (unsigned depth = 0; q && depth < 64; depth++) {
                        if (q == root) {
                                sum += procs->p[i].info.rss;
                                break;
                        }
                        if (ms_build_driver(q->info.comm) || q->info.ppid <= 0 || q->info.ppid == q->info.pid)
                                break;
                        q = ms_procs_find(procs, q->info.ppid);
                }
        }
        return sum;
}

unsigned ms_watch_observe(struct ms_watch *w, const struct ms_procs *procs, uint64_t now_ns, unsigned *growing)
{
        unsigned n = 0;

        *growing = 0;
        if (!w->open || ms_ledger_lock(&w->ledger) < 0)
                return 0;
        MS_LEDGER_FOREACH(w->ledger.map, i, MS_SLOTS_ADMITTED) {
                struct ms_slot *slot = &w->ledger.map->slot[i];
                struct ms_proc *p = admitted_proc(procs, slot);
                if (!p)
                        continue;
                *growing += ms_ledger_observe(slot, tree_rss(procs, p), now_ns);
                n++;
        }
        ms_ledger_unlock(&w->ledger);
        return n;
}

void ms_watch_pause(struct ms_watch *w, const struct ms_procs *procs, int job, uint64_t now_ns, bool stop)
{
        if (!w->open || ms_ledger_lock(&w->ledger) < 0)
                return;
        MS_LEDGER_FOREACH(w->ledger.map, i, MS_SLOTS_ADMITTED) {
                struct ms_slot *slot = &w->ledger.map->slot[i];
                struct ms_proc *p = admitted_proc(procs, slot);
                if (p && p->job == job)
                        ms_ledger_pause(slot, now_ns, stop);
        }
        ms_ledger_unlock(&w->ledger);
}

unsigned ms_watch_count(const struct ms_watch *w, const struct ms_procs *procs, struct ms_jobs *jobs)
{
        unsigned held = 0;

        if (!w->open)
                return 0;
        MS_LEDGER_FOREACH(w->ledger.map, i, MS_SLOTS_WAITING | MS_SLOTS_ADMITTED) {
                const struct ms_slot *slot = &w->ledger.map->slot[i];
                uint32_t state = ms_slot_state(slot);
                struct ms_proc *p = ms_procs_find(procs, slot->pid);
                struct ms_job *job = p && p->job >= 0 && (size_t)p->job < jobs->n ? &jobs->job[p->job] : NULL;
                if (!p)
                        continue;
                if (state == MS_SLOT_WAITING) {
                        held++;
                        if (job)
                                job->held++;
                } else if (ms_slot_admitted(slot) && job) {
                        struct ms_admitted a = ms_slot_to_admitted(slot);
                        job->peak += slot->predicted;
                        if (a.kind == MS_PREDICT_VERIFIED && a.end_ns > job->end_ns)
                                job->end_ns = a.end_ns;
                }
        }
        return held;
}

bool ms_watch_build_waits(struct ms_watch *w, const struct ms_procs *procs, size_t leaves, unsigned held,
                          unsigned frozen)
{
        unsigned n = 0;

        w->n_waiting = 0;
        if (!w->open || frozen || held == 0 || held > MS_WATCH_WAITERS || leaves != held)
                return false;
        MS_LEDGER_FOREACH(w->ledger.map, i, MS_SLOTS_WAITING) {
                const struct ms_slot *slot = &w->ledger.map->slot[i];
                if (n == MS_WATCH_WAITERS)
                        break;
                if (!ms_procs_find(procs, slot->pid))
                        continue;
                w->waiting_slot[n] = (unsigned)i;
                w->waiting_pid[n++] = slot->pid;
        }
        w->n_waiting = n == held ? n : 0;
        return w->n_waiting > 0;
}

bool ms_watch_still_waiting(const struct ms_watch *w)
{
        if (!w->open)
                return false;
        for (unsigned i = 0; i < w->n_waiting; i++) {
                const struct ms_slot *slot = &w->ledger.map->slot[w->waiting_slot[i]];
                if (ms_slot_state(slot) != MS_SLOT_WAITING || slot->pid != w->waiting_pid[i])
                        return false;
        }
        return w->n_waiting > 0;
}

void ms_watch_hold(struct ms_watch *w, bool hold)
{
        if (!w->open || hold == w->holding)
                return;
        if (hold) {
                w->holding = ms_queue_hold(&w->ledger, w->self, w->self_starttime) == 0;
        } else {
                ms_queue_unhold(&w->ledger, w->self, w->self_starttime);
                w->holding = false;
        }
}
