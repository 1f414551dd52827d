/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gate/lockwait.h"
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
        s->runs = req->cand.runs;
        snprintf(s->program, sizeof(s->program), "%s", req->program ? req->program : "?");
        s->program_hash = req->program_hash;
        s->pidns = req->pidns;
        s->looked_ns = now;
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
        s->held = 0;
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

/* Whether slot s was written in pid namespace pidns (0: unknown, either). */
static bool same_pidns(const struct ms_slot *s, uint64_t pidns)
{
        return !s->pidns || !pidns || s->pidns == pidns;
}

/*
 * The candidate c of waiting slot self, of program_hash, less the code that a
 * running instance of the same program has in memory (MS_CODE_SHARE_DIV), as
 * read by a process of pid namespace pidns: learned sizes only. Admitted, the
 * job reserves its whole size again, against an RSS that counts that code.
 */
static void less_shared_code(const struct ms_ledger_file *f, const struct ms_queue_ops *ops, uint64_t pidns,
                             int self, uint64_t program_hash, struct ms_candidate *c)
{
        uint64_t code = 0;

        if (!ops->code || c->kind == MS_PREDICT_UNKNOWN)
                return;
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_ADMITTED) {
                if (i != self && f->slot[i].program_hash == program_hash && same_pidns(&f->slot[i], pidns) &&
                    (code = ops->code(f->slot[i].pid, ops->userdata)) > 0)
                        break;
        }
        c->predicted -= code < c->predicted / MS_CODE_SHARE_DIV ? code : c->predicted / MS_CODE_SHARE_DIV;
        c->worst -= code < c->worst / MS_CODE_SHARE_DIV ? code : c->worst / MS_CODE_SHARE_DIV;
}

/* The largest RSS among running instances of a program: a live lower bound
 * of how big it can get, before any of them has finished and been learned. */
static uint64_t live_program_max(const struct ms_ledger_file *f, uint64_t program_hash)
{
        uint64_t max = 0;

        MS_LEDGER_FOREACH(f, i, MS_SLOTS_ADMITTED) {
                const struct ms_slot *s = &f->slot[i];
                if (s->program_hash == program_hash && s->rss > max)
                        max = s->rss;
        }
        return max;
}

static unsigned waiting_ahead(const struct ms_ledger_file *f, uint64_t ticket)
{
        unsigned n = 0;

        MS_LEDGER_FOREACH(f, i, MS_SLOTS_WAITING)
                if (f->slot[i].ticket < ticket)
                        n++;
        return n;
}

/* The oldest waiting job of verified size other than self, with a ticket
 * after `after` and a prediction of at least MS_BIG_FACTOR times min_size; or -1. */
static int oldest_verified(const struct ms_ledger_file *f, int self, uint64_t after, uint64_t min_size)
{
        int best = -1;

        MS_LEDGER_FOREACH(f, i, MS_SLOTS_WAITING) {
                const struct ms_slot *s = &f->slot[i];
                if (i == self || s->ticket <= after || s->kind != MS_PREDICT_VERIFIED ||
                    s->predicted / MS_BIG_FACTOR < min_size)
                        continue;
                if (best < 0 || s->ticket < f->slot[best].ticket)
                        best = i;
        }
        return best;
}

/* What the head's look sees, for letting others in before it. */
struct grant_view {
        uint64_t available, required, now;
        unsigned cpus;       /* the head's CPU count (ms_candidate), 0: not counted */
        const bool *running; /* by slot: the admitted jobs that run (admit.h), asked
                              * once per look; those let in since count as running */
        const struct ms_queue_ops *ops;
        uint64_t pidns; /* the head's: the pids it can read */
};

/* Whether each admitted job runs, asked once for the head's look. */
static void note_running(const struct ms_ledger_file *f, const struct ms_queue_ops *ops, unsigned cpus,
                         bool running[MS_LEDGER_SLOTS])
{
        memset(running, 0, MS_LEDGER_SLOTS * sizeof(running[0]));
        if (!cpus || !ops->running)
                return;
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_ADMITTED)
                running[i] = ops->running(f->slot[i].pid, ops->userdata);
}

