/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Working sets (issue 14): union and coalescing of page ranges, residency
 * vectors (injected: no mincore or pagemap needed), validation, tools. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockd/wset.h"

#define P 4096ull

static void expect(const struct lockd_wset *w, const uint64_t *pairs, unsigned n)
{
        if (w->n != n)
                fail_msg("%u ranges, expected %u", w->n, n);
        for (unsigned k = 0; k < n; k++)
                if (w->r[k].offset != pairs[2 * k] || w->r[k].length != pairs[2 * k + 1])
                        fail_msg("range %u: %llu+%llu, expected %llu+%llu", k, (unsigned long long)w->r[k].offset,
                                 (unsigned long long)w->r[k].length, (unsigned long long)pairs[2 * k],
                                 (unsigned long long)pairs[2 * k + 1]);
        assert_true(lockd_wset_valid(w->r, w->n, UINT64_MAX / 2, P));
}

static void test_union(void **state)
{
        struct lockd_wset w = {};

        assert_int_equal(lockd_wset_add(&w, 10 * P, P, P), 1);
        assert_int_equal(lockd_wset_add(&w, 2 * P, 2 * P, P), 1);    /* before: sorted in */
        expect(&w, (uint64_t[]){ 2 * P, 2 * P, 10 * P, P }, 2);
        assert_int_equal(lockd_wset_add(&w, 10 * P + 100, 10, P), 0); /* held: no growth */
        assert_int_equal(lockd_wset_add(&w, 4 * P, P, P), 1);        /* adjacent: coalesced */
        expect(&w, (uint64_t[]){ 2 * P, 3 * P, 10 * P, P }, 2);
        assert_int_equal(lockd_wset_add(&w, 20 * P, P, P), 1);
        /* One range over three, overlapping the first, touching the last. */
        assert_int_equal(lockd_wset_add(&w, 3 * P, 17 * P, P), 1);
        expect(&w, (uint64_t[]){ 2 * P, 19 * P }, 1);
        /* Unaligned bytes widen to their pages. */
        assert_int_equal(lockd_wset_add(&w, 30 * P + 1, P, P), 1);
        expect(&w, (uint64_t[]){ 2 * P, 19 * P, 30 * P, 2 * P }, 2);
        assert_true(lockd_wset_bytes(&w) == 21 * P);
        assert_int_equal(lockd_wset_add(&w, 0, 0, P), -EINVAL);
        assert_int_equal(lockd_wset_add(&w, 0, P, 3000), -EINVAL);
        assert_int_equal(lockd_wset_add(&w, UINT64_MAX - P, P, P), -EINVAL);
        lockd_wset_free(&w);
}

static void test_vector(void **state)
{
        /* As mincore(2) fills it: bit 0 is residency, other bits are noise. */
        static const unsigned char vec[] = { 1, 1, 0, 0, 0xfe, 3, 0, 1, 1, 1 };
        struct lockd_wset w = {};

        assert_int_equal(lockd_wset_add_vector(&w, 8 * P, vec, sizeof(vec), P), 1);
        expect(&w, (uint64_t[]){ 8 * P, 2 * P, 13 * P, P, 15 * P, 3 * P }, 3);
        /* The same sample again teaches nothing. */
        assert_int_equal(lockd_wset_add_vector(&w, 8 * P, vec, sizeof(vec), P), 0);
        /* Another run fills the holes: one range. */
        assert_int_equal(lockd_wset_add_vector(&w, 10 * P, (unsigned char[]){ 1, 1, 1, 0, 1 }, 5, P), 1);
        expect(&w, (uint64_t[]){ 8 * P, 10 * P }, 1);
        assert_int_equal(lockd_wset_add_vector(&w, 100, vec, 1, P), -EINVAL); /* unaligned base */
        assert_int_equal(lockd_wset_add_vector(&w, 0, (unsigned char[]){ 0, 0 }, 2, P), 0);
        lockd_wset_free(&w);
}

