/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The host's memory from /proc/meminfo. All figures in bytes.
 *
 * Where MemAvailable is missing (kernels before 3.14), available is estimated
 * as MemFree + Buffers + Cached + SReclaimable - Shmem (never below MemFree,
 * never above MemTotal) and has_available is false.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ms_meminfo {
        uint64_t total;
        uint64_t free;
        uint64_t available;
        uint64_t buffers;
        uint64_t cached;
        uint64_t sreclaimable;
        uint64_t shmem;
        bool has_available;
};

/* Parse the text of /proc/meminfo. Returns 0, or -EINVAL if MemTotal or
 * MemFree is missing or a value is malformed. */
int ms_meminfo_parse(const char *text, struct ms_meminfo *out);

/* Read and parse rootfd/proc/meminfo. Returns 0 or -errno. */
int ms_meminfo_read(int rootfd, struct ms_meminfo *out);
