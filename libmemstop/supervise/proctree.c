/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "supervise/proctree.h"

int ms_proc_tree_read(int rootfd, pid_t pid, pid_t *out, size_t max)
{
        size_t n = 0, i;
        char path[32];

        if (max == 0)
                return -ENOSPC;
        snprintf(path, sizeof(path), "proc/%d", (int)pid);
        if (ms_access_at(rootfd, path) < 0)
                return -ESRCH;
        out[n++] = pid;
        /* Breadth first: out[] is the queue. A child that vanished is skipped. */
        for (i = 0; i < n && n < max; i++) {
                int r = ms_proc_children_read(rootfd, out[i], out, max, &n);
                if (r == -ENOSPC)
                        break;
        }
        return (int)n;
}

int ms_proc_info_read(int rootfd, pid_t pid, struct ms_proc_info *out)
{
        char path[64], text[2048];
        struct ms_proc_stat st;
        struct ms_proc_info info = { .pid = pid };
        int r;

        snprintf(path, sizeof(path), "proc/%d/stat", (int)pid);
        r = ms_read_at(rootfd, path, text, sizeof(text), NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (ms_proc_stat_parse(text, &st) < 0)
                return -EINVAL;
        memcpy(info.comm, st.comm, sizeof(info.comm));
        info.ppid = st.ppid;
        info.state = st.state;
        info.starttime = st.starttime;
        if (st.state != 'Z' && ms_proc_rss_read(rootfd, pid, &info.rss) < 0)
                info.rss = 0;
        *out = info;
        return 0;
}

