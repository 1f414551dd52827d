/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "supervise/proctree.h"

/* stat, and statm only where stat's line ends before its RSS field (older
 * or hostile text: rss_pages 0). */
static int info_read(int rootfd, pid_t pid, struct ms_proc_info *out, uint64_t *threads)
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
        if (st.state == 'Z')
                info.rss = 0;
        else if (st.rss_pages)
                info.rss = st.rss_pages * (uint64_t)sysconf(_SC_PAGESIZE);
        else if (ms_proc_rss_read(rootfd, pid, &info.rss) < 0)
                info.rss = 0;
        *threads = st.threads;
        *out = info;
        return 0;
}

int ms_proc_tree_info_read(int rootfd, pid_t pid, pid_t *queue, struct ms_proc_info *out, size_t max)
{
        size_t n = 1, m = 0;
        bool full = false;

        if (max == 0)
                return -ENOSPC;
        queue[0] = pid;
        /* Breadth first: queue[] is the queue. A process that ended is skipped. */
        for (size_t i = 0; i < n; i++) {
                uint64_t threads;
                int r = info_read(rootfd, queue[i], &out[m], &threads);
                if (r < 0) {
                        if (i == 0)
                                return r == -EINVAL ? r : -ESRCH;
                        continue;
                }
                m++;
                if (!full && ms_proc_kids_read(rootfd, queue[i], threads, queue, max, &n) == -ENOSPC)
                        full = true;
        }
        return (int)m;
}

int ms_proc_info_read(int rootfd, pid_t pid, struct ms_proc_info *out)
{
        uint64_t threads;

        return info_read(rootfd, pid, out, &threads);
}
