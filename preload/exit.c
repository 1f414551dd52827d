/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop.so's interposed _exit(), _Exit() and prctl(): they must be in the
 * preloaded library to come before libc's. What an admitted process does at
 * exit is memstop-gate.so's (gate-exit.c): _exit() calls it through the
 * gate's exit_hook, set only when the slow path ran.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gate.h"

/*
 * Set when the program sandboxes itself: PR_SET_NO_NEW_PRIVS (which an
 * unprivileged seccomp filter needs first; libseccomp sets it) or
 * PR_SET_SECCOMP through prctl(). Its exit then does nothing a filter would
 * likely forbid: one atomic swap on the mapped slot and a futex wake.
 */
__attribute__((visibility("default"))) int prctl(int option, ...)
{
        unsigned long a[4];
        va_list ap;

        va_start(ap, option);
        for (unsigned i = 0; i < 4; i++)
                a[i] = va_arg(ap, unsigned long);
        va_end(ap);
        if ((option == PR_SET_NO_NEW_PRIVS || option == PR_SET_SECCOMP) && gate)
                gate->sandboxed = true;
        return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}

/* Programs that end with _exit() (dash does) skip atexit handlers: the
 * slow path's exit_hook leaves the ledger (gate-exit.c). */
__attribute__((visibility("default"), noreturn)) void _exit(int status)
{
        struct gate *g = gate;

        if (g && g->exit_hook)
                g->exit_hook(g);
        syscall(SYS_exit_group, status);
        for (;;)
                syscall(SYS_exit, status);
}

__attribute__((visibility("default"), noreturn)) void _Exit(int status)
{
        _exit(status);
}
