/* SPDX-License-Identifier: GPL-3.0-or-later */
/* json: the one JSON writer; UTF-8 kept valid whatever the bytes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"

/* What the writer put into a memory stream. */
struct sink {
        char *buf;
        size_t len;
        FILE *f;
};

static void sink_open(struct sink *s)
{
        s->buf = NULL;
        s->len = 0;
        s->f = open_memstream(&s->buf, &s->len);
        assert_non_null(s->f);
}

static const char *sink_text(struct sink *s)
{
        fflush(s->f);
        return s->buf;
}

static void sink_close(struct sink *s)
{
        fclose(s->f);
        free(s->buf);
}

static void string_is(const char *in, const char *want)
{
        struct sink s;

        sink_open(&s);
        ms_json_write_string(s.f, in);
        assert_string_equal(sink_text(&s), want);
        sink_close(&s);
}

static void strings_escaped(void **state)
{
        string_is("plain", "\"plain\"");
        string_is("a\"b\\c", "\"a\\\"b\\\\c\"");
        string_is("tab\there\nnl", "\"tab\\u0009here\\u000anl\"");
        string_is("\x7f", "\"\\u007f\"");
        string_is("", "\"\"");
}

static void utf8_kept(void **state)
{
        string_is("caf\xc3\xa9", "\"caf\xc3\xa9\"");                 /* é */
        string_is("\xe2\x82\xac", "\"\xe2\x82\xac\"");               /* € */
        string_is("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");       /* U+1F600 */
}

static void invalid_utf8_replaced(void **state)
{
        string_is("a\xff" "b", "\"a\\ufffdb\"");                      /* $'\xff' */
        string_is("\x80", "\"\\ufffd\"");                             /* lone continuation */
        string_is("\xc3", "\"\\ufffd\"");                             /* cut sequence at the end */
        string_is("\xc3(", "\"\\ufffd(\"");                           /* cut in the middle */
        string_is("\xc0\xaf", "\"\\ufffd\\ufffd\"");                  /* overlong '/' */
        string_is("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");       /* overlong, 3 bytes */
        string_is("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");       /* a surrogate */
        string_is("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* above U+10FFFF */
}

static void decode(void **state)
{
        uint32_t cp = 0;

        assert_int_equal(ms_utf8_decode((const unsigned char *)"A", 1, &cp), 1);
        assert_int_equal(cp, 'A');
        assert_int_equal(ms_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
        assert_int_equal(cp, 0xe9);
        assert_int_equal(ms_utf8_decode((const unsigned char *)"\xc3\xa9", 1, &cp), 0);
        assert_int_equal(ms_utf8_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
        assert_int_equal(cp, 0x10ffff);
}

/* A document in an object: begun here, ended and compared by doc_is(). */
static void doc_begin(struct sink *s, struct ms_json *j, unsigned pretty_depth)
{
        sink_open(s);
        ms_json_init(j, s->f, pretty_depth);
        ms_json_object_begin(j, NULL);
}

static void doc_is(struct sink *s, struct ms_json *j, const char *want)
{
        ms_json_object_end(j);
        assert_int_equal(ms_json_end(j), 0);
        assert_string_equal(sink_text(s), want);
        sink_close(s);
}

static void compact_document(void **state)
{
        struct sink s;
        struct ms_json j;

        doc_begin(&s, &j, 0);
        ms_json_uint(&j, "n", 18446744073709551615ull);
        ms_json_int(&j, "i", -3);
        ms_json_double(&j, "d", 1.5, 3);
        ms_json_double(&j, "nan", NAN, 1);
        ms_json_bool(&j, "b", true);
        ms_json_null(&j, "z");
        ms_json_string(&j, "s", NULL);
        ms_json_array_begin(&j, "a");
        ms_json_uint(&j, NULL, 1);
        ms_json_object_begin(&j, NULL);
        ms_json_object_end(&j);
        ms_json_array_begin(&j, NULL);
        ms_json_array_end(&j);
        ms_json_array_end(&j);
        doc_is(&s, &j, "{\"n\": 18446744073709551615, \"i\": -3, \"d\": 1.500, \"nan\": null, "
                       "\"b\": true, \"z\": null, \"s\": null, \"a\": [1, {}, []]}\n");
}

static void pretty_document(void **state)
{
        struct sink s;
        struct ms_json j;

        doc_begin(&s, &j, 2);
        ms_json_string(&j, "k", "v");
        ms_json_array_begin(&j, "jobs");
        ms_json_object_begin(&j, NULL);
        ms_json_uint(&j, "pid", 1);
        ms_json_array_begin(&j, "x");
        ms_json_uint(&j, NULL, 2);
        ms_json_array_end(&j);
        ms_json_object_end(&j);
        ms_json_object_begin(&j, NULL);
        ms_json_object_end(&j);
        ms_json_array_end(&j);
        ms_json_array_begin(&j, "empty");
        ms_json_array_end(&j);
        doc_is(&s, &j, "{\n"
                       "  \"k\": \"v\",\n"
                       "  \"jobs\": [\n"
                       "    {\"pid\": 1, \"x\": [2]},\n"
                       "    {}\n"
                       "  ],\n"
                       "  \"empty\": []\n"
                       "}\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(strings_escaped),      cmocka_unit_test(utf8_kept),
                cmocka_unit_test(invalid_utf8_replaced), cmocka_unit_test(decode),
                cmocka_unit_test(compact_document),     cmocka_unit_test(pretty_document),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
