/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The files of /proc/PID that the gate, the supervisor and lockd read:
 * stat (a comm may hold anything), statm, status, children, cgroup and
 * cmdline; and /proc/locks (who holds the ledger's lock). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fuzz-input.h"
#include "gate/lockwait.h"
#include "probe/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size), path[256], line[512];
        struct ms_proc_stat st;
        pid_t pids[64];
        size_t n = 0;
        uint64_t u;

        if (!s)
                return 0;
        if (ms_proc_stat_parse(s, &st) == 0 && strnlen(st.comm, sizeof(st.comm)) >= sizeof(st.comm))
                abort();
        (void)ms_proc_statm_parse(s, 4096, &u);
        (void)ms_proc_statm_parse(s, 0, &u);
        (void)ms_proc_status_hwm_parse(s, &u);
        (void)ms_proc_status_commit_parse(s, &u);
        if (ms_proc_children_parse(s, pids, 64, &n) != -EINVAL && n > 64)
                abort();
        if (ms_proc_memcg_parse(s, path, sizeof(path)) == 0 && strnlen(path, sizeof(path)) >= sizeof(path))
                abort();
        if (ms_locks_line_holder(s, 0x1a, 4242) < 0)
                abort();
        /* cmdline: NULs included. */
        ms_proc_cmdline_format((const char *)data, size, line, sizeof(line));
        if (strnlen(line, sizeof(line)) >= sizeof(line))
                abort();
        free(s);
        return 0;
}
