/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockd/conf.h"
#include "lockd/libpath.h"
#include "lockd/proactive.h"
#include "util/fileio.h"
#include "tmptree.h"

struct found {
        char path[64][256];
        unsigned n;
};

static void on_found(const char *path, void *userdata)
{
        struct found *f = userdata;

        if (f->n < 64)
                snprintf(f->path[f->n], sizeof(f->path[0]), "%s", path);
        f->n++;
}

static int index_of(const struct found *f, const char *path)
{
        for (unsigned i = 0; i < f->n && i < 64; i++)
                if (strcmp(f->path[i], path) == 0)
                        return (int)i;
        return -1;
}

/* Copy this test's own interpreter and libraries into the tree, where its
 * ld.so.conf points. */
static void copy_own_libs(const char *root)
{
        FILE *m = fopen("/proc/self/maps", "r");
        char line[1024];

        while (m && fgets(line, sizeof(line), m)) {
                char *p = strchr(line, '/'), rel[512];
                const char *base;

                if (!p || !strstr(line, " r-xp ") || strstr(line, "test-lockd-proactive"))
                        continue;
                p[strcspn(p, "\n")] = '\0';
                base = strrchr(p, '/') + 1;
                if (strncmp(base, "ld-linux", 8) == 0)
                        continue;
                /* Libraries are needed by their soname; the test only uses libc.so.6 and cmocka. */
                if (strncmp(base, "libc.so", 7) == 0)
                        snprintf(rel, sizeof(rel), "usr/lib/fake/libc.so.6");
                else if (strncmp(base, "libcmocka", 9) == 0)
                        snprintf(rel, sizeof(rel), "usr/lib/fake/libcmocka.so.0");
                else if (strncmp(base, "libcap", 6) == 0)
                        snprintf(rel, sizeof(rel), "usr/lib/fake/libcap.so.2");
                else
                        continue;
                tree_copy(root, rel, p);
        }
        if (m)
                fclose(m);
}

static void test_find(void **state)
{
        char *root = tree_make();
        struct lockd_list libdirs = {};
        struct lockd_conf c;
        struct found f = {};
        int n, gcc, cc1, plugin, libc;
        const char *bad;

        tree_write(root, "etc/ld.so.conf", "/usr/lib/fake\n");
        copy_own_libs(root);
        /* Tools: gcc is a relative symlink to gcc-12; cc1 in a compiler dir. */
        tree_copy(root, "usr/bin/gcc-12", "/proc/self/exe");
        tree_symlink(root, "usr/bin/gcc", "gcc-12");
        tree_copy(root, "usr/bin/python3", "/proc/self/exe");  /* not in the list */
        tree_copy(root, "usr/lib/gcc/x86_64-linux-gnu/12/cc1", "/proc/self/exe");
        tree_write(root, "usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so", "plugin");
        tree_write(root, "usr/lib/gcc/x86_64-linux-gnu/12/notes.txt", "x");
        tree_write(root, "usr/bin/make", "not executable");     /* mode 0644 */
        tree_copy(root, "home/u/bin/gcc", "/proc/self/exe");    /* outside allowed_paths */

        assert_int_equal(lockd_conf_init(&c), 0);
        lockd_list_free(&c.programs);
        assert_int_equal(lockd_patterns_parse("make, gcc, gcc-[0-9]*, cc1", false, &c.programs, &bad), 0);
        lockd_list_free(&c.search_path);
        assert_int_equal(lockd_prefixes_parse("/usr/bin, /home/u/bin", false, &c.search_path, &bad), 0);
        assert_int_equal(lockd_libdirs_load(tree_fd(root), &libdirs), 0);

        n = lockd_proactive_find(tree_fd(root), &c, &libdirs, on_found, &f);
        assert_true(n > 0);
        assert_int_equal((unsigned)n, f.n);
        gcc = index_of(&f, "/usr/bin/gcc-12");
        cc1 = index_of(&f, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1");
        plugin = index_of(&f, "/usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so");
        libc = index_of(&f, "/usr/lib/fake/libc.so.6");
        assert_int_equal(gcc, 0);          /* canonical, first in the list */
        assert_true(libc > gcc);           /* its libraries right after it */
        assert_true(cc1 > libc);
        assert_true(plugin > cc1);
        assert_int_equal(index_of(&f, "/usr/bin/gcc"), -1);      /* the link is not a file */
        assert_int_equal(index_of(&f, "/usr/bin/python3"), -1);
        assert_int_equal(index_of(&f, "/usr/bin/make"), -1);
        assert_int_equal(index_of(&f, "/home/u/bin/gcc"), -1);
        assert_int_equal(index_of(&f, "/usr/lib/gcc/x86_64-linux-gnu/12/notes.txt"), -1);
        assert_true(index_of(&f, "/usr/lib/fake/libcmocka.so.0") > gcc);
        /* Each file once. */
        for (unsigned i = 0; i < f.n; i++)
                for (unsigned j = i + 1; j < f.n; j++)
                        assert_string_not_equal(f.path[i], f.path[j]);

        /* Without compiler dirs, cc1 is not found. */
        lockd_list_free(&c.compiler_dirs);
        memset(&f, 0, sizeof(f));
        assert_true(lockd_proactive_find(tree_fd(root), &c, &libdirs, on_found, &f) > 0);
        assert_int_equal(index_of(&f, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"), -1);
        lockd_list_free(&libdirs);
        lockd_conf_free(&c);
        tree_remove(root);
}

static void test_canonical(void **state)
{
        char *root = tree_make();
        char out[256];

        tree_write(root, "usr/bin/x", "x");
        tree_symlink(root, "usr/bin/y", "x");
        tree_symlink(root, "usr/bin/out", "/etc/passwd");
        assert_int_equal(lockd_canonical(tree_fd(root), "/usr/bin/y", out, sizeof(out)), 0);
        assert_string_equal(out, "/usr/bin/x");
        assert_int_equal(lockd_canonical(tree_fd(root), "/usr/bin/../bin/x", out, sizeof(out)), 0);
        assert_string_equal(out, "/usr/bin/x");
        assert_int_equal(lockd_canonical(tree_fd(root), "/usr/bin/none", out, sizeof(out)), -ENOENT);
        assert_int_equal(lockd_canonical(tree_fd(root), "/usr/bin/out", out, sizeof(out)), -EXDEV);
        assert_int_equal(lockd_canonical(MS_ROOT_HOST, "/proc/self/exe", out, sizeof(out)), 0);
        assert_true(out[0] == '/');
        tree_remove(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_canonical),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
