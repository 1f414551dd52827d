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
