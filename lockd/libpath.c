/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockd/libpath.h"
#include "util/macro.h"
#include "util/fileio.h"

#define MAX_INCLUDE_DEPTH 8
#define LDCONF_MAX (256u * 1024)

static const char *const default_dirs[] = { "/lib64", "/usr/lib64", "/lib", "/usr/lib" };

int lockd_list_add_unique(struct lockd_list *l, const char *dir)
{
        char **items, *copy;

        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i], dir) == 0)
                        return 0;
        copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        items = realloc(l->items, (l->n + 1) * sizeof(char *));
        if (!items) {
                free(copy);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = copy;
        return 0;
}

int lockd_ldconf_parse(const char *text, const char *conf_dir, struct lockd_list *dirs,
                       struct lockd_list *includes)
{
        while (*text) {
                const char *nl = strchr(text, '\n');
                size_t len = nl ? (size_t)(nl - text) : strlen(text);
                _cleanup_free_ char *line = strndup(text, len);
                char *p, *hash, *end;
                int r = 0;

                if (!line)
                        return -ENOMEM;
                text += len + (nl ? 1 : 0);
                hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                p = line;
                while (*p == ' ' || *p == '\t')
                        p++;
                end = p + strlen(p);
                while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                        *--end = '\0';
                if (!*p)
                        continue;
                if (strncmp(p, "include", 7) == 0 && (p[7] == ' ' || p[7] == '\t')) {
                        /* One or more patterns after the keyword. */
                        char *save = NULL, *tok;

                        for (tok = strtok_r(p + 8, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
                                char buf[4096];

                                if (tok[0] == '/')
                                        r = lockd_list_add_unique(includes, tok);
                                else if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", conf_dir, tok) < sizeof(buf))
                                        r = lockd_list_add_unique(includes, buf);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                if (strncmp(p, "hwcap", 5) == 0 && (p[5] == ' ' || p[5] == '\t'))
                        continue;
                /* Old syntax allowed "dir=type" and lists separated by ':' or ','. */
                for (char *save = NULL, *tok = strtok_r(p, ":, \t", &save); tok; tok = strtok_r(NULL, ":, \t", &save)) {
                        char *eq = strchr(tok, '=');
                        size_t tlen;

                        if (eq)
                                *eq = '\0';
                        tlen = strlen(tok);
                        while (tlen > 1 && tok[tlen - 1] == '/')
                                tok[--tlen] = '\0';
                        if (tok[0] == '/' && (r = lockd_list_add_unique(dirs, tok)) < 0)
                                return r;
                }
        }
        return 0;
}

static int load_conf(int rootfd, const char *root, const char *path, unsigned depth, struct lockd_list *dirs)
{
        _cleanup_free_ char *text = NULL;
        struct lockd_list includes = {};
        char dir[4096];
        char *slash;
        int r;

        if (depth > MAX_INCLUDE_DEPTH)
                return 0;
        r = ms_read_alloc_at(rootfd, path, LDCONF_MAX, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* unreadable: as the loader, go on without it */
        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (slash && slash != dir)
                *slash = '\0';
        else
                strcpy(dir, "/");
        r = lockd_ldconf_parse(text, dir, dirs, &includes);
        free(text);
        text = NULL;
        for (size_t i = 0; r == 0 && i < includes.n; i++) {
                glob_t g = {};
                char pattern[4096];

                if ((size_t)snprintf(pattern, sizeof(pattern), "%s%s", root, includes.items[i]) >= sizeof(pattern))
                        continue;
                if (glob(pattern, 0, NULL, &g) == 0) {
                        size_t rootlen = strlen(root);
                        for (size_t j = 0; r == 0 && j < g.gl_pathc; j++)
                                r = load_conf(rootfd, root, g.gl_pathv[j] + rootlen, depth + 1, dirs);
                }
                globfree(&g);
        }
        lockd_list_free(&includes);
        return r == -ENOMEM ? r : 0;
}

int lockd_libdirs_load(int rootfd, struct lockd_list *dirs)
{
        char root[MS_ROOT_PREFIX_MAX];
        int r = ms_root_prefix(rootfd, root, sizeof(root));

        if (r == 0)
                r = load_conf(rootfd, root, "/etc/ld.so.conf", 0, dirs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < MS_ARRAY_SIZE(default_dirs); i++) {
                r = lockd_list_add_unique(dirs, default_dirs[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int lockd_rpath_expand(const char *entry, const char *origin, char *out, size_t size)
{
        size_t o = 0;

        for (const char *p = entry; *p;) {
                const char *add = p;
                size_t len = 1;

                if (*p == '$') {
                        if (strncmp(p, "$ORIGIN", 7) == 0 && !(p[7] == '_' || (p[7] >= 'A' && p[7] <= 'Z'))) {
                                add = origin;
                                len = strlen(origin);
                                p += 7;
                        } else if (strncmp(p, "${ORIGIN}", 9) == 0) {
                                add = origin;
                                len = strlen(origin);
                                p += 9;
                        } else {
                                return -EINVAL;
                        }
                } else {
                        p++;
                }
                if (o + len >= size)
                        return -ENAMETOOLONG;
                memcpy(out + o, add, len);
                o += len;
        }
        out[o] = '\0';
        return 0;
}

/* Whether path below rootfd is a regular ELF file of obj's class and machine. */
static bool candidate_ok(int rootfd, const char *path, const struct lockd_elf *obj)
{
        _cleanup_close_ int fd = -1;
        unsigned char h[20];
        struct stat st;
        uint16_t machine;

        fd = ms_open_regular_at(rootfd, path, &st);
        if (fd < 0)
                return false;
        if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
                return false;
        if (memcmp(h, ELFMAG, SELFMAG) != 0 || h[EI_CLASS] != obj->elf_class)
                return false;
        memcpy(&machine, h + 18, sizeof(machine));
        return machine == obj->machine;
}

/* Try each entry of a ':'-separated search list. */
static int try_list(int rootfd, const char *list, const char *origin, const char *name,
                    const struct lockd_elf *obj, char *out, size_t size)
{
        _cleanup_free_ char *copy = strdup(list);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
                char dir[4096];

                if (lockd_rpath_expand(tok, origin, dir, sizeof(dir)) < 0 || dir[0] != '/')
                        continue;
                if ((size_t)snprintf(out, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name) >= size)
                        continue;
                if (candidate_ok(rootfd, out, obj))
                        return 0;
        }
        return -ENOENT;
}

int lockd_lib_resolve(int rootfd, const char *name, const struct lockd_elf *obj, const char *origin,
                      const struct lockd_elf *exe, const char *exe_origin, const struct lockd_list *dirs, char *out,
                      size_t size)
{
        if (strchr(name, '/')) {
                if (name[0] != '/' || (size_t)snprintf(out, size, "%s", name) >= size)
                        return -ENOENT;
                return candidate_ok(rootfd, out, obj) ? 0 : -ENOENT;
        }
        if (!obj->runpath) {
                if (obj->rpath && try_list(rootfd, obj->rpath, origin, name, obj, out, size) == 0)
                        return 0;
                if (exe && exe != obj && exe->rpath && !exe->runpath &&
                    try_list(rootfd, exe->rpath, exe_origin, name, obj, out, size) == 0)
                        return 0;
        } else if (try_list(rootfd, obj->runpath, origin, name, obj, out, size) == 0) {
                return 0;
        }
        for (size_t i = 0; i < dirs->n; i++) {
                if ((size_t)snprintf(out, size, "%s/%s", dirs->items[i], name) >= size)
                        continue;
                if (candidate_ok(rootfd, out, obj))
                        return 0;
        }
        return -ENOENT;
}
