/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "util/macro.h"
#include "util/parse.h"
#include "util/strutil.h"

MS_HOT bool ms_word_in(const char *s, const ms_word_t *words, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (ms_strcaseeq(s, words[i]))
                        return true;
        return false;
}

MS_HOT int ms_parse_u64_prefix(const char **p, uint64_t *out)
{
        const char *s = *p;
        uint64_t v = 0;

        if (!ms_isdigit(*s))
                return -EINVAL;
        for (; ms_isdigit(*s); s++) {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *out = v;
        return 0;
}

MS_HOT int ms_parse_u64(const char *s, uint64_t *out)
{
        uint64_t v;
        int r = ms_parse_u64_prefix(&s, &v);

        if (r < 0)
                return r;
        if (*s)
                return -EINVAL;
        *out = v;
        return 0;
}

const char *ms_find_field(const char *text, const char *key)
{
        size_t klen = strlen(key);
        const char *p = text;

        while (p && *p) {
                if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t')) {
                        p += klen;
                        while (*p == ' ' || *p == '\t')
                                p++;
                        return p;
                }
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return NULL;
}

int ms_field_u64(const char *text, const char *key, uint64_t *out)
{
        const char *v = ms_find_field(text, key);
        uint64_t n;

        if (!v)
                return -ENOENT;
        if (ms_parse_u64_prefix(&v, &n) < 0)
                return -EINVAL;
        if (*v != '\0' && *v != '\n' && *v != ' ' && *v != '\t')
                return -EINVAL;
        *out = n;
        return 0;
}

MS_HOT int ms_bool_parse(const char *s, bool *value)
{
        static const ms_word_t off[] = { "0", "no", "n", "false", "off" };
        static const ms_word_t on[] = { "1", "yes", "y", "true", "on" };

        if (ms_word_in(s, off, MS_ARRAY_SIZE(off)))
                *value = false;
        else if (ms_word_in(s, on, MS_ARRAY_SIZE(on)))
                *value = true;
        else
                return -EINVAL;
        return 0;
}

MS_HOT int ms_pattern_list_check(const char *list)
{
        const char *p = list;

        if (!*p)
                return -EINVAL;
        for (;;) {
                size_t n = 0;
                for (; p[n] && p[n] != ','; n++)
                        if (p[n] == '/' || p[n] == ' ')
                                return -EINVAL;
                if (n == 0)
                        return -EINVAL;
                if (!p[n])
                        return 0;
                p += n + 1;
        }
}

MS_HOT bool ms_pattern_list_match(const char *list, const char *name)
{
        char pat[256];

        for (const char *p = list; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                if (n > 0 && n < sizeof(pat)) {
                        memcpy(pat, p, n);
                        pat[n] = '\0';
                        if (fnmatch(pat, name, 0) == 0)
                                return true;
                }
                p = comma ? comma + 1 : NULL;
        }
        return false;
}

static bool is_list_sep(char c)
{
        return c == ',' || c == ' ' || c == '\t';
}

const char *ms_list_next(const char **p, size_t *len)
{
        const char *s = *p, *start;

        while (is_list_sep(*s))
                s++;
        if (!*s) {
                *p = s;
                return NULL;
        }
        start = s;
        while (*s && !is_list_sep(*s))
                s++;
        *len = (size_t)(s - start);
        *p = s;
        return start;
}

MS_HOT bool ms_name_list_has(const char *list, const char *name)
{
        for (const char *p = list; p && *p;) {
                const char *n = name;
                while (*p && *p != ',' && *p == *n)
                        p++, n++;
                if ((*p == ',' || *p == '\0') && *n == '\0')
                        return true;
                while (*p && *p != ',')
                        p++;
                if (*p == ',')
                        p++;
        }
        return false;
}
