/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * errno-probe: prints errno as main() finds it. Preloaded constructors run
 * before main, so anything they leave in errno shows here (the program's
 * own start-up leaves 0).
 *
 * With an argument it plays a program that the gate's exit path must not
 * disturb (issue 12):
 *
 *   errno-probe sandboxed      installs a seccomp filter that allows little
 *                              more than write and exit (as sandboxed
 *                              programs do), writes "sandboxed" on stdout
 *                              and ends with _exit(0): any other system call
 *                              kills it with SIGSYS
 *   errno-probe reuse-fd FILE  puts its own FILE, locked (flock LOCK_EX), at
 *                              the number of the gate's ledger fd, leaves a
 *                              child holding the lock for 3 s, and exits:
 *                              the lock must outlive it
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static int sandboxed(void)
{
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), /* elsewhere: not tested */
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                ALLOW(SYS_write),
                ALLOW(SYS_exit_group),
                ALLOW(SYS_exit),
                ALLOW(SYS_getpid),
                ALLOW(SYS_futex),
                ALLOW(SYS_rt_sigreturn),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        };
        struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
        static const char line[] = "sandboxed\n";

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
                perror("seccomp");
                return 3;
        }
        if (write(STDOUT_FILENO, line, sizeof(line) - 1) < 0)
                _exit(4);
        _exit(0);
}

/* The gate's ledger fd: the one whose target names a queue file. */
static int ledger_fd(void)
{
        char link[64], target[4096];

        for (int fd = 3; fd < 4096; fd++) {
                ssize_t n;
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                n = readlink(link, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (strstr(target, "/queue-v"))
                        return fd;
        }
        return -1;
}

static int reuse_fd(const char *file)
{
        int l = ledger_fd(), own;

        if (l < 0) {
                fputs("no ledger fd\n", stderr);
                return 2;
        }
        own = open(file, O_RDWR | O_CREAT, 0600);
        if (own < 0 || dup2(own, l) < 0 || flock(l, LOCK_EX) < 0) {
                perror(file);
                return 3;
        }
        if (fork() == 0) {
                /* The background child that relies on the lock. */
                sleep(3);
                _exit(0);
        }
        printf("ledger fd %d\n", l);
        return 0;
}

int main(int argc, char **argv)
{
        int e = errno;

        if (argc > 1 && strcmp(argv[1], "sandboxed") == 0)
                return sandboxed();
        if (argc > 2 && strcmp(argv[1], "reuse-fd") == 0)
                return reuse_fd(argv[2]);
        printf("%d\n", e);
        return 0;
}
