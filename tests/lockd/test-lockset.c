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
#include <unistd.h>

#include <cmocka.h>

#include "lockd/lockset.h"
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
        assert_int_equal(lockd_set_add(&s, "/usr/lib/nothere.so", false, 0), -ENOENT);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/dir", false, 0), -EINVAL);
        assert_int_equal(lockd_set_add(&s, "usr/lib/liba.so", false, 0), -EINVAL); /* not absolute */
        i = lockd_set_add(&s, "/usr/lib/liba.so", false, 5);
        assert_int_equal(i, 0);
        assert_true(s.files[0].bytes == 12288);
        assert_true(s.files[0].last_used == 5);
        assert_int_equal(lockd_set_add(&s, "/usr/lib/liba.so", true, 9), 0);
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
                assert_int_equal(lockd_set_add(&s, abs, false, 0), k + 1);
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
        assert_int_equal(lockd_set_add(&s, "/usr/bin/prog", true, 0), 0);
        assert_true(s.files[0].nranges >= 1);
        /* Built with -g: the debug sections are not loaded, so not locked. */
        assert_true(s.files[0].bytes <= whole);
        assert_int_equal(lockd_set_lock(&s, 0, UINT64_MAX), 0);
        assert_true(s.locked_bytes == s.files[0].bytes);
        /* A file that is not ELF is locked whole. */
        assert_int_equal(lockd_set_add(&s, "/usr/share/data", true, 0), 1);
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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole),
                cmocka_unit_test(test_segments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
