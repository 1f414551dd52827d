/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A memory cgroup of its own for a supervised build: a child of the
 * supervisor's own memory cgroup ("memstop-build-PID"), so that every
 * ancestor's limit still applies, with exact usage and OOM counts.
 *
 * Made where the hierarchy lets us: on cgroup v1 wherever we may mkdir (root,
 * or a delegated directory); on v2 where the new child gets the memory
 * controller: the parent's cgroup.subtree_control lists "memory" (the
 * hierarchy's root), or we may write it there (a delegated cgroup: systemd's
 * Delegate=yes, a container's own writable cgroup). v2 allows no process
 * in a cgroup that hands controllers down, so the supervisor first moves
 * itself to a leaf of its own beside the build's ("memstop-PID"); where
 * others share its cgroup (a shell, a container's init) that fails
 * (EBUSY) and it stays where it was. Otherwise the caller watches the
 * process tree instead.
 *
 * The build's memory.max is its parent's: limits of ancestors bind their
 * whole subtree (probe/cgroup.h reads them).
 *
 * Jobs are frozen, on v2, in a child of the build's cgroup per job
 * ("job-PID", no controllers: its memory stays charged to the build's),
 * through cgroup.freeze: what the job forks meanwhile is frozen with it, and
 * no SIGCONT (a shell's fg) undoes it. A frozen cgroup stays frozen when
 * the supervisor dies: its guardian thaws it (cli/sv-guard.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
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

/*
 * v2 delegation: move the supervisor `self` from its cgroup `own` into a
 * leaf of its own and hand the memory controller down from `own`.
 * *enabled tells whether "+memory" was written (to be taken back).
 * Returns 0, -EBUSY when other processes share `own` (undone: self is back
 * in own), -EPERM for a systemd unit's cgroup not delegated to us (its
 * inside is systemd's: Delegate=yes marks it), or -errno (-EACCES, -EROFS).
 */
int ms_build_cgroup_delegate(int rootfd, const struct ms_cgroup *own, pid_t self, bool *enabled);
/* Undo it: "-memory" if enabled, self (and the processes given) back in own,
 * the leaf removed. Returns 0 or -errno. */
int ms_build_cgroup_undelegate(int rootfd, const struct ms_cgroup *own, pid_t self, bool enabled,
                               const pid_t *others, size_t n);

/*
 * On cgroup v1, where the freezer hierarchy is mounted and we may mkdir in
 * it (root), jobs are frozen the same way below a freezer cgroup of the
 * supervisor's own ("memstop-freeze-PID" beside its own, version V1: the
 * functions below then write freezer.state FROZEN/THAWED): memory stays
 * charged where it was, the memory hierarchy is not touched.
 * Returns 0, -EOPNOTSUPP (no freezer.state there), -EEXIST or -errno.
 * ms_build_cgroup_remove() removes it.
 */
int ms_freezer_v1_create(int rootfd, const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out);

/*
 * A supervisor killed together with its guardian (kill -9 of both) leaves its
 * freezer cgroup behind, the jobs it had frozen stopped in it for good. Each
 * "memstop-freeze-PID" beside own whose PID is gone (alive false) is thawed,
 * job cgroups first, what runs in them moved to own, and removed. Returns
 * the processes so resumed and sets *removed to the cgroups removed, or
 * -EOPNOTSUPP (own is not v1) or -errno (own's directory unreadable).
 */
int ms_freezer_v1_reap(int rootfd, const struct ms_cgroup *own, bool (*alive)(pid_t pid, void *userdata),
                       void *userdata, unsigned *removed);

/* The value that freezes (or thaws) through freeze_file: "1"/"0" for
 * cgroup.freeze, FROZEN/THAWED for a v1 freezer.state. */
const char *ms_freeze_value(const char *freeze_file, bool frozen);

/* The freeze file of the job's cgroup (no I/O; relative to the root, as dirs
 * are). Returns 0 or -ENAMETOOLONG. */
int ms_job_cgroup_freeze_file(const struct ms_cgroup *build, pid_t job, char *buf, size_t size);

/* The freezer cgroup of the job whose root is `job` (no I/O). Returns 0 or
 * -ENAMETOOLONG. */
int ms_job_cgroup_dir(const struct ms_cgroup *build, pid_t job, char *dir, size_t size);
/* Make it (if not there), move the processes into it and freeze it.
 * Processes gone meanwhile are skipped. Returns 0 or -errno. */
int ms_job_cgroup_freeze(int rootfd, const struct ms_cgroup *build, pid_t job, const pid_t *pids, size_t n);
/* Thaw it, move what is in it back to the build's cgroup, remove it.
 * Returns 0 or -errno. */
int ms_job_cgroup_thaw(int rootfd, const struct ms_cgroup *build, pid_t job);
