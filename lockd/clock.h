/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The clocks of memstop-lockd: monotonic time and its own CPU time.
 */
#pragma once

#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds. */
uint64_t lockd_now_usec(void);

/* CPU time of the calling thread in microseconds. */
uint64_t lockd_thread_cpu_usec(void);
