/* SPDX-License-Identifier: GPL-3.0-or-later */
/* parse: lists written for people (ms_list_next), as lockd.conf writes them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/parse.h"

/* The items of s joined with '|'. */
static const char *items(const char *s)
{
        static char out[256];
        const char *item;
        size_t len, o = 0;

        out[0] = '\0';
        while ((item = ms_list_next(&s, &len))) {
                assert_true(len > 0);
                assert_true(o + len + 2 < sizeof(out));
                if (o)
                        out[o++] = '|';
                memcpy(out + o, item, len);
                o += len;
                out[o] = '\0';
        }
        assert_int_equal(*s, '\0'); /* at the end */
        return out;
}

static void list_next_separators(void **state)
{
        assert_string_equal(items("gcc, gcc-[0-9]* clang-*,cc1"), "gcc|gcc-[0-9]*|clang-*|cc1");
        assert_string_equal(items("a,b"), "a|b");
        assert_string_equal(items("\ta \t b\t"), "a|b");
        assert_string_equal(items(" ,, a,,b ,"), "a|b");
        assert_string_equal(items("/usr/, /opt/tools"), "/usr/|/opt/tools");
        assert_string_equal(items(""), "");
        assert_string_equal(items(" , \t,"), "");
        assert_string_equal(items("one"), "one");
}

/* Each item is a pattern list of one for the gate's functions. */
static void list_next_items_are_pattern_lists(void **state)
{
        const char *s = "gcc-[0-9]*, cc1 ld.*", *item;
        char pat[32];
        size_t len;

        while ((item = ms_list_next(&s, &len))) {
                memcpy(pat, item, len);
                pat[len] = '\0';
                assert_int_equal(ms_pattern_list_check(pat), 0);
        }
        assert_true(ms_pattern_list_match("gcc-[0-9]*", "gcc-12"));
        assert_false(ms_pattern_list_match("gcc-[0-9]*", "gcc-ar"));
}

/* What lockd.conf documents for booleans (yes|no) and always took. */
static void bool_words_of_lockd_conf(void **state)
{
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };
        bool b;

        for (size_t i = 0; i < 4; i++) {
                b = false;
                assert_int_equal(ms_bool_parse(yes[i], &b), 0);
                assert_true(b);
                assert_int_equal(ms_bool_parse(no[i], &b), 0);
                assert_false(b);
        }
        assert_int_equal(ms_bool_parse("maybe", &b), -EINVAL);
        assert_int_equal(ms_bool_parse("", &b), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(list_next_separators),
                cmocka_unit_test(list_next_items_are_pattern_lists),
                cmocka_unit_test(bool_words_of_lockd_conf),
        };

        return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
