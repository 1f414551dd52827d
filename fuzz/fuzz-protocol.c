/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What memstop and the preload tell each other: the cgroup hint
 * (MEMSTOP_CGROUP), the hold line (MEMSTOP_REPORT's file) and the
 * supervisor's pid, each read back from any bytes and, when valid,
 * written again and compared. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "gate/protocol.h"
#include "probe/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size), buf[256];
        struct ms_cgroup_hint hint;
        struct ms_hold_line h, h2;
        pid_t pid;

        if (!s)
                return 0;
        if (ms_cgroup_hint_parse(s, &hint) == 0 && hint.dir && (hint.dir < s || hint.dir > s + size))
                abort();
        if (ms_cgroup_hint_read(s, 8ull << 30, &hint) == 0 && hint.limit > (8ull << 30) &&
            hint.version != MS_CGROUP_NONE)
                abort();
        (void)ms_cgroup_hint_read(s, UINT64_MAX, &hint);
        if (ms_hold_line_parse(s, &h) == 0) {
                int n = ms_hold_line_format(&h, buf, sizeof(buf));
                if (n < 0 || ms_hold_line_parse(buf, &h2) != 0 || h2.pid != h.pid || h2.held_usec != h.held_usec)
                        abort();
        }
        if (ms_supervisor_parse(s, &pid) == 0 &&
            (pid <= 0 || ms_supervisor_format(pid, buf, sizeof(buf)) != 0))
                abort();
        {
                /* MEMSTOP_JOB: what parses formats back to a value that parses the same. */
                char job[MS_JOB_BUF];
                uint64_t start, start2;
                pid_t jpid, jpid2;
                if (ms_job_parse(s, &jpid, &start) == 0 &&
                    (jpid <= 0 || ms_job_format(jpid, start, job, sizeof(job)) != 0 ||
                     ms_job_parse(job, &jpid2, &start2) != 0 || jpid2 != jpid || start2 != start))
                        abort();
        }
        free(s);
        return 0;
}
