/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The process tree below a process, from proc/PID/task/TID/children, and
 * the few facts the build supervisor needs of each process: parent, state,
 * start time, command name, resident set, command line.
 *
 * Parsing is pure (tested on strings); the readers take a root fd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe/proc.h"

#define MS_COMM_MAX 16 /* TASK_COMM_LEN */

struct ms_proc_info {
        pid_t pid;
        pid_t ppid;
        char state;
        uint64_t starttime;
        uint64_t rss; /* bytes; 0 for zombies */
        char comm[MS_COMM_MAX];
};

/* The command name between the first '(' and the last ')' of proc/PID/stat
 * text, cut to size. Returns 0 or -EINVAL. */
int ms_proc_comm_parse(const char *stat_text, char *comm, size_t size);

/* Append the pids of a children file ("12 34 ") to out[*n..max). Returns 0,
 * -EINVAL on garbage, -ENOSPC when out is full (what fit is kept). */
int ms_proc_children_parse(const char *text, pid_t *out, size_t max, size_t *n);

/* The children of every thread of pid (proc/PID/task/T/children), appended
 * to out[*n..max). Returns 0, -ESRCH if the process is gone, -ENOSPC, or
 * -errno (-ENOENT: a kernel without CONFIG_PROC_CHILDREN). */
int ms_proc_children_read(int rootfd, pid_t pid, pid_t *out, size_t max, size_t *n);

/* pid and its descendants, parents before children (breadth first).
 * Returns the number found (at most max) or -errno if pid itself is gone. */
int ms_proc_tree_read(int rootfd, pid_t pid, pid_t *out, size_t max);

/* stat and statm of pid. Returns 0, -ESRCH, or -errno. */
int ms_proc_info_read(int rootfd, pid_t pid, struct ms_proc_info *out);

/* The command line with NULs turned into spaces, cut to size ("" for a
 * zombie or a kernel thread). Pure on text of len bytes. */
void ms_proc_cmdline_format(const char *text, size_t len, char *buf, size_t size);
/* Returns 0, -ESRCH, or -errno. */
int ms_proc_cmdline_read(int rootfd, pid_t pid, char *buf, size_t size);

/* Whether a command name is a build driver that only runs other jobs
 * (make, gmake, ninja, samu, cargo...): never frozen, its children are jobs. */
bool ms_build_driver(const char *comm);
