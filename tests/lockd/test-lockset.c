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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockd/lockset.h"
#include "lockd/match.h"
#include "tmptree.h"

static uint64_t status_kb(const char *key)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        unsigned long long v = 0;
        size_t klen = strlen(key);

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, key, klen) == 0)
                        sscanf(line + klen, " %llu", &v);
        if (f)
                fclose(f);
        return v;
}

static bool maps_has(const char *needle)
{
        FILE *f = fopen("/proc/self/maps", "r");
        char line[1024];
        bool found = false;

        while (f && fgets(line, sizeof(line), f))
                found |= strstr(line, needle) != NULL;
        if (f)
                fclose(f);
        return found;
}

static void fill(const char *root, const char *rel, size_t size, char c)
{
        char *text = malloc(size + 1);

        memset(text, c, size);
        text[size] = '\0';
        tree_write(root, rel, text);
        free(text);
}

static bool all_resident(const struct lockd_file *f)
{
        size_t pages = (f->map_len + 4095) / 4096;
        unsigned char *vec = malloc(pages);
        bool ok = mincore(f->map, f->map_len, vec) == 0;

        for (size_t i = 0; ok && i < pages; i++)
                ok = vec[i] & 1;
        free(vec);
        return ok;
}

static void test_whole(void **state)
{
        char *root = tree_make();
        struct lockd_set s;
        uint64_t lck0 = status_kb("VmLck:");
        long i;

        fill(root, "usr/lib/liba.so", 10000, 'a');
        tree_mkdir(root, "usr/lib/dir");
        lockd_set_init(&s, tree_fd(root), LOCKD_LOCK_WHOLE);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/nothere.so", false, 0, NULL), -ENOENT);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/dir", false, 0, NULL), -EINVAL);
        assert_int_equal(lockd_set_add(&s, "usr/lib/liba.so", false, 0, NULL), -EPERM); /* not absolute */
        i = lockd_set_add(&s, "/usr/lib/liba.so", false, 5, NULL);
        assert_int_equal(i, 0);
        assert_true(s.files[0].bytes == 12288);
        assert_true(s.files[0].last_used == 5);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/liba.so", true, 9, NULL), 0);
        assert_true(s.files[0].pinned);
        assert_true(s.files[0].last_used == 9);
        assert_int_equal(lockd_set_find(&s, "/usr/lib/liba.so"), 0);
        assert_int_equal(lockd_set_find(&s, "/usr/lib/other.so"), -1);

        /* A limit below the cost refuses. */
        assert_int_equal(lockd_set_lock(&s, 0, 8192), -EFBIG);
        assert_false(s.files[0].locked);
        assert_int_equal(lockd_set_lock(&s, 0, 1 << 20), 0);
        assert_true(s.files[0].locked);
        assert_true(s.locked_bytes == 12288);
        assert_int_equal(s.locked_files, 1);
        assert_true(all_resident(&s.files[0]));
        assert_true(status_kb("VmLck:") >= lck0 + 12);
        assert_int_equal(lockd_set_check(&s, 0), LOCKD_UNCHANGED);

        /* Replaced by rename: released (no deleted mapping left), re-examined. */
        fill(root, "usr/lib/liba.so.new", 20000, 'b');
        tree_rename(root, "usr/lib/liba.so.new", "usr/lib/liba.so");
        assert_true(maps_has("liba.so (deleted)"));
        assert_int_equal(lockd_set_check(&s, 0), LOCKD_REPLACED);
        assert_false(s.files[0].locked);
        assert_false(maps_has("liba.so (deleted)"));
        assert_true(s.locked_bytes == 0);
        assert_true(s.files[0].bytes == 20480);
        assert_int_equal(lockd_set_lock(&s, 0, 1 << 20), 0);
        assert_true(s.locked_bytes == 20480);

        /* Gone. */
        assert_int_equal(unlink(tree_path(root, "usr/lib/liba.so")), 0);
        assert_int_equal(lockd_set_check(&s, 0), LOCKD_GONE);
        assert_false(s.files[0].locked);
        assert_int_equal(s.files[0].error, -ENOENT);
        assert_int_equal(lockd_set_lock(&s, 0, 1 << 20), -ENOENT);
        assert_int_equal(s.locked_files, 0);

        /* Many files: the index keeps finding them. */
        for (int k = 0; k < 300; k++) {
                char rel[64], abs[64];
                snprintf(rel, sizeof(rel), "usr/lib/f%d", k);
                snprintf(abs, sizeof(abs), "/usr/lib/f%d", k);
                fill(root, rel, 1, 'x');
                assert_int_equal(lockd_set_add(&s, abs, false, 0, NULL), k + 1);
        }
        assert_int_equal(lockd_set_find(&s, "/usr/lib/f150"), 151);
        lockd_set_clear(&s);
        assert_true(status_kb("VmLck:") <= lck0);
        tree_remove(root);
}

