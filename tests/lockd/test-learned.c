/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The learned state (issue 14): round trip, and every way a file read by a
 * root daemon may be wrong: corrupt, cut short, oversized, too many files,
 * another page size, a symbolic link, writable by others, a stale inode. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockd/learned.h"
#include "lockd/lockset.h"
#include "tmptree.h"

#define P 4096ull

static const char good[] = "memstop-lockd-learned 1 4096\n"
                           "file 2049 1234 100000 1700000000 5 2 2 /usr/lib/gcc/x86_64-linux-gnu/12/cc1\n"
                           "tool cc1\n"
                           "tool cc1plus\n"
                           "range 0 8192\n"
                           "range 16384 4096\n"
                           "file 2049 99 5000 1 0 0 0 /usr/bin/as with space\n"
                           "end\n";

static int parse(const char *text, struct lockd_learned *l)
{
        const char *reason;
        unsigned line;

        return lockd_learned_parse(text, strlen(text), P, 100, l, &reason, &line);
}

static void test_parse_format(void **state)
{
        struct lockd_learned l;
        char *text;
        size_t len;

        assert_int_equal(parse(good, &l), 0);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.f[0].path, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1");
        assert_true(l.f[0].dev == 2049 && l.f[0].ino == 1234 && l.f[0].size == 100000);
        assert_true(l.f[0].mtime_sec == 1700000000 && l.f[0].mtime_nsec == 5);
        assert_int_equal(l.f[0].tools.n, 2);
        assert_string_equal(l.f[0].tools.name[1], "cc1plus");
        assert_int_equal(l.f[0].ws.n, 2);
        assert_true(lockd_wset_bytes(&l.f[0].ws) == 3 * P);
        assert_string_equal(l.f[1].path, "/usr/bin/as with space");
        assert_int_equal(l.f[1].ws.n, 0);
        /* Round trip: formatting gives the very text back. */
        assert_int_equal(lockd_learned_format(l.f, l.n, P, &text, &len), 0);
        assert_int_equal(len, strlen(good));
        assert_memory_equal(text, good, len);
        free(text);
        lockd_learned_free(&l);
}

static void test_corrupt(void **state)
{
        static const char *const bad[] = {
                "",
                "garbage\nend\n",
                "memstop-lockd-learned 2 4096\nend\n",                    /* another version */
                "memstop-lockd-learned 1 65536\nend\n",                   /* another page size */
                "memstop-lockd-learned 1 4096\nend\nend\n",               /* after the end */
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 5 0 0 relative\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 5 0 0 /a\nfile 1 2 3 4 5 0 0 /a\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 1000000000 0 0 /a\nend\n", /* nsec */
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 5 9 0 /a\nend\n",           /* too many tools */
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 5 0 99999 /a\nend\n",       /* too many ranges */
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 5 1 0 /a\ntool a b\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 5 2 0 /a\ntool a\ntool a\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 8192 4 5 0 1 /a\nrange 1 4096\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 8192 4 5 0 1 /a\nrange 4096 8192\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 8192 4 5 0 1 /a\nrange 0 0\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 99999 4 5 0 2 /a\nrange 8192 4096\nrange 0 4096\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 99999 4 5 0 2 /a\nrange 0 8192\nrange 4096 4096\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 99999 4 5 0 2 /a\nrange 0 4096\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 3 4 5 0 0 /a\x01b\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 3 -4 5 0 0 /a\nend\n",
                "memstop-lockd-learned 1 4096\nfile 1 2 3 99999999999999999999 5 0 0 /a\nend\n",
                "memstop-lockd-learned 1 4096\nfile  1 2 3 4 5 0 0 /a\nend\n",
                "memstop-lockd-learned 1 4096\nrange 0 4096\nend\n",
        };
        struct lockd_learned l;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse(bad[i], &l) != -EINVAL)
                        fail_msg("accepted case %zu: \"%s\"", i, bad[i]);
                assert_int_equal(l.n, 0);
        }
}

static void test_truncated(void **state)
{
        struct lockd_learned l;
        const char *reason;
        unsigned line;

        /* Every proper prefix is refused: a write cut short is never half-believed. */
        for (size_t n = 0; n < strlen(good); n++)
                if (lockd_learned_parse(good, n, P, 100, &l, &reason, &line) != -EINVAL)
                        fail_msg("accepted the first %zu bytes", n);
        /* A NUL inside. */
        assert_int_equal(lockd_learned_parse("memstop-lockd-learned 1 4096\n\0nd\n", 33, P, 100, &l, &reason, &line),
                         -EINVAL);
        /* More files than max_files. */
        assert_int_equal(lockd_learned_parse(good, strlen(good), P, 1, &l, &reason, &line), -E2BIG);
        assert_int_equal(l.n, 0);
}

