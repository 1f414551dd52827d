/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "psi.h"

/* "avg10=0.12 avg60=0.00 avg300=0.00 total=12345" after "some " or "full ". */
static int parse_line(const char *p, struct ms_psi_line *out)
{
        struct ms_psi_line l;
        unsigned long long total;
        int used = 0;

        if (sscanf(p, "avg10=%lf avg60=%lf avg300=%lf total=%llu%n", &l.avg10, &l.avg60, &l.avg300, &total,
                   &used) != 4)
                return -EINVAL;
        if (p[used] != '\0' && p[used] != '\n')
                return -EINVAL;
        if (l.avg10 < 0 || l.avg60 < 0 || l.avg300 < 0 || l.avg10 > 100 || l.avg60 > 100 || l.avg300 > 100)
                return -EINVAL;
        l.total = total;
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
