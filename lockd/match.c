/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "lockd/match.h"

void lockd_list_free(struct lockd_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
        l->items = NULL;
        l->n = 0;
}

int lockd_list_copy(const struct lockd_list *src, struct lockd_list *dst)
{
        struct lockd_list l = {};

        if (src->n > 0) {
                l.items = calloc(src->n, sizeof(char *));
                if (!l.items)
                        return -ENOMEM;
        }
        for (; l.n < src->n; l.n++) {
                l.items[l.n] = strdup(src->items[l.n]);
                if (!l.items[l.n]) {
                        lockd_list_free(&l);
                        return -ENOMEM;
                }
        }
        *dst = l;
        return 0;
}

static bool is_sep(char c)
{
        return c == ',' || c == ' ' || c == '\t';
}

static int list_push(struct lockd_list *l, const char *s, size_t len)
{
        char **items = realloc(l->items, (l->n + 1) * sizeof(char *));
        char *item;

        if (!items)
                return -ENOMEM;
        l->items = items;
        item = strndup(s, len);
        if (!item)
                return -ENOMEM;
        l->items[l->n++] = item;
        return 0;
}

/* Brackets must close: fnmatch() would otherwise match '[' literally, which
 * is never what a user meant. */
static bool brackets_balanced(const char *p)
{
        for (; *p; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                } else if (*p == '[') {
                        const char *q = p + 1;
                        if (*q == '!' || *q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        while (*q && *q != ']')
                                q++;
                        if (!*q)
                                return false;
                        p = q;
                }
        }
        return true;
}

static int split(const char *s, bool allow_empty, bool prefixes, struct lockd_list *out, const char **bad)
{
        struct lockd_list l = {};
        int r;

        *bad = NULL;
        while (*s) {
                const char *start;
                size_t len;

                while (is_sep(*s))
                        s++;
                if (!*s)
                        break;
                start = s;
                while (*s && !is_sep(*s))
                        s++;
                len = (size_t)(s - start);
                if (prefixes) {
                        if (*start != '/') {
                                *bad = "not an absolute path";
                                goto fail;
                        }
                        while (len > 1 && start[len - 1] == '/')
                                len--;
                } else {
                        if (memchr(start, '/', len)) {
                                *bad = "a program pattern matches a base name and contains no '/'";
                                goto fail;
                        }
                }
                r = list_push(&l, start, len);
                if (r < 0) {
                        lockd_list_free(&l);
                        return r;
                }
                if (!prefixes && !brackets_balanced(l.items[l.n - 1])) {
                        *bad = "unbalanced '[' in pattern";
                        goto fail;
                }
        }
        if (l.n == 0 && !allow_empty) {
                *bad = "empty list";
                goto fail;
        }
        *out = l;
        return 0;
fail:
        lockd_list_free(&l);
        return -EINVAL;
}

int lockd_patterns_parse(const char *s, bool allow_empty, struct lockd_list *out, const char **bad)
{
        return split(s, allow_empty, false, out, bad);
}

int lockd_prefixes_parse(const char *s, bool allow_empty, struct lockd_list *out, const char **bad)
{
        return split(s, allow_empty, true, out, bad);
}

int lockd_patterns_match(const struct lockd_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (fnmatch(l->items[i], name, FNM_PERIOD) == 0)
                        return (int)i;
        return -1;
}

bool lockd_pattern_is_literal(const char *pattern)
{
        return strpbrk(pattern, "*?[\\") == NULL;
}

bool lockd_path_allowed(const struct lockd_list *prefixes, const char *path)
{
        if (prefixes->n == 0)
                return true;
        for (size_t i = 0; i < prefixes->n; i++) {
                const char *p = prefixes->items[i];
                size_t len = strlen(p);

                if (len == 1 && p[0] == '/')
                        return path[0] == '/';
                if (strncmp(path, p, len) == 0 && (path[len] == '/' || path[len] == '\0'))
                        return true;
        }
        return false;
}

const char *lockd_basename(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash ? slash + 1 : path;
}
