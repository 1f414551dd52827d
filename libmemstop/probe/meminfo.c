/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>

#include "util/fileio.h"
#include "util/parse.h"
#include "probe/meminfo.h"

/* A "Key:   123 kB" value in bytes. */
static int field_kb(const char *text, const char *key, uint64_t *bytes)
{
        uint64_t kb;
        int r = ms_field_u64(text, key, &kb);

        if (r < 0)
                return r;
        if (kb > UINT64_MAX / 1024)
                return -EINVAL;
        *bytes = kb * 1024;
        return 0;
}

/* CommitLimit and Committed_AS, both or neither; m->commit_err says why not. */
static void parse_commit(const char *text, struct ms_meminfo *m)
{
        uint64_t limit = 0, committed = 0;
        int r = field_kb(text, "CommitLimit:", &limit);

        if (r == 0)
                r = field_kb(text, "Committed_AS:", &committed);
        m->commit_err = r;
        m->has_commit = r == 0;
        m->commit_limit = r == 0 ? limit : 0;
        m->committed = r == 0 ? committed : 0;
}

int ms_meminfo_parse(const char *text, struct ms_meminfo *out)
{
        struct ms_meminfo m = {};
        int r;

        if (field_kb(text, "MemTotal:", &m.total) < 0 || m.total == 0)
                return -EINVAL;
        if (field_kb(text, "MemFree:", &m.free) < 0)
                return -EINVAL;
        /* Optional fields: absent reads as 0, malformed is an error. */
        if ((r = field_kb(text, "Buffers:", &m.buffers)) == -EINVAL ||
            (r = field_kb(text, "Cached:", &m.cached)) == -EINVAL ||
            (r = field_kb(text, "SReclaimable:", &m.sreclaimable)) == -EINVAL ||
            (r = field_kb(text, "Shmem:", &m.shmem)) == -EINVAL)
                return -EINVAL;

        r = field_kb(text, "MemAvailable:", &m.available);
        if (r == -EINVAL)
                return r;
        m.has_available = r == 0;
        if (!m.has_available) {
                uint64_t est = m.free + m.buffers + m.cached + m.sreclaimable;
                est = est > m.shmem ? est - m.shmem : 0;
                m.available = est < m.free ? m.free : est;
        }
        if (m.available > m.total)
                m.available = m.total;
        parse_commit(text, &m);
        *out = m;
        return 0;
}

int ms_meminfo_read(int rootfd, struct ms_meminfo *out)
{
        char buf[8192];
        int r = ms_read_at(rootfd, "proc/meminfo", buf, sizeof(buf), NULL);

        if (r < 0 && r != -EFBIG)
                return r;
        /* -EFBIG: the fields we need are at the top; parse what we have. */
        return ms_meminfo_parse(buf, out);
}
