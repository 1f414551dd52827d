/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Small helpers of memstop-lockd that the core does not have.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Read a whole file (by path; at most max bytes) into a new NUL-terminated
 * buffer. Returns 0, -EFBIG when it is longer than max, or -errno.
 */
int lockd_read_text(const char *path, size_t max, char **out, size_t *len);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t lockd_now_usec(void);

/* CPU time of the calling thread in microseconds. */
uint64_t lockd_thread_cpu_usec(void);
