/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * OOM kills in a supervised build: counted from the cgroup's figures since
 * the build started (sv-memory.c takes the baseline), and named after the
 * processes known to have died of SIGKILL while the count rose: reaped by
 * us, seen as a zombie with that exit code, or told by a pidfd held on it
 * (Linux 6.15+; held on the build's larger processes, the OOM killer's
 * choice). A kill whose victim is not known so is counted, never guessed.
 * Every process seen is remembered (command line, largest RSS) until its
 * OOM window is over, so that it can be named after it is gone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervise/jobs.h"
#include "supervise/pidref.h"
#include "cli/supervise.h"

/* A process seen, for its command line after it is gone. */
struct sv_known {
        pid_t pid;
        uint64_t start;
        uint64_t rss;     /* the largest seen */
        uint64_t gone_ns; /* 0 while alive */
        bool sigkilled;   /* known to have died of SIGKILL */
        struct ms_pidref ref; /* held while it is large, to learn how it died */
        bool named;       /* reported as OOM-killed */
        char comm[MS_COMM_MAX]; /* when cmd was read: an exec changes it */
        char cmd[256];
};

struct sv_ooms {
        struct sv_known *known;
        size_t n_known, cap_known;
        uint64_t pending; /* counted, not yet named */
        unsigned n_refs;  /* pidfds held */
        uint64_t seen_ns; /* when the count last rose; 0: name now */
};

/* A new look at the build's processes at now_ns. */
void sv_ooms_note(struct sv_ooms *o, const struct ms_procs *procs, uint64_t now_ns);
/* We reaped pid (an orphan of the build) with this wait status. */
void sv_ooms_reaped(struct sv_ooms *o, pid_t pid, int status);
/* The OOM kills counted since the build started are `kills`. */
void sv_ooms_count(struct sv_ooms *o, struct sv_report *rep, uint64_t kills, uint64_t now_ns);
/* Name the kills counted (rep->ooms), as far as they can be by now_ns
 * (UINT64_MAX, with seen_ns 0: all of them, at the end). */
void sv_ooms_name(struct sv_ooms *o, struct sv_report *rep, uint64_t now_ns);
/* Forget processes gone long ago (their OOM window is over). */
void sv_ooms_prune(struct sv_ooms *o, uint64_t now_ns);
void sv_ooms_free(struct sv_ooms *o);
