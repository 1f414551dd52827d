/* SPDX-License-Identifier: GPL-3.0-or-later */
/* strutil: the fast path's string loops (no libc calls). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/strutil.h"

static void join3_joins(void **state)
{
        char buf[32];

        (void)state;
        assert_int_equal(ms_join3(buf, sizeof(buf), "sys/fs", "/", "memory.max"), 0);
        assert_string_equal(buf, "sys/fs/memory.max");
        assert_int_equal(ms_join3(buf, sizeof(buf), "", "", ""), 0);
        assert_string_equal(buf, "");
        assert_int_equal(ms_join3(buf, sizeof(buf), "none", "", ""), 0);
        assert_string_equal(buf, "none");
}

/* Exactly full (15 bytes and the NUL) fits; one more does not, and leaves
 * an empty string, never a cut path. */
static void join3_too_long(void **state)
{
        char buf[16];

        (void)state;
        assert_int_equal(ms_join3(buf, sizeof(buf), "0123456", "/", "89abcde"), 0);
        assert_string_equal(buf, "0123456/89abcde");
        assert_int_equal(ms_join3(buf, sizeof(buf), "0123456", "/", "89abcdef"), -ENAMETOOLONG);
        assert_string_equal(buf, "");
        assert_int_equal(ms_join3(buf, 0, "a", "", ""), -ENAMETOOLONG);
        assert_int_equal(ms_join3(buf, 1, "", "", ""), 0);
        assert_int_equal(ms_join3(buf, 1, "a", "", ""), -ENAMETOOLONG);
}

static void memchr_within_n(void **state)
{
        const char *s = "a:b:c";

        (void)state;
        assert_ptr_equal(ms_memchr(s, ':', 5), s + 1);
        assert_ptr_equal(ms_memchr(s + 2, ':', 3), s + 3);
        assert_null(ms_memchr(s, ':', 1));
        assert_null(ms_memchr(s, 'c', 4));
        assert_null(ms_memchr(s, ':', 0));
}

static void strrchr_and_streq(void **state)
{
        const char *s = "sys/fs/cgroup";

        (void)state;
        assert_ptr_equal(ms_strrchr(s, '/'), s + 6);
        assert_null(ms_strrchr("cgroup", '/'));
        assert_true(ms_streq("make", "make"));
        assert_false(ms_streq("make", "makes"));
        assert_false(ms_streq("", "x"));
}

static void memeq_within_n(void **state)
{
        (void)state;
        assert_true(ms_memeq("memory,cpu", "memory", 6));
        assert_false(ms_memeq("memorx", "memory", 6));
        assert_true(ms_memeq("a\0b", "a\0b", 3)); /* past a NUL: n bytes, not a string */
        assert_true(ms_memeq("x", "y", 0));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(join3_joins),
                cmocka_unit_test(join3_too_long),
                cmocka_unit_test(memchr_within_n),
                cmocka_unit_test(strrchr_and_streq),
                cmocka_unit_test(memeq_within_n),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
