/* SPDX-License-Identifier: GPL-3.0-or-later */
/* size: sizes, durations and percentages as users type them, and back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/size.h"

#define KiB UINT64_C(1024)
#define MIB (KiB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)

struct size_case {
        const char *in;
        uint64_t out;
};

struct bad_case {
        const char *in;
        int err;
};

/* ---- ms_size_parse ---- */

static void size_parse_valid(void **state)
{
        static const struct size_case cases[] = {
                { "0", 0 },
                { "1", 1 },
                { "1B", 1 },
                { "1b", 1 },
                { "512", 512 },
                { "512M", 512 * MIB },
                { "2G", 2 * GIB },
                { "2GiB", 2 * GIB },
                { "1.5G", 3 * GIB / 2 },
                { "1K", KiB },
                { "1KiB", KiB },
                { "1KB", 1000 },
                { "1MB", 1000000 },
                { "1GB", 1000000000 },
                { "1TB", UINT64_C(1000000000000) },
                { "1T", TIB },
                { "1TiB", TIB },
                { "1MiB", MIB },
                { "0G", 0 },
                { "0.5K", 512 },
                { "0.25M", MIB / 4 },
                { "1.0G", GIB },
                { "2.000G", 2 * GIB },
                { "007M", 7 * MIB },
                { "18446744073709551615", UINT64_MAX },
                { "18446744073709551615B", UINT64_MAX },
                { "16777215T", 16777215 * TIB },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 42;
                int r = ms_size_parse(cases[i].in, &v);
                if (r != 0)
                        fail_msg("ms_size_parse(\"%s\") = %d, expected 0", cases[i].in, r);
                if (v != cases[i].out)
                        fail_msg("ms_size_parse(\"%s\") = %llu, expected %llu", cases[i].in,
                                 (unsigned long long)v, (unsigned long long)cases[i].out);
        }
}

static void size_parse_units_case_insensitive(void **state)
{
        static const struct size_case cases[] = {
                { "1g", GIB },   { "1gib", GIB }, { "1GIB", GIB }, { "1gIb", GIB }, { "1m", MIB },
                { "1mib", MIB }, { "1k", KiB },   { "1kb", 1000 }, { "1Kb", 1000 }, { "1kB", 1000 },
                { "1gb", 1000000000 }, { "1t", TIB }, { "1tb", UINT64_C(1000000000000) },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 42;
                if (ms_size_parse(cases[i].in, &v) != 0 || v != cases[i].out)
                        fail_msg("ms_size_parse(\"%s\") = %llu, expected %llu", cases[i].in,
                                 (unsigned long long)v, (unsigned long long)cases[i].out);
        }
}

static void size_parse_fractions_round_down(void **state)
{
        uint64_t v;

        /* 1.1 KiB = 1126.4 bytes */
        assert_int_equal(ms_size_parse("1.1K", &v), 0);
        assert_int_equal(v, 1126);
        /* 0.999999999 B */
        assert_int_equal(ms_size_parse("0.999999999", &v), 0);
        assert_int_equal(v, 0);
        /* More than 9 decimals are accepted (and don't count). */
        assert_int_equal(ms_size_parse("1.50000000000000001G", &v), 0);
        assert_int_equal(v, 3 * GIB / 2);
        /* 1.5 TB, decimal */
        assert_int_equal(ms_size_parse("1.5TB", &v), 0);
        assert_int_equal(v, UINT64_C(1500000000000));
}

