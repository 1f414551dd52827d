/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Freezing a supervised build's jobs through cgroup.freeze (v2), where the
 * build has a cgroup of its own, or through the v1 freezer hierarchy where
 * it is mounted and we may make a cgroup in it (t->freezer): each frozen job
 * in a cgroup of its own below the build's (or our freezer cgroup)
 * (buildcg.h), known to the guardian before it is frozen (sv-guard.h),
 * thawed and removed when the job is resumed or gone. Without t->freezer
 * (watch mode on v2, v1 without the freezer hierarchy or as a user) every
 * function does nothing and the caller stops and continues by signal.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cli/sv-jobs.h"

/* Freeze job j of the last look. Returns 0 or -errno (then nothing is
 * frozen: the caller stops it by signal). */
int sv_freezer_freeze(struct sv_tree *t, size_t j);
/* p belongs to a frozen job but runs (forked before the job's move): moved
 * into the job's frozen cgroup. Returns false when the job is not frozen
 * through a cgroup. */
bool sv_freezer_refreeze(struct sv_tree *t, const struct ms_proc *p);
/* Thaw the job whose root is `job`, if it is frozen through a cgroup. */
void sv_freezer_thaw(struct sv_tree *t, pid_t job);
void sv_freezer_thaw_all(struct sv_tree *t);
/* After a look: the cgroups of frozen jobs that are gone (an OOM kill, a
 * kill from outside) go too. */
void sv_freezer_forget_gone(struct sv_tree *t);

/* Where jobs are frozen (t->freezer): below the build's cgroup on v2
 * (build: NULL without one); else, on v1, below a cgroup of ours made in the
 * freezer hierarchy beside our own there. Neither (not mounted, not root):
 * signals. */
void sv_freezer_open(struct sv_tree *t, const struct ms_cgroup *build);
/* Remove it again (what is left in it goes back to our own). */
void sv_freezer_v1_close(struct sv_tree *t);
