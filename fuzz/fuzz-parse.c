/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The small parsers of util/parse.h: numbers, "key value" fields, booleans,
 * pattern lists and name lists, as found in settings, /proc and lockd.conf. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "util/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const ms_word_t words[] = { "yes", "no", "on" };
        char *s = fuzz_string(data, size);
        const char *p, *item, *second;
        uint64_t u;
        size_t len;
        bool b;

        if (!s)
                return 0;
        /* The first line (or all) as one value; the rest as a name to match. */
        second = strchr(s, '\n');
        second = second ? second + 1 : "cc1";
        (void)ms_parse_u64(s, &u);
        p = s;
        (void)ms_parse_u64_prefix(&p, &u);
        (void)ms_bool_parse(s, &b);
        (void)ms_word_in(s, words, 3);
        if (ms_pattern_list_check(s) == 0)
                (void)ms_pattern_list_match(s, second);
        (void)ms_name_list_has(s, second);
        (void)ms_find_field(s, "MemTotal:");
        (void)ms_field_u64(s, "total_inactive_file", &u);
        p = s;
        while ((item = ms_list_next(&p, &len)))
                if (len == 0 || item + len > s + size)
                        abort();
        free(s);
        return 0;
}
