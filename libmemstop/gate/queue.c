/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gate/policy.h"
#include "gate/queue.h"

static void fill_slot(struct ms_slot *s, const struct ms_queue_request *req, uint64_t ticket, uint64_t now)
{
        memset(s, 0, sizeof(*s));
        s->pid = req->pid;
        s->starttime = req->starttime;
        s->ticket = ticket;
        s->since_ns = now;
        s->kind = (uint32_t)req->cand.kind;
        s->predicted = req->cand.predicted;
        s->worst = req->cand.worst;
        s->curve = req->cand.curve;
        s->supervised = req->cand.supervised;
        snprintf(s->program, sizeof(s->program), "%s", req->program ? req->program : "?");
        s->program_hash = req->program_hash;
        s->state = MS_SLOT_WAITING;
}

/* Mark a slot admitted from now on; its RSS is watched from this point. */
static void admit_slot(struct ms_slot *s, uint64_t rss, uint64_t now, uint32_t grant, bool timed)
{
        s->since_ns = now;
        s->rss = s->grown_rss = rss;
        s->grown_ns = now;
        s->granted = grant;
        s->timed = timed;
        s->paused_ns = s->stopped_ns = 0;
        memset(&s->trace, 0, sizeof(s->trace));
        __atomic_store_n(&s->state, grant != MS_GRANT_NONE ? MS_SLOT_GRANTED : MS_SLOT_ADMITTED, __ATOMIC_RELEASE);
}

/* The head refreshes what admitted processes hold now. */
static void refresh_rss(struct ms_ledger_file *f, const struct ms_queue_ops *ops, uint64_t now)
{
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_ADMITTED) {
                struct ms_slot *s = &f->slot[i];
                uint64_t rss;
                if (ops->rss(s->pid, &rss, ops->userdata) < 0)
                        continue;
                ms_ledger_observe(s, rss, now);
        }
}

/* A waiting slot as a candidate for admission. */
static struct ms_candidate slot_candidate(const struct ms_slot *s)
{
        return (struct ms_candidate){ .kind = (enum ms_prediction_kind)s->kind,
                                      .predicted = s->predicted,
                                      .worst = s->worst,
                                      .curve = s->curve,
                                      .supervised = s->supervised != 0 };
}

/* The largest RSS among running instances of a program: a live lower bound
 * of how big it can get, before any of them has finished and been learned. */
static uint64_t live_program_max(const struct ms_ledger_file *f, uint64_t program_hash)
{
        uint64_t max = 0;

        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                const struct ms_slot *s = &f->slot[i];
                if (ms_slot_admitted(s) && s->program_hash == program_hash &&
                    s->rss > max)
                        max = s->rss;
        }
        return max;
}

static unsigned waiting_ahead(const struct ms_ledger_file *f, uint64_t ticket)
{
        unsigned n = 0;

        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++)
                if (f->slot[i].state == MS_SLOT_WAITING && f->slot[i].ticket < ticket)
                        n++;
        return n;
}

/*
 * Big jobs first: a job that needs a large part of memory is the critical
 * path of a build (nothing else that big can run beside it), so the head
 * lets waiting jobs of verified size at least MS_BIG_FACTOR times its own
 * start before itself when they fit now, oldest first. Only while the head
 * is within MS_BACKFILL_NS of becoming the head: it is never starved.
 */
static void big_first(struct ms_ledger_file *f, int self, uint64_t own, uint64_t available, uint64_t required,
                      uint64_t now)
{
        struct ms_admitted adm[MS_LEDGER_SLOTS];

        for (;;) {
                int best = -1;
                for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                        const struct ms_slot *s = &f->slot[i];
                        if (s->state != MS_SLOT_WAITING || (int)i == self || s->kind != MS_PREDICT_VERIFIED ||
                            s->predicted / MS_BIG_FACTOR < own)
                                continue;
                        if (best < 0 || s->ticket < f->slot[best].ticket)
                                best = (int)i;
                }
                if (best < 0)
                        return;
                size_t n = ms_ledger_admitted(f, adm, MS_LEDGER_SLOTS);
                struct ms_candidate cand = slot_candidate(&f->slot[best]);
                struct ms_admit_result r;
                ms_admit_decide(available, required, adm, n, &cand, now, &r);
                if (!r.admit)
                        return;
                admit_slot(&f->slot[best], 0, now, MS_GRANT_BIG_FIRST, r.timed);
                ms_ledger_wake(f, best);
        }
}