/* Whether waiting slot i may start beside what is admitted, memory and the
 * CPUs the head counts alike; r says why not. */
static bool fits_now(const struct ms_ledger_file *f, int i, bool count_on_time, const struct grant_view *v,
                     struct ms_admit_result *r)
{
        struct ms_admitted adm[MS_LEDGER_SLOTS];
        size_t n = ms_ledger_admitted(f, v->running, adm, MS_LEDGER_SLOTS);
        struct ms_candidate cand = slot_candidate(&f->slot[i]);

        less_shared_code(f, v->ops, v->pidns, i, f->slot[i].program_hash, &cand);
        cand.cpus = v->cpus;
        if (!count_on_time)
                cand.curve.duration_ms = 0;
        ms_admit_decide(v->available, v->required, adm, n, &cand, v->now, r);
        return r->admit;
}

/*
 * Big jobs first: a job that needs a large part of memory is the critical
 * path of a build (nothing else that big can run beside it), so the head
 * lets waiting jobs of verified size at least MS_BIG_FACTOR times its own
 * start before itself when they fit now, oldest first. Only while the head
 * is within MS_BACKFILL_NS of becoming the head: it is never starved.
 */
static void big_first(struct ms_ledger_file *f, int self, uint64_t own, const struct grant_view *v)
{
        struct ms_admit_result r;
        int best;

        while ((best = oldest_verified(f, self, 0, own)) >= 0 && fits_now(f, best, true, v, &r)) {
                admit_slot(&f->slot[best], 0, v->now, MS_GRANT_BIG_FIRST, r.timed);
                ms_ledger_wake(f, best);
        }
}

static unsigned count_waiting(const struct ms_ledger_file *f)
{
        unsigned n = 0;

        MS_LEDGER_FOREACH(f, i, MS_SLOTS_WAITING)
                n++;
        return n;
}

/*
 * Longest first. CPUs are the limit: more jobs wait (the head among them)
 * than there are CPUs free. A build then ends soonest when its longest jobs
 * start first and the short ones fill in at the end: in arrival order, the
 * last long job often ran alone for seconds while the other CPU had nothing
 * to do. So the head lets the longest waiting job of verified size,
 * supervised, with a learned duration MS_LONG_EIGHTHS eighths of its own or
 * more, take a CPU when it fits: now, or in time, by the rule the head itself
 * is let in by (admit.h; where memory is the limit too, most jobs fit only
 * in time, and a long unit that did not fit now started last, alone: 7 s of
 * a warm 1 GiB build's 80). The head waits for the next. Only jobs that were
 * already waiting when it became the head (its horizon) pass it: it is
 * passed a bounded number of times, never starved. Returns whether one went.
 */
static bool long_first(struct ms_ledger_file *f, const struct ms_queue_waiter *w, const struct grant_view *v)
{
        uint64_t own = w->cand.curve.duration_ms, longest = own * MS_LONG_EIGHTHS / 8;
        struct ms_admit_result r;
        bool timed = false;
        int best = -1;

        if (!ms_curve_valid(&w->cand.curve))
                return false;
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_WAITING) {
                const struct ms_slot *s = &f->slot[i];
                if (i == w->self || s->ticket >= w->horizon || s->kind != MS_PREDICT_VERIFIED || !s->supervised ||
                    !ms_curve_valid(&s->curve) || s->curve.duration_ms < longest)
                        continue;
                if (fits_now(f, i, true, v, &r)) {
                        best = i;
                        longest = s->curve.duration_ms;
                        timed = r.timed;
                }
        }
        if (best < 0)
                return false;
        admit_slot(&f->slot[best], 0, v->now, MS_GRANT_LONG_FIRST, timed);
        ms_ledger_wake(f, best);
        return true;
}

/* An admitted job learned to run less than MS_GATHER_MIN_MS. */
static bool short_run(const struct ms_admitted *a)
{
        return a->end_ns > a->admitted_ns && a->end_ns - a->admitted_ns < MS_GATHER_MIN_MS * 1000ull * 1000;
}

