/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The low-memory report: a PSI trigger that wakes the daemon when memory
 * pressure rises, and the top processes by resident memory with their
 * command lines and cgroups. The daemon's own memory is locked, so it can
 * still report when everything else is being paged out.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockd/conf.h"

/* What report_command finds in its environment (memstop-lockd.conf(5)): the
 * bytes available when the report was made ... */
#define LOCKD_ENV_AVAILABLE "MEMSTOP_AVAILABLE"
/* ... and the PSI "some" avg10 of memory then. */
#define LOCKD_ENV_PSI_SOME_AVG10 "MEMSTOP_PSI_SOME_AVG10"

/*
 * Open a PSI trigger on path below rootfd (proc/pressure/memory or a cgroup's
 * memory.pressure): "some|full THRESHOLD_US WINDOW_US" is written with its
 * trailing NUL. Poll the fd for POLLPRI. Returns the fd or -errno
 * (-EINVAL: the kernel refused the values).
 */
int lockd_psi_trigger_open(int rootfd, const char *path, enum lockd_psi_kind kind, uint64_t threshold_usec,
                           uint64_t window_usec);

/* Format the trigger text (without the NUL). Returns its length or -ENAMETOOLONG. */
int lockd_psi_trigger_format(enum lockd_psi_kind kind, uint64_t threshold_usec, uint64_t window_usec,
                             char *buf, size_t size);

struct lockd_top_entry {
        pid_t pid;
        uint64_t rss; /* bytes */
};

/* Keep the n largest by rss in top[] (sorted, largest first); *count grows to n. */
void lockd_top_insert(struct lockd_top_entry *top, size_t n, size_t *count, pid_t pid, uint64_t rss);

typedef void (*lockd_report_line_fn)(const char *line, void *userdata);

/*
 * Find the n processes with the most resident memory in proc/ below rootfd
 * and call fn with one line for each: "pid RSS cgroup: command line" (the
 * parsers are the core's: probe/proc.h, supervise/proctree.h's command
 * line, whose control characters are shown as '?'). Returns the number of processes reported or
 * -errno.
 */
int lockd_report_top(int rootfd, unsigned n, lockd_report_line_fn fn, void *userdata);
