/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * uml-xstate.so: preloaded into Debian 12's linux.uml (user-mode Linux 6.1)
 * so that it runs on hosts whose XSAVE area is bigger than that kernel knows
 * (AVX-512, AMX). Only the test VM (tests/vm/vm.sh) uses it.
 *
 * UML 6.1 saves and restores its processes' FPU state with
 * ptrace(PTRACE_GETREGSET/SETREGSET, NT_X86_XSTATE) and a fixed 832-byte
 * buffer (struct _xstate: legacy area, XSAVE header, AVX upper halves).
 * Recent host kernels take PTRACE_SETREGSET of NT_X86_XSTATE only with the
 * host's whole XSAVE size (2.5 to 11 KiB with AVX-512 and AMX): the first
 * return to the VM's init fails ("userspace - ptrace set fp regs failed,
 * errno = 14") and the VM panics. (Failing UML's probe instead, so that it
 * falls back to PTRACE_GETFPREGS, boots, but then glibc's AVX string
 * functions in the VM misbehave: kmod's insmod says "Invalid parameters",
 * python3 cannot start.)
 *
 * This wraps ptrace(): for those two requests it moves the host's whole
 * XSAVE area through a buffer of its own. GETREGSET gives UML the first
 * bytes it asked for; SETREGSET reads the tracee's current area, lays UML's
 * bytes over its start (legacy area and AVX state; of the header's feature
 * bits UML's x87/SSE/AVX bits, the current ones for the rest) and writes the
 * whole area. State UML does not know of (AVX-512, AMX) is the host
 * process's own, as with an older host kernel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#define XSAVE_HDR_XFEATURES 512 /* offset of the header's feature bitmap */
#define XFEATURES_UML 0x7ull    /* x87, SSE, AVX: what UML 6.1 knows */

typedef long ptrace_fn(enum __ptrace_request, pid_t, void *, void *);

/* UML's host-side kernel runs one thread at a time (no SMP): one buffer. */
static unsigned char area[64 * 1024] __attribute__((aligned(64)));

static ptrace_fn *real_ptrace(void)
{
        static ptrace_fn *fn;

        if (!fn)
                fn = (ptrace_fn *)dlsym(RTLD_NEXT, "ptrace");
        return fn;
}

/* The tracee's whole XSAVE area into area[]; its size, or -1 with errno. */
static long read_area(ptrace_fn *fn, pid_t pid)
{
        struct iovec whole = { .iov_base = area, .iov_len = sizeof(area) };

        if (fn(PTRACE_GETREGSET, pid, (void *)(uintptr_t)NT_X86_XSTATE, &whole) < 0)
                return -1;
        return (long)whole.iov_len;
}

static long xstate(ptrace_fn *fn, enum __ptrace_request req, pid_t pid, struct iovec *iov)
{
        long size = read_area(fn, pid);
        size_t n;

        if (size < 0)
                return -1;
        n = iov->iov_len < (size_t)size ? iov->iov_len : (size_t)size;
        if (req == PTRACE_GETREGSET) {
                memcpy(iov->iov_base, area, n);
                iov->iov_len = n;
                return 0;
        }
        if (n >= XSAVE_HDR_XFEATURES + sizeof(uint64_t)) {
                uint64_t cur, uml;

                memcpy(&cur, area + XSAVE_HDR_XFEATURES, sizeof(cur));
                memcpy(area, iov->iov_base, n);
                memcpy(&uml, area + XSAVE_HDR_XFEATURES, sizeof(uml));
                uml = (uml & XFEATURES_UML) | (cur & ~XFEATURES_UML);
                memcpy(area + XSAVE_HDR_XFEATURES, &uml, sizeof(uml));
        } else {
                memcpy(area, iov->iov_base, n);
        }
        struct iovec whole = { .iov_base = area, .iov_len = (size_t)size };
        return fn(PTRACE_SETREGSET, pid, (void *)(uintptr_t)NT_X86_XSTATE, &whole);
}

long ptrace(enum __ptrace_request req, ...)
{
        ptrace_fn *fn = real_ptrace();
        va_list ap;
        pid_t pid;
        void *addr, *data;

        va_start(ap, req);
        pid = va_arg(ap, pid_t);
        addr = va_arg(ap, void *);
        data = va_arg(ap, void *);
        va_end(ap);
        if (!fn) {
                errno = ENOSYS;
                return -1;
        }
        if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) &&
            (uintptr_t)addr == NT_X86_XSTATE && data)
                return xstate(fn, req, pid, data);
        return fn(req, pid, addr, data);
}
