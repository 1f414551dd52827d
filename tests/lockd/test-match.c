/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lockd/match.h"

static void test_patterns(void **state)
{
        struct lockd_list l;
        const char *bad;

        assert_int_equal(lockd_patterns_parse("gcc, gcc-[0-9]* clang-*,cc1", false, &l, &bad), 0);
        assert_int_equal(l.n, 4);
        assert_int_equal(lockd_patterns_match(&l, "gcc"), 0);
        assert_int_equal(lockd_patterns_match(&l, "gcc-12"), 1);
        assert_int_equal(lockd_patterns_match(&l, "gcc-ar"), -1);
        assert_int_equal(lockd_patterns_match(&l, "clang-14"), 2);
        assert_int_equal(lockd_patterns_match(&l, "cc1"), 3);
        assert_int_equal(lockd_patterns_match(&l, "cc1plus"), -1);
        assert_int_equal(lockd_patterns_match(&l, ""), -1);
        /* '*' does not match a leading dot. */
        assert_int_equal(lockd_patterns_match(&l, ".gcc-12"), -1);
        lockd_list_free(&l);
        assert_true(lockd_pattern_is_literal("cc1plus"));
        assert_false(lockd_pattern_is_literal("gcc-[0-9]*"));
}

static void test_bad_patterns(void **state)
{
        struct lockd_list l;
        const char *bad;

        assert_int_equal(lockd_patterns_parse("", false, &l, &bad), -EINVAL);
        assert_non_null(bad);
        assert_int_equal(lockd_patterns_parse(" ,, ", false, &l, &bad), -EINVAL);
        assert_int_equal(lockd_patterns_parse("", true, &l, &bad), 0);
        assert_int_equal(l.n, 0);
        assert_int_equal(lockd_patterns_parse("bin/gcc", false, &l, &bad), -EINVAL);
        assert_int_equal(lockd_patterns_parse("gcc-[0-9", false, &l, &bad), -EINVAL);
        assert_int_equal(lockd_patterns_parse("gcc-[]]", false, &l, &bad), 0);
        lockd_list_free(&l);
}

static void test_prefixes(void **state)
{
        struct lockd_list l, empty = {}, copy;
        const char *bad;

        assert_int_equal(lockd_prefixes_parse("/usr/, /opt/tools", false, &l, &bad), 0);
        assert_true(lockd_path_allowed(&l, "/usr/bin/gcc"));
        assert_false(lockd_path_allowed(&l, "/usr")); /* the directory itself is no file */
        assert_false(lockd_path_allowed(&l, "/usrlocal/bin/gcc"));
        assert_true(lockd_path_allowed(&l, "/opt/tools/x"));
        assert_false(lockd_path_allowed(&l, "/opt/toolsx/x"));
        assert_false(lockd_path_allowed(&l, "/home/u/gcc"));
        assert_true(lockd_path_allowed(&empty, "/anything"));
        assert_int_equal(lockd_list_copy(&l, &copy), 0);
        assert_string_equal(copy.items[1], "/opt/tools");
        lockd_list_free(&copy);
        lockd_list_free(&l);
        assert_int_equal(lockd_prefixes_parse("/", false, &l, &bad), 0);
        assert_true(lockd_path_allowed(&l, "/x/y"));
        lockd_list_free(&l);
        assert_int_equal(lockd_prefixes_parse("usr", false, &l, &bad), -EINVAL);
        assert_int_equal(lockd_prefixes_parse("/usr/../etc", false, &l, &bad), -EINVAL);
        assert_int_equal(lockd_prefixes_parse("/usr//lib", false, &l, &bad), -EINVAL);
        assert_int_equal(lockd_prefixes_parse("/usr/./lib", false, &l, &bad), -EINVAL);
}

/* Issue 12: allowed paths were string prefixes of a path that could hold
 * "..": "/usr/x/../../etc/shadow" passed as below /usr. */
static void test_prefixes_component_wise(void **state)
{
        struct lockd_list l;
        const char *bad, *p;
        size_t len;

        assert_int_equal(lockd_prefixes_parse("/usr, /opt/t", false, &l, &bad), 0);
        assert_false(lockd_path_allowed(&l, "/usr/x/../../etc/shadow"));
        assert_false(lockd_path_allowed(&l, "/usr/./bin/gcc"));
        assert_false(lockd_path_allowed(&l, "/usr//bin/gcc"));
        assert_false(lockd_path_allowed(&l, "/usr/bin/"));
        assert_false(lockd_path_allowed(&l, "/usr/.."));
        /* Literal names that look like escapes or dots are names. */
        assert_true(lockd_path_allowed(&l, "/usr/x/\\056\\056/etc/shadow"));
        assert_true(lockd_path_allowed(&l, "/usr/...x/.hidden/..y"));
        p = lockd_path_below(&l, "/opt/t/bin/cc1", &len);
        assert_non_null(p);
        assert_string_equal(p, "/opt/t");
        assert_int_equal(len, 6);
        assert_null(lockd_path_below(&l, "/opt/tx/cc1", &len));
        assert_true(lockd_path_normal("/"));
        assert_true(lockd_path_normal("/a/b"));
        assert_false(lockd_path_normal("a/b"));
        assert_false(lockd_path_normal("/a/b/."));
        assert_false(lockd_path_normal(""));
        lockd_list_free(&l);
}

static void test_basename(void **state)
{
        assert_string_equal(lockd_basename("/usr/bin/gcc"), "gcc");
        assert_string_equal(lockd_basename("gcc"), "gcc");
        assert_string_equal(lockd_basename("/"), "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_patterns),
                cmocka_unit_test(test_bad_patterns),
                cmocka_unit_test(test_prefixes),
                cmocka_unit_test(test_prefixes_component_wise),
                cmocka_unit_test(test_basename),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
