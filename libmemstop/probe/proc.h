/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Facts about processes from proc/PID/... below a root fd.
 *
 * A process is identified by pid and start time (field 22 of proc/PID/stat,
 * in clock ticks since boot): a pid alone may be reused by then.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ms_proc_stat {
        char state;         /* R, S, D, Z, T... */
        pid_t ppid;
        uint64_t starttime; /* clock ticks since boot */
        uint64_t utime, stime; /* clock ticks */
};

/* Parse the text of proc/PID/stat. comm may contain spaces and ')': the
 * fields after it are found from the last ')'. Returns 0 or -EINVAL. */
int ms_proc_stat_parse(const char *text, struct ms_proc_stat *out);

/* pid 0 means "self". Returns 0, -ESRCH if the process is gone, or -errno. */
int ms_proc_stat_read(int rootfd, pid_t pid, struct ms_proc_stat *out);

/* Resident set size in bytes from proc/PID/statm (second field x page size).
 * Returns 0, -ESRCH, or -errno. */
int ms_proc_statm_parse(const char *text, uint64_t page_size, uint64_t *rss);
int ms_proc_rss_read(int rootfd, pid_t pid, uint64_t *rss);

/* Whether pid is alive and still the process that started at starttime
 * (zombies count as dead). */
bool ms_proc_alive(int rootfd, pid_t pid, uint64_t starttime);

/* Peak resident set size (VmHWM) in bytes from proc/PID/status text.
 * Returns 0, -ENOENT if absent (kernel threads), -EINVAL if malformed. */
int ms_proc_status_hwm_parse(const char *text, uint64_t *hwm);
/* The same read from proc/PID/status (pid 0: self). Returns 0, -ESRCH,
 * -ENOENT (no VmHWM), -EINVAL or -errno. */
int ms_proc_hwm_read(int rootfd, pid_t pid, uint64_t *hwm);
