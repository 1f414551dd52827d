/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <time.h>

#include "lockd/clock.h"

static uint64_t clock_usec(clockid_t id)
{
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t lockd_now_usec(void)
{
        return clock_usec(CLOCK_MONOTONIC);
}

uint64_t lockd_thread_cpu_usec(void)
{
        return clock_usec(CLOCK_THREAD_CPUTIME_ID);
}
