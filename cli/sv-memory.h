/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The supervised build's memory: the cgroup of its own (buildcg.h) where
 * the hierarchy allows (on v2 below a cgroup delegated to us, the
 * supervisor in a leaf beside it), else the process tree; the figures of each look,
 * memory pressure, and the kernel's recorded peak.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe/cgroup.h"
#include "probe/psi.h"
#include "supervise/jobs.h"
#include "cli/cli.h"
#include "cli/supervise.h"

/* One look's figures. */
struct sv_figures {
        uint64_t available, used, limit;
        uint64_t oom_kills; /* since the build started */
        bool ok;            /* read at all */
};

/* Memory pressure ("full" stall time), smoothed over looks. */
struct sv_pressure {
        bool on; /* readable, so far */
        enum ms_psi_scope scope; /* the build's or limiting cgroup's, or the host's */
        char path[PATH_MAX + 32];
        uint64_t prev_total, prev_ns;
        double frac; /* of time fully stalled, 0..1 */
};

struct sv_memory {
        int rootfd; /* the figures' root (--sysroot): ours to close, or MS_ROOT_HOST */
        bool sysroot;
        struct ms_cgroup own, build;
        bool has_build;
        bool delegated;      /* v2: we moved to a leaf of our own beside the build's */
        bool memory_enabled; /* ... and wrote "+memory" to our cgroup's subtree_control */
        pid_t self;
        uint64_t oom_base; /* the OOM count of the build's cgroup at the start */
        bool oom_based;    /* oom_base taken */
        struct sv_pressure psi;
};

/* Open the figures' root (cli_root). Returns 0 or -errno (reported);
 * sv_memory_close is due either way. */
int sv_memory_open(struct sv_memory *m, const struct cli *cli);
/* Find our cgroup; make the build's where it can, telling rep how the build
 * is watched; choose the pressure file. */
void sv_memory_setup(struct sv_memory *m, const struct cli *cli, pid_t self, struct sv_report *rep);
/* The figures of a look; used memory from the tree's RSS without a cgroup;
 * OOM kills counted since the start (the first look's count, if the start's
 * was unreadable). */
void sv_memory_read(struct sv_memory *m, const struct ms_procs *procs, struct sv_figures *f);
/* A look at pressure at now_ns; rep keeps the highest. */
void sv_memory_pressure(struct sv_memory *m, uint64_t now_ns, struct sv_report *rep);
/* The peak the kernel recorded, which the looks may have missed. */
void sv_memory_peak(const struct sv_memory *m, struct sv_report *rep);
/* Remove the build's cgroup (waiting a little for it to empty). */
void sv_memory_remove_cgroup(struct sv_memory *m);
/* Remove the cgroup if still there, close the root. */
void sv_memory_close(struct sv_memory *m);
