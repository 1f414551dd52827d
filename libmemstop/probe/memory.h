/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The truth about available memory: the smallest of the host's
 * MemAvailable, the cgroup's limit - (usage - inactive_file) and, under
 * strict overcommit, what the commit limit leaves.
 *
 * "total", the base of percentages, is min(MemTotal, effective cgroup
 * limit): memory, never the commit limit. CommitLimit is a policy figure
 * (swap + vm.overcommit_ratio % of RAM, or vm.overcommit_kbytes) that may be
 * above or far below RAM and changes with a sysctl; a percentage of it would
 * move the threshold with the admin's ratio, and "used of total" (status bar,
 * timeline) would mix resident memory with commit charge. The commit bound
 * lowers "available" only (never below 0, never above total), and the
 * sample keeps its own figures (commit_limit, committed, commit_left).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "probe/cgroup.h"
#include "probe/meminfo.h"

enum ms_bound {
        MS_BOUND_HOST = 0,
        MS_BOUND_CGROUP = 1,
        MS_BOUND_COMMIT = 2, /* CommitLimit - Committed_AS, vm.overcommit_memory = 2 */
};

/* vm.overcommit_memory, or MS_OVERCOMMIT_UNKNOWN where it cannot be read
 * (no such file in a fake tree or a container without /proc/sys). */
#define MS_OVERCOMMIT_UNKNOWN (-1)
#define MS_OVERCOMMIT_NEVER 2 /* strict: the commit limit binds */

struct ms_sample {
        struct ms_meminfo host;
        bool has_cgroup; /* a memory cgroup with figures in .cgroup */
        struct ms_cgroup_mem cgroup;
        int overcommit;      /* vm.overcommit_memory: 0, 1, 2 or MS_OVERCOMMIT_UNKNOWN */
        bool commit_bound;   /* mode 2 and host.has_commit: commit_left bounds available */
        uint64_t commit_left; /* CommitLimit - Committed_AS, 0 when committed beyond; 0 unless commit_bound */
        uint64_t total;
        uint64_t available;
        enum ms_bound total_bound;     /* which one gave total (never MS_BOUND_COMMIT) */
        enum ms_bound available_bound; /* which one gave available */
};

/* Combine host and (optional) cgroup figures under the overcommit mode
 * (vm.overcommit_memory or MS_OVERCOMMIT_UNKNOWN); pure. On a tie the host
 * is named before the cgroup, the cgroup before the commit limit. */
void ms_sample_combine(const struct ms_meminfo *host, const struct ms_cgroup_mem *cg, int overcommit,
                       struct ms_sample *out);

/* rootfd/proc/sys/vm/overcommit_memory: 0, 1, 2, or MS_OVERCOMMIT_UNKNOWN
 * when it is missing, unreadable or not one of those. */
int ms_overcommit_read(int rootfd);

/* Read host figures, the overcommit mode and, when cg is a located cgroup,
 * the cgroup's. Returns 0 or -errno (host unreadable, or cgroup files
 * unreadable; an unreadable overcommit mode is MS_OVERCOMMIT_UNKNOWN). */
int ms_sample_read(int rootfd, const struct ms_cgroup *cg, struct ms_sample *out);

/* "host", "cgroup" or "commit limit". */
const char *ms_bound_name(enum ms_bound b);

/*
 * Whose memory processes of this sample compete for: the directory of the
 * cgroup whose limit binds (below the host's memory), or NULL for the host.
 * Processes with the same scope share one queue (ms_ledger_name()), so two
 * builds in sibling cgroups under one limit, or anywhere without a limit,
 * account for each other. (The commit limit is the host's: it does not
 * change the scope.)
 */
const char *ms_sample_scope(const struct ms_sample *s);
