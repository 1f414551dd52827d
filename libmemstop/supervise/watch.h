/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a supervisor reads from and notes in the ledger (gate/ledger.h) of
 * the queue its build's processes join, through the ledger's API alone:
 *
 * - the RSS of its admitted processes, noted in their slots at each look:
 *   the growth curves they record at exit are made of these (curve.h);
 * - frozen time, noted in the slots of a frozen job's admitted processes,
 *   so that their curves leave it out;
 * - how many of its processes wait in the gate, and per job how many wait
 *   and what its admitted processes are predicted to grow to;
 * - whether the whole build waits in the gate (every leaf of its tree is a
 *   waiter), and then, at a glance, whether those waiters still wait;
 * - the hold: while jobs are frozen, an entry of the supervisor's tells the
 *   gate to admit nothing new (the frozen ones would grow into the memory a
 *   newcomer takes); it vanishes with the supervisor if it dies.
 *
 * A slot is the supervisor's when a process of its look has the slot's pid
 * (and, for admitted slots it writes to, start time). Without a ledger
 * (open failed) every function does nothing and counts 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate/ledger.h"
#include "supervise/jobs.h"

/* At most this many waiters are watched at a glance. */
#define MS_WATCH_WAITERS 64u

struct ms_watch {
        struct ms_ledger ledger;
        bool open;
        pid_t self; /* the supervisor, owner of the hold */
        uint64_t self_starttime;
        bool holding; /* the hold entry is in the ledger */
        /* The whole build waits in the gate: these slots (index, pid) are
         * watched instead of the tree until one of them changes. */
        unsigned n_waiting; /* 0: not idle */
        unsigned waiting_slot[MS_WATCH_WAITERS];
        pid_t waiting_pid[MS_WATCH_WAITERS];
};

/* Open the ledger `name` in dirfd for the supervisor self. Returns 0 or
 * -errno (w then watches nothing). */
int ms_watch_open(struct ms_watch *w, int dirfd, const char *name, pid_t self, uint64_t self_starttime);
void ms_watch_close(struct ms_watch *w);

/* Note the RSS of the look's admitted processes in their slots at now_ns.
 * Returns how many there are; *growing how many grew since the last look. */
unsigned ms_watch_observe(struct ms_watch *w, const struct ms_procs *procs, uint64_t now_ns, unsigned *growing);

/* The admitted processes of job `job` were frozen (stop) or resumed at now_ns. */
void ms_watch_pause(struct ms_watch *w, const struct ms_procs *procs, int job, uint64_t now_ns, bool stop);

/* How many processes of the look wait in the gate (a count for display:
 * read without the lock). Adds to each job its waiters (held) and the
 * predicted peaks of its admitted processes (peak): growth up to them is
 * reserved, not a surprise; and the latest predicted end of those of
 * verified size (end_ns), which the gate may have counted on. */
unsigned ms_watch_count(const struct ms_watch *w, const struct ms_procs *procs, struct ms_jobs *jobs);

/* Whether the whole build waits in the gate: nothing is frozen, and the
 * look's `leaves` are its `held` waiters. Nothing can grow then until one of
 * them is admitted or dies; their slots are noted for ms_watch_still_waiting. */
bool ms_watch_build_waits(struct ms_watch *w, const struct ms_procs *procs, size_t leaves, unsigned held,
                          unsigned frozen);

/* Whether every slot ms_watch_build_waits noted still waits (read without
 * the lock: a change shows at the next glance). */
bool ms_watch_still_waiting(const struct ms_watch *w);

/* Hold the queue (while jobs are frozen) or release it; does nothing when
 * it already is so. */
void ms_watch_hold(struct ms_watch *w, bool hold);