static void size_parse_invalid(void **state)
{
        static const struct bad_case cases[] = {
                { "", -EINVAL },       { " 1G", -EINVAL },   { "1G ", -EINVAL },  { "1 G", -EINVAL },
                { "-1G", -EINVAL },    { "+1G", -EINVAL },   { "1..5G", -EINVAL }, { ".", -EINVAL },
                { "1.", -EINVAL },     { "1.G", -EINVAL },   { "G", -EINVAL },    { "1GG", -EINVAL },
                { "1Gi", -EINVAL },    { "0x10", -EINVAL },  { "1e3", -EINVAL },  { "1E", -EINVAL },
                { "1P", -EINVAL },     { "1GIBB", -EINVAL }, { "1iB", -EINVAL },  { "1G\n", -EINVAL },
                { "\t1G", -EINVAL },   { "1,5G", -EINVAL },  { "1.5.G", -EINVAL }, { "inf", -EINVAL },
                { "nan", -EINVAL },    { "-0", -EINVAL },    { "1_000", -EINVAL }, { "1GB2", -EINVAL },
                { "B", -EINVAL },      { "KiB", -EINVAL },   { "1 ", -EINVAL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 42;
                int r = ms_size_parse(cases[i].in, &v);
                if (r != cases[i].err)
                        fail_msg("ms_size_parse(\"%s\") = %d, expected %d", cases[i].in, r, cases[i].err);
                if (v != 42)
                        fail_msg("ms_size_parse(\"%s\") changed the output on error", cases[i].in);
        }
}

static void size_parse_overflow_is_erange(void **state)
{
        static const char *const cases[] = {
                "99999999999999999999", "18446744073709551616", "18446744073709551616B",
                "17179869184G", /* 2^34 GiB = 2^64 */
                "16777216T",    /* 2^24 TiB = 2^64 */
                "16777216TiB", "18446744073709551.616KB", "20000000TB",
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 42;
                int r = ms_size_parse(cases[i], &v);
                if (r != -ERANGE)
                        fail_msg("ms_size_parse(\"%s\") = %d, expected -ERANGE", cases[i], r);
                assert_int_equal(v, 42);
        }
}

static void size_parse_largest_fractional_fits(void **state)
{
        uint64_t v;

        /* (2^34 - 1) GiB + 0.5 GiB is below 2^64. */
        assert_int_equal(ms_size_parse("17179869183.5G", &v), 0);
        assert_true(v == UINT64_MAX - GIB / 2 + 1);
}

/* ---- ms_duration_parse ---- */

static void duration_parse_valid(void **state)
{
        static const struct size_case cases[] = {
                { "0", 0 },
                { "0s", 0 },
                { "90", UINT64_C(90000000) },
                { "30s", UINT64_C(30000000) },
                { "10m", UINT64_C(600000000) },
                { "1h", UINT64_C(3600000000) },
                { "1d", UINT64_C(86400000000) },
                { "500ms", UINT64_C(500000) },
                { "1.5s", UINT64_C(1500000) },
                { "1.5", UINT64_C(1500000) },
                { "0.5m", UINT64_C(30000000) },
                { "2.5h", UINT64_C(9000000000) },
                { "1ms", 1000 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 42;
                int r = ms_duration_parse(cases[i].in, &v);
                if (r != 0 || v != cases[i].out)
                        fail_msg("ms_duration_parse(\"%s\") = %d, %llu; expected 0, %llu", cases[i].in, r,
                                 (unsigned long long)v, (unsigned long long)cases[i].out);
        }
}

static void duration_parse_invalid(void **state)
{
        static const char *const cases[] = {
                "", "10M", "1S", "1H", "1D", "1MS", "1Ms", "-1s", "+1s", "1 s", " 1s", "1s ", "s", "ms", "1sec",
                "1min", "1hr", "1.s", ".", "1..5s", "1y", "1w", "1e3", "0x10", "1s1", "1h30m", "1,5s", "inf",
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 42;
                int r = ms_duration_parse(cases[i], &v);
                if (r != -EINVAL)
                        fail_msg("ms_duration_parse(\"%s\") = %d, expected -EINVAL", cases[i], r);
                assert_int_equal(v, 42);
        }
}

static void duration_parse_overflow_is_erange(void **state)
{
        uint64_t v = 42;

        assert_int_equal(ms_duration_parse("99999999999999999999", &v), -ERANGE);
        /* 2^64 us is about 213503982 days */
        assert_int_equal(ms_duration_parse("213503983d", &v), -ERANGE);
        assert_int_equal(ms_duration_parse("18446744073709551616ms", &v), -ERANGE);
        assert_int_equal(v, 42);
        /* Issue 12: durations are also counted in nanoseconds; one that does not
         * fit there must be refused, not wrapped (18446744074s was 0.29 s). */
        assert_int_equal(ms_duration_parse("213503982d", &v), -ERANGE);
        assert_int_equal(ms_duration_parse("18446744074s", &v), -ERANGE);
        assert_int_equal(ms_duration_parse("18446744073709552ms", &v), -ERANGE);
        assert_int_equal(ms_duration_parse("18446744073709552", &v), -ERANGE);
        assert_int_equal(ms_duration_parse("213504d", &v), -ERANGE);
        assert_int_equal(ms_duration_parse("5124096h", &v), -ERANGE);
        assert_int_equal(ms_duration_parse("307445735m", &v), -ERANGE);
        assert_int_equal(v, 42);
        assert_int_equal(ms_duration_parse("213503d", &v), 0);
        assert_true(v == UINT64_C(213503) * UINT64_C(86400000000));
        assert_int_equal(ms_duration_parse("18446744073s", &v), 0);
        assert_true(v * 1000 / 1000 == v);
        assert_int_equal(ms_duration_parse("18446744073709551us", &v), 0);
        assert_true(v == MS_DURATION_MAX_USEC);
}

/* Every size and duration around 2^64 (bytes, us) and 2^64 ns: refused, or
 * exactly what it says; never a wrapped small number. */
static void parsers_never_wrap(void **state)
{
        static const char *const units[] = { "", "B", "K", "KiB", "KB", "M", "MiB", "MB", "G", "GiB", "GB",
                                             "T", "TiB", "TB", "ms", "s", "m", "h", "d", "us" };
        char buf[64];

        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
                for (uint64_t n = 1; n && n < UINT64_MAX / 3; n = n * 3 + 1) {
                        uint64_t v;
                        snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)n, units[u]);
                        if (ms_size_parse(buf, &v) == 0 && v < n)
                                fail_msg("ms_size_parse(\"%s\") wrapped to %llu", buf, (unsigned long long)v);
                        if (ms_duration_parse(buf, &v) == 0 && (v < n / 1000 || v > MS_DURATION_MAX_USEC))
                                fail_msg("ms_duration_parse(\"%s\") wrapped to %llu", buf, (unsigned long long)v);
                }
}

