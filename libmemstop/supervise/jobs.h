/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A supervised build's processes grouped into jobs, from one look at its
 * process tree (proctree.h): pure functions on the list of processes, no I/O.
 *
 * - A process is structural when it starts jobs rather than being one: the
 *   supervisor, the command, a build driver (ms_build_driver). A job is a
 *   process below a structural one, with its whole subtree; zombies belong
 *   to no job.
 * - A leaf is a process with no living child (zombie children do not
 *   count): a job whose leaves all wait in the gate is held, not running
 *   (sh -> held cc1).
 * - Jobs keep their identity (root pid and start time) from look to look:
 *   the growth rate of their summed RSS is measured over MS_JOBS_RATE_NS at
 *   least (shorter intervals are page-fault bursts), and a frozen job stays
 *   frozen until resumed or gone.
 *
 * Functions return 0 or -errno (libmemstop's convention).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervise/freeze.h"
#include "supervise/proctree.h"

/* Rates over 90 ms at least. */
#define MS_JOBS_RATE_NS (90ull * 1000 * 1000)

/* One process of a look. */
struct ms_proc {
        struct ms_proc_info info;
        int job;   /* index into ms_jobs.job, -1 if none */
        bool leaf; /* no living child */
};

/* The processes of one look, sorted by pid (ms_procs_index). */
struct ms_procs {
        struct ms_proc *p;
        size_t n;
};

struct ms_job {
        pid_t pid; /* the job's root */
        uint64_t start;  /* its start time (clock ticks since boot) */
        uint64_t run_ns; /* running since (monotonic): the first look that found it out of the gate after
                          * it last waited there; 0: waiting (ms_jobs_note_running) */
        uint64_t rss;      /* bytes, the whole subtree */
        uint64_t most_rss; /* ... the most it held at one look so far */
        uint64_t prev_rss; /* ... at prev_ns, the start of the rate's interval */
        uint64_t prev_ns;
        int64_t rate; /* bytes per second (ms_freeze_rate) */
        bool frozen;
        uint64_t frozen_ns; /* frozen since */
        unsigned procs;     /* its processes */
        unsigned leaves;    /* ... without living children */
        unsigned held;      /* ... waiting in the gate (watch.h) */
        uint64_t peak;      /* predicted peaks of its admitted processes, summed (watch.h) */
        uint64_t end_ns;    /* the latest predicted end of those of verified size (monotonic, watch.h), 0: none */
        unsigned freezes;   /* how often it was frozen */
};

struct ms_jobs {
        struct ms_job *job;
        size_t n, cap;
        unsigned running, frozen;
        uint64_t last_freeze_ns, last_resume_ns; /* 0: never */
        uint64_t last_end_ns;                    /* a job ended then, 0: never */
};

/* Sort the look by pid and mark its leaves: O(n log n). Returns how many
 * leaves there are. */
size_t ms_procs_index(struct ms_procs *procs);

/* The process pid of an indexed look, or NULL. */
struct ms_proc *ms_procs_find(const struct ms_procs *procs, pid_t pid);

/* Whether a process starts jobs rather than being one. */
bool ms_proc_structural(const struct ms_proc_info *p, pid_t self, pid_t child);

/*
 * After a new look (indexed): group its processes into jobs, forget jobs
 * that are gone, update the rates and count running and frozen jobs. Sets
 * each process's job (-1: none) and each job's rss, procs and leaves; held
 * peak and end_ns are reset to 0. *ended_frozen_ns gets the frozen time of frozen
 * jobs that are gone. Returns 0, or -ENOMEM when a new job could not be
 * added (its processes stay without a job, as the next look retries).
 */
int ms_jobs_update(struct ms_jobs *jobs, struct ms_procs *procs, pid_t self, pid_t child, uint64_t now_ns,
                   uint64_t *ended_frozen_ns);

/* Whether p belongs to a frozen job but runs (continued behind our back, by
 * a shell's fg, or new): it must be stopped again. */
bool ms_jobs_must_stop(const struct ms_jobs *jobs, const struct ms_proc *p);

/* After the look's held counts (watch.h): each job that waits in the gate
 * (all its running processes do) has not started; one that does not has run
 * since the first look that found it so. The freeze policy's youth is this
 * time, not the process's start: make forks its jobs at once, and the one
 * the gate lets in last is the youngest, whenever it was forked. */
void ms_jobs_note_running(struct ms_jobs *jobs, uint64_t now_ns);
/* The freeze policy's view of the jobs, at most max. Returns how many. */
size_t ms_jobs_views(const struct ms_jobs *jobs, struct ms_job_view *out, size_t max);

/* Job j was frozen or resumed at now_ns: its state, the counts and the
 * times the policy needs. ms_jobs_resume returns how long it stood (ns). */
void ms_jobs_freeze(struct ms_jobs *jobs, size_t j, uint64_t now_ns);
uint64_t ms_jobs_resume(struct ms_jobs *jobs, size_t j, uint64_t now_ns);

void ms_jobs_free(struct ms_jobs *jobs);
