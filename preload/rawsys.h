/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sysinfo(2) for the fast path, without libc where the architecture allows:
 * a call through the PLT costs every exec one symbol lookup in libc (lazy
 * binding, ~0.7 us here), and libc's wrapper sets errno, which the fast path
 * would then have to save (one more lookup: __errno_location). The raw
 * system call returns -errno and leaves errno alone.
 */
#pragma once

#include <errno.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>

static inline int ms_raw_sysinfo(struct sysinfo *si)
{
#if defined(__x86_64__)
        long r;

        __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_sysinfo), "D"(si) : "rcx", "r11", "memory");
        return (int)r;
#elif defined(__aarch64__)
        register long x8 __asm__("x8") = SYS_sysinfo;
        register long x0 __asm__("x0") = (long)si;

        __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8) : "memory", "cc");
        return (int)x0;
#else
        int saved = errno, r = sysinfo(si) < 0 ? -errno : 0;

        errno = saved;
        return r;
#endif
}
