/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A job is a process tree: a compiler driver (or a build's recipe: what a
 * build driver or the supervised command starts) together with everything
 * it starts (cc1plus, as, collect2, ld, lto1...). The gate admits the root
 * (gate/queue.h); what the root starts is part of it (MEMSTOP_JOB,
 * gate/protocol.h) and is not queued again; the root's slot accounts for
 * the RSS of the whole tree, and the peak it leaves for the next build is
 * the tree's.
 *
 * A build driver inside a job (a recursive make) starts jobs of its own: the
 * tree stops there.
 *
 * A snapshot holds processes' parents, RSS and states (one read of
 * proc/PID/stat each), from which the tree of a root is summed without
 * further I/O. The gate's snapshot (ms_snap_cache) reads only what it is
 * asked about: the trees of the roots it looks at, down the children lists
 * (proc/PID/task/TID/children), and the processes whose parents it asks for;
 * its cost grows with the build, not with the machine (a head of the queue
 * looks every 40 ms while CPUs are full). Where the kernel lacks children
 * lists (CONFIG_PROC_CHILDREN), or a tree is too big to follow, it lists all
 * of proc/ instead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether a command name is a build driver that only runs other jobs
 * (make, gmake, ninja, samu, cargo, xargs, parallel...). */
bool ms_build_driver(const char *comm);

/* Whether a command name is a compiler driver or a compiler wrapper (gcc,
 * g++, cc, c++, clang, clang++, ccache, distcc...): the root of a job with
 * what it starts, wherever it runs. */
bool ms_compiler_driver(const char *comm);

struct ms_snap_proc {
        pid_t pid;
        pid_t ppid;
        uint64_t rss; /* bytes */
        bool driver;  /* ms_build_driver(comm) */
        bool running; /* state R: on a CPU or waiting for one */
        bool kids;    /* its children are in the snapshot (all are, in a listing) */
        uint32_t threads;
};

struct ms_snap {
        struct ms_snap_proc *p; /* sorted by pid */
        size_t n, cap;
};

/* Take a snapshot of proc/ below rootfd (replacing s's contents; processes
 * that vanish while listed are left out). Returns 0 or -errno. */
int ms_snap_take(int rootfd, struct ms_snap *s);
void ms_snap_free(struct ms_snap *s);

/* A snapshot kept for a while: the looks at several slots share one. It
 * fills as it is asked (above), or lists all of proc/ (full). */
struct ms_snap_cache {
        struct ms_snap snap;
        uint64_t taken_ns; /* monotonic, 0: none */
        bool full;
};

/* The most processes of one tree followed down the children lists. */
#define MS_SNAP_TREE_MAX 512

/* How long one snapshot serves, from when it began (a listing of all of
 * proc/: from its end). */
#define MS_SNAP_FRESH_NS (20ull * 1000 * 1000)

/* The tree RSS of pid (ms_snap_tree_rss) from the cached snapshot, taken
 * again when older than MS_SNAP_FRESH_NS; pid's own RSS when the snapshot
 * cannot be taken or misses it. Returns 0 or -errno. */
int ms_snap_cache_tree_rss(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns, uint64_t *rss);

/* pid's parent from the cached snapshot (taken again when old), or from
 * proc/PID/stat when the snapshot misses it; 0 if unknown. */
pid_t ms_snap_cache_parent(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns);
/* ms_snap_tree_running of pid from the cached snapshot; false when it
 * cannot be taken or misses pid. */
bool ms_snap_cache_tree_running(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns);

/* Sort by pid (ms_snap_take does it; tests build snapshots by hand). */
void ms_snap_sort(struct ms_snap *s);

/* The RSS of root and its descendants, not counting build drivers below
 * root and their subtrees. Pure. Returns 0, or -ESRCH when root is not in
 * the snapshot. A cycle in hostile data ends at a depth of 64. */
int ms_snap_tree_rss(const struct ms_snap *s, pid_t root, uint64_t *rss);

/* The largest process (by RSS) of root's tree as ms_snap_tree_rss counts it:
 * the compiler of a job whose root is a driver or a shell; 0 when root is
 * not in the snapshot. Pure. */
pid_t ms_snap_tree_largest(const struct ms_snap *s, pid_t root);
/* The same from the cached snapshot (taken again when old); pid itself when
 * the snapshot cannot be taken or misses it. */
pid_t ms_snap_cache_tree_largest(struct ms_snap_cache *c, int rootfd, pid_t pid, uint64_t now_ns);

/* Whether a process of root's tree, as ms_snap_tree_rss counts it, is on a
 * CPU or waiting for one (state R). Pure. */
bool ms_snap_tree_running(const struct ms_snap *s, pid_t root);

/* Whether the calling process's parent is a build driver that runs jobs
 * (make, ninja, xargs), not the supervising `memstop` (its command is
 * structural): what the parent starts is a job. */
bool ms_parent_runs_jobs(int rootfd);

/* The calling process's ancestors, parent first, at most max, not past pid 1.
 * Returns how many. */
int ms_ancestors_read(int rootfd, pid_t *out, int max);

/* What MEMSTOP_JOB's value says of the calling process: 1 it is part of a
 * job whose root (pid and start time) is alive, 0 the root is gone (or
 * unset: value NULL), -EINVAL a malformed value. */
int ms_job_check(int rootfd, const char *value);