/* ---- ms_percent_parse ---- */

static void percent_parse_valid(void **state)
{
        static const struct {
                const char *in;
                unsigned out;
        } cases[] = {
                { "0", 0 }, { "100", 100 }, { "10", 10 }, { "10%", 10 }, { "0%", 0 }, { "100%", 100 }, { "007", 7 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                unsigned v = 42;
                if (ms_percent_parse(cases[i].in, &v) != 0 || v != cases[i].out)
                        fail_msg("ms_percent_parse(\"%s\") = %u, expected %u", cases[i].in, v, cases[i].out);
        }
}

static void percent_parse_invalid(void **state)
{
        static const char *const cases[] = {
                "", "-1", "1.5", "10%%", "abc", "%", " 10", "10 ", "+10", "10% ", "%10", "1e1", "0x10", "10.0", "ten",
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                unsigned v = 42;
                int r = ms_percent_parse(cases[i], &v);
                if (r != -EINVAL)
                        fail_msg("ms_percent_parse(\"%s\") = %d, expected -EINVAL", cases[i], r);
                assert_int_equal(v, 42);
        }
}

static void percent_parse_out_of_range(void **state)
{
        static const char *const cases[] = { "101", "101%", "1000", "9999999999", "99999999999999999999999" };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                unsigned v = 42;
                int r = ms_percent_parse(cases[i], &v);
                if (r != -ERANGE && r != -EINVAL)
                        fail_msg("ms_percent_parse(\"%s\") = %d, expected an error", cases[i], r);
                assert_int_equal(v, 42);
        }
}

/* ---- ms_size_format ---- */

static void size_format_values(void **state)
{
        static const struct {
                uint64_t in;
                const char *out;
        } cases[] = {
                { 0, "0B" },
                { 1, "1B" },
                { 1023, "1023B" },
                { 1024, "1K" },
                { 1536, "1.5K" },
                { 512 * MIB, "512M" },
                { 1536 * MIB, "1.5G" },
                { 2 * GIB, "2G" },
                { 100 * MIB, "100M" },
                { 99 * MIB + 1023 * KiB, "99.9M" },  /* 99.999 M: rounded down */
                { 2 * GIB - 1, "1.9G" },             /* 1.99999 G: never "2G" */
                { 10 * GIB - 1, "9.9G" },            /* never "10G" */
                { 1023 * KiB + 1023, "1023K" },
                { GIB + GIB / 20, "1G" },            /* 1.05 G */
                { 3 * TIB, "3T" },
                { UINT64_C(1) << 60, "1E" },
        };
        char buf[MS_SIZE_BUF];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *s = ms_size_format(cases[i].in, buf, sizeof(buf));
                assert_ptr_equal(s, buf);
                if (strcmp(s, cases[i].out) != 0)
                        fail_msg("ms_size_format(%llu) = \"%s\", expected \"%s\"", (unsigned long long)cases[i].in,
                                 s, cases[i].out);
        }
}