static void write_file(const char *root, const char *rel, const char *text, size_t len, mode_t mode)
{
        int fd = open(tree_path(root, rel), O_WRONLY | O_CREAT | O_TRUNC, mode);

        assert_true(fd >= 0);
        assert_true(write(fd, text, len) == (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void test_read_write(void **state)
{
        char *root = tree_make();
        int rootfd = tree_fd(root);
        struct lockd_learned l, back;
        const char *reason;
        unsigned line;
        char *big;

        assert_int_equal(lockd_learned_read(rootfd, P, 100, &back, &reason, &line), -ENOENT);
        assert_int_equal(parse(good, &l), 0);
        assert_int_equal(lockd_learned_write(rootfd, l.f, l.n, P), 0);
        assert_int_equal(lockd_learned_read(rootfd, P, 100, &back, &reason, &line), 0);
        assert_int_equal(back.n, 2);
        assert_true(lockd_wset_bytes(&back.f[0].ws) == 3 * P);
        lockd_learned_free(&back);
        /* Writable by others: refused. */
        assert_int_equal(chmod(tree_path(root, LOCKD_LEARNED_PATH), 0666), 0);
        assert_int_equal(lockd_learned_read(rootfd, P, 100, &back, &reason, &line), -EPERM);
        /* A symbolic link in its place: refused, not followed. */
        assert_int_equal(unlink(tree_path(root, LOCKD_LEARNED_PATH)), 0);
        write_file(root, "elsewhere", good, strlen(good), 0600);
        tree_symlink(root, LOCKD_LEARNED_PATH, tree_path(root, "elsewhere"));
        assert_int_equal(lockd_learned_read(rootfd, P, 100, &back, &reason, &line), -EPERM);
        assert_int_equal(unlink(tree_path(root, LOCKD_LEARNED_PATH)), 0);
        /* Oversized: refused before parsing. */
        big = calloc(1, LOCKD_LEARNED_MAX_SIZE + 10);
        assert_non_null(big);
        write_file(root, LOCKD_LEARNED_PATH, big, LOCKD_LEARNED_MAX_SIZE + 10, 0600);
        free(big);
        assert_int_equal(lockd_learned_read(rootfd, P, 100, &back, &reason, &line), -EFBIG);
        /* Corrupt: refused with a reason and a line. */
        write_file(root, LOCKD_LEARNED_PATH, "memstop-lockd-learned 1 4096\nfile x\nend\n", 40, 0600);
        assert_int_equal(lockd_learned_read(rootfd, P, 100, &back, &reason, &line), -EINVAL);
        assert_int_equal(line, 2);
        assert_non_null(reason);
        /* A new write replaces it whole. */
        assert_int_equal(lockd_learned_write(rootfd, l.f, l.n, P), 0);
        assert_int_equal(lockd_learned_read(rootfd, P, 100, &back, &reason, &line), 0);
        lockd_learned_free(&back);
        lockd_learned_free(&l);
        tree_remove(root);
}

static void test_adopt_stale(void **state)
{
        char *root = tree_make();
        char *text = calloc(1, 5 * P + 1);
        struct lockd_learned_file e = {};
        struct lockd_set s;
        struct stat st;
        long i;

        memset(text, 'x', 5 * P);
        tree_write(root, "usr/lib/tool", text);
        lockd_set_init(&s, tree_fd(root), LOCKD_LOCK_WORKINGSET);
        i = lockd_set_add(&s, "/usr/lib/tool", true, 0, NULL);
        assert_true(i >= 0);
        assert_int_equal(stat(tree_path(root, "usr/lib/tool"), &st), 0);
        e = (struct lockd_learned_file){ .path = (char[]){ "/usr/lib/tool" }, .dev = st.st_dev, .ino = st.st_ino,
                                         .size = (uint64_t)st.st_size, .mtime_sec = st.st_mtim.tv_sec,
                                         .mtime_nsec = st.st_mtim.tv_nsec };
        lockd_tools_add(&e.tools, "tool");
        lockd_wset_add(&e.ws, P, P, P);
        /* The same file: its set is what is locked. */
        assert_int_equal(lockd_learned_adopt(&s, (size_t)i, &e), 1);
        assert_true(s.files[i].use_learned && s.files[i].bytes == P);
        assert_int_equal(lockd_set_lock(&s, (size_t)i, UINT64_MAX), 0);
        assert_true(s.locked_bytes == P);
        /* Replaced by an upgrade (a new inode): the check forgets the set. */
        tree_write(root, "usr/lib/tool.new", text);
        tree_rename(root, "usr/lib/tool.new", "usr/lib/tool");
        assert_int_equal(lockd_set_check(&s, (size_t)i), LOCKD_REPLACED);
        assert_false(s.files[i].use_learned);
        assert_int_equal(s.files[i].learned.n, 0);
        /* The old entry is stale for it: programs kept, the set not taken. */
        assert_int_equal(lockd_learned_adopt(&s, (size_t)i, &e), 0);
        assert_int_equal(s.files[i].learned.n, 0);
        assert_int_equal(s.files[i].tools.n, 1);
        lockd_wset_free(&e.ws);
        lockd_set_clear(&s);
        free(text);
        tree_remove(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_format), cmocka_unit_test(test_corrupt),
                cmocka_unit_test(test_truncated),    cmocka_unit_test(test_read_write),
                cmocka_unit_test(test_adopt_stale),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
