/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fair queue on the ledger, without a daemon.
 *
 * A gated process takes a ticket and waits. Only the head (lowest ticket)
 * samples memory; it admits itself when its predicted peak fits beside what
 * admitted processes still reserve, or will fit in time (admit.h). While it
 * waits it grants admission to later waiters whose verified peak fits now
 * and cannot delay it: the head must still fit once the jobs admitted
 * normally have ended, beside every backfilled one; or, when the head will
 * fit in time, the backfilled job must be predicted to have ended by then
 * (backfill; so a big job is never starved by small ones).
 * In its first MS_BACKFILL_NS as the head, it also lets waiting jobs of
 * verified size at least MS_BIG_FACTOR times its own go first when they fit
 * now: the biggest jobs are a build's critical path. Where CPUs are the
 * limit (the head would take the last free one), the head lets a job that
 * was already waiting when it became the head, and is expected to run an
 * eighth longer or more, take that CPU first (long_first): the longest jobs
 * start first and short ones fill in at the end, so no long job is left to
 * run alone. The others sleep on their futex, waking every
 * MS_WAITER_CHECK_NS to see whether the head died. An admitted process
 * leaves the ledger at exit (ms_queue_leave) and wakes the head.
 *
 * No process holds the others for ever: a waiter ahead that is dead, stopped
 * (state T or t), stale (no look for MS_SLOT_STALE_NS) or waits for a
 * stricter threshold than ours (a higher MEMSTOP_PERCENT or
 * MEMSTOP_MIN_AVAILABLE) does not keep us waiting: we then look at memory
 * ourselves, as a head. Lock waits are bounded (ms_ledger_lock_within); a
 * waiter that cannot get the lock leaves its slot without it and judges
 * memory alone (-ETIMEDOUT).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate/admit.h"
#include "gate/config.h"
#include "gate/ledger.h"
#include "probe/memory.h"

#define MS_BACKFILL_NS (1500ull * 1000 * 1000) /* for big_first */
/* Waiting jobs this many times bigger than the head start before it (big_first). */
#define MS_BIG_FACTOR 4u
/* A waiting job expected to run this many eighths as long as the head, or
 * more, takes a CPU before it (long_first): durations learned in other runs
 * differ by a few percent; arrival order is no better a guess. */
#define MS_LONG_EIGHTHS 9u
/* A build starting its jobs at once: the head waits while others still
 * join, the last less than this ago (gathering, queue.c)... */
#define MS_GATHER_NS (30ull * 1000 * 1000)
/* ... for at most this long after it became the head, */
#define MS_GATHER_MAX_NS (150ull * 1000 * 1000)
/* ... and only when its learned duration is this long (the wait costs it 3%
 * at most). */
#define MS_GATHER_MIN_MS 1000u
/* A waiting job's learned size counts the code of its program (clang's
 * libLLVM: a fifth of a compile's RSS), which a running instance of the same
 * program already has in memory: it counts less that code, by at most
 * 1/MS_CODE_SHARE_DIV of its size (a linker's mapped inputs are file pages
 * too, and its own). */
#define MS_CODE_SHARE_DIV 4u
#define MS_WAITER_CHECK_NS (500ull * 1000 * 1000)
#define MS_HEAD_SETTLE_POLL_NS (40ull * 1000 * 1000)
/* How often a head that may fit in time (admit.h) looks again. */
#define MS_HEAD_TIMED_POLL_NS (40ull * 1000 * 1000)
/* How often a head held only for a CPU looks again. Exits wake it at once;
 * a CPU frees without one only when a running job stops running (it sleeps,
 * waits for a child or for the disk), which this finds soon enough. Each
 * look reads the admitted jobs' /proc files: at every 40 ms, the waiting
 * head of a 2-CPU build took 1% of the machine (perf, stop 21). */
#define MS_HEAD_CPU_POLL_NS (200ull * 1000 * 1000)

struct ms_queue_ops {
        int (*sample)(struct ms_sample *s, void *userdata);
        int (*rss)(pid_t pid, uint64_t *rss, void *userdata);
        bool (*alive)(pid_t pid, uint64_t starttime, void *userdata);
        uint64_t (*now_ns)(void *userdata);
        /* May be NULL: predict again (the history grows while we wait). */
        void (*predict)(struct ms_candidate *cand, void *userdata);
        /* May be NULL: whether a process is stopped (SIGSTOP, a debugger, a
         * supervisor's freeze): a stopped waiter ahead is skipped. */
        bool (*stopped)(pid_t pid, uint64_t starttime, void *userdata);
        /* May be NULL: whether pid is an ancestor of the waiting process. */
        bool (*ancestor)(pid_t pid, void *userdata);
        /* May be NULL: pid's parent, 0 if unknown (the admitted ancestors of
         * waiting processes are containers: struct ms_admitted). */
        pid_t (*parent)(pid_t pid, void *userdata);
        /* May be NULL: whether admitted pid's job is on a CPU or waiting for
         * one (struct ms_admitted's running). */
        bool (*running)(pid_t pid, void *userdata);
        /* May be NULL: the bytes of admitted pid's code in memory
         * (ms_proc_code_read), 0 if unknown: a waiting job of the same
         * program will map them, not add them (MS_CODE_SHARE_DIV). */
        uint64_t (*code)(pid_t pid, void *userdata);
        /* May be NULL: whether the gate was switched off (the kill switch):
         * the waiter leaves at its next look with -ECANCELED. */
        bool (*cancelled)(void *userdata);
        /* Hooks, may be NULL. */
        void (*held)(const struct ms_sample *s, const struct ms_admit_result *r, unsigned ahead, void *userdata);
        void *userdata;
};