static void test_bounded(void **state)
{
        struct lockd_wset w = {};

        /* Every other page: more ranges than kept. The closest are merged,
         * no page is lost, the count stays at the maximum. */
        for (uint64_t k = 0; k < 2 * LOCKD_WSET_MAX_RANGES + 10; k++)
                assert_true(lockd_wset_add(&w, 2 * k * P, P, P) >= 0);
        assert_int_equal(w.n, LOCKD_WSET_MAX_RANGES);
        for (uint64_t k = 0; k < 2 * LOCKD_WSET_MAX_RANGES + 10; k++)
                assert_int_equal(lockd_wset_add(&w, 2 * k * P, P, P), 0);
        assert_true(lockd_wset_valid(w.r, w.n, UINT64_MAX / 2, P));
        lockd_wset_free(&w);
}

static void test_clip_copy(void **state)
{
        struct lockd_wset w = {}, c = {};

        lockd_wset_add(&w, 0, P, P);
        lockd_wset_add(&w, 4 * P, 4 * P, P);
        lockd_wset_add(&w, 20 * P, P, P);
        assert_int_equal(lockd_wset_copy(&c, &w), 0);
        lockd_wset_clip(&w, 6 * P - 10, P); /* the file shrank into the second range */
        expect(&w, (uint64_t[]){ 0, P, 4 * P, 2 * P }, 2);
        expect(&c, (uint64_t[]){ 0, P, 4 * P, 4 * P, 20 * P, P }, 3);
        lockd_wset_free(&w);
        lockd_wset_free(&c);
}

static void test_valid(void **state)
{
        static const struct {
                struct lockd_range r[2];
                unsigned n;
                int ok;
        } cases[] = {
                { { { 0, P }, { 2 * P, P } }, 2, 1 },
                { { { 0, P }, { P, P } }, 2, 0 },           /* adjacent: should be one */
                { { { 2 * P, P }, { 0, P } }, 2, 0 },       /* unsorted */
                { { { 0, 2 * P }, { P, P } }, 2, 0 },       /* overlapping */
                { { { 1, P } }, 1, 0 },                     /* unaligned */
                { { { 0, 0 } }, 1, 0 },                     /* empty */
                { { { 9 * P, 2 * P } }, 1, 0 },             /* beyond the file's 10 pages */
                { { { 9 * P, P } }, 1, 1 },                 /* the last page (partial in the file) */
                { { { UINT64_MAX - P + 1, P } }, 1, 0 },    /* overflow */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                if (lockd_wset_valid(cases[i].r, cases[i].n, 10 * P - 100, P) != cases[i].ok)
                        fail_msg("case %zu", i);
        assert_false(lockd_wset_valid(cases[0].r, LOCKD_WSET_MAX_RANGES + 1, 10 * P, P));
}

static void test_tools(void **state)
{
        struct lockd_tools t = {};
        char name[8];

        assert_int_equal(lockd_tools_add(&t, "cc1"), 1);
        assert_int_equal(lockd_tools_add(&t, "cc1"), 0);
        assert_int_equal(lockd_tools_add(&t, "x86_64-linux-g"), 1);
        assert_int_equal(lockd_tools_add(&t, "bad name"), 0);
        assert_int_equal(lockd_tools_add(&t, "a\nb"), 0);
        assert_int_equal(lockd_tools_add(&t, ""), 0);
        assert_int_equal(lockd_tools_add(&t, "0123456789abcdef"), 0); /* 16: longer than comm */
        for (int k = 0; k < 10; k++) {
                snprintf(name, sizeof(name), "t%d", k);
                lockd_tools_add(&t, name);
        }
        assert_int_equal(t.n, LOCKD_TOOLS_MAX);
        assert_string_equal(t.name[0], "cc1");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_union),    cmocka_unit_test(test_vector), cmocka_unit_test(test_bounded),
                cmocka_unit_test(test_clip_copy), cmocka_unit_test(test_valid), cmocka_unit_test(test_tools),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