/*
 * Gathering. A build starts its jobs at once (make -j, ninja): they join one
 * after the other within milliseconds, and the first to join started at
 * once, the second too, before long_first saw the others: two short units
 * first, and a long one last, alone at the end. So while no admitted job
 * runs (the CPUs idle; a job let in less than MS_CPU_START_NS ago runs, an
 * ancestor of the head or of a waiter does not count, nor a job learned to
 * run less than MS_GATHER_MIN_MS: a build's small main.c, started first,
 * ended the gathering and the two shortest units went first), a supervised head of
 * learned duration at least MS_GATHER_MIN_MS waits as long as others still
 * join (the newest, itself included, less than MS_GATHER_NS ago), at most
 * MS_GATHER_MAX_NS after it became the head; those that joined meanwhile
 * count as waiting before it (its horizon). Returns whether it waits.
 */
static bool gathering(const struct ms_ledger_file *f, struct ms_queue_waiter *w, const struct ms_admitted *adm,
                      size_t n, uint64_t now)
{
        uint64_t newest = 0;

        if (!w->cand.supervised || !w->cand.cpus || !ms_curve_valid(&w->cand.curve) ||
            w->cand.curve.duration_ms < MS_GATHER_MIN_MS || now - w->head_since_ns >= MS_GATHER_MAX_NS)
                return false;
        for (size_t k = 0; k < n; k++)
                if (!adm[k].ancestor && !adm[k].container && !short_run(&adm[k]) &&
                    (adm[k].running || (now >= adm[k].admitted_ns && now - adm[k].admitted_ns < MS_CPU_START_NS)))
                        return false;
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_WAITING)
                if (f->slot[i].since_ns > newest)
                        newest = f->slot[i].since_ns;
        if (newest > now || now - newest >= MS_GATHER_NS)
                return false;
        w->horizon = f->header.next_ticket;
        return true;
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

/* Whether waiting slot x cannot delay the head (see backfill()). */
static bool cannot_delay_head(const struct ms_ledger_file *f, const struct ms_slot *x, uint64_t head_need,
                              uint64_t head_fit, uint64_t available, uint64_t required, uint64_t now)
{
        if (head_fit != UINT64_MAX) {
                /* The head will fit in time: only what is gone by then may go first. */
                uint64_t end = ms_curve_valid(&x->curve) ? ms_admit_end_ns(now, x->curve.duration_ms) : 0;
                return end != 0 && end <= head_fit;
        }
        uint64_t prospect = after_admitted_end(f, available);
        return prospect >= head_need + required && prospect - head_need - required >= x->predicted;
}

/*
 * The head cannot start: let later waiters of verified size go first when
 * they fit now and cannot delay the head: even with every backfilled job
 * still running when the others have ended, the head must fit beside them.
 * So the head is never starved, however long it waits.
 */
static void backfill(struct ms_ledger_file *f, int self, uint64_t head_need, uint64_t head_fit,
                     const struct grant_view *v)
{
        uint64_t last_ticket = f->slot[self].ticket;
        struct ms_admit_result r;
        int best;

        while ((best = oldest_verified(f, self, last_ticket, 0)) >= 0) {
                last_ticket = f->slot[best].ticket;
                if (!cannot_delay_head(f, &f->slot[best], head_need, head_fit, v->available, v->required, v->now))
                        continue;
                /* Backfill never counts on time: the head does. */
                if (!fits_now(f, best, false, v, &r)) {
                        if (r.reason == MS_HELD_SETTLING)
                                return;
                        continue;
                }
                /* Its RSS is not known yet: reserve the whole prediction. */
                admit_slot(&f->slot[best], 0, v->now, MS_GRANT_BACKFILL, false);
                ms_ledger_wake(f, best);
        }
}

static void leave_slot(struct ms_ledger_file *f, int i)
{
        memset(&f->slot[i], 0, sizeof(f->slot[i]));
}

/* Leave slot i and hand the queue to whoever is the head now. */
static void leave_and_hand_off(struct ms_ledger_file *f, int i)
{
        leave_slot(f, i);
        ms_ledger_wake(f, ms_ledger_head(f));
}

