/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pressure stall information: proc/pressure/memory, or a v2 cgroup's
 * memory.pressure. Kernels booted without PSI fail reads with EOPNOTSUPP.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/cgroup.h"

struct ms_psi_line {
        double avg10, avg60, avg300; /* percent */
        uint64_t total;              /* microseconds stalled */
};

struct ms_psi {
        struct ms_psi_line some;
        struct ms_psi_line full;
        bool has_full; /* the "full" line exists (CPU pressure lacks it on old kernels) */
};

/* Returns 0 or -EINVAL (no "some" line, malformed numbers). */
int ms_psi_parse(const char *text, struct ms_psi *out);

/* path below the root, e.g. "proc/pressure/memory". Returns 0 or -errno. */
int ms_psi_read(int rootfd, const char *path, struct ms_psi *out);

/*
 * Whose memory pressure matters to processes of a memory cgroup: that of
 * the cgroup whose limit binds them, where the kernel keeps it per cgroup
 * (v2 memory.pressure; on a v1 host with the hybrid hierarchy, the
 * process's own cgroup in the unified hierarchy, whose memory.pressure
 * counts the stalls of its tasks), else the host's. A container's build
 * must not be frozen for the host's pressure, nor miss its own.
 */
enum ms_psi_scope {
        MS_PSI_HOST = 0,
        MS_PSI_CGROUP = 1,
};

struct ms_psi_source {
        enum ms_psi_scope scope;
        char path[PATH_MAX + 32]; /* below the root: "proc/pressure/memory" or ".../memory.pressure" */
};

/* Choose the source for the calling process, whose memory cgroup is cg (a
 * located one or MS_CGROUP_NONE) with its limit set in limit_dir ("" if
 * none): the first readable of the limit's cgroup (v2), the unified
 * hierarchy's cgroup of the process (v1 with a limit), the host. Returns 0
 * (host when nothing else is readable) or -ENAMETOOLONG. */
int ms_psi_locate(int rootfd, const struct ms_cgroup *cg, const char *limit_dir, struct ms_psi_source *out);

/* "host" or "cgroup /DIR" for display. */
void ms_psi_source_name(const struct ms_psi_source *src, char *buf, size_t size);
