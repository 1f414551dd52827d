/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The supervisor's hold directory: its name, and the sweep of those left by
 * memstops killed with their guardians (only ours, of our pid namespace,
 * whose memstop is gone; only the hold file; never through a link).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/common.h"
#include "cli/supervise.h"
#include "fixture.h"

#define NS UINT64_C(4026531836)
#define DEAD 4100001
#define LIVE 4100002

static bool fake_alive(pid_t pid, void *userdata)
{
        (void)userdata;
        return pid == LIVE;
}

static bool exists(const char *root, const char *rel)
{
        char path[PATH_MAX];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        return lstat(path, &st) == 0;
}

static void test_name_parse(void **state)
{
        uint64_t ns;
        pid_t pid;

        (void)state;
        assert_int_equal(sv_holdfile_name_parse("memstop-4026531836-1234-aB3xYz", &ns, &pid), 0);
        assert_true(ns == NS);
        assert_int_equal(pid, 1234);
        assert_int_equal(sv_holdfile_name_parse("memstop-0-1-000000", &ns, &pid), 0);
        /* The tests' own directories, the old name, and anything near. */
        static const char *const bad[] = {
                "memstop-test.aB3xYz",   "memstop-aB3xYz",       "memstop-1-2-aB3xY",     "memstop-1-2-aB3xYz1",
                "memstop-1-0-aB3xYz",    "memstop-1--2-aB3xYz",  "memstop--1-2-aB3xYz",   "memstop-1-2-aB.xYz",
                "xmemstop-1-2-aB3xYz",   "memstop-1-2_aB3xYz",   "memstop-+1-2-aB3xYz",   "",
                "memstop-1-2147483648-aB3xYz",                   "memstop-99999999999999999999-2-aB3xYz",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(sv_holdfile_name_parse(bad[i], &ns, &pid), -EINVAL);
}

/* A hold directory as a supervisor leaves it: the directory and its file. */
static void left(const char *root, uint64_t ns, pid_t pid, const char *x)
{
        char rel[128];

        snprintf(rel, sizeof(rel), "memstop-%llu-%d-%s/held", (unsigned long long)ns, (int)pid, x);
        fake_write(root, rel, "1 20000 cc1plus\n");
}

static void test_reap(void **state)
{
        const char *root = ((struct fake *)*state)->root;
        char path[PATH_MAX], target[PATH_MAX];

        left(root, NS, DEAD, "aaaaaa");      /* gone: removed */
        left(root, NS, DEAD, "bbbbbb");      /* ... every one of it */
        left(root, NS, LIVE, "cccccc");      /* its memstop runs */
        left(root, NS + 1, DEAD, "dddddd");  /* another namespace: its pids are not ours to read */
        left(root, NS, DEAD, "eeeeee");      /* something else in it: stays, and the directory */
        fake_write(root, "memstop-4026531836-4100001-eeeeee/notes", "mine\n");
        fake_write(root, "memstop-test.ffffff/held", "x\n"); /* not a hold directory's name */
        fake_write(root, "memstop-4026531836-4100001-gggggg", "a file\n");
        /* A link of that name to a directory elsewhere: not followed. */
        fake_write(root, "elsewhere/held", "keep\n");
        snprintf(path, sizeof(path), "%s/memstop-4026531836-4100001-hhhhhh", root);
        snprintf(target, sizeof(target), "%s/elsewhere", root);
        assert_int_equal(symlink(target, path), 0);
        /* Another user's (root can give it away): not touched. */
        left(root, NS, DEAD, "iiiiii");
        snprintf(path, sizeof(path), "%s/memstop-4026531836-4100001-iiiiii", root);
        if (geteuid() != 0 || chown(path, 4242, 4242) < 0)
                fake_remove(root, "memstop-4026531836-4100001-iiiiii/held"),
                        fake_remove(root, "memstop-4026531836-4100001-iiiiii");

        assert_int_equal(sv_holdfile_reap(root, NS, geteuid(), fake_alive, NULL), 2);
        assert_false(exists(root, "memstop-4026531836-4100001-aaaaaa"));
        assert_false(exists(root, "memstop-4026531836-4100001-bbbbbb"));
        assert_true(exists(root, "memstop-4026531836-4100002-cccccc/held"));
        assert_true(exists(root, "memstop-4026531837-4100001-dddddd/held"));
        assert_true(exists(root, "memstop-4026531836-4100001-eeeeee/notes"));
        assert_true(exists(root, "memstop-test.ffffff/held"));
        assert_true(exists(root, "memstop-4026531836-4100001-gggggg"));
        assert_true(exists(root, "memstop-4026531836-4100001-hhhhhh"));
        assert_true(exists(root, "elsewhere/held"));
        if (geteuid() == 0)
                assert_true(exists(root, "memstop-4026531836-4100001-iiiiii/held"));

        /* An unknown namespace: nothing can be told dead. */
        left(root, 0, DEAD, "jjjjjj");
        assert_int_equal(sv_holdfile_reap(root, 0, geteuid(), fake_alive, NULL), 0);
        assert_true(exists(root, "memstop-0-4100001-jjjjjj/held"));
        /* A directory that is not there: nothing, no crash. */
        snprintf(path, sizeof(path), "%s/none", root);
        assert_int_equal(sv_holdfile_reap(path, NS, geteuid(), fake_alive, NULL), 0);
}

/* The one made is named for us, holds its file, and a later sweep takes it
 * once we are gone, not before. */
static void test_make_then_reap(void **state)
{
        const char *root = ((struct fake *)*state)->root;
        struct sv_holdfile h;
        uint64_t ns;
        pid_t pid;
        const char *base;
        int r;

        assert_int_equal(setenv("TMPDIR", root, 1), 0);
        r = sv_holdfile_make(&h);
        assert_int_equal(unsetenv("TMPDIR"), 0);
        assert_int_equal(r, 0);
        base = strrchr(h.dir, '/') + 1;
        assert_int_equal(sv_holdfile_name_parse(base, &ns, &pid), 0);
        assert_int_equal(pid, getpid());
        assert_true(access(h.path, W_OK) == 0);
        if (ns != 0) {
                /* We run: kept. */
                assert_int_equal(sv_holdfile_reap(root, ns, geteuid(), cli_pid_alive, NULL), 0);
                assert_true(access(h.path, F_OK) == 0);
                /* Taken for gone: removed. */
                assert_int_equal(sv_holdfile_reap(root, ns, geteuid(), fake_alive, NULL), 1);
                assert_false(exists(root, base));
                h.dir[0] = '\0';
        }
        sv_holdfile_remove(&h);
}

static bool everyone_alive(pid_t pid, void *userdata)
{
        (void)pid;
        (void)userdata;
        return true;
}

static void test_alive_kept(void **state)
{
        const char *root = ((struct fake *)*state)->root;

        left(root, NS, DEAD, "aaaaaa");
        assert_int_equal(sv_holdfile_reap(root, NS, geteuid(), everyone_alive, NULL), 0);
        assert_true(exists(root, "memstop-4026531836-4100001-aaaaaa/held"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_parse),
                cmocka_unit_test_setup_teardown(test_reap, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(test_make_then_reap, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(test_alive_kept, fake_setup, fake_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
