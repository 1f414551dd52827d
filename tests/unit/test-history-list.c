/* SPDX-License-Identifier: GPL-3.0-or-later */
/* history-list: the history's jobs for `memstop history`, and the text without what is forgotten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate/history-list.h"

static const char text[] = "v1 00000000000000a1 00000000000000b1 2048 1700000000 cc1plus\n"
                           "not a record\n"
                           "v2 00000000000000a2 00000000000000b2 1024 1700000100 1500 1 2 3 4 5 6 7 8 ld\n"
                           "v1 00000000000000a1 00000000000000b1 1024 1700000200 cc1plus\n"
                           "v1 00000000000000a3 00000000000000b3 4096 1700000300 cc1"; /* no '\n': cut */

static void entries(void **state)
{
        struct ms_history_entry *e;
        size_t n;

        assert_int_equal(ms_history_entries(text, sizeof(text) - 1, &e, &n), 0);
        assert_int_equal(n, 2); /* the cut last line is no record */
        assert_string_equal(e[0].program, "cc1plus");
        assert_int_equal(e[0].peak, 1024 * 1024);
        assert_int_equal(e[0].largest, 2048 * 1024);
        assert_int_equal(e[0].runs, 2);
        assert_int_equal(e[0].when, 1700000200);
        assert_int_equal(e[0].duration_ms, 0);
        assert_string_equal(e[1].program, "ld");
        assert_int_equal(e[1].duration_ms, 1500);
        free(e);

        assert_int_equal(ms_history_entries("", 0, &e, &n), 0);
        assert_int_equal(n, 0);
        free(e);
}

static void matches(void **state)
{
        assert_true(ms_history_matches("cc1*", 1, "cc1plus"));
        assert_false(ms_history_matches("cc1", 1, "cc1plus"));
        assert_true(ms_history_matches("00000000000000a2", 0xa2, "ld"));
        assert_false(ms_history_matches("a2", 0xa2, "ld"));
}

static void without(void **state)
{
        char *out;
        size_t len;
        unsigned removed;

        assert_int_equal(ms_history_without(text, sizeof(text) - 1, "cc1*", &out, &len, &removed), 0);
        assert_int_equal(removed, 2);
        assert_string_equal(out, "not a record\n"
                                 "v2 00000000000000a2 00000000000000b2 1024 1700000100 1500 1 2 3 4 5 6 7 8 ld\n"
                                 "v1 00000000000000a3 00000000000000b3 4096 1700000300 cc1");
        assert_int_equal(len, strlen(out));
        free(out);

        assert_int_equal(ms_history_without(text, sizeof(text) - 1, "nothing", &out, &len, &removed), 0);
        assert_int_equal(removed, 0);
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = { cmocka_unit_test(entries), cmocka_unit_test(matches),
                                            cmocka_unit_test(without) };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