static void test_segments(void **state)
{
        char *root = tree_make();
        struct lockd_set s;
        struct stat st;
        uint64_t whole;

        tree_copy(root, "usr/bin/prog", "/proc/self/exe");
        fill(root, "usr/share/data", 5000, 'd');
        assert_int_equal(stat(tree_path(root, "usr/bin/prog"), &st), 0);
        whole = lockd_round_pages((uint64_t)st.st_size, 4096);
        lockd_set_init(&s, tree_fd(root), LOCKD_LOCK_SEGMENTS);
        assert_int_equal(lockd_set_add(&s, "/usr/bin/prog", true, 0, NULL), 0);
        assert_true(s.files[0].nranges >= 1);
        /* Built with -g: the debug sections are not loaded, so not locked. */
        assert_true(s.files[0].bytes <= whole);
        assert_int_equal(lockd_set_lock(&s, 0, UINT64_MAX), 0);
        assert_true(s.locked_bytes == s.files[0].bytes);
        /* A file that is not ELF is locked whole. */
        assert_int_equal(lockd_set_add(&s, "/usr/share/data", true, 0, NULL), 1);
        assert_null(s.files[1].ranges);
        assert_true(s.files[1].bytes == 8192);
        assert_int_equal(lockd_set_lock(&s, 1, UINT64_MAX), 0);
        assert_true(all_resident(&s.files[1]));
        lockd_set_unlock(&s, 0);
        lockd_set_unlock(&s, 1);
        assert_true(s.locked_bytes == 0);
        lockd_set_clear(&s);
        tree_remove(root);
}

static struct lockd_ident ident_of(const char *root, const char *rel)
{
        struct stat st;

        assert_int_equal(stat(tree_path(root, rel), &st), 0);
        return (struct lockd_ident){ major(st.st_dev), minor(st.st_dev), st.st_ino };
}

static bool locks(const struct lockd_set *s, const char *needle)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->files[i].locked && strstr(s->files[i].path, needle))
                        return true;
        return false;
}

/*
 * Issue 12, the proofs of concept on a fake tree: a path with "..", a
 * directory literally named \056\056, a symbolic link, a path outside the
 * allowed directories, a file other than the one mapped: none gets a secret
 * file opened or locked.
 */
static void test_escapes_refused(void **state)
{
        char *root = tree_make();
        struct lockd_list allowed;
        struct lockd_ident lib, secret;
        struct lockd_set s;
        const char *bad;

        fill(root, "usr/lib/liba.so", 5000, 'a');
        fill(root, "etc/secret", 5000, 's');
        fill(root, "usr/x/\\056\\056/\\056\\056/etc/secret", 100, 'u'); /* a user's own file */
        tree_symlink(root, "usr/lib/evil.so", "../../etc/secret");
        tree_symlink(root, "usr/etc", "../etc");
        lib = ident_of(root, "usr/lib/liba.so");
        secret = ident_of(root, "etc/secret");
        assert_int_equal(lockd_prefixes_parse("/usr", false, &allowed, &bad), 0);
        lockd_set_init(&s, tree_fd(root), LOCKD_LOCK_WHOLE);
        s.allowed = &allowed;
        assert_int_equal(lockd_set_add(&s, "/usr/x/../../etc/secret", false, 1, NULL), -EPERM);
        assert_int_equal(lockd_set_add(&s, "/etc/secret", false, 1, NULL), -EPERM);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/evil.so", false, 1, &secret), -ELOOP);
        assert_true(lockd_set_add(&s, "/usr/etc/secret", false, 1, &secret) < 0);
        /* The literal names are the user's own file, not /etc/secret. */
        assert_int_equal(lockd_set_add(&s, "/usr/x/\\056\\056/\\056\\056/etc/secret", false, 1, &secret),
                         -ESTALE);
        /* The right file, named with the wrong identity, and then right. */
        assert_int_equal(lockd_set_add(&s, "/usr/lib/liba.so", false, 1, &secret), -ESTALE);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/liba.so", false, 1, &lib), 0);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/liba.so", false, 2, &secret), -ESTALE);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/liba.so", false, 2, &lib), 0);
        assert_int_equal(s.n, 1);
        assert_int_equal(lockd_set_lock(&s, 0, UINT64_MAX), 0);
        /* Swapped for a symbolic link to the secret: released, never followed. */
        tree_symlink(root, "usr/lib/liba.so.tmp", "../../etc/secret");
        tree_rename(root, "usr/lib/liba.so.tmp", "usr/lib/liba.so");
        assert_int_equal(lockd_set_check(&s, 0), LOCKD_GONE);
        assert_false(s.files[0].locked);
        assert_int_equal(lockd_set_lock(&s, 0, UINT64_MAX), -ELOOP);
        assert_false(locks(&s, "secret"));
        assert_true(s.locked_bytes == 0);
        lockd_set_clear(&s);
        lockd_list_free(&allowed);
        tree_remove(root);
}