int ms_queue_join(struct ms_ledger_file *f, const struct ms_queue_request *req, const struct ms_queue_ops *ops,
                  uint64_t now, struct ms_queue_waiter *w)
{
        int self;

        ms_ledger_repair(f);
        /* After an exec the new program is gated anew. */
        self = ms_ledger_find(f, req->pid, req->starttime);
        /* The slots of the dead go when the head looks (head_look), or here
         * when no slot is free: a prune reads proc/PID/stat of every slot,
         * and one at each of 400 joins at once (200 supervisors and their
         * jobs) made the joins' work grow as the square of their number. */
        if (self < 0 && (self = ms_ledger_free_slot(f)) < 0 && ms_ledger_prune(f, req->pidns, ops->alive, ops->userdata))
                self = ms_ledger_free_slot(f);
        if (self < 0)
                return -ENOSPC;
        fill_slot(&f->slot[self], req, f->header.next_ticket++, now);
        *w = (struct ms_queue_waiter){ .self = self, .ticket = f->slot[self].ticket, .start_ns = now,
                                       .cand = req->cand };
        return MS_QUEUE_LOOK;
}

/* At most sleep_ns, and not past the timeout. */
static uint64_t until_timeout(const struct ms_config *c, uint64_t waited_ns, uint64_t sleep_ns)
{
        uint64_t timeout_ns = c->timeout_usec * 1000;

        return timeout_ns && timeout_ns - waited_ns < sleep_ns ? timeout_ns - waited_ns : sleep_ns;
}

/* Admitted by the head's backfill or big-first: our memory is reserved. */
static int take_grant(struct ms_ledger_file *f, const struct ms_queue_request *req, const struct ms_queue_ops *ops,
                      struct ms_slot *me, uint64_t now, struct ms_queue_result *res)
{
        uint64_t rss = 0;
        uint32_t grant = me->granted, timed = me->timed;

        (void)ops->rss(req->pid, &rss, ops->userdata);
        admit_slot(me, rss, now, MS_GRANT_NONE, timed);
        /* Keep how it was let in: backfilled jobs count as staying. */
        me->granted = grant;
        res->granted = true;
        res->grant = (enum ms_grant)grant;
        res->decision.timed = timed != 0;
        res->slot = (int)(me - f->slot);
        ms_ledger_wake(f, ms_ledger_head(f));
        res->outcome = MS_QUEUE_ADMITTED;
        return MS_QUEUE_DONE;
}

/* The head of the queue, after replacing a head that died while waiting. */
static int live_head(struct ms_ledger_file *f, int self, uint64_t pidns, const struct ms_queue_ops *ops)
{
        int head = ms_ledger_head(f);

        if (head != self && head >= 0 && same_pidns(&f->slot[head], pidns) &&
            !ops->alive(f->slot[head].pid, f->slot[head].starttime, ops->userdata)) {
                /* The next in line takes over. */
                leave_slot(f, head);
                head = ms_ledger_head(f);
                if (head != self)
                        ms_ledger_wake(f, head);
        }
        return head;
}

/*
 * Whether waiting slot s, ahead of us, keeps us waiting: not when it has
 * stopped looking (stale: stopped, stuck, or of a pid namespace whose
 * processes are gone), when it waits for a stricter threshold than ours
 * (its needs are not ours), or when it is stopped.
 */
static bool keeps_waiting(const struct ms_slot *s, const struct ms_config *c, uint64_t pidns,
                          const struct ms_queue_ops *ops, uint64_t now)
{
        if (s->looked_ns > now || now - s->looked_ns > MS_SLOT_STALE_NS)
                return false;
        if (s->percent > c->percent || s->min_available > c->min_available)
                return false;
        /* Another namespace's pid names another process here: staleness alone tells. */
        return !ops->stopped || !same_pidns(s, pidns) || !ops->stopped(s->pid, s->starttime, ops->userdata);
}

/* The waiter that keeps self waiting (the head, normally), or self when
 * none does: then self looks at memory as a head. */
