/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lockd/maps.h"
#include "util/fileio.h"
#include "tmptree.h"

static void parse(const char *text, struct lockd_mapping *m, char *buf, size_t size, int expect)
{
        snprintf(buf, size, "%s", text);
        assert_int_equal(lockd_maps_parse_line(buf, m), expect);
}

static void test_file(void **state)
{
        struct lockd_mapping m;
        char buf[512];

        parse("7f1c2a000000-7f1c2a1c2000 r-xp 00028000 fe:00 1835211                    /usr/lib/x86_64-linux-gnu/libc.so.6",
              &m, buf, sizeof(buf), 0);
        assert_int_equal(m.kind, LOCKD_MAP_FILE);
        assert_string_equal(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
        assert_true(m.read && m.exec && !m.write && !m.shared && !m.deleted);
        assert_true(m.start == 0x7f1c2a000000ull && m.end == 0x7f1c2a1c2000ull);
        assert_true(m.offset == 0x28000);
        assert_int_equal(m.dev_major, 0xfe);
        assert_int_equal(m.dev_minor, 0);
        assert_true(m.inode == 1835211);
}

static void test_spaces_and_escapes(void **state)
{
        struct lockd_mapping m;
        char buf[512];

        parse("00400000-00452000 r-xp 00000000 08:02 173521   /opt/my tools/bin/gcc wrapper", &m, buf, sizeof(buf), 0);
        assert_string_equal(m.path, "/opt/my tools/bin/gcc wrapper");
        assert_false(m.deleted);
        /* The kernel writes a newline in a name as \012 but a backslash as
         * itself: the path is kept as printed, never decoded (issue 12: a
         * directory named \056\056 was taken for ".."). */
        parse("00400000-00452000 r-xp 00000000 08:02 173521   /tmp/a\\012b", &m, buf, sizeof(buf), 0);
        assert_string_equal(m.path, "/tmp/a\\012b");
        parse("00400000-00452000 r-xp 00000000 08:02 173521   /usr/x/\\056\\056/\\056\\056/etc/shadow", &m, buf,
              sizeof(buf), 0);
        assert_string_equal(m.path, "/usr/x/\\056\\056/\\056\\056/etc/shadow");
        assert_null(strchr(m.path, '\n'));
        /* A trailing blank is part of the name. */
        parse("00400000-00452000 r-xp 00000000 08:02 173521   /tmp/x ", &m, buf, sizeof(buf), 0);
        assert_string_equal(m.path, "/tmp/x ");
}

static void test_deleted(void **state)
{
        struct lockd_mapping m;
        char buf[512];

        parse("7f00-8f00 r-xp 00000000 fe:00 99 /usr/bin/cc1 (deleted)", &m, buf, sizeof(buf), 0);
        assert_true(m.deleted);
        assert_string_equal(m.path, "/usr/bin/cc1");
        assert_int_equal(m.kind, LOCKD_MAP_FILE);
        parse("7f00-8f00 r-xp 00000000 fe:00 99 /usr/lib/with space.so (deleted)", &m, buf, sizeof(buf), 0);
        assert_true(m.deleted);
        assert_string_equal(m.path, "/usr/lib/with space.so");
}

static void test_special(void **state)
{
        static const char *const special[] = {
                "55d0c2e6a000-55d0c2e8b000 rw-p 00000000 00:00 0                          [heap]",
                "7ffd8b9c1000-7ffd8b9e2000 rw-p 00000000 00:00 0                          [stack]",
                "7ffd8b9f6000-7ffd8b9fa000 r--p 00000000 00:00 0                          [vvar]",
                "7ffd8b9fa000-7ffd8b9fc000 r-xp 00000000 00:00 0                          [vdso]",
                "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
                "7f3a00000000-7f3a00021000 rw-p 00000000 00:00 0                          [anon:glibc malloc]",
        };
        struct lockd_mapping m;
        char buf[512];

        for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
                parse(special[i], &m, buf, sizeof(buf), 0);
                assert_int_equal(m.kind, LOCKD_MAP_SPECIAL);
        }
        parse("7f3a00000000-7f3a00021000 rw-p 00000000 00:00 0 ", &m, buf, sizeof(buf), 0);
        assert_int_equal(m.kind, LOCKD_MAP_ANONYMOUS);
        parse("7f3a00000000-7f3a00021000 rw-p 00000000 00:00 0", &m, buf, sizeof(buf), 0);
        assert_int_equal(m.kind, LOCKD_MAP_ANONYMOUS);
        parse("7f3a00000000-7f3a00021000 rw-s 00000000 00:01 1234 /memfd:wayland (deleted)", &m, buf, sizeof(buf), 0);
        assert_int_equal(m.kind, LOCKD_MAP_OTHER);
        assert_true(m.shared);
        parse("7f3a00000000-7f3a00021000 rw-s 00000000 00:05 4 /dev/zero (deleted)", &m, buf, sizeof(buf), 0);
        assert_int_equal(m.kind, LOCKD_MAP_OTHER);
        parse("7f3a00000000-7f3a00021000 rw-s 00000000 00:05 4 /SYSV00000000 (deleted)", &m, buf, sizeof(buf), 0);
        assert_int_equal(m.kind, LOCKD_MAP_OTHER);
}

