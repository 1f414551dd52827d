/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop.so's own parts (hidden: nothing here is exported): the gate's
 * state, shared by the constructor (memstop.c) and what runs at exit
 * (exit.c: the peak learned, the ledger left, the interposed _exit and prctl).
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "gate/config.h"
#include "gate/jobtree.h"
#include "gate/key.h"
#include "gate/ledger.h"
#include "gate/protocol.h"
#include "probe/cgroup.h"

/*
 * The slow path's state, mapped by the slow path when it first runs: a
 * .bss this large would be an anonymous mapping the loader makes in every
 * process, the fast path's included (issue 10: 20 us per exec).
 */
struct gate {
        struct ms_config config;
        int rootfd;
        int logfd;
        struct ms_cgroup cgroup;
        bool held;
        uint64_t held_usec;
        /* Admitted through the queue: leave it and learn at exit. */
        struct ms_ledger ledger;
        bool in_ledger;
        pid_t pid;
        uint64_t starttime;
        int slot;           /* ... its slot, for _exit() */
        struct ms_key key;
        char history_dir[PATH_MAX];
        off_t history_size;
        struct timespec history_mtime;
        bool opted_in;      /* see ms_env_opted_in() */
        bool plenty;        /* memory for the prior twice over: no prediction needed */
        bool hinted;        /* MEMSTOP_CGROUP came from above: not the first process of a tree */
        bool job_root;      /* admitted as a job's root: what it starts is part of it (jobtree.h) */
        struct ms_snap_cache snap; /* the process trees, for the slots' RSS */
        /* The code in memory of the last slot asked about (code_of): each
         * waiting candidate of a look asks for the same running instance. */
        struct {
                pid_t pid;
                uint64_t code;
                uint64_t at_ns;
        } code_seen;
        pid_t ancestors[16]; /* parent, grandparent...: read once, when needed */
        int n_ancestors;
        bool ancestors_read; /* zero-initialized: a fresh mapping */
        /* MEMSTOP_CGROUP=... and a copy of environ with it, without malloc (env_put) */
        char env_var[sizeof(MS_ENV_CGROUP "=v1:18446744073709551615:") + PATH_MAX];
        char *env_copy[1024];
};


/* NULL until the slow path runs (gate_map). */
extern struct gate *gate;

/* The monotonic clock in ns (the queue's now_ns op). */
uint64_t now_ns(void *userdata);

/* At exit: record the peak for the next build, leave the ledger, wake the
 * head (registered with atexit() once admitted through the queue). */
void leave_at_exit(void);
