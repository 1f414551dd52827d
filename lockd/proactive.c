/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockd/elfinfo.h"
#include "lockd/libpath.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "lockd/proactive.h"

#define MAX_DEPTH 16
#define LTO_PLUGIN "liblto_plugin.so"

struct search {
        int rootfd;
        char root[MS_ROOT_PREFIX_MAX]; /* ms_root_prefix() of rootfd */
        const struct lockd_conf *c;
        const struct lockd_list *libdirs;
        lockd_found_fn found;
        void *userdata;
        struct lockd_list visited;
        struct lockd_list dirs;     /* search_path, then compiler dirs expanded */
        size_t nsearch;             /* how many of dirs come from search_path */
        struct lockd_list *listing; /* names in each of dirs */
        int count;
        int error;
};

/* root: ms_root_prefix() of the root fd. */
static int canonical(const char *root, const char *path, char *out, size_t size)
{
        char full[PATH_MAX], real[PATH_MAX], realroot[PATH_MAX] = "";
        size_t rootlen;

        if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >= sizeof(full))
                return -ENAMETOOLONG;
        if (!realpath(full, real))
                return -errno;
        if (*root && !realpath(root, realroot))
                return -errno;
        rootlen = strcmp(realroot, "/") == 0 ? 0 : strlen(realroot);
        if (rootlen > 0) {
                if (strncmp(real, realroot, rootlen) != 0 || real[rootlen] != '/')
                        return -EXDEV;
        }
        if ((size_t)snprintf(out, size, "%s", real + rootlen) >= size)
                return -ENAMETOOLONG;
        return 0;
}

int lockd_canonical(int rootfd, const char *path, char *out, size_t size)
{
        char root[MS_ROOT_PREFIX_MAX];

        if (ms_root_prefix(rootfd, root, sizeof(root)) < 0)
                return -ENAMETOOLONG;
        return canonical(root, path, out, size);
}

static bool seen(struct search *s, const char *path)
{
        for (size_t i = 0; i < s->visited.n; i++)
                if (strcmp(s->visited.items[i], path) == 0)
                        return true;
        return false;
}

static void dir_of(const char *path, char *out, size_t size)
{
        const char *slash = strrchr(path, '/');
        size_t len = slash ? (size_t)(slash - path) : 0;

        if (len == 0 || len >= size) {
                snprintf(out, size, "/");
                return;
        }
        memcpy(out, path, len);
        out[len] = '\0';
}

/* Report canonical path and, depth first, what it loads. */
static void add_file(struct search *s, const char *canon, const struct lockd_elf *exe, const char *exe_origin,
                     unsigned depth)
{
        _cleanup_close_ int fd = -1;
        struct lockd_elf e = {};
        char origin[PATH_MAX];
        struct stat st;
        bool is_exe;

        if (s->error || depth > MAX_DEPTH || seen(s, canon))
                return;
        if (!lockd_path_allowed(&s->c->allowed_paths, canon))
                return;
        if (lockd_list_add_unique(&s->visited, canon) < 0) {
                s->error = -ENOMEM;
                return;
        }
        fd = ms_open_regular_at(s->rootfd, canon, &st);
        if (fd < 0)
                return;
        s->found(canon, s->userdata);
        s->count++;
        if (lockd_elf_parse_fd(fd, (uint64_t)st.st_size, &e) < 0)
                return;
        dir_of(canon, origin, sizeof(origin));
        is_exe = exe == NULL;
        if (is_exe) {
                exe = &e;
                exe_origin = origin;
        }
        if (e.interp) {
                char c[PATH_MAX];
                if (canonical(s->root, e.interp, c, sizeof(c)) == 0)
                        add_file(s, c, exe, exe_origin, depth + 1);
        }
        for (size_t i = 0; i < e.nneeded; i++) {
                char lib[PATH_MAX], c[PATH_MAX];

                if (lockd_lib_resolve(s->rootfd, e.needed[i], &e, origin, exe, exe_origin, s->libdirs, lib,
                                      sizeof(lib)) < 0)
                        continue;
                if (canonical(s->root, lib, c, sizeof(c)) == 0)
                        add_file(s, c, exe, exe_origin, depth + 1);
        }
        lockd_elf_free(&e);
}

