/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * queue: one look at a time (ms_queue_join, ms_queue_step) on a ledger in
 * memory, with the clock and the figures injected: what the waiter decides
 * and how long it would sleep, without sleeping.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate/ledger.h"
#include "gate/policy.h"
#include "gate/queue.h"

#define MIB (UINT64_C(1) << 20)
#define MS_ (UINT64_C(1000) * 1000)
#define ME 4242
#define OTHER 999999

struct t {
        struct ms_ledger_file *f;
        uint64_t available, total;
        int samples, sample_err;
        uint64_t rss; /* of every slot; 0: 1 MiB */
        bool others_alive;
        unsigned held_calls, held_ahead;
        unsigned running_calls;
        struct ms_queue_ops ops;
        struct ms_queue_request req;
        struct ms_config c;
        struct ms_queue_waiter w;
        struct ms_queue_result res;
};

/* What memory shows: t->available of t->total, or t->sample_err. */
static int fake_sample(struct ms_sample *s, void *userdata)
{
        struct t *t = userdata;

        *s = (struct ms_sample){ .available = t->available, .total = t->total };
        return t->samples++, t->sample_err;
}

static int fake_rss(pid_t pid, uint64_t *rss, void *userdata)
{
        struct t *t = userdata;

        *rss = t->rss ? t->rss : 1 * MIB;
        return 0;
}

static bool fake_alive(pid_t pid, uint64_t starttime, void *userdata)
{
        return pid == ME || ((struct t *)userdata)->others_alive;
}

static uint64_t no_clock(void *userdata)
{
        fail_msg("the step reads no clock: it is given the time");
        return 0;
}

static void on_held(const struct ms_sample *s, const struct ms_admit_result *r, unsigned ahead, void *userdata)
{
        struct t *t = userdata;

        t->held_calls++;
        t->held_ahead = ahead;
}

static int setup(void **state)
{
        struct t *t = calloc(1, sizeof(*t));

        t->f = calloc(1, sizeof(*t->f));
        t->f->header = (struct ms_ledger_header){ .magic = MS_LEDGER_MAGIC, .version = MS_LEDGER_VERSION,
                                                  .slots = MS_LEDGER_SLOTS, .slot_size = sizeof(struct ms_slot),
                                                  .next_ticket = 1 };
        t->available = 4000 * MIB;
        t->total = 8000 * MIB;
        t->ops = (struct ms_queue_ops){ .sample = fake_sample, .rss = fake_rss, .alive = fake_alive,
                                        .now_ns = no_clock, .held = on_held, .userdata = t };
        t->req = (struct ms_queue_request){
                .pid = ME, .starttime = 1, .program = "test",
                .cand = { .kind = MS_PREDICT_VERIFIED, .predicted = 100 * MIB, .worst = 100 * MIB },
        };
        ms_config_init(&t->c);
        *state = t;
        return 0;
}

static int teardown(void **state)
{
        struct t *t = *state;

        free(t->f);
        free(t);
        return 0;
}

/* A live waiter ahead of us, in slot 5. */
static void someone_ahead(struct t *t)
{
        t->f->slot[5] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = OTHER, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++ };
}

static int join(struct t *t, uint64_t now)
{
        memset(&t->res, 0, sizeof(t->res));
        return ms_queue_join(t->f, &t->req, &t->ops, now, &t->w);
}

static int step(struct t *t, uint64_t now, uint64_t *sleep_ns)
{
        *sleep_ns = 0;
        return ms_queue_step(t->f, &t->c, &t->req, &t->ops, &t->w, now, &t->res, sleep_ns);
}