struct ms_queue_request {
        pid_t pid;
        uint64_t starttime;
        uint64_t pidns; /* ms_pidns_self(): slots of other namespaces are never pruned */
        struct ms_candidate cand;
        const char *program;
        uint64_t program_hash;
};

enum ms_queue_outcome {
        MS_QUEUE_ADMITTED = 0,
        MS_QUEUE_EXPIRED = 1,
};

struct ms_queue_result {
        enum ms_queue_outcome outcome;
        bool held;
        bool granted;         /* let in by the head (backfill, big or long first) */
        enum ms_grant grant;  /* granted: how */
        uint64_t waited_ns;
        struct ms_sample last; /* the last sample this process took (if any) */
        bool sampled;
        struct ms_admit_result decision;
        int slot;              /* admitted: its slot (ms_ledger_leave_unlocked) */
};

/*
 * The wait, one look at a time. ms_queue_wait() is: lock the ledger; join
 * (the first time) or step; unlock; sleep if told to; again. Join and step
 * work on the mapped ledger under its lock, with the clock read for them and
 * everything else (sampling, RSS, liveness, prediction) through ops: tests
 * run them on a ledger in memory, without sleeping.
 */

/* What a waiter carries from one look to the next. */
struct ms_queue_waiter {
        int self;                 /* its slot, -1 before joining */
        uint64_t ticket;
        uint64_t start_ns;        /* when it joined */
        uint64_t head_since_ns;   /* when it became the head, 0: not yet */
        uint64_t horizon;         /* the next ticket then: who waited before (long_first) */
        unsigned attempt;         /* the head's back-off, reset when woken */
        struct ms_candidate cand; /* its prediction, refreshed while it waits */
};

/* What the waiter does after a look (or a negative -errno). */
enum ms_queue_next {
        MS_QUEUE_LOOK = 0, /* look again at once */
        MS_QUEUE_SLEEP,    /* sleep on its slot at most *sleep_ns, then look again */
        MS_QUEUE_DONE,     /* decided: res->outcome, admitted or timed out */
};

/* Take a slot and a ticket (pruning dead entries first). Caller holds the
 * lock. Returns MS_QUEUE_LOOK or -ENOSPC (ledger full). */
int ms_queue_join(struct ms_ledger_file *f, const struct ms_queue_request *req, const struct ms_queue_ops *ops,
                  uint64_t now, struct ms_queue_waiter *w);

/*
 * One look at the ledger at now, under its lock. In this order: admitted by
 * the head's grant (done); a dead head replaced and the next one woken;
 * timed out (leave, wake the head: done); not the head (sleep until woken or
 * MS_WAITER_CHECK_NS); the head: sample, then admit itself (done), or let
 * others go first (big first, backfill) and sleep its back-off. Returns an
 * enum ms_queue_next or -errno: -ESTALE when its slot vanished, the
 * sample's error after leaving the queue.
 */
int ms_queue_step(struct ms_ledger_file *f, const struct ms_config *c, const struct ms_queue_request *req,
                  const struct ms_queue_ops *ops, struct ms_queue_waiter *w, uint64_t now,
                  struct ms_queue_result *res, uint64_t *sleep_ns);

/* Wait in the queue until admitted or config->timeout_usec passes.
 * Returns 0 or -errno (-ENOSPC: ledger full; -ESTALE: our entry vanished;
 * -ETIMEDOUT: the lock could not be had within MS_LEDGER_LOCK_NS (its
 * holder stopped or sleeping), MS_LEDGER_PATIENCE_NS (at work) or the
 * timeout; -EBADF: the ledger's fd was taken over; -ECANCELED: switched
 * off), after which the caller falls back to the plain gate (res->waited_ns
 * says how long it waited already). */
int ms_queue_wait(struct ms_ledger *l, const struct ms_config *c, const struct ms_queue_request *req,
                  const struct ms_queue_ops *ops, struct ms_queue_result *res);

/*
 * A supervisor that has frozen jobs holds the queue: nothing new is admitted
 * until they are resumed (they would grow into the memory a newcomer takes).
 * The entry is pid's, so it vanishes if the supervisor dies. Returns 0 or
 * -errno (-ENOSPC: ledger full).
 */
int ms_queue_hold(struct ms_ledger *l, pid_t pid, uint64_t starttime);
void ms_queue_unhold(struct ms_ledger *l, pid_t pid, uint64_t starttime);

/* The growth curve of admitted pid at exit (now_ns), from its slot's trace,
 * for a peak of `peak` bytes, shrunk to what it takes alone when it used
 * cpu_ms of CPU time (ms_curve_alone_ms; 0: not known), merged with the curve
 * it was predicted with when that was its own (verified; ms_curve_keep_worst).
 * Returns 0, -ENOENT (not admitted here) or the lock's error. */
int ms_queue_curve(struct ms_ledger *l, pid_t pid, uint64_t starttime, uint64_t peak, uint64_t cpu_ms,
                   uint64_t now_ns, struct ms_curve *out);
/* The same, waiting at most timeout_ns for the lock (-ETIMEDOUT): for
 * _exit(), which may run in a signal handler (flock, nanosleep, no malloc). */
int ms_queue_curve_within(struct ms_ledger *l, uint64_t timeout_ns, pid_t pid, uint64_t starttime, uint64_t peak,
                          uint64_t cpu_ms, uint64_t now_ns, struct ms_curve *out);

/* Remove pid's entry (at exit) and wake the head; without the lock
 * (ms_ledger_leave_unlocked) when it cannot be had. */
void ms_queue_leave(struct ms_ledger *l, pid_t pid, uint64_t starttime);
