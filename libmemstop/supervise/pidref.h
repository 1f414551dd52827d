/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A process held by reference rather than by number: a pidfd (Linux 5.3+),
 * opened and then checked against the start time the supervisor saw, so
 * that a signal reaches that process or none, never one that took its pid
 * later. Where pidfds are missing (ENOSYS) the reference keeps pid and start
 * time and checks the start time again before each kill(2) (a small window
 * remains there); so does it when the process has no file descriptor left.
 *
 * On Linux 6.15+ a pidfd held while its process exits also tells how it
 * died (PIDFD_GET_INFO with PIDFD_INFO_EXIT), after whoever reaped it.
 *
 * Functions return 0 or -errno (libmemstop's convention).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ms_pidref {
        pid_t pid;
        uint64_t starttime;
        int fd; /* the pidfd, -1 without one */
};

#define MS_PIDREF_NONE ((struct ms_pidref){ .pid = 0, .starttime = 0, .fd = -1 })

/* Hold pid, started at starttime (clock ticks, proc/PID/stat). Returns 0,
 * -ESRCH when it is gone or pid now names another process, or -errno. */
int ms_pidref_open(int rootfd, pid_t pid, uint64_t starttime, struct ms_pidref *out);

/* Send sig to the process held. Returns 0, -ESRCH when it is gone (or is no
 * longer the one held), or -errno. */
int ms_pidref_signal(int rootfd, const struct ms_pidref *ref, int sig);

/* How the process died, as a wait status. Returns 0, -EAGAIN while it has
 * not been reaped yet, -EOPNOTSUPP without a pidfd or on kernels before
 * 6.15, or -errno. */
int ms_pidref_exit_status(const struct ms_pidref *ref, int *status);

void ms_pidref_close(struct ms_pidref *ref);

/* The wait status in a zombie's proc/PID/stat text (field 52, exit_code,
 * Linux 3.5+). Pure. Returns 0 or -EINVAL. */
int ms_proc_exit_code_parse(const char *stat_text, int *status);
