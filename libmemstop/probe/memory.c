/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>

#include "util/fileio.h"
#include "probe/memory.h"

/* Lower s->available to v, naming b, where v is smaller. */
static void bound_by(struct ms_sample *s, uint64_t v, enum ms_bound b)
{
        if (v < s->available) {
                s->available = v;
                s->available_bound = b;
        }
}

void ms_sample_combine(const struct ms_meminfo *host, const struct ms_cgroup_mem *cg, int overcommit,
                       struct ms_sample *out)
{
        struct ms_sample s = { .host = *host, .overcommit = overcommit, .total = host->total,
                               .available = host->available };

        if (cg) {
                s.has_cgroup = true;
                s.cgroup = *cg;
                if (cg->limit < s.total) {
                        s.total = cg->limit;
                        s.total_bound = MS_BOUND_CGROUP;
                }
                bound_by(&s, cg->available, MS_BOUND_CGROUP);
        }
        if (overcommit == MS_OVERCOMMIT_NEVER && host->has_commit) {
                s.commit_bound = true;
                s.commit_left = host->committed < host->commit_limit ? host->commit_limit - host->committed : 0;
                bound_by(&s, s.commit_left, MS_BOUND_COMMIT);
        }
        if (s.available > s.total)
                s.available = s.total;
        *out = s;
}

int ms_overcommit_read(int rootfd)
{
        uint64_t mode;

        if (ms_read_u64_at(rootfd, "proc/sys/vm/overcommit_memory", &mode) < 0 || mode > 2)
                return MS_OVERCOMMIT_UNKNOWN;
        return (int)mode;
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
                ms_sample_combine(&host, NULL, ms_overcommit_read(rootfd), out);
                return 0;
        }
        r = ms_cgroup_read(rootfd, cg, &mem);
        if (r < 0)
                return r;
        ms_sample_combine(&host, &mem, ms_overcommit_read(rootfd), out);
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
        switch (b) {
        case MS_BOUND_CGROUP:
                return "cgroup";
        case MS_BOUND_COMMIT:
                return "commit limit";
        default:
                return "host";
        }
}
