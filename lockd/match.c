/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lockd/match.h"
#include "util/parse.h"

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

/* One item of a list: a program pattern (the gate's dialect, brackets
 * closed) or an absolute directory (trailing '/' removed). */
static int add_item(struct lockd_list *l, const char *item, size_t len, bool prefixes, const char **bad)
{
        int r;

        if (prefixes) {
                if (*item != '/') {
                        *bad = "not an absolute path";
                        return -EINVAL;
                }
                while (len > 1 && item[len - 1] == '/')
                        len--;
                if (!lockd_path_normal_n(item, len)) {
                        *bad = "not a normal path (no \".\", \"..\" or empty component)";
                        return -EINVAL;
                }
        }
        r = list_push(l, item, len);
        if (r < 0 || prefixes)
                return r;
        if (ms_pattern_list_check(l->items[l->n - 1]) < 0) {
                *bad = "a program pattern matches a base name and contains no '/'";
                return -EINVAL;
        }
        if (!brackets_balanced(l->items[l->n - 1])) {
                *bad = "unbalanced '[' in pattern";
                return -EINVAL;
        }
        return 0;
}

static int split(const char *s, bool allow_empty, bool prefixes, struct lockd_list *out, const char **bad)
{
        struct lockd_list l = {};
        const char *item;
        size_t len;
        int r;

        *bad = NULL;
        while ((item = ms_list_next(&s, &len))) {
                r = add_item(&l, item, len, prefixes, bad);
                if (r < 0) {
                        lockd_list_free(&l);
                        return r;
                }
        }
        if (l.n == 0 && !allow_empty) {
                *bad = "empty list";
                return -EINVAL;
        }
        *out = l;
        return 0;
}

int lockd_patterns_parse(const char *s, bool allow_empty, struct lockd_list *out, const char **bad)
{
        return split(s, allow_empty, false, out, bad);
}

int lockd_prefixes_parse(const char *s, bool allow_empty, struct lockd_list *out, const char **bad)
{
        return split(s, allow_empty, true, out, bad);
}

bool lockd_pattern_match(const char *pattern, const char *name)
{
        /* lockd.conf has always matched as fnmatch(FNM_PERIOD) does: a
         * leading '.' of a name only by a '.' of the pattern. */
        if (name[0] == '.' && pattern[0] != '.' && !(pattern[0] == '\\' && pattern[1] == '.'))
                return false;
        return ms_pattern_list_match(pattern, name);
}

int lockd_patterns_match(const struct lockd_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (lockd_pattern_match(l->items[i], name))
                        return (int)i;
        return -1;
}

bool lockd_pattern_is_literal(const char *pattern)
{
        return strpbrk(pattern, "*?[\\") == NULL;
}

bool lockd_path_normal_n(const char *path, size_t len)
{
        size_t i = 0;

        if (len == 0 || path[0] != '/')
                return false;
        if (len == 1)
                return true;
        while (i < len) {
                size_t start = ++i, n; /* past the '/' */

                while (i < len && path[i] != '/')
                        i++;
                n = i - start;
                if (n == 0 || (n == 1 && path[start] == '.') ||
                    (n == 2 && path[start] == '.' && path[start + 1] == '.'))
                        return false;
        }
        return true;
}

bool lockd_path_normal(const char *path)
{
        return lockd_path_normal_n(path, strlen(path));
}

const char *lockd_path_below(const struct lockd_list *prefixes, const char *path, size_t *prefix_len)
{
        static const char root[] = "/";

        if (!lockd_path_normal(path) || path[1] == '\0')
                return NULL;
        if (prefixes->n == 0) {
                *prefix_len = 1;
                return root;
        }
        for (size_t i = 0; i < prefixes->n; i++) {
                const char *p = prefixes->items[i];
                size_t len = strlen(p);

                if (len == 1) {
                        *prefix_len = 1;
                        return p;
                }
                /* Component-wise: both paths are normal, so a prefix that
                 * ends where a component of path ends is an ancestor. */
                if (strncmp(path, p, len) == 0 && path[len] == '/') {
                        *prefix_len = len;
                        return p;
                }
        }
        return NULL;
}

bool lockd_path_allowed(const struct lockd_list *prefixes, const char *path)
{
        size_t len;

        return lockd_path_below(prefixes, path, &len) != NULL;
}

const char *lockd_basename(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash ? slash + 1 : path;
}
