/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmptree.h"
#include "util/fileio.h"

/* Trees not yet removed: a failed assertion jumps over a test's
 * tree_remove(), so what is left goes at exit. */
static char *live[64];
static int livefd[64]; /* tree_fd() of each, + 1 (0: none) */

static void remove_live(void)
{
        for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
                if (live[i])
                        tree_remove(live[i]);
}

char *tree_make(void)
{
        static int registered;
        char tmpl[] = "/tmp/lockd-test.XXXXXX";
        char *root;

        if (!registered++)
                atexit(remove_live);
        if (!mkdtemp(tmpl))
                fail_msg("mkdtemp: %s", strerror(errno));
        root = strdup(tmpl);
        for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
                if (!live[i]) {
                        live[i] = root;
                        break;
                }
        return root;
}

int tree_fd(const char *root)
{
        for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
                if (live[i] != root)
                        continue;
                if (!livefd[i]) {
                        int fd = ms_root_open(root);
                        if (fd < 0)
                                fail_msg("ms_root_open %s: %s", root, strerror(-fd));
                        livefd[i] = fd + 1;
                }
                return livefd[i] - 1;
        }
        fail_msg("not a tree: %s", root);
        return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                return rmdir(path);
        return unlink(path);
}

void tree_remove(char *root)
{
        if (!root)
                return;
        for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
                if (live[i] == root) {
                        live[i] = NULL;
                        if (livefd[i])
                                close(livefd[i] - 1);
                        livefd[i] = 0;
                }
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}

const char *tree_path(const char *root, const char *rel)
{
        static char buf[PATH_MAX];

        snprintf(buf, sizeof(buf), "%s/%s", root, rel[0] == '/' ? rel + 1 : rel);
        return buf;
}

static void mkparents(const char *path)
{
        char buf[PATH_MAX];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        fail_msg("mkdir %s: %s", buf, strerror(errno));
                *p = '/';
        }
}

void tree_mkdir(const char *root, const char *rel)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/", tree_path(root, rel));
        mkparents(path);
}

void tree_write(const char *root, const char *rel, const char *text)
{
        char path[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof(path), "%s", tree_path(root, rel));
        mkparents(path);
        f = fopen(path, "w");
        if (!f)
                fail_msg("fopen %s: %s", path, strerror(errno));
        fputs(text, f);
        fclose(f);
}

void tree_copy(const char *root, const char *rel, const char *from)
{
        char path[PATH_MAX], buf[65536];
        int in, out;
        ssize_t n;

        snprintf(path, sizeof(path), "%s", tree_path(root, rel));
        mkparents(path);
        in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                fail_msg("open %s: %s", from, strerror(errno));
        out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (out < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n)
                        fail_msg("write %s", path);
        close(in);
        close(out);
}

void tree_symlink(const char *root, const char *rel, const char *target)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s", tree_path(root, rel));
        mkparents(path);
        if (symlink(target, path) < 0)
                fail_msg("symlink %s: %s", path, strerror(errno));
}

void tree_rename(const char *root, const char *from, const char *to)
{
        char a[PATH_MAX], b[PATH_MAX];

        snprintf(a, sizeof(a), "%s", tree_path(root, from));
        snprintf(b, sizeof(b), "%s", tree_path(root, to));
        if (rename(a, b) < 0)
                fail_msg("rename %s %s: %s", a, b, strerror(errno));
}
