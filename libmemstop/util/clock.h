/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The monotonic clock, in nanoseconds: for deadlines and ages. */
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t ms_monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
