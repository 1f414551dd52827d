/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Small helpers shared by every module: cleanup attributes and the error
 * convention.
 *
 * Error convention for all of libmemstop: functions return 0 on success and
 * -errno on failure. Where a caller must handle an expected outcome, the
 * function documents a positive value for it.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define MS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MS_UNUSED __attribute__((unused))
#define MS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define _cleanup_(f) __attribute__((cleanup(f)))
/*
 * On the preload's fast path: the linker groups these functions in .text.hot,
 * so a process touches as few code pages as possible (a page fault costs
 * microseconds on virtual machines, more than the work itself).
 */
#define MS_HOT __attribute__((hot))

/* Close fd (if valid) keeping errno; returns -1, the invalid value. */
static inline int ms_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -1;
}

static inline void ms_closep(int *fd)
{
        *fd = ms_close(*fd);
}

static inline void ms_freep(void *p)
{
        free(*(void **)p);
}

#define _cleanup_close_ _cleanup_(ms_closep)
#define _cleanup_free_ _cleanup_(ms_freep)

/* Hand ownership over: returns the value and leaves the invalid one behind. */
#define MS_TAKE_FD(fd)                  \
        ({                              \
                int _fd = (fd);         \
                (fd) = -1;              \
                _fd;                    \
        })
