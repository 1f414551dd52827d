/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe/proc.h"
#include "util/macro.h"
#include "supervise/pidref.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* PIDFD_GET_INFO of <linux/pidfd.h> (6.13), its first version's layout. */
struct pidfd_info_v0 {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
};
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)
#define PIDFD_INFO_EXIT_BIT (UINT64_C(1) << 3)

/* Whether pid is still the process that started at starttime (zombies too:
 * a zombie's pid is not free yet). */
static bool same_process(int rootfd, pid_t pid, uint64_t starttime)
{
        struct ms_proc_stat st;

        return ms_proc_stat_read(rootfd, pid, &st) == 0 && st.starttime == starttime;
}

int ms_pidref_open(int rootfd, pid_t pid, uint64_t starttime, struct ms_pidref *out)
{
        struct ms_pidref ref = { .pid = pid, .starttime = starttime, .fd = -1 };
        long fd;

        if (pid <= 0)
                return -ESRCH;
        fd = syscall(SYS_pidfd_open, pid, 0);
        /* No pidfds (before 5.3) or none left: by pid and start time. */
        if (fd < 0 && errno != ENOSYS && errno != EMFILE && errno != ENFILE)
                return errno == EINVAL ? -ESRCH : -errno;
        ref.fd = fd < 0 ? -1 : (int)fd;
        /* Opened after the look: the pid may name a newer process by now. */
        if (!same_process(rootfd, pid, starttime)) {
                ms_pidref_close(&ref);
                return -ESRCH;
        }
        *out = ref;
        return 0;
}

int ms_pidref_signal(int rootfd, const struct ms_pidref *ref, int sig)
{
        if (ref->fd >= 0)
                return syscall(SYS_pidfd_send_signal, ref->fd, sig, NULL, 0) < 0 ? -errno : 0;
        if (ref->pid <= 0 || !same_process(rootfd, ref->pid, ref->starttime))
                return -ESRCH;
        return kill(ref->pid, sig) < 0 ? -errno : 0;
}

int ms_pidref_exit_status(const struct ms_pidref *ref, int *status)
{
        struct pidfd_info_v0 info = { .mask = PIDFD_INFO_EXIT_BIT };

        if (ref->fd < 0)
                return -EOPNOTSUPP;
        if (ioctl(ref->fd, PIDFD_GET_INFO_V0, &info) < 0)
                /* Before 6.13 no such ioctl; a reaped process without exit info. */
                return errno == ESRCH ? -EAGAIN : -EOPNOTSUPP;
        if (!(info.mask & PIDFD_INFO_EXIT_BIT))
                return -EAGAIN;
        *status = info.exit_code;
        return 0;
}

void ms_pidref_close(struct ms_pidref *ref)
{
        ref->fd = ms_close(ref->fd);
}

int ms_proc_exit_code_parse(const char *stat_text, int *status)
{
        const char *end = stat_text + strlen(stat_text), *p;
        char *num_end;
        long v;

        while (end > stat_text && (end[-1] == '\n' || end[-1] == ' '))
                end--;
        p = end;
        while (p > stat_text && p[-1] >= '0' && p[-1] <= '9')
                p--;
        /* After comm's last ')' and some 50 fields: not a whole line otherwise. */
        if (p == end || p == stat_text || p[-1] != ' ' || !strrchr(stat_text, ')') || strrchr(stat_text, ')') > p)
                return -EINVAL;
        errno = 0;
        v = strtol(p, &num_end, 10);
        if (errno || num_end != end || v > 0xffff)
                return -EINVAL;
        *status = (int)v;
        return 0;
}