static void test_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                "hello",
                "7f00 r-xp 00000000 fe:00 99 /x",          /* no end address */
                "7f00-6f00 r-xp 00000000 fe:00 99 /x",     /* end before start */
                "7f00-8f00 rxp 00000000 fe:00 99 /x",      /* short perms */
                "7f00-8f00 r-xq 00000000 fe:00 99 /x",     /* bad share flag */
                "7f00-8f00 r-xp zz fe:00 99 /x",           /* bad offset */
                "7f00-8f00 r-xp 00000000 fe00 99 /x",      /* bad device */
                "7f00-8f00 r-xp 00000000 fe:00 /x",        /* no inode */
                "7f00-8f00 r-xp 00000000 fe:00 99x /x",    /* junk after inode */
                "7f00-8f00 r-xp 00000000 fe:00 5",         /* inode without a path */
                "11111111111111111-8f00 r-xp 00000000 fe:00 5 /x", /* address overflow */
        };
        struct lockd_mapping m;
        char buf[512];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(buf, sizeof(buf), "%s", bad[i]);
                if (lockd_maps_parse_line(buf, &m) != -EINVAL)
                        fail_msg("accepted bad line \"%s\"", bad[i]);
        }
}

struct seen {
        unsigned files, calls;
        char last[256];
};

static int count(const struct lockd_mapping *m, void *userdata)
{
        struct seen *s = userdata;

        s->calls++;
        if (m->kind == LOCKD_MAP_FILE) {
                s->files++;
                snprintf(s->last, sizeof(s->last), "%s", m->path);
        }
        return 0;
}

static const char maps_text[] =
        "55d0c1000000-55d0c1002000 r--p 00000000 fe:00 11 /usr/bin/make\n"
        "55d0c1002000-55d0c1010000 r-xp 00002000 fe:00 11 /usr/bin/make\n"
        "55d0c2e6a000-55d0c2e8b000 rw-p 00000000 00:00 0 [heap]\n"
        "garbage line\n"
        "7f1c2a000000-7f1c2a1c2000 r-xp 00028000 fe:00 22 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        "7ffd8b9fa000-7ffd8b9fc000 r-xp 00000000 00:00 0 [vdso]"; /* no final newline */

static void test_parse_text(void **state)
{
        char *text = strdup(maps_text);
        struct seen s = {};
        unsigned bad = 0;

        assert_int_equal(lockd_maps_parse(text, count, &s, &bad), 0);
        assert_int_equal(s.calls, 5);
        assert_int_equal(s.files, 3);
        assert_int_equal(bad, 1);
        free(text);
}

static void test_read_small_buffer(void **state)
{
        char *root = tree_make();
        char longline[600], *text;
        struct seen s = {};
        unsigned bad = 0;
        char buf[128];
        int rootfd;

        /* A line longer than the buffer is skipped, the others are read. */
        memset(longline, 'a', sizeof(longline) - 1);
        longline[sizeof(longline) - 1] = '\0';
        if (asprintf(&text, "%s\n7f00-8f00 r-xp 00000000 fe:00 99 /usr/lib/%s\n%s", maps_text, longline, maps_text) < 0)
                fail();
        tree_write(root, "proc/42/maps", text);
        rootfd = ms_root_open(root);
        assert_true(rootfd >= 0);
        assert_int_equal(lockd_maps_read(rootfd, 42, buf, sizeof(buf), count, &s, &bad), 0);
        assert_int_equal(s.files, 6);
        assert_int_equal(s.calls, 10);
        assert_int_equal(bad, 3);
        assert_string_equal(s.last, "/usr/lib/x86_64-linux-gnu/libc.so.6");
        /* A process that is gone. */
        assert_int_equal(lockd_maps_read(rootfd, 43, buf, sizeof(buf), count, &s, &bad), -ENOENT);
        close(rootfd);
        free(text);
        tree_remove(root);
}

static void test_read_self(void **state)
{
        struct seen s = {};
        char buf[4096];
        unsigned bad = 0;

        assert_int_equal(lockd_maps_read(MS_ROOT_HOST, getpid(), buf, sizeof(buf), count, &s, &bad), 0);
        assert_true(s.files >= 2); /* this test and libc at least */
        assert_int_equal(bad, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_file),
                cmocka_unit_test(test_spaces_and_escapes),
                cmocka_unit_test(test_deleted),
                cmocka_unit_test(test_special),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_parse_text),
                cmocka_unit_test(test_read_small_buffer),
                cmocka_unit_test(test_read_self),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
