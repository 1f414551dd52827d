/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pressure stall information: proc/pressure/memory, or a v2 cgroup's
 * memory.pressure. Kernels booted without PSI fail reads with EOPNOTSUPP.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

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