static void add_program(struct search *s, const char *dir, const char *name, bool need_exec)
{
        char path[PATH_MAX], canon[PATH_MAX];
        struct stat st;

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name) >= sizeof(path))
                return;
        if (ms_stat_at(s->rootfd, path, &st) < 0 || !S_ISREG(st.st_mode) || (need_exec && !(st.st_mode & 0111)))
                return;
        if (canonical(s->root, path, canon, sizeof(canon)) < 0)
                return;
        add_file(s, canon, NULL, NULL, 0);
}

static int list_dir(const struct search *s, const char *dir, struct lockd_list *out)
{
        char full[PATH_MAX];
        struct dirent *de;
        DIR *d;

        if ((size_t)snprintf(full, sizeof(full), "%s%s", s->root, dir) >= sizeof(full))
                return 0;
        d = opendir(full);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                char **items, *name;

                if (de->d_name[0] == '.')
                        continue;
                name = strdup(de->d_name);
                items = name ? realloc(out->items, (out->n + 1) * sizeof(char *)) : NULL;
                if (!items) {
                        free(name);
                        closedir(d);
                        return -ENOMEM;
                }
                out->items = items;
                out->items[out->n++] = name;
        }
        closedir(d);
        return 0;
}

static int collect_dirs(struct search *s)
{
        const struct lockd_conf *c = s->c;
        size_t rootlen = strlen(s->root);
        int r;

        for (size_t i = 0; i < c->search_path.n; i++)
                if ((r = lockd_list_add_unique(&s->dirs, c->search_path.items[i])) < 0)
                        return r;
        s->nsearch = s->dirs.n;
        for (size_t i = 0; i < c->compiler_dirs.n; i++) {
                char pattern[PATH_MAX];
                glob_t g = {};

                if ((size_t)snprintf(pattern, sizeof(pattern), "%s%s", s->root, c->compiler_dirs.items[i]) >=
                    sizeof(pattern))
                        continue;
                if (glob(pattern, GLOB_ONLYDIR, NULL, &g) == 0) {
                        for (size_t j = 0; j < g.gl_pathc; j++) {
                                r = lockd_list_add_unique(&s->dirs, g.gl_pathv[j] + rootlen);
                                if (r < 0) {
                                        globfree(&g);
                                        return r;
                                }
                        }
                }
                globfree(&g);
        }
        s->listing = calloc(s->dirs.n ? s->dirs.n : 1, sizeof(struct lockd_list));
        if (!s->listing)
                return -ENOMEM;
        for (size_t i = 0; i < s->dirs.n; i++)
                if ((r = list_dir(s, s->dirs.items[i], &s->listing[i])) < 0)
                        return r;
        return 0;
}

int lockd_proactive_find(int rootfd, const struct lockd_conf *c, const struct lockd_list *libdirs,
                         lockd_found_fn found, void *userdata)
{
        struct search s = { .rootfd = rootfd, .c = c, .libdirs = libdirs, .found = found, .userdata = userdata };
        int r;

        r = ms_root_prefix(rootfd, s.root, sizeof(s.root));
        if (r == 0)
                r = collect_dirs(&s);
        for (size_t p = 0; r == 0 && p < c->programs.n; p++) {
                const char *pattern = c->programs.items[p];

                for (size_t d = 0; d < s.dirs.n; d++) {
                        const struct lockd_list *names = &s.listing[d];
                        bool hit = false;

                        for (size_t k = 0; k < names->n; k++) {
                                if (!lockd_pattern_match(pattern, names->items[k]))
                                        continue;
                                add_program(&s, s.dirs.items[d], names->items[k], true);
                                hit = true;
                        }
                        /* GCC's linker plugin: ld loads it on every link gcc drives. */
                        if (hit && d >= s.nsearch)
                                add_program(&s, s.dirs.items[d], LTO_PLUGIN, false);
                }
        }
        if (r == 0)
                r = s.error;
        for (size_t i = 0; s.listing && i < s.dirs.n; i++)
                lockd_list_free(&s.listing[i]);
        free(s.listing);
        lockd_list_free(&s.dirs);
        lockd_list_free(&s.visited);
        return r < 0 ? r : s.count;
}
