/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The truth about available memory: the smaller of the host's MemAvailable
 * and the cgroup's limit - (usage - inactive_file). "total", the base of
 * percentages, is min(MemTotal, effective cgroup limit).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "probe/cgroup.h"
#include "probe/meminfo.h"

enum ms_bound {
        MS_BOUND_HOST = 0,
        MS_BOUND_CGROUP = 1,
};

struct ms_sample {
        struct ms_meminfo host;
        bool has_cgroup; /* a memory cgroup with figures in .cgroup */
        struct ms_cgroup_mem cgroup;
        uint64_t total;
        uint64_t available;
        enum ms_bound total_bound;     /* which one gave total */
        enum ms_bound available_bound; /* which one gave available */
};

/* Combine host and (optional) cgroup figures; pure. */
void ms_sample_combine(const struct ms_meminfo *host, const struct ms_cgroup_mem *cg, struct ms_sample *out);

/* Read host figures and, when cg is a located cgroup, the cgroup's.
 * Returns 0 or -errno (host unreadable, or cgroup files unreadable). */
int ms_sample_read(int rootfd, const struct ms_cgroup *cg, struct ms_sample *out);

const char *ms_bound_name(enum ms_bound b);

/*
 * Whose memory processes of this sample compete for: the directory of the
 * cgroup whose limit binds (below the host's memory), or NULL for the host.
 * Processes with the same scope share one queue (ms_ledger_name()), so two
 * builds in sibling cgroups under one limit, or anywhere without a limit,
 * account for each other.
 */
const char *ms_sample_scope(const struct ms_sample *s);