/*
 * What will be free once the jobs admitted normally have ended, while those
 * let in by backfill still run: the head's prospect.
 */
static uint64_t after_admitted_end(const struct ms_ledger_file *f, uint64_t available)
{
        uint64_t freed = 0, held = 0;

        MS_LEDGER_FOREACH(f, i, MS_SLOTS_ADMITTED) {
                const struct ms_slot *s = &f->slot[i];
                struct ms_admitted a = ms_slot_to_admitted(s);
                if (s->granted == MS_GRANT_BACKFILL)
                        held += ms_admitted_pending(&a);
                else
                        freed += s->rss;
        }
        return available + freed > held ? available + freed - held : 0;
}

/*
 * The head cannot start: let later waiters of verified size go first when
 * they fit now and cannot delay the head: even with every backfilled job
 * still running when the others have ended, the head must fit beside them.
 * So the head is never starved, however long it waits.
 */
static void backfill(struct ms_ledger_file *f, int self, uint64_t head_need, uint64_t head_fit, uint64_t available,
                     uint64_t required, uint64_t now)
{
        struct ms_admitted adm[MS_LEDGER_SLOTS];
        uint64_t last_ticket = f->slot[self].ticket;

        for (;;) {
                int best = -1;
                for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                        const struct ms_slot *s = &f->slot[i];
                        if (s->state != MS_SLOT_WAITING || (int)i == self || s->ticket <= last_ticket ||
                            s->kind != MS_PREDICT_VERIFIED)
                                continue;
                        if (best < 0 || s->ticket < f->slot[best].ticket)
                                best = (int)i;
                }
                if (best < 0)
                        return;
                last_ticket = f->slot[best].ticket;

                if (head_fit != UINT64_MAX) {
                        /* The head will fit in time: only what is gone by then may go first. */
                        const struct ms_slot *x = &f->slot[best];
                        uint64_t end = ms_curve_valid(&x->curve) ? ms_admit_end_ns(now, x->curve.duration_ms) : 0;
                        if (end == 0 || end > head_fit)
                                continue;
                } else {
                        uint64_t prospect = after_admitted_end(f, available);
                        if (prospect < head_need + required ||
                            prospect - head_need - required < f->slot[best].predicted)
                                continue;
                }
                size_t n = ms_ledger_admitted(f, adm, MS_LEDGER_SLOTS);
                struct ms_candidate cand = slot_candidate(&f->slot[best]);
                struct ms_admit_result r;
                /* Backfill never counts on time: the head does. */
                cand.curve.duration_ms = 0;
                ms_admit_decide(available, required, adm, n, &cand, now, &r);
                if (!r.admit) {
                        if (r.reason == MS_HELD_SETTLING)
                                return;
                        continue;
                }
                /* Its RSS is not known yet: reserve the whole prediction. */
                admit_slot(&f->slot[best], 0, now, MS_GRANT_BACKFILL, false);
                ms_ledger_wake(f, best);
        }
}

static void leave_slot(struct ms_ledger_file *f, int i)
{
        memset(&f->slot[i], 0, sizeof(f->slot[i]));
}

