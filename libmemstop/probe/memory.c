/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>

#include "probe/memory.h"

void ms_sample_combine(const struct ms_meminfo *host, const struct ms_cgroup_mem *cg, struct ms_sample *out)
{
        struct ms_sample s = { .host = *host, .total = host->total, .available = host->available };

        if (cg) {
                s.has_cgroup = true;
                s.cgroup = *cg;
                if (cg->limit < s.total) {
                        s.total = cg->limit;
                        s.total_bound = MS_BOUND_CGROUP;
                }
                if (cg->available < s.available) {
                        s.available = cg->available;
                        s.available_bound = MS_BOUND_CGROUP;
                }
        }
        if (s.available > s.total)
                s.available = s.total;
        *out = s;
}

int ms_sample_read(int rootfd, const struct ms_cgroup *cg, struct ms_sample *out)
{
        struct ms_meminfo host;
        struct ms_cgroup_mem mem;
        int r;

        r = ms_meminfo_read(rootfd, &host);
        if (r < 0)
                return r;
        if (!cg || cg->version == MS_CGROUP_NONE) {
                ms_sample_combine(&host, NULL, out);
                return 0;
        }
        r = ms_cgroup_read(rootfd, cg, &mem);
        if (r < 0)
                return r;
        ms_sample_combine(&host, &mem, out);
        return 0;
}

const char *ms_sample_scope(const struct ms_sample *s)
{
        if (s->has_cgroup && s->cgroup.limit < s->host.total && s->cgroup.limit_dir[0])
                return s->cgroup.limit_dir;
        return NULL;
}

const char *ms_bound_name(enum ms_bound b)
{
        return b == MS_BOUND_CGROUP ? "cgroup" : "host";
}
