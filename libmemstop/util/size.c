/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/macro.h"
#include "util/size.h"
#include "util/strutil.h"

/*
 * A non-negative decimal with optional fraction, as an integer part and a
 * fraction scaled to 10^9. Leaves *end after the number.
 */
static MS_HOT int parse_decimal(const char *s, uint64_t *whole, uint64_t *frac_e9, const char **end)
{
        uint64_t w = 0, f = 0, scale = 100000000;
        bool any = false;

        while (ms_isdigit(*s)) {
                unsigned d = (unsigned)(*s - '0');
                if (w > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                w = w * 10 + d;
                s++;
                any = true;
        }
        if (*s == '.') {
                s++;
                if (!ms_isdigit(*s))
                        return -EINVAL;
                while (ms_isdigit(*s)) {
                        f += (uint64_t)(*s - '0') * scale;
                        scale /= 10;
                        s++;
                }
                any = true;
        }
        if (!any)
                return -EINVAL;
        *whole = w;
        *frac_e9 = f;
        *end = s;
        return 0;
}

/* whole.frac * mult, rounded down; -ERANGE on overflow. */
static MS_HOT int scale_value(uint64_t whole, uint64_t frac_e9, uint64_t mult, uint64_t *out)
{
        uint64_t a, b;

        if (whole != 0 && mult > UINT64_MAX / whole)
                return -ERANGE;
        a = whole * mult;
        /* frac_e9 < 1e9 and mult <= 2^40 or 1e12: split to avoid overflow. */
        b = (frac_e9 * (mult / 1000000)) / 1000 + (frac_e9 * (mult % 1000000)) / 1000000000;
        if (a > UINT64_MAX - b)
                return -ERANGE;
        *out = a + b;
        return 0;
}

struct unit {
        char name[4]; /* an array, not a pointer: no relocation at load time */
        uint64_t mult;
};

static MS_HOT int parse_with_units(const char *s, const struct unit *units, size_t n, uint64_t deflt, uint64_t *out)
{
        uint64_t whole, frac;
        const char *end;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_decimal(s, &whole, &frac, &end);
        if (r < 0)
                return r;
        if (*end == '\0')
                return scale_value(whole, frac, deflt, out);
        for (size_t i = 0; i < n; i++)
                if (ms_strcaseeq(end, units[i].name))
                        return scale_value(whole, frac, units[i].mult, out);
        return -EINVAL;
}

#define KI 1024ull
static const struct unit size_units[] = {
        { "B", 1 },
        { "K", KI }, { "KiB", KI }, { "KB", 1000ull },
        { "M", KI * KI }, { "MiB", KI * KI }, { "MB", 1000000ull },
        { "G", KI * KI * KI }, { "GiB", KI * KI * KI }, { "GB", 1000000000ull },
        { "T", KI * KI * KI * KI }, { "TiB", KI * KI * KI * KI }, { "TB", 1000000000000ull },
};

MS_HOT int ms_size_parse(const char *s, uint64_t *bytes)
{
        return parse_with_units(s, size_units, sizeof(size_units) / sizeof(size_units[0]), 1, bytes);
}

static const struct unit duration_units[] = {
        { "us", 1 },
        { "ms", 1000ull },
        { "s", 1000000ull },
        { "m", 60000000ull },
        { "h", 3600000000ull },
        { "d", 86400000000ull },
};

MS_HOT int ms_duration_parse(const char *s, uint64_t *usec)
{
        uint64_t v;
        int r;

        /* Units are case-sensitive in spirit ("m" is minutes, "M" would be
         * a size): reject upper case rather than guess. */
        for (const char *p = s; p && *p; p++)
                if ((*p >= 'A' && *p <= 'Z'))
                        return -EINVAL;
        r = parse_with_units(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]), 1000000ull, &v);
        if (r < 0)
                return r;
        /* Users of a duration count in nanoseconds too: it must fit there. */
        if (v > MS_DURATION_MAX_USEC)
                return -ERANGE;
        *usec = v;
        return 0;
}

MS_HOT int ms_percent_parse(const char *s, unsigned *percent)
{
        unsigned v = 0;
        const char *p = s;

        if (!p || !ms_isdigit(*p))
                return -EINVAL;
        while (ms_isdigit(*p)) {
                v = v * 10 + (unsigned)(*p - '0');
                if (v > 100)
                        return -ERANGE;
                p++;
        }
        if (*p == '%')
                p++;
        if (*p)
                return -EINVAL;
        *percent = v;
        return 0;
}

const char *ms_size_format(uint64_t bytes, char *buf, size_t size)
{
        static const char units[] = "KMGTPE";
        uint64_t div = 1024;
        int u = 0;

        if (bytes < 1024) {
                snprintf(buf, size, "%uB", (unsigned)bytes);
                return buf;
        }
        /* Integer arithmetic only: a double would round 2^64-1 up to "16E". */
        while (u < 5 && bytes / div >= 1024) {
                div *= 1024;
                u++;
        }
        uint64_t whole = bytes / div;
        /* One decimal below 100, rounded down, so never more than there is. */
        unsigned tenth = (unsigned)((bytes % div) * 10 / div); /* div <= 2^60: no overflow */
        if (whole < 100 && tenth)
                snprintf(buf, size, "%u.%u%c", (unsigned)whole, tenth, units[u]);
        else
                snprintf(buf, size, "%u%c", (unsigned)whole, units[u]);
        return buf;
}

const char *ms_duration_format(uint64_t usec, char *buf, size_t size)
{
        if (usec < 1000)
                snprintf(buf, size, "%uus", (unsigned)usec);
        else if (usec < 1000000)
                snprintf(buf, size, "%ums", (unsigned)(usec / 1000));
        else if (usec < 60000000)
                snprintf(buf, size, "%.1fs", (double)(usec / 100000) / 10.0);
        else if (usec < 3600000000ull)
                snprintf(buf, size, "%um%02us", (unsigned)(usec / 60000000), (unsigned)(usec / 1000000 % 60));
        else
                snprintf(buf, size, "%uh%02um", (unsigned)(usec / 3600000000ull),
                         (unsigned)(usec / 60000000 % 60));
        return buf;
}