static int effective_head(struct ms_ledger_file *f, const struct ms_config *c, int self, uint64_t pidns,
                          const struct ms_queue_ops *ops, uint64_t now)
{
        int head = live_head(f, self, pidns, ops);

        if (head == self || head < 0)
                return head;
        if (keeps_waiting(&f->slot[head], c, pidns, ops, now))
                return head;
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_WAITING)
                if (i != head && f->slot[i].ticket < f->slot[self].ticket &&
                    keeps_waiting(&f->slot[i], c, pidns, ops, now))
                        return i;
        return self;
}

/* The head looks at memory, at what the admitted hold, and at what it has
 * learned of itself since it queued. Returns 0 or the sample's -errno. */
static int head_look(struct ms_ledger_file *f, const struct ms_queue_request *req, const struct ms_queue_ops *ops,
                     struct ms_queue_waiter *w, uint64_t now, struct ms_queue_result *res)
{
        struct ms_slot *me = &f->slot[w->self];
        int r;

        ms_ledger_prune(f, req->pidns, ops->alive, ops->userdata);
        r = ops->sample(&res->last, ops->userdata);
        if (r < 0)
                return r;
        res->sampled = true;
        refresh_rss(f, ops, now);
        /* Jobs that finished since we queued may have taught us our size. */
        if (ops->predict && w->cand.kind != MS_PREDICT_VERIFIED) {
                ops->predict(&w->cand, ops->userdata);
                me->kind = (uint32_t)w->cand.kind;
                me->predicted = w->cand.predicted;
                me->worst = w->cand.worst;
                me->curve = w->cand.curve;
                me->runs = w->cand.runs;
        }
        /* Unknown: the prior, or the program's largest peak if more. */
        if (w->cand.kind == MS_PREDICT_UNKNOWN && w->cand.worst < ms_admit_prior(res->last.total))
                w->cand.worst = ms_admit_prior(res->last.total);
        if (w->cand.kind == MS_PREDICT_UNKNOWN)
                me->worst = w->cand.worst;
        if (w->cand.kind == MS_PREDICT_TYPICAL) {
                uint64_t live = live_program_max(f, req->program_hash);
                if (live > w->cand.worst)
                        w->cand.worst = live;
        }
        if (!w->head_since_ns) {
                w->head_since_ns = now;
                w->horizon = f->header.next_ticket;
        }
        return 0;
}

/* The head cannot start now: others may go first; then how long to sleep. */
static uint64_t head_held(struct ms_ledger_file *f, struct ms_queue_waiter *w, const struct ms_candidate *cand,
                          bool holding, const struct ms_admitted *adm, size_t n, const struct grant_view *v,
                          const struct ms_queue_result *res)
{
        uint64_t sleep_ns;

        /* No one goes first while the CPUs are taken: they would take a CPU
         * from the jobs running, and the head's place in line. */
        if (!holding && cand->kind != MS_PREDICT_UNKNOWN && !ms_admit_cpus_full(&res->decision)) {
                /* A head that will fit in time, without anyone leaving first. */
                uint64_t head_fit = UINT64_MAX;
                if (cand->supervised && res->decision.reason == MS_HELD_MEMORY)
                        head_fit = ms_admit_fit_time(
                                adm, n, cand, ms_admit_room(v->available, res->decision.reserved, v->required),
                                v->now);
                /* Its whole size: the instance whose code it counts on may be gone by then. */
                backfill(f, w->self, w->cand.predicted, head_fit, v);
        }
        /* Exits wake the head at once; settling needs the clock. */
        sleep_ns = res->decision.reason == MS_HELD_SETTLING ? MS_HEAD_SETTLE_POLL_NS
                                                            : ms_backoff_usec(w->attempt++) * 1000;
        /* It may fit in time without anyone leaving, or a job may stop
         * running (a CPU freed is no exit): look again soon. */
        if (res->decision.reason == MS_HELD_CPUS) {
                if (sleep_ns > MS_HEAD_CPU_POLL_NS)
                        sleep_ns = MS_HEAD_CPU_POLL_NS;
        } else if (((cand->supervised && ms_curve_valid(&cand->curve)) || ms_admit_cpus_full(&res->decision)) &&
                   sleep_ns > MS_HEAD_TIMED_POLL_NS) {
                sleep_ns = MS_HEAD_TIMED_POLL_NS;
        }
        /* Gathering ends when no one has joined for MS_GATHER_NS. */
        if (res->decision.reason == MS_HELD_GATHERING && sleep_ns > MS_GATHER_NS / 2)
                sleep_ns = MS_GATHER_NS / 2;
        return sleep_ns;
}

