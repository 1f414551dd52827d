/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "util/json.h"

void ms_json_init(struct ms_json *j, FILE *f, unsigned pretty_depth)
{
        *j = (struct ms_json){ .f = f, .pretty_depth = pretty_depth };
}

size_t ms_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
        size_t len;
        uint32_t c, min;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                len = 2, c = s[0] & 0x1f, min = 0x80;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3, c = s[0] & 0x0f, min = 0x800;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4, c = s[0] & 0x07, min = 0x10000;
        } else {
                return 0; /* a continuation byte, 0xc0, 0xc1 or above 0xf4 */
        }
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, UTF-16 surrogates, beyond Unicode. */
        if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
                return 0;
        *cp = c;
        return len;
}

void ms_json_write_string(FILE *f, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n = 0;

        while (p[n])
                n++;
        fputc('"', f);
        while (n > 0) {
                uint32_t cp;
                size_t len = ms_utf8_decode(p, n, &cp);

                if (len == 0) {
                        fputs("\\ufffd", f);
                        len = 1;
                } else if (cp == '"' || cp == '\\') {
                        fprintf(f, "\\%c", (char)cp);
                } else if (cp < 0x20 || cp == 0x7f) {
                        fprintf(f, "\\u%04x", (unsigned)cp);
                } else {
                        fwrite(p, 1, len, f);
                }
                p += len;
                n -= len;
        }
        fputc('"', f);
}

static bool pretty(const struct ms_json *j)
{
        return j->depth > 0 && j->depth <= j->pretty_depth;
}

static void indent(struct ms_json *j, unsigned depth)
{
        fputc('\n', j->f);
        for (unsigned i = 0; i < depth; i++)
                fputs("  ", j->f);
}

/* Before a member: the separator, the line break, the key. */
static void member(struct ms_json *j, const char *key)
{
        if (j->depth > 0 && j->depth <= MS_JSON_MAX_DEPTH) {
                bool *has = &j->has_members[j->depth - 1];
                if (*has)
                        fputc(',', j->f);
                if (pretty(j))
                        indent(j, j->depth);
                else if (*has)
                        fputc(' ', j->f);
                *has = true;
        }
        if (key) {
                ms_json_write_string(j->f, key);
                fputs(": ", j->f);
        }
}

static void open_container(struct ms_json *j, const char *key, char c)
{
        member(j, key);
        fputc(c, j->f);
        j->depth++;
        if (j->depth <= MS_JSON_MAX_DEPTH)
                j->has_members[j->depth - 1] = false;
}

static void close_container(struct ms_json *j, char c)
{
        bool had = j->depth <= MS_JSON_MAX_DEPTH && j->depth > 0 && j->has_members[j->depth - 1];

        if (had && pretty(j))
                indent(j, j->depth - 1);
        if (j->depth > 0)
                j->depth--;
        fputc(c, j->f);
}

void ms_json_object_begin(struct ms_json *j, const char *key)
{
        open_container(j, key, '{');
}

void ms_json_object_end(struct ms_json *j)
{
        close_container(j, '}');
}

void ms_json_array_begin(struct ms_json *j, const char *key)
{
        open_container(j, key, '[');
}

void ms_json_array_end(struct ms_json *j)
{
        close_container(j, ']');
}

void ms_json_string(struct ms_json *j, const char *key, const char *s)
{
        member(j, key);
        if (s)
                ms_json_write_string(j->f, s);
        else
                fputs("null", j->f);
}

void ms_json_uint(struct ms_json *j, const char *key, uint64_t v)
{
        member(j, key);
        fprintf(j->f, "%" PRIu64, v);
}

void ms_json_int(struct ms_json *j, const char *key, int64_t v)
{
        member(j, key);
        fprintf(j->f, "%" PRId64, v);
}

void ms_json_double(struct ms_json *j, const char *key, double v, int decimals)
{
        member(j, key);
        if (isfinite(v))
                fprintf(j->f, "%.*f", decimals, v);
        else
                fputs("null", j->f);
}

void ms_json_bool(struct ms_json *j, const char *key, bool v)
{
        member(j, key);
        fputs(v ? "true" : "false", j->f);
}

void ms_json_null(struct ms_json *j, const char *key)
{
        member(j, key);
        fputs("null", j->f);
}

int ms_json_end(struct ms_json *j)
{
        fputc('\n', j->f);
        return ferror(j->f) ? -EIO : 0;
}
