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




/* pid and its descendants with their facts, parents before children
 * (breadth first): out[0] is pid's. queue holds max pids (scratch). One
 * stat read and one children read per process of one thread. Returns the
 * number read (at most max), -ESRCH if pid itself is gone, or -errno. */
int ms_proc_tree_info_read(int rootfd, pid_t pid, pid_t *queue, struct ms_proc_info *out, size_t max);

/* stat of pid, and statm where stat has no RSS. Returns 0, -ESRCH, or -errno. */
int ms_proc_info_read(int rootfd, pid_t pid, struct ms_proc_info *out);

/* ms_build_driver(): never frozen, its children are jobs. */
#include "gate/jobtree.h"