/* What maps shows for our own mapping of a file is what stat() says here. */
static void test_file_ident(void **state)
{
        char *root = tree_make();
        struct lockd_ident id, want;
        int fd;

        fill(root, "usr/lib/liba.so", 100, 'a');
        fd = open(tree_path(root, "usr/lib/liba.so"), O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(lockd_file_ident(fd, &id), 0);
        want = ident_of(root, "usr/lib/liba.so");
        assert_int_equal(id.major, want.major);
        assert_int_equal(id.minor, want.minor);
        assert_true(id.ino == want.ino);
        close(fd);
        tree_remove(root);
}

/* Issue 12: entries were never freed. max_files bounds them, drop frees
 * them and says where the others went; users and references are counted. */
static void test_bounded(void **state)
{
        char *root = tree_make();
        struct lockd_set s;
        bool drop[3] = { false, true, false };
        uint32_t map[3];

        fill(root, "usr/lib/a", 10, 'a');
        fill(root, "usr/lib/b", 10, 'b');
        fill(root, "usr/lib/c", 10, 'c');
        fill(root, "usr/lib/d", 10, 'd');
        lockd_set_init(&s, tree_fd(root), LOCKD_LOCK_WHOLE);
        s.max_files = 3;
        assert_int_equal(lockd_set_add(&s, "/usr/lib/a", false, 1, NULL), 0);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/b", false, 1, NULL), 1);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/c", false, 1, NULL), 2);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/d", false, 1, NULL), -ENOSPC);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/c", false, 1, NULL), 2); /* known: found */
        assert_int_equal(lockd_set_lock(&s, 1, UINT64_MAX), 0);
        assert_int_equal(lockd_set_lock(&s, 2, UINT64_MAX), 0);
        lockd_set_ref(&s, 2, 1000);
        lockd_set_ref(&s, 2, 1000);
        assert_false(s.files[2].shared);
        lockd_set_ref(&s, 2, 1001);
        assert_true(s.files[2].shared);
        assert_int_equal(s.files[2].refs, 3);
        lockd_set_unref(&s, 2);
        assert_int_equal(s.files[2].refs, 2);
        assert_int_equal(lockd_set_drop(&s, drop, map), 1);
        assert_int_equal(map[0], 0);
        assert_int_equal(map[1], UINT32_MAX);
        assert_int_equal(map[2], 1);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.locked_files, 1);
        assert_true(s.locked_bytes == 4096);
        assert_int_equal(lockd_set_find(&s, "/usr/lib/b"), -1);
        assert_int_equal(lockd_set_find(&s, "/usr/lib/c"), 1);
        assert_true(s.files[1].locked && s.files[1].refs == 2);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/d", false, 1, NULL), 2);
        lockd_set_clear(&s);
        tree_remove(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole),
                cmocka_unit_test(test_segments),
                cmocka_unit_test(test_escapes_refused),
                cmocka_unit_test(test_file_ident),
                cmocka_unit_test(test_bounded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