int ms_queue_wait(struct ms_ledger *l, const struct ms_config *c, const struct ms_queue_request *req,
                  const struct ms_queue_ops *ops, struct ms_queue_result *res)
{
        struct ms_ledger_file *f = l->map;
        struct ms_admitted adm[MS_LEDGER_SLOTS];
        uint64_t start = ops->now_ns(ops->userdata), timeout_ns = c->timeout_usec * 1000;
        struct ms_candidate cand = req->cand;
        uint64_t head_since = 0; /* when we became the head */
        unsigned attempt = 0;
        int self, r;

        memset(res, 0, sizeof(*res));
        r = ms_ledger_lock(l);
        if (r < 0)
                return r;
        ms_ledger_prune(f, ops->alive, ops->userdata);
        /* After an exec the new program is gated anew. */
        self = ms_ledger_find(f, req->pid, req->starttime);
        if (self < 0)
                self = ms_ledger_free_slot(f);
        if (self < 0) {
                ms_ledger_unlock(l);
                return -ENOSPC;
        }
        fill_slot(&f->slot[self], req, f->header.next_ticket++, start);
        const uint64_t ticket = f->slot[self].ticket;
        ms_ledger_unlock(l);

        for (;;) {
                uint64_t now, sleep_ns;
                struct ms_slot *me = &f->slot[self];

                r = ms_ledger_lock(l);
                if (r < 0)
                        return r;
                now = ops->now_ns(ops->userdata);
                res->waited_ns = now - start;
                if (me->pid != req->pid || me->starttime != req->starttime || me->ticket != ticket ||
                    me->state == MS_SLOT_FREE) {
                        ms_ledger_unlock(l);
                        return -ESTALE;
                }
                if (me->state == MS_SLOT_GRANTED) {
                        /* Admitted by the head's backfill; our memory is reserved. */
                        uint64_t rss = 0;
                        (void)ops->rss(req->pid, &rss, ops->userdata);
                        uint32_t grant = me->granted, timed = me->timed;
                        admit_slot(me, rss, now, MS_GRANT_NONE, timed);
                        /* Keep how it was let in: backfilled jobs count as staying. */
                        me->granted = grant;
                        res->granted = true;
                        ms_ledger_wake(f, ms_ledger_head(f));
                        ms_ledger_unlock(l);
                        res->outcome = MS_QUEUE_ADMITTED;
                        return 0;
                }

                int head = ms_ledger_head(f);
                if (head != self && head >= 0 &&
                    !ops->alive(f->slot[head].pid, f->slot[head].starttime, ops->userdata)) {
                        /* The head died while waiting: the next in line takes over. */
                        leave_slot(f, head);
                        head = ms_ledger_head(f);
                        if (head != self)
                                ms_ledger_wake(f, head);
                }
                if (timeout_ns && res->waited_ns >= timeout_ns) {
                        leave_slot(f, self);
                        ms_ledger_wake(f, ms_ledger_head(f));
                        ms_ledger_unlock(l);
                        res->outcome = MS_QUEUE_EXPIRED;
                        return 0;
                }
                if (head != self) {
                        if (!res->held) {
                                res->held = true;
                                if (ops->held)
                                        ops->held(NULL, NULL, waiting_ahead(f, ticket), ops->userdata);
                        }
                        ms_ledger_unlock(l);
                        sleep_ns = MS_WAITER_CHECK_NS;
                        if (timeout_ns && timeout_ns - res->waited_ns < sleep_ns)
                                sleep_ns = timeout_ns - res->waited_ns;
                        ms_ledger_sleep(f, self, MS_SLOT_WAITING, sleep_ns);
                        continue;
                }

                /* The head: look at memory and at what the admitted still reserve. */
                ms_ledger_prune(f, ops->alive, ops->userdata);
                r = ops->sample(&res->last, ops->userdata);
                if (r < 0) {
                        leave_slot(f, self);
                        ms_ledger_wake(f, ms_ledger_head(f));
                        ms_ledger_unlock(l);
                        return r;
                }
                res->sampled = true;
                refresh_rss(f, ops, now);
                /* Jobs that finished since we queued may have taught us our size. */
                if (ops->predict && cand.kind != MS_PREDICT_VERIFIED) {
                        ops->predict(&cand, ops->userdata);
                        me->kind = (uint32_t)cand.kind;
                        me->predicted = cand.predicted;
                        me->worst = cand.worst;
                        me->curve = cand.curve;
                }
                if (cand.kind == MS_PREDICT_TYPICAL) {
                        uint64_t live = live_program_max(f, req->program_hash);
                        if (live > cand.worst)
                                cand.worst = live;
                }
                uint64_t required = ms_config_required(c, res->last.total);
                bool holding = ms_ledger_holding(f);
                if (!head_since)
                        head_since = now;
                if (!holding && cand.kind == MS_PREDICT_VERIFIED && now - head_since < MS_BACKFILL_NS)
                        big_first(f, self, cand.predicted, res->last.available, required, now);
                size_t n = ms_ledger_admitted(f, adm, MS_LEDGER_SLOTS);
                ms_admit_decide(res->last.available, required, adm, n, &cand, now, &res->decision);
                if (holding) {
                        res->decision.admit = false;
                        res->decision.reason = MS_HELD_FROZEN;
                }
                if (res->decision.admit) {
                        uint64_t rss = 0;
                        (void)ops->rss(req->pid, &rss, ops->userdata);
                        admit_slot(me, rss, now, MS_GRANT_NONE, res->decision.timed);
                        ms_ledger_wake(f, ms_ledger_head(f));
                        ms_ledger_unlock(l);
                        res->outcome = MS_QUEUE_ADMITTED;
                        return 0;
                }
                if (!holding && cand.kind != MS_PREDICT_UNKNOWN) {
                        /* A head that will fit in time, without anyone leaving first. */
                        uint64_t head_fit = UINT64_MAX;
                        if (cand.supervised && res->decision.reason == MS_HELD_MEMORY)
                                head_fit = ms_admit_fit_time(
                                        adm, n, &cand,
                                        ms_admit_room(res->last.available, res->decision.reserved, required), now);
                        backfill(f, self, cand.predicted, head_fit, res->last.available, required, now);
                }
                if (!res->held) {
                        res->held = true;
                        if (ops->held)
                                ops->held(&res->last, &res->decision, 0, ops->userdata);
                }
                ms_ledger_unlock(l);

                /* Exits wake the head at once; settling needs the clock. */
                sleep_ns = res->decision.reason == MS_HELD_SETTLING ? MS_HEAD_SETTLE_POLL_NS
                                                                    : ms_backoff_usec(attempt++) * 1000;
                /* It may fit in time without anyone leaving: look again soon. */
                if (cand.supervised && ms_curve_valid(&cand.curve) && sleep_ns > MS_HEAD_TIMED_POLL_NS)
                        sleep_ns = MS_HEAD_TIMED_POLL_NS;
                if (timeout_ns && timeout_ns - res->waited_ns < sleep_ns)
                        sleep_ns = timeout_ns - res->waited_ns;
                /*
                 * A process leaving wakes us from its exit handler, before the
                 * kernel has freed its memory: look again soon, backing off anew.
                 */
                if (ms_ledger_sleep(f, self, MS_SLOT_WAITING, sleep_ns))
                        attempt = 0;
        }
}

