/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Nothing the supervisor stopped stays stopped when it dies, kill -9
 * included (issue 12).
 *
 * - Every process it stops is held by pidfd (pidref.h): SIGSTOP and SIGCONT
 *   reach that process or none, never one that took its pid later; a stopped
 *   process that is gone leaves the set at the next look.
 * - The set (pid and start time of each), and the cgroups frozen through
 *   cgroup.freeze, live in memory shared with a guardian: a small child
 *   forked at the start, in its own session, that waits for EOF on a pipe
 *   whose only writer is the supervisor. When the supervisor is gone,
 *   however it went, the guardian continues every process of the set that
 *   is still the one stopped (start time checked) and thaws every cgroup,
 *   then exits. The guardian is no part of the build: the tree's looks
 *   leave it out (sv_guard_pid).
 * - The same guardian gives the terminal's screen back if the status bar
 *   had taken its bottom line (sv-status.h) and removes memstop's temporary
 *   directory. When memstop ends cleanly it says goodbye first
 *   (sv_guard_done): the guardian then only resumes what may be left.
 * - In the supervisor itself, exits and fatal signals resume at once
 *   (async-signal-safe).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Fork the guardian; tmpdir (NULL or "": none) is removed and, with term,
 * the screen given back (stderr) when memstop dies. Returns 0 or -errno
 * (then the set still works, without a guardian). */
int sv_guard_start(const char *tmpdir, bool term);
/* memstop ends cleanly, its screen and temporary directory tidied itself. */
void sv_guard_done(void);
/* The guardian's pid, 0 if none. */
pid_t sv_guard_pid(void);

/* Stop the process pid that started at starttime and add it to the set.
 * Returns 0, -ESRCH if it is gone (or pid names another process), or -errno. */
int sv_guard_stop(pid_t pid, uint64_t starttime);
/* Continue pid if the set has it, and drop it from the set. */
void sv_guard_cont(pid_t pid);
/* Continue every process of the set; empty it (async-signal-safe). */
void sv_guard_resume_all(void);
/* Drop processes that are gone (their pids may be reused). */
void sv_guard_prune(void);

/* A cgroup whose cgroup.freeze file (absolute path) the supervisor set to 1,
 * or reset to 0: the guardian thaws those set. Returns 0 or -ENOSPC. */
int sv_guard_frozen_cgroup(const char *freeze_file, bool frozen);

/* A cgroup of ours (absolute; NULL: none) that the guardian empties into
 * its parent and removes, with the cgroups below it, when the supervisor is
 * gone without saying goodbye (kill -9). May be set before the guardian
 * starts. */
void sv_guard_cgroup_dir(const char *dir);

/* Catch crashes and exits of the supervisor: resume everything at once. */
void sv_guard_install(void);
