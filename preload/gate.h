/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The preload's own parts (hidden: nothing here is exported but the slow
 * path's entry). Two libraries:
 *  - memstop.so, preloaded: the constructor's fast path (memstop.c) and the
 *    interposed _exit and prctl (exit.c). Every exec of a build loads it, and
 *    its cost follows its size (the pages its first fault maps), so it holds
 *    no more than the fast path.
 *  - memstop-gate.so, beside it, loaded (dlopen) only by a process that takes
 *    the slow path: the queue, the history, the first process of a tree
 *    (gate.c), and what runs at exit (gate-exit.c: the peak learned, the
 *    ledger left).
 * common.c is linked into both.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/sysinfo.h>
#include <sys/types.h>
#include <time.h>

#include "gate/config.h"
#include "gate/jobtree.h"
#include "gate/key.h"
#include "gate/ledger.h"
#include "gate/protocol.h"
#include "probe/cgroup.h"
#include "util/macro.h"

/*
 * The slow path's state, mapped by the slow path when it first runs: a
 * .bss this large would be an anonymous mapping the loader makes in every
 * process, the fast path's included (issue 10: 20 us per exec).
 */
struct gate {
        /*
         * What the first process of a tree writes (first_of_tree) comes
         * first: each page of this mapping it writes is a page fault
         * (~11 us here, issue 10). The configuration, the flags, the
         * MEMSTOP_CGROUP=none it exports and the cgroup's scalars and path
         * share the first page; the cgroup's dir and the copy of environ
         * are one page each.
         */
        struct ms_config config;
        int rootfd;
        int logfd;
        bool opted_in;      /* see ms_env_opted_in() */
        bool hinted;        /* MEMSTOP_CGROUP came from above: not the first process of a tree */
        bool plenty;        /* memory for the prior twice over: no prediction needed */
        bool job_root;      /* admitted as a job's root: what it starts is part of it (jobtree.h) */
        bool held;
        bool in_ledger;
        bool sandboxed;     /* the program sandboxed itself (prctl, exit.c) */
        bool ancestors_read; /* zero-initialized: a fresh mapping */
        /* MEMSTOP_CGROUP=none and a copy of environ with it, without malloc
         * (env_put; a longer value is setenv()'s) */
        char env_var[64];
        struct ms_cgroup cgroup;
        char *env_copy[1024];
        uint64_t held_usec;
        /* Admitted through the queue: leave it and learn at exit. */
        struct ms_ledger ledger;
        pid_t pid;
        uint64_t starttime;
        int slot;           /* ... its slot, for _exit() */
        struct ms_key key;
        char history_dir[PATH_MAX];
        off_t history_size;
        struct timespec history_mtime;
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
        /* Set by the slow path: what _exit() does first (gate-exit.c). */
        void (*exit_hook)(struct gate *g);
};

/* The slow path's library, beside memstop.so, and its entry: run with the
 * gate mapped and begun (gate_begin: the settings the constructor read). */
#define MS_GATE_LIBRARY "memstop-gate.so"
#define MS_GATE_ENTRY "memstop_gate_run"
typedef void ms_gate_run_fn(struct gate *g, int argc, char **argv);


/* NULL until the slow path runs (gate_map); each library has its own. */
extern struct gate *gate;

/* common.c: */
/* A variable of environ itself (not getenv(): bash defines its own). */
const char *env_get(const char *name);
/* A warning, once per process tree (MEMSTOP_WARNED). */
void warn_once(const char *id, const char *fmt, ...) MS_PRINTF(2, 3);
/* argv[0] (set by each library), and the program's name: AT_EXECFN's base. */
extern const char *argv0;
const char *program_name(void);
/* The host has room for required (sysinfo figures, with a margin). */
bool host_plenty(const struct sysinfo *si, uint64_t required);
/* The monotonic clock in ns (the queue's now_ns op). */
uint64_t now_ns(void *userdata);
/* NAME=value into environ, without malloc where it can (the gate's copy). */
void env_put(struct gate *g, const char *name, const char *value);
/* What every way through the gate sets first: the settings, the host root,
 * the log on stderr, and MEMSTOP_IMPLICIT for what an implicit process
 * starts (the slow path may then open another root and log). */
void gate_begin(struct gate *g, const struct ms_config *config, bool opted_in, bool hinted);
/* The first process of a tree (no hint from above), not verbose, on the
 * host's root: the case first_plenty decides. */
bool first_case(const struct gate *g);
/* The first process of a tree, with g's cgroup located: true when memory is
 * plentiful (it runs at once and passes the hint down). */
bool first_plenty(struct gate *g);

/* gate-exit.c: at exit, record the peak for the next build, leave the
 * ledger, wake the head (registered with atexit() once admitted through
 * the queue); and the same from _exit() (exit_hook). */
void leave_at_exit(void);
void leave_at_exit_now(struct gate *g);