/*
 * Near the top of the range a double (53 bits) would round UP before the
 * "round down": UINT64_MAX (= MS_UNLIMITED, 16 EiB - 1) must print "15.9E",
 * never "16E", more than there is.
 */
static void size_format_never_rounds_up_at_64_bits(void **state)
{
        char buf[MS_SIZE_BUF];

        assert_string_equal(ms_size_format(UINT64_MAX, buf, sizeof(buf)), "15.9E");
}

static void size_format_v1_unlimited(void **state)
{
        char buf[MS_SIZE_BUF];

        /* 2^63 - 4096, what v1 shows for "no limit": 7.99999 E */
        assert_string_equal(ms_size_format(UINT64_C(9223372036854771712), buf, sizeof(buf)), "7.9E");
}

static void size_format_round_trips_through_parse(void **state)
{
        static const uint64_t values[] = { 0, 1, 1023, 1024, 1536, 512 * MIB, 1536 * MIB, 2 * GIB, 3 * TIB };
        char buf[MS_SIZE_BUF];

        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                uint64_t v;
                ms_size_format(values[i], buf, sizeof(buf));
                assert_int_equal(ms_size_parse(buf, &v), 0);
                assert_true(v == values[i]);
        }
}

static void size_format_small_buffer_is_terminated(void **state)
{
        char buf[3] = "zz";

        ms_size_format(1536 * MIB, buf, sizeof(buf));
        assert_int_equal(buf[2], '\0');
        assert_string_equal(buf, "1.");
}

/* ---- ms_duration_format ---- */

static void duration_format_values(void **state)
{
        static const struct {
                uint64_t in;
                const char *out;
        } cases[] = {
                { 0, "0us" },
                { 999, "999us" },
                { 1000, "1ms" },
                { 250000, "250ms" },
                { 999999, "999ms" },      /* not "1000ms" */
                { 12500000, "12.5s" },
                { 59999999, "59.9s" },    /* not "60.0s" */
                { 1999999, "1.9s" },      /* rounded down */
                { 200000000, "3m20s" },
                { 60000000, "1m00s" },
                { 3599999999, "59m59s" },
                { 3600000000, "1h00m" },
                { 5400000000, "1h30m" },
        };
        char buf[MS_DURATION_BUF];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *s = ms_duration_format(cases[i].in, buf, sizeof(buf));
                assert_ptr_equal(s, buf);
                if (strcmp(s, cases[i].out) != 0)
                        fail_msg("ms_duration_format(%llu) = \"%s\", expected \"%s\"",
                                 (unsigned long long)cases[i].in, s, cases[i].out);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(size_parse_valid),
                cmocka_unit_test(size_parse_units_case_insensitive),
                cmocka_unit_test(size_parse_fractions_round_down),
                cmocka_unit_test(size_parse_invalid),
                cmocka_unit_test(size_parse_overflow_is_erange),
                cmocka_unit_test(size_parse_largest_fractional_fits),
                cmocka_unit_test(duration_parse_valid),
                cmocka_unit_test(duration_parse_invalid),
                cmocka_unit_test(duration_parse_overflow_is_erange),
                cmocka_unit_test(parsers_never_wrap),
                cmocka_unit_test(percent_parse_valid),
                cmocka_unit_test(percent_parse_invalid),
                cmocka_unit_test(percent_parse_out_of_range),
                cmocka_unit_test(size_format_values),
                cmocka_unit_test(size_format_never_rounds_up_at_64_bits),
                cmocka_unit_test(size_format_v1_unlimited),
                cmocka_unit_test(size_format_round_trips_through_parse),
                cmocka_unit_test(size_format_small_buffer_is_terminated),
                cmocka_unit_test(duration_format_values),
        };

        return cmocka_run_group_tests_name("size", tests, NULL, NULL);
}