int ms_queue_hold(struct ms_ledger *l, pid_t pid, uint64_t starttime)
{
        int i, r = ms_ledger_lock(l);

        if (r < 0)
                return r;
        i = ms_ledger_find(l->map, pid, starttime);
        if (i < 0)
                i = ms_ledger_free_slot(l->map);
        if (i >= 0) {
                memset(&l->map->slot[i], 0, sizeof(l->map->slot[i]));
                l->map->slot[i].pid = pid;
                l->map->slot[i].starttime = starttime;
                l->map->slot[i].ticket = l->map->header.next_ticket++;
                snprintf(l->map->slot[i].program, sizeof(l->map->slot[i].program), "(supervisor)");
                l->map->slot[i].state = MS_SLOT_HOLD;
        }
        ms_ledger_unlock(l);
        return i >= 0 ? 0 : -ENOSPC;
}

void ms_queue_unhold(struct ms_ledger *l, pid_t pid, uint64_t starttime)
{
        ms_queue_leave(l, pid, starttime);
}

int ms_queue_curve(struct ms_ledger *l, pid_t pid, uint64_t starttime, uint64_t peak, uint64_t now_ns,
                   struct ms_curve *out)
{
        int i, r = ms_ledger_lock(l);

        if (r < 0)
                return r;
        i = ms_ledger_find(l->map, pid, starttime);
        if (i >= 0 && ms_slot_admitted(&l->map->slot[i])) {
                const struct ms_slot *s = &l->map->slot[i];
                ms_curve_from_trace(&s->trace, peak, ms_ledger_age(s, now_ns) / 1000000, out);
                /* The fastest growth and the slowest end seen: this run's or earlier ones'. */
                ms_curve_keep_worst(out, &s->curve);
                r = 0;
        } else {
                r = -ENOENT;
        }
        ms_ledger_unlock(l);
        return r;
}

void ms_queue_leave(struct ms_ledger *l, pid_t pid, uint64_t starttime)
{
        int i;

        if (ms_ledger_lock(l) < 0)
                return;
        i = ms_ledger_find(l->map, pid, starttime);
        if (i >= 0)
                leave_slot(l->map, i);
        ms_ledger_wake(l->map, ms_ledger_head(l->map));
        ms_ledger_unlock(l);
}