/* How far up a waiting process's ancestors are looked at for admitted jobs. */
#define CONTAINER_DEPTH 32

struct pid_index {
        pid_t pid;
        size_t i;
};

static int cmp_pid_index(const void *a, const void *b)
{
        const struct pid_index *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Marks the admitted jobs that a waiting process of this pid namespace
 * descends from: they wait for it (admit.h, container). */
static void mark_containers(const struct ms_ledger_file *f, const struct ms_queue_ops *ops, uint64_t pidns,
                            struct ms_admitted *adm, size_t n)
{
        struct pid_index idx[MS_LEDGER_SLOTS];

        if (!ops->parent || n == 0)
                return;
        for (size_t i = 0; i < n; i++)
                idx[i] = (struct pid_index){ adm[i].pid, i };
        qsort(idx, n, sizeof(idx[0]), cmp_pid_index);
        MS_LEDGER_FOREACH(f, w, MS_SLOTS_WAITING) {
                pid_t p = f->slot[w].pid;
                if (!same_pidns(&f->slot[w], pidns))
                        continue;
                for (unsigned d = 0; d < CONTAINER_DEPTH; d++) {
                        pid_t up = ops->parent(p, ops->userdata);
                        struct pid_index key = { .pid = up }, *hit;
                        if (up <= 1 || up == p)
                                break;
                        hit = bsearch(&key, idx, n, sizeof(idx[0]), cmp_pid_index);
                        if (hit)
                                adm[hit->i].container = true;
                        p = up;
                }
        }
}

/* Why the head waits, in its slot: for `memstop status`. */
static void note_held(struct ms_slot *me, const struct ms_admit_result *d)
{
        me->held_need = d->need;
        me->held_free = d->free;
        __atomic_store_n(&me->held, (uint32_t)d->reason + 1, __ATOMIC_RELEASE);
}

/* The head decides: admit itself, or let others go first and sleep. */
static int head_step(struct ms_ledger_file *f, const struct ms_config *c, const struct ms_queue_request *req,
                     const struct ms_queue_ops *ops, struct ms_queue_waiter *w, uint64_t now,
                     struct ms_queue_result *res, uint64_t *sleep_ns)
{
        struct ms_admitted adm[MS_LEDGER_SLOTS];
        bool running[MS_LEDGER_SLOTS];
        uint64_t required = ms_config_required(c, res->last.total);
        bool holding = ms_ledger_holding(f);
        const struct grant_view v = { res->last.available, required, now, w->cand.cpus, running, ops, req->pidns };
        struct ms_candidate cand = w->cand;
        size_t n;

        note_running(f, ops, w->cand.cpus, running);
        /* Big jobs go first, within the CPUs the head counts. */
        if (!holding && w->cand.kind == MS_PREDICT_VERIFIED && now - w->head_since_ns < MS_BACKFILL_NS)
                big_first(f, w->self, w->cand.predicted, &v);
        n = ms_ledger_admitted(f, running, adm, MS_LEDGER_SLOTS);
        for (size_t i = 0; i < n; i++)
                adm[i].ancestor = ops->ancestor && ops->ancestor(adm[i].pid, ops->userdata);
        mark_containers(f, ops, req->pidns, adm, n);
        less_shared_code(f, ops, req->pidns, w->self, req->program_hash, &cand);
        ms_admit_decide(res->last.available, required, adm, n, &cand, now, &res->decision);
        if (holding) {
                res->decision.admit = false;
                res->decision.reason = MS_HELD_FROZEN;
        } else if (res->decision.admit && gathering(f, w, adm, n, now)) {
                /* Nobody goes first meanwhile: the CPUs count as taken. */
                res->decision.admit = res->decision.timed = false;
                res->decision.reason = MS_HELD_GATHERING;
                res->decision.cpus_spare = 0;
        }
        if (res->decision.admit && res->decision.cpus_spare < count_waiting(f) &&
            long_first(f, w, &v)) {
                /* Its CPU went to a longer job: it waits for the next. */
                res->decision.admit = res->decision.timed = false;
                res->decision.reason = MS_HELD_CPUS;
                res->decision.cpus_spare = 0;
        }
        if (res->decision.admit) {
                uint64_t rss = 0;
                (void)ops->rss(req->pid, &rss, ops->userdata);
                admit_slot(&f->slot[w->self], rss, now, MS_GRANT_NONE, res->decision.timed);
                ms_ledger_wake(f, ms_ledger_head(f));
                res->slot = w->self;
                res->outcome = MS_QUEUE_ADMITTED;
                return MS_QUEUE_DONE;
        }
        *sleep_ns = head_held(f, w, &cand, holding, adm, n, &v, res);
        note_held(&f->slot[w->self], &res->decision);
        if (!res->held) {
                res->held = true;
                if (ops->held)
                        ops->held(&res->last, &res->decision, 0, ops->userdata);
        }
        return MS_QUEUE_SLEEP;
}

int ms_queue_step(struct ms_ledger_file *f, const struct ms_config *c, const struct ms_queue_request *req,
                  const struct ms_queue_ops *ops, struct ms_queue_waiter *w, uint64_t now,
                  struct ms_queue_result *res, uint64_t *sleep_ns)
{
        struct ms_slot *me = &f->slot[w->self];
        uint64_t timeout_ns = c->timeout_usec * 1000;
        int head, r;

        res->waited_ns = now - w->start_ns;
        ms_ledger_repair(f);
        if (me->pid != req->pid || me->starttime != req->starttime || me->ticket != w->ticket ||
            ms_slot_state(me) == MS_SLOT_FREE)
                return -ESTALE;
        if (ms_slot_state(me) == MS_SLOT_GRANTED)
                return take_grant(f, req, ops, me, now, res);
        if (ops->cancelled && ops->cancelled(ops->userdata)) {
                leave_and_hand_off(f, w->self);
                return -ECANCELED;
        }
        /* What the others judge us by: alive and looking, and our needs. */
        me->looked_ns = now;
        me->percent = c->percent;
        me->min_available = c->min_available;
        head = effective_head(f, c, w->self, req->pidns, ops, now);
        if (timeout_ns && res->waited_ns >= timeout_ns) {
                leave_and_hand_off(f, w->self);
                res->outcome = MS_QUEUE_EXPIRED;
                return MS_QUEUE_DONE;
        }
        if (head != w->self && head >= 0) {
                if (!res->held) {
                        res->held = true;
                        if (ops->held)
                                ops->held(NULL, NULL, waiting_ahead(f, w->ticket), ops->userdata);
                }
                *sleep_ns = until_timeout(c, res->waited_ns, MS_WAITER_CHECK_NS);
                return MS_QUEUE_SLEEP;
        }
        r = head_look(f, req, ops, w, now, res);
        if (r < 0) {
                leave_and_hand_off(f, w->self);
                return r;
        }
        r = head_step(f, c, req, ops, w, now, res, sleep_ns);
        if (r == MS_QUEUE_SLEEP)
                *sleep_ns = until_timeout(c, res->waited_ns, *sleep_ns);
        return r;
}

/* How long the next lock may be waited for: MS_LEDGER_PATIENCE_NS while its
 * holder is at work (ms_ledger_lock_patient), and not past the timeout (a
 * moment at least, to give up cleanly). */
static uint64_t lock_bound(const struct ms_config *c, uint64_t waited_ns)
{
        uint64_t timeout_ns = c->timeout_usec * 1000, bound = MS_LEDGER_PATIENCE_NS;

        if (timeout_ns && timeout_ns > waited_ns && timeout_ns - waited_ns < bound)
                bound = timeout_ns - waited_ns;
        else if (timeout_ns && timeout_ns <= waited_ns)
                bound = 1000000;
        return bound;
}

/* The lock could not be had: leave our slot without it. */
static int lock_failed(struct ms_ledger *l, const struct ms_queue_request *req, const struct ms_queue_waiter *w,
                       const struct ms_queue_ops *ops, struct ms_queue_result *res, int r)
{
        if (w->self >= 0) {
                (void)ms_ledger_leave_unlocked(l->map, w->self, req->pid, req->starttime);
                res->waited_ns = ops->now_ns(ops->userdata) - w->start_ns;
        }
        return r;
}

int ms_queue_wait(struct ms_ledger *l, const struct ms_config *c, const struct ms_queue_request *req,
                  const struct ms_queue_ops *ops, struct ms_queue_result *res)
{
        struct ms_queue_waiter w = { .self = -1 };
        uint64_t sleep_ns = 0;
        int r;

        memset(res, 0, sizeof(*res));
        res->slot = -1;
        for (;;) {
                /* Bounded by the time waited as of the last look (sleeps come on top). */
                r = ms_ledger_lock_patient(l, lock_bound(c, res->waited_ns + sleep_ns));
                if (r < 0)
                        return lock_failed(l, req, &w, ops, res, r);
                uint64_t now = ops->now_ns(ops->userdata);
                if (w.self < 0)
                        r = ms_queue_join(l->map, req, ops, now, &w);
                else
                        r = ms_queue_step(l->map, c, req, ops, &w, now, res, &sleep_ns);
                ms_ledger_unlock(l);
                if (r < 0 || r == MS_QUEUE_DONE)
                        return r < 0 ? r : 0;
                /*
                 * A process leaving wakes us from its exit handler, before the
                 * kernel has freed its memory: look again soon, backing off anew.
                 */
                if (r == MS_QUEUE_SLEEP && ms_ledger_sleep(l->map, w.self, MS_SLOT_WAITING, sleep_ns))
                        w.attempt = 0;
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
                l->map->slot[i].pidns = l->pidns;
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

int ms_queue_curve(struct ms_ledger *l, pid_t pid, uint64_t starttime, uint64_t peak, uint64_t cpu_ms,
                   uint64_t now_ns, struct ms_curve *out)
{
        return ms_queue_curve_within(l, MS_LEDGER_LOCK_NS, pid, starttime, peak, cpu_ms, now_ns, out);
}

int ms_queue_curve_within(struct ms_ledger *l, uint64_t timeout_ns, pid_t pid, uint64_t starttime, uint64_t peak,
                          uint64_t cpu_ms, uint64_t now_ns, struct ms_curve *out)
{
        int i, r = ms_ledger_lock_within(l, timeout_ns);

        if (r < 0)
                return r;
        i = ms_ledger_find(l->map, pid, starttime);
        if (i >= 0 && ms_slot_admitted(&l->map->slot[i])) {
                const struct ms_slot *s = &l->map->slot[i];
                uint64_t wall_ms = ms_ledger_age(s, now_ns) / 1000000;

                ms_curve_from_trace(&s->trace, peak, wall_ms, out);
                ms_curve_shrink(out, ms_curve_alone_ms(wall_ms, cpu_ms));
                /* The fastest growth and the slowest end seen: this run's or
                 * its earlier ones'. Not its program's (a typical
                 * prediction's): a short job (a link) predicted from a long
                 * one learned 7/8 of that one's duration. */
                if (s->kind == MS_PREDICT_VERIFIED)
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

        if (ms_ledger_lock(l) < 0) {
                (void)ms_ledger_leave_unlocked(l->map, ms_ledger_find(l->map, pid, starttime), pid, starttime);
                return;
        }
        i = ms_ledger_find(l->map, pid, starttime);
        if (i >= 0)
                leave_slot(l->map, i);
        ms_ledger_wake(l->map, ms_ledger_head(l->map));
        ms_ledger_unlock(l);
}
