/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A memory cgroup of its own for a supervised build: a child of the
 * supervisor's own memory cgroup ("memstop-build-PID"), so that every
 * ancestor's limit still applies, with exact usage and OOM counts.
 *
 * Made where the hierarchy lets us: on cgroup v1 wherever we may mkdir (root,
 * or a delegated directory); on v2 only where the new child gets the memory
 * controller (the parent's cgroup.subtree_control lists "memory", as in a
 * delegated subtree). Otherwise the caller watches the process tree instead.
 */
#pragma once

#include <sys/types.h>

#include "probe/cgroup.h"

/* The child cgroup's identity (no I/O). Returns 0 or -ENAMETOOLONG. */
int ms_build_cgroup_name(const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out);

/* mkdir it below rootfd and check that it has the memory controller's files;
 * a child without them is removed again. Returns 0, -EOPNOTSUPP (no memory
 * controller there), -EEXIST, or -errno of mkdir (-EACCES, -EROFS...). */
int ms_build_cgroup_create(int rootfd, const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out);

/* Move a process into it (cgroup.procs). Returns 0 or -errno. */
int ms_build_cgroup_enter(int rootfd, const struct ms_cgroup *cg, pid_t pid);

/* Move whatever is left in it to `own` and rmdir it. Returns 0, -EBUSY while
 * processes remain (try again a little later), or -errno. */
int ms_build_cgroup_remove(int rootfd, const struct ms_cgroup *cg, const struct ms_cgroup *own);
