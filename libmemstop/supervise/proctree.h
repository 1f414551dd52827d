/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The process tree below a process (children lists of probe/proc.h), and
 * the few facts the build supervisor needs of each process: parent, state,
 * start time, command name, resident set.
 *
 * The readers take a root fd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe/proc.h"

#define MS_COMM_MAX MS_PROC_COMM_SIZE

struct ms_proc_info {
        pid_t pid;
        pid_t ppid;
        char state;
        uint64_t starttime;
        uint64_t rss; /* bytes; 0 for zombies */
        char comm[MS_COMM_MAX];
};




/* pid and its descendants, parents before children (breadth first).
 * Returns the number found (at most max) or -errno if pid itself is gone. */
int ms_proc_tree_read(int rootfd, pid_t pid, pid_t *out, size_t max);

/* stat and statm of pid. Returns 0, -ESRCH, or -errno. */
int ms_proc_info_read(int rootfd, pid_t pid, struct ms_proc_info *out);

/* ms_build_driver(): never frozen, its children are jobs. */
#include "gate/jobtree.h"
