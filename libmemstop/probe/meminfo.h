/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The host's memory from /proc/meminfo. All figures in bytes.
 *
 * Where MemAvailable is missing (kernels before 3.14), available is estimated
 * as MemFree + Buffers + Cached + SReclaimable - Shmem (never below MemFree,
 * never above MemTotal) and has_available is false.
 *
 * CommitLimit and Committed_AS (what strict overcommit, vm.overcommit_memory
 * = 2, compares: an allocation fails with ENOMEM once Committed_AS would pass
 * CommitLimit) are read when present. They are not needed to judge memory
 * otherwise, so their absence or a malformed value does not fail the parse:
 * commit_err says why they are unknown (has_commit false, both 0).
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
        uint64_t commit_limit; /* CommitLimit */
        uint64_t committed;    /* Committed_AS */
        bool has_commit;       /* both lines read */
        int commit_err;        /* 0, -ENOENT (a line missing) or -EINVAL (malformed) */
};

/* Parse the text of /proc/meminfo. Returns 0, or -EINVAL if MemTotal or
 * MemFree is missing or a value is malformed (CommitLimit and Committed_AS
 * excepted: see commit_err). */
int ms_meminfo_parse(const char *text, struct ms_meminfo *out);

/* Read and parse rootfd/proc/meminfo. Returns 0 or -errno. */
int ms_meminfo_read(int rootfd, struct ms_meminfo *out);
