/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/fileio.h"
#include "util/parse.h"
#include "probe/psi.h"
#include "util/strutil.h"

/* "12.34": a percentage with up to two decimals, as the kernel prints it. */
static int parse_percent(const char **p, double *out)
{
        const char *s = *p;
        unsigned whole = 0, frac = 0, scale = 1;

        if (!ms_isdigit(*s))
                return -EINVAL;
        for (; ms_isdigit(*s); s++) {
                whole = whole * 10 + (unsigned)(*s - '0');
                if (whole > 100)
                        return -EINVAL;
        }
        if (*s == '.') {
                s++;
                if (!ms_isdigit(*s))
                        return -EINVAL;
                for (; ms_isdigit(*s) && scale < 1000000; s++) {
                        frac = frac * 10 + (unsigned)(*s - '0');
                        scale *= 10;
                }
                if (ms_isdigit(*s))
                        return -EINVAL;
        }
        *out = (double)whole + (double)frac / (double)scale;
        if (*out > 100.0)
                return -EINVAL;
        *p = s;
        return 0;
}

/* Expect "key=" at *p. */
static int expect(const char **p, const char *key)
{
        const char *rest = ms_startswith(*p, key);

        if (!rest)
                return -EINVAL;
        *p = rest;
        return 0;
}

/* "avg10=0.12 avg60=0.00 avg300=0.00 total=12345" after "some " or "full ". */
static int parse_line(const char *p, struct ms_psi_line *out)
{
        struct ms_psi_line l;

        if (expect(&p, "avg10=") < 0 || parse_percent(&p, &l.avg10) < 0 || expect(&p, " avg60=") < 0 ||
            parse_percent(&p, &l.avg60) < 0 || expect(&p, " avg300=") < 0 || parse_percent(&p, &l.avg300) < 0 ||
            expect(&p, " total=") < 0)
                return -EINVAL;
        if (ms_parse_u64_prefix(&p, &l.total) < 0 || (*p != '\0' && *p != '\n'))
                return -EINVAL;
        *out = l;
        return 0;
}

int ms_psi_parse(const char *text, struct ms_psi *out)
{
        struct ms_psi psi = {};
        const char *some = ms_find_field(text, "some");
        const char *full = ms_find_field(text, "full");

        if (!some || parse_line(some, &psi.some) < 0)
                return -EINVAL;
        if (full) {
                if (parse_line(full, &psi.full) < 0)
                        return -EINVAL;
                psi.has_full = true;
        }
        *out = psi;
        return 0;
}

int ms_psi_read(int rootfd, const char *path, struct ms_psi *out)
{
        char buf[512];
        int r = ms_read_at(rootfd, path, buf, sizeof(buf), NULL);

        if (r < 0)
                return r == -EFBIG ? -EINVAL : r;
        return ms_psi_parse(buf, out);
}

static bool readable(int rootfd, const char *path)
{
        struct ms_psi psi;

        return ms_psi_read(rootfd, path, &psi) == 0;
}

static int set_cgroup(struct ms_psi_source *out, const char *dir)
{
        int n = snprintf(out->path, sizeof(out->path), "%s/memory.pressure", dir);

        out->scope = MS_PSI_CGROUP;
        return n < 0 || (size_t)n >= sizeof(out->path) ? -ENAMETOOLONG : 0;
}

/* The calling process's cgroup in the unified hierarchy; -ENOENT at its root. */
static int unified_dir(int rootfd, struct ms_cgroup *u)
{
        int r = ms_cgroup_locate_in(rootfd, MS_CGROUP_V2, u);

        if (r == 0 && strlen(u->dir) <= u->mount_len)
                r = -ENOENT; /* the root: the host's figures */
        return r;
}

int ms_psi_locate(int rootfd, const struct ms_cgroup *cg, const char *limit_dir, struct ms_psi_source *out)
{
        struct ms_cgroup u;
        int r;

        *out = (struct ms_psi_source){ .scope = MS_PSI_HOST };
        snprintf(out->path, sizeof(out->path), "proc/pressure/memory");
        if (cg->version == MS_CGROUP_NONE || !limit_dir[0])
                return 0;
        if (cg->version == MS_CGROUP_V2) {
                r = set_cgroup(out, limit_dir);
        } else {
                r = unified_dir(rootfd, &u);
                if (r == 0)
                        r = set_cgroup(out, u.dir);
        }
        if (r < 0 || !readable(rootfd, out->path)) {
                *out = (struct ms_psi_source){ .scope = MS_PSI_HOST };
                snprintf(out->path, sizeof(out->path), "proc/pressure/memory");
                return r == -ENAMETOOLONG ? r : 0;
        }
        return 0;
}

void ms_psi_source_name(const struct ms_psi_source *src, char *buf, size_t size)
{
        size_t n = strlen(src->path), suffix = strlen("/memory.pressure");

        if (src->scope == MS_PSI_HOST || n <= suffix)
                snprintf(buf, size, "host");
        else
                snprintf(buf, size, "cgroup /%.*s", (int)(n - suffix), src->path);
}