static void head_admits_itself_when_it_fits(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        assert_int_equal(join(t, 10 * MS_), MS_QUEUE_LOOK);
        assert_int_equal(ms_slot_state(&t->f->slot[t->w.self]), MS_SLOT_WAITING);
        assert_int_equal(step(t, 15 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(t->res.waited_ns, 5 * MS_);
        assert_false(t->res.held);
        assert_int_equal(t->samples, 1);
        assert_true(ms_slot_admitted(&t->f->slot[t->w.self]));
}

static bool other_is_ancestor(pid_t pid, void *userdata)
{
        return pid == OTHER;
}

/* An unknown job admitted before (the script that starts us) keeps its prior
 * against others, not against what it starts. */
static void unknown_ancestor_does_not_hold_its_child(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->available = t->total = 1024 * MIB;
        t->others_alive = true;
        t->req.cand = (struct ms_candidate){ .kind = MS_PREDICT_UNKNOWN };
        t->f->slot[5] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER, .starttime = 3, .ticket = 1,
                                          .kind = MS_PREDICT_UNKNOWN, .worst = 512 * MIB, .rss = 1 * MIB };
        t->f->header.next_ticket = 2;
        assert_int_equal(join(t, 10 * MS_), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 15 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_MEMORY);
        /* Its slot says why, for `memstop status`: the prior it needs, and
         * what the other's reservation (its prior less its RSS) leaves. */
        assert_int_equal(t->f->slot[t->w.self].held, MS_HELD_MEMORY + 1);
        assert_int_equal(t->f->slot[t->w.self].held_need, 512 * MIB);
        assert_int_equal(t->f->slot[t->w.self].held_free, 1024 * MIB - 511 * MIB);
        t->ops.ancestor = other_is_ancestor;
        assert_int_equal(step(t, 20 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(t->f->slot[t->w.self].held, 0);
        /* What it was admitted as: unknown, with the prior of 1 GiB. */
        assert_int_equal(t->f->slot[t->w.self].worst, 512 * MIB);
}

/* Slot 5's job (OTHER) started 777, which waits in slot 6; we are no kin. */
static pid_t fake_parent(pid_t pid, void *userdata)
{
        return pid == 777 ? OTHER : 1;
}

/* An admitted job that a waiter descends from waits for it: its reservation
 * holds no one back (else the head waits for it, it for its child, and the
 * child, behind the head, for ever). */
static void job_waiting_for_its_child_holds_no_one_back(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->available = t->total = 1024 * MIB;
        t->others_alive = true;
        t->req.cand = (struct ms_candidate){ .kind = MS_PREDICT_UNKNOWN, .worst = 512 * MIB };
        t->f->slot[5] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER, .starttime = 3, .ticket = 1,
                                          .kind = MS_PREDICT_UNKNOWN, .worst = 512 * MIB, .rss = 1 * MIB };
        t->f->header.next_ticket = 2;
        assert_int_equal(join(t, 10 * MS_), MS_QUEUE_LOOK);
        t->f->slot[6] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 777, .starttime = 4,
                                          .ticket = t->f->header.next_ticket++, .kind = MS_PREDICT_UNKNOWN };
        assert_int_equal(step(t, 15 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_MEMORY);
        t->ops.parent = fake_parent;
        assert_int_equal(step(t, 20 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
}

static bool all_run(pid_t pid, void *userdata)
{
        return true;
}

static bool none_run(pid_t pid, void *userdata)
{
        return false;
}

static const struct ms_curve curve_2s = { 2000, { 187, 375, 562, 750, 937, 1125, 1312, 1500 } };

/* Two admitted jobs of 600M that run 2 s, in slots 5 and 6. */
static void two_jobs_of_600m(struct t *t)
{
        for (int i = 5; i < 7; i++)
                t->f->slot[i] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER + i, .starttime = 3,
                                                  .ticket = (uint64_t)i, .kind = MS_PREDICT_VERIFIED,
                                                  .predicted = 600 * MIB, .worst = 600 * MIB,
                                                  .rss = 600 * MIB, .supervised = 1, .curve = curve_2s };
        t->f->header.next_ticket = 7;
}

/* A job that would start on time waits while as many admitted jobs run as
 * there are CPUs; the head asks the op about each. */
static void on_time_waits_for_a_cpu(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->available = 800 * MIB;
        t->total = 2048 * MIB;
        t->rss = 600 * MIB;
        t->others_alive = true;
        two_jobs_of_600m(t);
        t->req.cand = (struct ms_candidate){ .kind = MS_PREDICT_VERIFIED, .predicted = 900 * MIB,
                                             .worst = 900 * MIB, .curve = curve_2s, .supervised = true,
                                             .cpus = 2 };
        t->ops.running = all_run;
        assert_int_equal(join(t, 1300 * MS_), MS_QUEUE_LOOK);
        /* A small job of known size behind us: memory would let it go first. */
        t->f->slot[8] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = OTHER + 8, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++, .kind = MS_PREDICT_VERIFIED,
                                          .predicted = 50 * MIB, .worst = 50 * MIB, .supervised = 1 };
        assert_int_equal(step(t, 1300 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
        assert_true(ms_admit_cpus_full(&t->res.decision));
        /* No one goes first while the CPUs are taken: it would take a CPU
         * from the running jobs, and our place. */
        assert_int_equal(t->f->slot[8].state, MS_SLOT_WAITING);
        /* They stop running (no one joins now: no gathering). */
        t->ops.running = none_run;
        assert_int_equal(step(t, 1300 * MS_ + MS_GATHER_NS, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_true(t->res.decision.timed);
}

/* Held for CPUs, a head looks again within MS_HEAD_CPU_POLL_NS, whatever it knows of its own
 * growth: a job that stops running frees a CPU, and that wakes no one. */
static void cpu_held_head_looks_again_soon(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->available = 3000 * MIB;
        t->total = 4096 * MIB;
        t->others_alive = true;
        two_jobs_of_600m(t);
        /* Known size, no curve of its own. */
        t->req.cand = (struct ms_candidate){ .kind = MS_PREDICT_VERIFIED, .predicted = 400 * MIB,
                                             .worst = 400 * MIB, .supervised = true, .cpus = 2 };
        t->ops.running = all_run;
        assert_int_equal(join(t, 1300 * MS_), MS_QUEUE_LOOK);
        for (int i = 0; i < 12; i++) {
                assert_int_equal(step(t, (1300 + 10 * (uint64_t)i) * MS_, &sleep_ns), MS_QUEUE_SLEEP);
                assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
                assert_true(sleep_ns <= MS_HEAD_CPU_POLL_NS);
        }
        /* Not as often as a head that may fit in time: each look reads /proc. */
        assert_true(sleep_ns == MS_HEAD_CPU_POLL_NS && MS_HEAD_CPU_POLL_NS > MS_HEAD_TIMED_POLL_NS);
}

/* A job of verified size waiting behind us, joined now, that runs duration_ms. */
static void waiting_job(struct t *t, int i, uint32_t duration_ms)
{
        struct ms_curve curve = { duration_ms, { 0 } };

        t->f->slot[i] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = OTHER + i, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++, .kind = MS_PREDICT_VERIFIED,
                                          .predicted = 400 * MIB, .worst = 400 * MIB, .supervised = 1,
                                          .curve = curve };
}

static bool only_9_runs(pid_t pid, void *userdata)
{
        return pid == OTHER + 9;
}

/* One job runs, on one of two CPUs; we, 2 s long, would take the other. */
static void last_cpu_setup(struct t *t, unsigned cpus)
{
        t->available = 3000 * MIB;
        t->total = 4096 * MIB;
        t->others_alive = true;
        /* Let in at 4 s: due to end after 6 s. */
        t->f->slot[5] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER + 5, .starttime = 3, .ticket = 1,
                                          .since_ns = 4000 * MS_, .kind = MS_PREDICT_VERIFIED,
                                          .predicted = 600 * MIB, .worst = 600 * MIB, .rss = 600 * MIB,
                                          .supervised = 1, .curve = curve_2s };
        t->f->header.next_ticket = 2;
        t->req.cand = (struct ms_candidate){ .kind = MS_PREDICT_VERIFIED, .predicted = 400 * MIB,
                                             .worst = 400 * MIB, .curve = curve_2s, .supervised = true,
                                             .cpus = cpus };
        t->ops.running = all_run;
}

/* Where CPUs are the limit, the longest job that was waiting when we became
 * the head takes the last CPU; a job barely longer, or come later, does not. */
static void longest_waiting_job_takes_the_last_cpu(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        last_cpu_setup(t, 2);
        assert_int_equal(join(t, 5000 * MS_), MS_QUEUE_LOOK);
        waiting_job(t, 8, 2100); /* barely longer */
        waiting_job(t, 9, 6000);
        waiting_job(t, 10, 4000);
        assert_int_equal(step(t, 5000 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
        assert_true(sleep_ns <= MS_HEAD_CPU_POLL_NS);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_GRANTED);
        assert_int_equal(t->f->slot[9].granted, MS_GRANT_LONG_FIRST);
        assert_int_equal(t->f->slot[8].state, MS_SLOT_WAITING);
        assert_int_equal(t->f->slot[10].state, MS_SLOT_WAITING);
        /* Both CPUs are taken now (the granted job counts at once). */
        waiting_job(t, 11, 9000); /* after our horizon */
        assert_int_equal(step(t, 5040 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
        assert_int_equal(t->f->slot[10].state, MS_SLOT_WAITING);
        /* The first job ends; the 6 s one runs on: the next longest goes,
         * not the later one. */
        t->f->slot[9].state = MS_SLOT_ADMITTED;
        t->ops.running = only_9_runs;
        assert_int_equal(step(t, 7000 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->f->slot[10].state, MS_SLOT_GRANTED);
        assert_int_equal(t->f->slot[11].state, MS_SLOT_WAITING);
        assert_int_equal(t->f->slot[8].state, MS_SLOT_WAITING);
        /* No one longer is left from before: we go. */
        t->f->slot[10].state = MS_SLOT_ADMITTED;
        assert_int_equal(step(t, 9000 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
}

/* A waiting job of verified size, predicted_mib at its peak, that runs
 * duration_ms and grows by curve. */
static void waiting_job_curve(struct t *t, int i, uint64_t predicted_mib, const struct ms_curve *curve)
{
        waiting_job(t, i, curve->duration_ms);
        t->f->slot[i].predicted = t->f->slot[i].worst = predicted_mib * MIB;
        t->f->slot[i].curve = *curve;
}

/* Memory is the limit too: a long job that fits only in time, by the rule
 * the head itself is let in by, still takes the CPU before a short head that
 * fits now (a warm 1 GiB build: the 8.8 s unit that fitted only in time
 * started last and ran alone for 7 s); a longer one that would grow into
 * the running job's room before it ends does not. */
static void long_job_that_fits_in_time_takes_the_cpu_first(void **state)
{
        /* Grows late: under half its size for 4.6 s of 6. */
        static const struct ms_curve late = { 6000, { 4000, 4200, 4400, 4600, 4800, 5000, 5200, 5400 } };
        /* Grows at once. */
        static const struct ms_curve early = { 7000, { 50, 100, 150, 200, 250, 300, 350, 400 } };
        struct t *t = *state;
        uint64_t sleep_ns;

        last_cpu_setup(t, 2);
        /* 1 GiB: the running job holds 600 MiB until it ends after 6 s. */
        t->total = 1024 * MIB;
        t->available = 400 * MIB;
        t->rss = 600 * MIB;
        t->req.cand.predicted = t->req.cand.worst = 100 * MIB;
        assert_int_equal(join(t, 5000 * MS_), MS_QUEUE_LOOK);
        waiting_job_curve(t, 8, 500, &early);
        waiting_job_curve(t, 9, 500, &late);
        assert_int_equal(step(t, 5000 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_GRANTED);
        assert_int_equal(t->f->slot[9].granted, MS_GRANT_LONG_FIRST);
        assert_int_equal(t->f->slot[9].timed, 1);
        assert_int_equal(t->f->slot[8].state, MS_SLOT_WAITING);
}

static bool counted_5_runs(pid_t pid, void *userdata)
{
        ((struct t *)userdata)->running_calls++;
        return pid == OTHER + 5;
}

/* Whether a job runs reads its process tree: asked once per look for each
 * admitted job, not again for each waiting job weighed. */
static void running_is_asked_once_per_look(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        last_cpu_setup(t, 2);
        t->ops.running = counted_5_runs;
        assert_int_equal(join(t, 5000 * MS_), MS_QUEUE_LOOK);
        for (int i = 8; i < 12; i++)
                waiting_job(t, i, 3000 + 1000 * (uint32_t)i);
        assert_int_equal(step(t, 5000 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->f->slot[11].state, MS_SLOT_GRANTED); /* the longest, weighed with the others */
        assert_int_equal(t->running_calls, 1);
}

/* More wait than there are CPUs: the free CPUs, too, go to the longest first. */
static void free_cpus_go_to_the_longest_first(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        last_cpu_setup(t, 2);
        t->ops.running = none_run;
        assert_int_equal(join(t, 6000 * MS_), MS_QUEUE_LOOK);
        waiting_job(t, 9, 6000);
        waiting_job(t, 10, 4000);
        /* No one has joined for MS_GATHER_NS (starting_build_gathers...). */
        assert_int_equal(step(t, 6030 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_GRANTED);
        assert_int_equal(t->f->slot[10].state, MS_SLOT_WAITING);
        assert_int_equal(step(t, 6040 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->f->slot[10].state, MS_SLOT_GRANTED);
        /* Both just let in: they count as running, the CPUs are full. */
        assert_int_equal(step(t, 6050 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
}

static void waiting_job_since(struct t *t, int i, uint32_t duration_ms, uint64_t since_ns)
{
        waiting_job(t, i, duration_ms);
        t->f->slot[i].since_ns = since_ns;
}

/* The first job of a build, supervised, 2 s long, on 2 idle CPUs. */
static void build_start_setup(struct t *t)
{
        t->available = 3000 * MIB;
        t->total = 4096 * MIB;
        t->others_alive = true;
        t->req.cand = (struct ms_candidate){ .kind = MS_PREDICT_VERIFIED, .predicted = 400 * MIB,
                                             .worst = 400 * MIB, .curve = curve_2s, .supervised = true,
                                             .cpus = 2 };
        t->ops.running = none_run;
}

/* A build starting its jobs: the first to join waits while the others still
 * join, then the longest go first (the first two to join were started at
 * once: two short units first, the longest last and alone at the end). */
static void starting_build_gathers_then_the_longest_go_first(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        build_start_setup(t);
        assert_int_equal(join(t, 1000 * MS_), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1000 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_GATHERING);
        assert_true(sleep_ns > 0 && sleep_ns <= MS_GATHER_NS);
        waiting_job_since(t, 8, 6000, 1010 * MS_);
        waiting_job_since(t, 9, 9000, 1020 * MS_);
        assert_int_equal(step(t, 1040 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_GATHERING);
        assert_int_equal(t->f->slot[8].state, MS_SLOT_WAITING);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_WAITING);
        /* No one joined for MS_GATHER_NS: the longest goes, then the next,
         * though both came after us. */
        assert_int_equal(step(t, 1050 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_GRANTED);
        assert_int_equal(t->f->slot[9].granted, MS_GRANT_LONG_FIRST);
        assert_int_equal(t->f->slot[8].state, MS_SLOT_WAITING);
        assert_int_equal(step(t, 1060 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->f->slot[8].state, MS_SLOT_GRANTED);
        /* Both CPUs taken: we wait for one, not for others to join. */
        waiting_job_since(t, 10, 7000, 1070 * MS_);
        assert_int_equal(step(t, 1070 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
}

/* Gathering is brief: however many keep joining, MS_GATHER_MAX_NS after we
 * became the head we decide; and a short head, or one without a CPU count
 * (plain LD_PRELOAD), or with a job running, does not gather at all. */
static void gathering_is_bounded(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns, now = 1000 * MS_;
        int i = 8;

        build_start_setup(t);
        assert_int_equal(join(t, now), MS_QUEUE_LOOK);
        for (; now < 1000 * MS_ + MS_GATHER_MAX_NS; now += 20 * MS_) {
                waiting_job_since(t, i++, 500, now);
                assert_int_equal(step(t, now, &sleep_ns), MS_QUEUE_SLEEP);
                assert_int_equal(t->res.decision.reason, MS_HELD_GATHERING);
        }
        waiting_job_since(t, i, 500, now);
        assert_int_equal(step(t, now, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
}

/* A job learned to be short (a build's main.c, started first) does not end
 * the gathering: the long units still start first (bench, stop 22). */
static void a_short_job_running_does_not_end_gathering(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        build_start_setup(t);
        t->f->slot[5] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER + 5, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++, .since_ns = 990 * MS_,
                                          .kind = MS_PREDICT_VERIFIED, .predicted = 100 * MIB, .worst = 100 * MIB,
                                          .rss = 100 * MIB, .supervised = 1,
                                          .curve = { 300, { 30, 60, 90, 120, 150, 180, 210, 240 } } };
        assert_int_equal(join(t, 1000 * MS_), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1000 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_GATHERING);
        waiting_job_since(t, 9, 9000, 1010 * MS_);
        assert_int_equal(step(t, 1030 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_GATHERING);
        assert_int_equal(step(t, 1050 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_GRANTED);
        assert_int_equal(t->f->slot[9].granted, MS_GRANT_LONG_FIRST);
}

static void short_or_plain_head_does_not_gather(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        build_start_setup(t);
        t->req.cand.curve = (struct ms_curve){ 900, { 100, 200, 300, 400, 500, 600, 700, 800 } };
        assert_int_equal(join(t, 1000 * MS_), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1000 * MS_, &sleep_ns), MS_QUEUE_DONE);
        memset(t->f->slot, 0, sizeof(t->f->slot));
        build_start_setup(t);
        t->req.cand.cpus = 0;
        assert_int_equal(join(t, 2000 * MS_), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 2000 * MS_, &sleep_ns), MS_QUEUE_DONE);
        memset(t->f->slot, 0, sizeof(t->f->slot));
        build_start_setup(t);
        t->f->slot[5] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER + 5, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++, .since_ns = 2500 * MS_,
                                          .kind = MS_PREDICT_VERIFIED, .predicted = 100 * MIB, .worst = 100 * MIB,
                                          .rss = 100 * MIB, .supervised = 1, .curve = curve_2s };
        assert_int_equal(join(t, 3000 * MS_), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 3000 * MS_, &sleep_ns), MS_QUEUE_DONE);
}

/* Big jobs go first, but no more of them than there are CPUs: with a small
 * head, three big jobs that fit by memory all went in at once on 2 CPUs. */
static void big_jobs_first_within_the_cpus(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;
        unsigned granted = 0;

        last_cpu_setup(t, 2);
        t->ops.running = none_run;
        t->req.cand.predicted = t->req.cand.worst = 50 * MIB;
        assert_int_equal(join(t, 6000 * MS_), MS_QUEUE_LOOK);
        for (int i = 8; i < 11; i++)
                waiting_job(t, i, 1000); /* 400M: eight times ours; shorter */
        assert_int_equal(step(t, 6000 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_CPUS);
        for (int i = 8; i < 11; i++)
                granted += t->f->slot[i].state == MS_SLOT_GRANTED;
        assert_int_equal(granted, 2);
}

/* With a CPU to spare after us, or without a duration of our own, we go. */
static void head_goes_while_cpus_are_spare(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        last_cpu_setup(t, 4);
        assert_int_equal(join(t, 5000 * MS_), MS_QUEUE_LOOK);
        waiting_job(t, 9, 6000);
        assert_int_equal(step(t, 5000 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_WAITING);
}

static void head_without_a_duration_goes(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        last_cpu_setup(t, 2);
        t->req.cand.curve = (struct ms_curve){ 0 };
        assert_int_equal(join(t, 5000 * MS_), MS_QUEUE_LOOK);
        waiting_job(t, 9, 6000);
        assert_int_equal(step(t, 5000 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_WAITING);
}

static void waiter_behind_a_live_head_sleeps(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->others_alive = true;
        someone_ahead(t);
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(sleep_ns, MS_WAITER_CHECK_NS);
        assert_int_equal(t->samples, 0);
        assert_true(t->res.held);
        assert_int_equal(t->held_calls, 1);
        assert_int_equal(t->held_ahead, 1);
        /* Told once. */
        assert_int_equal(step(t, 2 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->held_calls, 1);
}

static void sleep_ends_at_the_timeout_then_it_leaves(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->others_alive = true;
        t->c.timeout_usec = 300 * 1000;
        someone_ahead(t);
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 200 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(sleep_ns, 100 * MS_);
        assert_int_equal(step(t, 300 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_EXPIRED);
        assert_int_equal(ms_ledger_find(t->f, ME, 1), -1);
        /* The head ahead is still there. */
        assert_int_equal(ms_ledger_head(t->f), 5);
}

static void dead_head_hands_off_to_us(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        someone_ahead(t);
        /* Ahead of us by its ticket, but dead. */
        t->f->slot[5].ticket = 0;
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(ms_slot_state(&t->f->slot[5]), MS_SLOT_FREE);
}

static void held_head_backs_off(void **state)
{
        struct t *t = *state;
        uint64_t first, second, third;

        t->available = 50 * MIB;
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &first), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_MEMORY);
        assert_int_equal(first, ms_backoff_usec(0) * 1000);
        assert_int_equal(t->held_calls, 1);
        assert_int_equal(step(t, 2 * MS_, &second), MS_QUEUE_SLEEP);
        assert_int_equal(second, ms_backoff_usec(1) * 1000);
        assert_true(second > first);
        /* Woken (someone left): the back-off starts anew. */
        t->w.attempt = 0;
        assert_int_equal(step(t, 3 * MS_, &third), MS_QUEUE_SLEEP);
        assert_int_equal(third, first);
        assert_int_equal(t->samples, 3);
        /* Memory came back. */
        t->available = 4000 * MIB;
        assert_int_equal(step(t, 4 * MS_, &third), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_true(t->res.held);
}

#define PROG 0xc1a9u
static uint64_t code_mib;    /* what fake_code says any admitted pid has in memory */
static uint64_t other_pidns; /* the running instance's pid namespace, 0: unknown */

static uint64_t fake_code(pid_t pid, void *userdata)
{
        assert_int_equal(pid, OTHER); /* only a running instance is asked, never the head */
        return code_mib * MIB;
}

/* One instance of our program runs (slot 5, its whole 400 MiB resident, 0
 * pending); we are 400 MiB of learned size, with room MiB beyond the
 * threshold. Returns whether we are admitted. */
static bool beside_running_instance(struct t *t, uint64_t room, uint64_t program_hash, enum ms_prediction_kind kind)
{
        uint64_t sleep_ns;
        int r;

        t->others_alive = true;
        t->rss = 400 * MIB;
        t->available = ms_config_required(&t->c, t->total) + room * MIB;
        t->req.program_hash = PROG;
        t->req.cand = (struct ms_candidate){ .kind = kind, .predicted = 400 * MIB, .worst = 400 * MIB };
        t->f->slot[5] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER, .starttime = 3, .ticket = 1,
                                          .kind = MS_PREDICT_VERIFIED, .predicted = 400 * MIB, .worst = 400 * MIB,
                                          .rss = 400 * MIB, .grown_rss = 400 * MIB, .program_hash = program_hash,
                                          .pidns = other_pidns };
        t->f->header.next_ticket = 2;
        assert_int_equal(join(t, 10 * MS_), MS_QUEUE_LOOK);
        r = step(t, 20000 * MS_, &sleep_ns);
        if (r == MS_QUEUE_DONE) {
                /* Admitted, it reserves its whole size: its RSS will count the code too. */
                assert_true(t->f->slot[t->w.self].predicted == 400 * MIB);
                return true;
        }
        assert_int_equal(r, MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_MEMORY);
        return false;
}

/* A running instance of the same program has its code in memory: we need
 * that much less, at most a quarter of our size; learned sizes only. */
static void same_program_code_counts_once(void **state)
{
        struct t *t = *state;

        code_mib = 80;
        t->ops.code = fake_code;
        assert_true(beside_running_instance(t, 350, PROG, MS_PREDICT_VERIFIED));
}

static void code_not_counted_without_op(void **state)
{
        struct t *t = *state;

        assert_false(beside_running_instance(t, 350, PROG, MS_PREDICT_VERIFIED));
}

static void code_of_other_program_not_counted(void **state)
{
        struct t *t = *state;

        code_mib = 80;
        t->ops.code = fake_code;
        assert_false(beside_running_instance(t, 350, PROG + 1, MS_PREDICT_VERIFIED));
}

static void code_counts_a_quarter_at_most(void **state)
{
        struct t *t = *state;

        code_mib = 300; /* a linker's mapped inputs, say: 100 MiB off, not 300 */
        t->ops.code = fake_code;
        assert_false(beside_running_instance(t, 290, PROG, MS_PREDICT_VERIFIED));
}

/* Its pid is not one we can read. */
static void code_of_other_pid_namespace_not_counted(void **state)
{
        struct t *t = *state;

        code_mib = 80;
        t->ops.code = fake_code;
        t->req.pidns = 7;
        other_pidns = 8;
        assert_false(beside_running_instance(t, 350, PROG, MS_PREDICT_VERIFIED));
        other_pidns = 0;
}

static void code_not_counted_for_unknown_size(void **state)
{
        struct t *t = *state;

        code_mib = 80;
        t->ops.code = fake_code;
        assert_false(beside_running_instance(t, 350, PROG, MS_PREDICT_UNKNOWN));
}

static void granted_waiter_takes_its_grant(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;
        struct ms_slot *me;

        t->others_alive = true;
        someone_ahead(t);
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        me = &t->f->slot[t->w.self];
        /* The head let us in by backfill. */
        me->state = MS_SLOT_GRANTED;
        me->granted = MS_GRANT_BACKFILL;
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_true(t->res.granted);
        assert_int_equal(ms_slot_state(me), MS_SLOT_ADMITTED);
        assert_int_equal(me->granted, MS_GRANT_BACKFILL);
        assert_int_equal(me->rss, 1 * MIB);
        assert_int_equal(t->samples, 0);
}

static void vanished_slot_is_stale(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        memset(&t->f->slot[t->w.self], 0, sizeof(struct ms_slot));
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), -ESTALE);
}

static void unreadable_figures_leave_the_queue(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->sample_err = -EIO;
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), -EIO);
        assert_int_equal(ms_ledger_find(t->f, ME, 1), -1);
}

static void supervisor_hold_keeps_the_head_waiting(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->others_alive = true;
        t->f->slot[9] = (struct ms_slot){ .state = MS_SLOT_HOLD, .pid = OTHER, .starttime = 2,
                                          .ticket = t->f->header.next_ticket++ };
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->res.decision.reason, MS_HELD_FROZEN);
        assert_int_equal(t->f->slot[t->w.self].held, MS_HELD_FROZEN + 1);
        assert_false(t->res.decision.admit);
        assert_int_equal(ms_slot_state(&t->f->slot[t->w.self]), MS_SLOT_WAITING);
}

static void full_ledger_cannot_be_joined(void **state)
{
        struct t *t = *state;

        t->others_alive = true;
        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++)
                t->f->slot[i] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER, .starttime = 10 + i,
                                                  .ticket = t->f->header.next_ticket++ };
        assert_int_equal(join(t, 0), -ENOSPC);
}

/* ---- issue 12: no one process stalls the queue ---- */

static bool other_stopped(pid_t pid, uint64_t starttime, void *userdata)
{
        return pid == OTHER;
}

/* A head stopped while waiting (Ctrl-Z, a debugger, a supervisor's freeze of
 * a job still in its constructor) kept everyone behind it waiting. */
static void stopped_head_is_skipped(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->others_alive = true;
        t->ops.stopped = other_stopped;
        someone_ahead(t);
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        /* It stays in line, for when it resumes. */
        assert_int_equal(ms_slot_state(&t->f->slot[5]), MS_SLOT_WAITING);
}

/* A head that has not looked for MS_SLOT_STALE_NS (stuck, or of a pid
 * namespace whose processes are gone) is skipped too; a fresh one is not. */
static void stale_head_is_skipped(void **state)
{
        struct t *t = *state;
        uint64_t now = 10ull * 1000 * MS_, sleep_ns;

        t->others_alive = true;
        someone_ahead(t);
        t->f->slot[5].looked_ns = now - MS_SLOT_STALE_NS / 2;
        assert_int_equal(join(t, now), MS_QUEUE_LOOK);
        assert_int_equal(step(t, now + 1 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        assert_int_equal(t->samples, 0);
        assert_int_equal(step(t, now + MS_SLOT_STALE_NS, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        /* From the future (garbage, another time namespace): stale as well. */
        memset(t->f->slot, 0, sizeof(t->f->slot));
        someone_ahead(t);
        t->f->slot[5].looked_ns = UINT64_MAX;
        assert_int_equal(join(t, now), MS_QUEUE_LOOK);
        assert_int_equal(step(t, now + 1 * MS_, &sleep_ns), MS_QUEUE_DONE);
}

/* A head with MEMSTOP_MIN_AVAILABLE=1T blocked a process whose own threshold
 * was met (22 GB free): needs that are not ours do not keep us waiting. */
static void stricter_head_does_not_block_us(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->others_alive = true;
        someone_ahead(t);
        t->f->slot[5].min_available = UINT64_C(1) << 40;
        t->f->slot[5].percent = 10;
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        /* The same needs as ours: it goes first, as ever. */
        memset(t->f->slot, 0, sizeof(t->f->slot));
        someone_ahead(t);
        t->f->slot[5].percent = 10;
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
        /* A waiter ahead with a lower threshold is no reason either way. */
        t->f->slot[5].percent = 5;
        assert_int_equal(step(t, 2 * MS_, &sleep_ns), MS_QUEUE_SLEEP);
}

/* {pid 1, init's start time, WAITING, ticket 0} parked the queue for ever. */
static void impossible_slots_are_repaired_at_every_look(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->others_alive = true;
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        t->f->slot[7] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 1, .starttime = 1, .ticket = 0 };
        t->f->slot[8] = (struct ms_slot){ .state = 77, .pid = OTHER, .ticket = 1 };
        t->f->slot[9] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = OTHER, .ticket = UINT64_MAX };
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_DONE);
        assert_int_equal(t->res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(t->f->slot[7].state, MS_SLOT_FREE);
        assert_int_equal(t->f->slot[8].state, MS_SLOT_FREE);
        assert_int_equal(t->f->slot[9].state, MS_SLOT_FREE);
}

/* Processes of another pid namespace sharing /dev/shm pruned the host's
 * slots: a pid is judged only in the namespace that wrote it. */
static void other_namespaces_slots_are_never_pruned(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        t->others_alive = false; /* as we see pids: OTHER is dead */
        t->req.pidns = 4026531836u;
        t->f->slot[3] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++, .pidns = 4026532999u };
        t->f->slot[4] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER + 1, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++, .pidns = 4026531836u };
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(t->f->slot[t->w.self].pidns, 4026531836u);
        /* The head prunes: ours of the dead, not theirs. */
        assert_true(step(t, 1 * MS_, &sleep_ns) >= 0);
        assert_int_equal(t->f->slot[3].state, MS_SLOT_ADMITTED);
        assert_int_equal(t->f->slot[4].state, MS_SLOT_FREE);
}

/* A join reads no proc/PID/stat while a slot is free; with none free, it
 * prunes the dead's and takes one of theirs. */
static void a_join_prunes_only_when_the_ledger_is_full(void **state)
{
        struct t *t = *state;

        t->others_alive = false; /* OTHER + i are dead */
        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++)
                t->f->slot[i] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER + (pid_t)i,
                                                  .starttime = 3, .ticket = t->f->header.next_ticket++ };
        t->f->slot[7].state = MS_SLOT_FREE;
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(t->w.self, 7);
        assert_int_equal(t->f->slot[0].state, MS_SLOT_ADMITTED); /* not pruned */
        memset(&t->f->slot[7], 0, sizeof(t->f->slot[7]));
        t->f->slot[7] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = OTHER + 7, .starttime = 3,
                                          .ticket = t->f->header.next_ticket++ };
        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(t->w.self, 0);
        assert_int_equal(t->f->slot[1].state, MS_SLOT_FREE); /* pruned */
}

static bool switched_off(void *userdata)
{
        return true;
}

/* The kill switch releases waiters at their next look. */
static void kill_switch_releases_waiters(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;

        /* Held behind a live head, as in waiter_behind_a_live_head_sleeps. */
        waiter_behind_a_live_head_sleeps(state);
        t->ops.cancelled = switched_off;
        assert_int_equal(step(t, 3 * MS_, &sleep_ns), -ECANCELED);
        assert_int_equal(ms_ledger_find(t->f, ME, 1), -1);
}

/* Leaving without the lock (_exit): one swap of our own slot's state. */
static void leave_without_the_lock(void **state)
{
        struct t *t = *state;
        uint64_t sleep_ns;
        int self;

        assert_int_equal(join(t, 0), MS_QUEUE_LOOK);
        assert_int_equal(step(t, 1 * MS_, &sleep_ns), MS_QUEUE_DONE);
        self = t->res.slot;
        assert_int_equal(self, t->w.self);
        assert_false(ms_ledger_leave_unlocked(t->f, self, ME, 2)); /* not ours: another start time */
        assert_false(ms_ledger_leave_unlocked(t->f, -1, ME, 1));
        assert_false(ms_ledger_leave_unlocked(t->f, MS_LEDGER_SLOTS, ME, 1));
        assert_true(ms_ledger_leave_unlocked(t->f, self, ME, 1));
        assert_int_equal(ms_ledger_find(t->f, ME, 1), -1);
        assert_false(ms_ledger_leave_unlocked(t->f, self, ME, 1));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(head_admits_itself_when_it_fits, setup, teardown),
                cmocka_unit_test_setup_teardown(unknown_ancestor_does_not_hold_its_child, setup, teardown),
                cmocka_unit_test_setup_teardown(job_waiting_for_its_child_holds_no_one_back, setup, teardown),
                cmocka_unit_test_setup_teardown(on_time_waits_for_a_cpu, setup, teardown),
                cmocka_unit_test_setup_teardown(cpu_held_head_looks_again_soon, setup, teardown),
                cmocka_unit_test_setup_teardown(longest_waiting_job_takes_the_last_cpu, setup, teardown),
                cmocka_unit_test_setup_teardown(running_is_asked_once_per_look, setup, teardown),
                cmocka_unit_test_setup_teardown(free_cpus_go_to_the_longest_first, setup, teardown),
                cmocka_unit_test_setup_teardown(long_job_that_fits_in_time_takes_the_cpu_first, setup, teardown),
                cmocka_unit_test_setup_teardown(starting_build_gathers_then_the_longest_go_first, setup, teardown),
                cmocka_unit_test_setup_teardown(gathering_is_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(a_short_job_running_does_not_end_gathering, setup, teardown),
                cmocka_unit_test_setup_teardown(short_or_plain_head_does_not_gather, setup, teardown),
                cmocka_unit_test_setup_teardown(same_program_code_counts_once, setup, teardown),
                cmocka_unit_test_setup_teardown(code_not_counted_without_op, setup, teardown),
                cmocka_unit_test_setup_teardown(code_of_other_program_not_counted, setup, teardown),
                cmocka_unit_test_setup_teardown(code_counts_a_quarter_at_most, setup, teardown),
                cmocka_unit_test_setup_teardown(code_not_counted_for_unknown_size, setup, teardown),
                cmocka_unit_test_setup_teardown(code_of_other_pid_namespace_not_counted, setup, teardown),
                cmocka_unit_test_setup_teardown(big_jobs_first_within_the_cpus, setup, teardown),
                cmocka_unit_test_setup_teardown(head_goes_while_cpus_are_spare, setup, teardown),
                cmocka_unit_test_setup_teardown(head_without_a_duration_goes, setup, teardown),
                cmocka_unit_test_setup_teardown(waiter_behind_a_live_head_sleeps, setup, teardown),
                cmocka_unit_test_setup_teardown(sleep_ends_at_the_timeout_then_it_leaves, setup, teardown),
                cmocka_unit_test_setup_teardown(dead_head_hands_off_to_us, setup, teardown),
                cmocka_unit_test_setup_teardown(held_head_backs_off, setup, teardown),
                cmocka_unit_test_setup_teardown(granted_waiter_takes_its_grant, setup, teardown),
                cmocka_unit_test_setup_teardown(vanished_slot_is_stale, setup, teardown),
                cmocka_unit_test_setup_teardown(unreadable_figures_leave_the_queue, setup, teardown),
                cmocka_unit_test_setup_teardown(supervisor_hold_keeps_the_head_waiting, setup, teardown),
                cmocka_unit_test_setup_teardown(full_ledger_cannot_be_joined, setup, teardown),
                cmocka_unit_test_setup_teardown(stopped_head_is_skipped, setup, teardown),
                cmocka_unit_test_setup_teardown(stale_head_is_skipped, setup, teardown),
                cmocka_unit_test_setup_teardown(stricter_head_does_not_block_us, setup, teardown),
                cmocka_unit_test_setup_teardown(impossible_slots_are_repaired_at_every_look, setup, teardown),
                cmocka_unit_test_setup_teardown(other_namespaces_slots_are_never_pruned, setup, teardown),
                cmocka_unit_test_setup_teardown(a_join_prunes_only_when_the_ledger_is_full, setup, teardown),
                cmocka_unit_test_setup_teardown(kill_switch_releases_waiters, setup, teardown),
                cmocka_unit_test_setup_teardown(leave_without_the_lock, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
