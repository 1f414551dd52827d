/* SPDX-License-Identifier: GPL-3.0-or-later */
/* history: the learned-peaks file, its parsing, prediction and compaction. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "gate/history.h"
#include "gate/key.h"
#include "util/macro.h"

#define DIR_REL "cache/memstop"
#define FILE_REL DIR_REL "/peaks"
#define KiB(n) ((uint64_t)(n) * 1024)

static struct ms_key mkkey(const char *program, unsigned job)
{
        struct ms_key k = {};

        snprintf(k.program, sizeof(k.program), "%s", program);
        k.program_hash = ms_fnv1a(program, strlen(program), MS_FNV1A_SEED);
        k.job_hash = ms_fnv1a(&job, sizeof(job), k.program_hash);
        return k;
}

/* A history line for key (with '\n'), v2 if curve is valid, in a static buffer. */
static const char *curve_line_for(const struct ms_key *k, uint64_t peak, uint64_t when, const struct ms_curve *curve)
{
        static char buf[8][256];
        static unsigned next;
        struct ms_history_record rec = { k->job_hash, k->program_hash, peak, when, "", *curve };
        char *b = buf[next++ % 8];

        memcpy(rec.program, k->program, sizeof(rec.program));
        assert_true(ms_history_format_line(&rec, b, sizeof(buf[0])) > 0);
        return b;
}

static const char *line_for(const struct ms_key *k, uint64_t peak, uint64_t when)
{
        static const struct ms_curve none;

        return curve_line_for(k, peak, when, &none);
}

static const struct ms_curve curve_a = { 2000, { 187, 375, 562, 750, 937, 1125, 1312, 1500 } };
static const struct ms_curve curve_b = { 40, { 0, 0, 1, 2, 3, 5, 8, 13 } };

/* Append formatted text to a growing string. */
struct text {
        char *s;
        size_t len, cap;
};

static MS_PRINTF(2, 3) void text_add(struct text *t, const char *fmt, ...)
{
        va_list ap;
        char *add;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&add, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if (t->len + (size_t)n + 1 > t->cap) {
                t->cap = 2 * (t->len + (size_t)n + 1);
                t->s = realloc(t->s, t->cap);
                assert_non_null(t->s);
        }
        memcpy(t->s + t->len, add, (size_t)n + 1);
        t->len += (size_t)n;
        free(add);
}

static char *dir_path(struct fake *f)
{
        char *p;

        assert_true(asprintf(&p, "%s/" DIR_REL, f->root) > 0);
        return p;
}

/* Field by field: the struct has padding after the curve. */
static void assert_record_equal(const struct ms_history_record *a, const struct ms_history_record *b)
{
        assert_true(a->job_hash == b->job_hash);
        assert_true(a->program_hash == b->program_hash);
        assert_true(a->peak == b->peak);
        assert_true(a->when == b->when);
        assert_string_equal(a->program, b->program);
        assert_memory_equal(&a->curve, &b->curve, sizeof(a->curve));
}

/* ---- lines ---- */

static void format_parse_round_trip(void **state)
{
        struct ms_history_record rec = { UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210), MiB(300),
                                         1700000000, "cc1plus" };
        struct ms_history_record back;
        char buf[256];
        int n;

        n = ms_history_format_line(&rec, buf, sizeof(buf));
        assert_string_equal(buf, "v1 0123456789abcdef fedcba9876543210 307200 1700000000 cc1plus\n");
        assert_int_equal(n, strlen(buf));
        assert_int_equal(ms_history_parse_line(buf, (size_t)n - 1, &back), 0);
        assert_record_equal(&rec, &back);

        /* Peaks are stored in KiB, rounded up. */
        rec.peak = 1000;
        n = ms_history_format_line(&rec, buf, sizeof(buf));
        assert_int_equal(ms_history_parse_line(buf, (size_t)n - 1, &back), 0);
        assert_int_equal(back.peak, 1024);
        /* The largest valid peak, and the largest numbers. */
        rec.peak = UINT64_C(1) << 50;
        rec.job_hash = rec.program_hash = UINT64_MAX;
        rec.when = UINT64_MAX;
        memset(rec.program, 'x', MS_PROGRAM_MAX - 1);
        rec.program[MS_PROGRAM_MAX - 1] = '\0';
        n = ms_history_format_line(&rec, buf, sizeof(buf));
        assert_true(n > 0 && (unsigned)n <= MS_HISTORY_LINE_MAX + 1);
        assert_int_equal(ms_history_parse_line(buf, (size_t)n - 1, &back), 0);
        assert_record_equal(&rec, &back);
}

static void format_parse_round_trip_v2(void **state)
{
        struct ms_history_record rec = { UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210), MiB(300),
                                         1700000000, "cc1plus", curve_a };
        struct ms_history_record back;
        char buf[256];
        int n;

        n = ms_history_format_line(&rec, buf, sizeof(buf));
        assert_string_equal(buf, "v2 0123456789abcdef fedcba9876543210 307200 1700000000 "
                                 "2000 187 375 562 750 937 1125 1312 1500 cc1plus\n");
        assert_int_equal(n, strlen(buf));
        assert_int_equal(ms_history_parse_line(buf, (size_t)n - 1, &back), 0);
        assert_record_equal(&rec, &back);

        /* An invalid curve is not written: a v1 record. */
        rec.curve.reach_ms[7] = 2001;
        n = ms_history_format_line(&rec, buf, sizeof(buf));
        assert_string_equal(buf, "v1 0123456789abcdef fedcba9876543210 307200 1700000000 cc1plus\n");
        assert_int_equal(ms_history_parse_line(buf, (size_t)n - 1, &back), 0);
        assert_int_equal(back.curve.duration_ms, 0);
}

static void longest_v2_line_fits(void **state)
{
        struct ms_history_record rec = { UINT64_MAX, UINT64_MAX, UINT64_C(1) << 50, UINT64_MAX, "",
                                         { UINT32_MAX, {} } };
        struct ms_history_record back;
        char buf[MS_HISTORY_LINE_MAX + 2];
        int n;

        for (unsigned k = 0; k < MS_CURVE_STEPS; k++)
                rec.curve.reach_ms[k] = UINT32_MAX;
        memset(rec.program, 'x', MS_PROGRAM_MAX - 1);
        rec.program[MS_PROGRAM_MAX - 1] = '\0';
        n = ms_history_format_line(&rec, buf, sizeof(buf));
        /* "v2 " + 2 x 17 + "1099511627776 " + 20 + 1 digits and 9 x 11 + 31 */
        assert_int_equal(n, 202 + 1);
        assert_true((unsigned)n - 1 <= MS_HISTORY_LINE_MAX);
        assert_int_equal(ms_history_parse_line(buf, (size_t)n - 1, &back), 0);
        assert_record_equal(&rec, &back);
}

static void format_errors_and_sanitizing(void **state)
{
        struct ms_history_record rec = { 1, 2, MiB(1), 3, "a b\nc\td" };
        struct ms_history_record back;
        char buf[256];
        int n;

        n = ms_history_format_line(&rec, buf, sizeof(buf));
        assert_true(n > 0);
        assert_string_equal(buf, "v1 0000000000000001 0000000000000002 1024 3 a?b?c?d\n");
        assert_int_equal(ms_history_parse_line(buf, (size_t)n - 1, &back), 0);
        assert_string_equal(back.program, "a?b?c?d");

        assert_int_equal(ms_history_format_line(&rec, buf, 20), -ENAMETOOLONG);
        assert_int_equal(ms_history_format_line(&rec, buf, (size_t)n), -ENAMETOOLONG); /* no room for NUL */
        assert_int_equal(ms_history_format_line(&rec, buf, (size_t)n + 1), n);
        rec.peak = 0;
        assert_int_equal(ms_history_format_line(&rec, buf, sizeof(buf)), -EINVAL);
        rec.peak = (UINT64_C(1) << 50) + 1;
        assert_int_equal(ms_history_format_line(&rec, buf, sizeof(buf)), -EINVAL);
        rec.peak = 1;
        rec.program[0] = '\0';
        assert_int_equal(ms_history_format_line(&rec, buf, sizeof(buf)), -EINVAL);
}

static void parse_valid_variants(void **state)
{
        struct ms_history_record rec;
        const char *l;

        /* Capital hex, a future time, leading zeros, UTF-8 name. */
        l = "v1 ABCDEF0123456789 0000000000000000 0001 99999999999 g\xc3\xa9n\xc3\xa9rateur";
        assert_int_equal(ms_history_parse_line(l, strlen(l), &rec), 0);
        assert_true(rec.job_hash == UINT64_C(0xabcdef0123456789));
        assert_true(rec.program_hash == 0);
        assert_int_equal(rec.peak, 1024);
        assert_true(rec.when == 99999999999ULL);
        assert_string_equal(rec.program, "g\xc3\xa9n\xc3\xa9rateur");
        /* len counts, not the NUL: a line inside a larger text. */
        l = "v1 0000000000000001 0000000000000002 5 6 ld\nv1 garbage";
        assert_int_equal(ms_history_parse_line(l, strlen("v1 0000000000000001 0000000000000002 5 6 ld"), &rec), 0);
        assert_string_equal(rec.program, "ld");
        assert_int_equal(rec.peak, KiB(5));
        assert_int_equal(rec.curve.duration_ms, 0);

        /* v2: reach times all equal, at 0 or at the duration, leading zeros. */
        l = "v2 0000000000000001 0000000000000002 5 6 1 0 0 0 0 0 0 0 1 ld";
        assert_int_equal(ms_history_parse_line(l, strlen(l), &rec), 0);
        assert_int_equal(rec.curve.duration_ms, 1);
        assert_int_equal(rec.curve.reach_ms[6], 0);
        assert_int_equal(rec.curve.reach_ms[7], 1);
        l = "v2 0000000000000001 0000000000000002 5 6 02000 0187 375 562 750 937 1125 1312 1500 ld";
        assert_int_equal(ms_history_parse_line(l, strlen(l), &rec), 0);
        assert_memory_equal(&rec.curve, &curve_a, sizeof(curve_a));
        assert_int_equal(rec.peak, KiB(5));
        assert_string_equal(rec.program, "ld");
}

static const char *const corrupt[] = {
        "",
        "v1",
        "v1 ",
        "garbage",
        "v2 0000000000000001 0000000000000002 5 6 ld",
        "V1 0000000000000001 0000000000000002 5 6 ld",
        " v1 0000000000000001 0000000000000002 5 6 ld",
        "v1 000000000000001 0000000000000002 5 6 ld",   /* 15 digits */
        "v1 00000000000000001 0000000000000002 5 6 ld", /* 17 digits */
        "v1 000000000000000g 0000000000000002 5 6 ld",  /* not hex */
        "v1 0000000000000001 00000000000000x2 5 6 ld",
        "v1 0x00000000000001 0000000000000002 5 6 ld",
        "v1 0000000000000001  0000000000000002 5 6 ld", /* double blank */
        "v1 0000000000000001 0000000000000002 0 6 ld",  /* zero peak */
        "v1 0000000000000001 0000000000000002 1099511627777 6 ld", /* > 1 PiB */
        "v1 0000000000000001 0000000000000002 99999999999999999999999 6 ld",
        "v1 0000000000000001 0000000000000002 -5 6 ld",
        "v1 0000000000000001 0000000000000002 +5 6 ld",
        "v1 0000000000000001 0000000000000002 5k 6 ld",
        "v1 0000000000000001 0000000000000002 5 6x ld",
        "v1 0000000000000001 0000000000000002 5 18446744073709551616 ld",
        "v1 0000000000000001 0000000000000002 5 6",
        "v1 0000000000000001 0000000000000002 5 6 ",
        "v1 0000000000000001 0000000000000002 5 6  ld",
        "v1 0000000000000001 0000000000000002 5 6 ld ",
        "v1 0000000000000001 0000000000000002 5 6 l d",
        "v1 0000000000000001 0000000000000002 5 6 ld\r",
        "v1 0000000000000001 0000000000000002 5 6 l\td",
        "v1 0000000000000001 0000000000000002 5 6 l\x7f",
        "v1 0000000000000001 0000000000000002 5 6 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", /* 32 bytes */
        "v1 0000000000000001 0000000000000002 5 6 ld v1 0000000000000001 0000000000000002 5 6 ld",
        /* v2 (valid: ... 5 6 2000 187 375 562 750 937 1125 1312 1500 ld) */
        "v2 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 700 1125 1312 1500 ld", /* decreasing */
        "v2 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 937 1125 1312 2001 ld", /* > duration */
        "v2 0000000000000001 0000000000000002 5 6 0 0 0 0 0 0 0 0 0 ld",                    /* duration 0 */
        "v2 0000000000000001 0000000000000002 5 6 4294969296 187 375 562 750 937 1125 1312 1500 ld", /* 2^32 + 2000 */
        "v2 0000000000000001 0000000000000002 5 6 4294967295 187 375 562 750 937 1125 1312 4294967296 ld",
        "v2 0000000000000001 0000000000000002 5 6 4294967295 4294967296 1 1 1 1 1 1 1 ld",
        "v2 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 937 1125 1312 ld", /* 7 steps */
        "v2 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 937 1125 1312 1500",
        "v2 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 937 1125 1312 1500 ",
        "v2 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 937 1125 1312  1500 ld",
        "v2 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 937 1125 1312 -1500 ld",
        "v2 0000000000000001 0000000000000002 0 6 2000 187 375 562 750 937 1125 1312 1500 ld", /* zero peak */
        "v3 0000000000000001 0000000000000002 5 6 2000 187 375 562 750 937 1125 1312 1500 ld",
};

static void parse_corrupt_lines(void **state)
{
        struct ms_history_record rec = { .peak = 77 };
        char big[600];

        for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++)
                if (ms_history_parse_line(corrupt[i], strlen(corrupt[i]), &rec) != -EINVAL)
                        fail_msg("parsed corrupt line %zu: \"%s\"", i, corrupt[i]);
        /* A NUL inside the line. */
        assert_int_equal(ms_history_parse_line("v1 0000000000000001 0000000000000002 5 6 l\0d", 44, &rec), -EINVAL);
        /* Overlong. */
        memset(big, 'x', sizeof(big));
        memcpy(big, "v1 0000000000000001 0000000000000002 5 6 ", 41);
        assert_int_equal(ms_history_parse_line(big, sizeof(big), &rec), -EINVAL);
        assert_int_equal(rec.peak, 77);
}

/* ---- prediction ---- */

static void predict_newest_wins(void **state)
{
        struct ms_key j = mkkey("cc1plus", 1), k = mkkey("cc1plus", 2), other = mkkey("ld", 1);
        struct ms_prediction p;
        struct text t = {};

        text_add(&t, "%s", line_for(&j, MiB(100), 1000));
        text_add(&t, "%s", line_for(&k, MiB(900), 1001));
        text_add(&t, "%s", line_for(&j, MiB(300), 1002));
        text_add(&t, "%s", line_for(&other, MiB(5000), 1003));
        /* An older timestamp but a later line: later lines are newer. */
        text_add(&t, "%s", line_for(&j, MiB(200), 10));
        ms_history_predict(t.s, t.len, &j, &p);
        assert_true(p.job_peak == MiB(200));
        assert_true(p.program_peak == MiB(900));
        /* 100 200 300 900: the upper median. */
        assert_true(p.program_typical == MiB(300));
        assert_int_equal(p.program_runs, 4);
        assert_int_equal(p.bad_lines, 0);

        ms_history_predict(t.s, t.len, &other, &p);
        assert_true(p.job_peak == MiB(5000));
        assert_true(p.program_typical == MiB(5000));
        assert_int_equal(p.program_runs, 1);

        /* Unknown job of a known program; unknown program. */
        k = mkkey("cc1plus", 3);
        ms_history_predict(t.s, t.len, &k, &p);
        assert_int_equal(p.job_peak, 0);
        assert_true(p.program_peak == MiB(900));
        k = mkkey("rustc", 1);
        ms_history_predict(t.s, t.len, &k, &p);
        assert_int_equal(p.job_peak, 0);
        assert_int_equal(p.program_peak, 0);
        assert_int_equal(p.program_typical, 0);
        assert_int_equal(p.program_runs, 0);
        /* Same job hash, other program: not this job. */
        k = j;
        k.program_hash ^= 1;
        ms_history_predict(t.s, t.len, &k, &p);
        assert_int_equal(p.job_peak, 0);
        free(t.s);

        ms_history_predict("", 0, &j, &p);
        assert_int_equal(p.job_peak + p.program_peak + p.program_runs + p.bad_lines, 0);
}

static void predict_program_window(void **state)
{
        struct ms_key k = mkkey("cc1", 0);
        struct ms_prediction p;
        struct text t = {};
        unsigned w = MS_HISTORY_PROGRAM_WINDOW;

        /* A huge old run, then exactly a window of small ones. */
        k = mkkey("cc1", 9999);
        text_add(&t, "%s", line_for(&k, GiB(10), 1));
        for (unsigned i = 0; i < w; i++) {
                k = mkkey("cc1", i);
                text_add(&t, "%s", line_for(&k, MiB(100 + i), 2 + i));
        }
        ms_history_predict(t.s, t.len, &k, &p);
        assert_true(p.program_peak == MiB(100 + w - 1));
        assert_true(p.program_typical == MiB(100 + w / 2));
        assert_int_equal(p.program_runs, w + 1);
        assert_true(p.job_peak == MiB(100 + w - 1));

        /* One fewer small run: the huge one is in the window again. */
        free(t.s);
        t = (struct text){};
        k = mkkey("cc1", 9999);
        text_add(&t, "%s", line_for(&k, GiB(10), 1));
        for (unsigned i = 0; i < w - 1; i++) {
                k = mkkey("cc1", i);
                text_add(&t, "%s", line_for(&k, MiB(100), 2 + i));
        }
        ms_history_predict(t.s, t.len, &k, &p);
        assert_true(p.program_peak == GiB(10));
        assert_true(p.program_typical == MiB(100));
        /* Other programs' records do not push it out. */
        for (unsigned i = 0; i < 3 * w; i++) {
                struct ms_key o = mkkey("as", i);
                text_add(&t, "%s", line_for(&o, MiB(1), 3));
        }
        ms_history_predict(t.s, t.len, &k, &p);
        assert_true(p.program_peak == GiB(10));
        free(t.s);
}

static void predict_takes_the_curve_of_the_newest_record(void **state)
{
        struct ms_key j = mkkey("cc1plus", 1), k = mkkey("cc1plus", 2);
        struct ms_prediction p;
        struct text t = {};

        text_add(&t, "%s", curve_line_for(&j, MiB(100), 1, &curve_b));
        text_add(&t, "%s", curve_line_for(&k, MiB(900), 2, &curve_b));
        text_add(&t, "%s", curve_line_for(&j, MiB(300), 3, &curve_a));
        ms_history_predict(t.s, t.len, &j, &p);
        assert_true(p.job_peak == MiB(300));
        assert_memory_equal(&p.job_curve, &curve_a, sizeof(curve_a));
        assert_int_equal(p.bad_lines, 0);
        ms_history_predict(t.s, t.len, &k, &p);
        assert_memory_equal(&p.job_curve, &curve_b, sizeof(curve_b));

        /* A bad v2 line later changes nothing. */
        text_add(&t, "v2 %016llx %016llx 5 4 2000 187 375 562 750 937 1125 1312 2001 %s\n",
                 (unsigned long long)j.job_hash, (unsigned long long)j.program_hash, j.program);
        ms_history_predict(t.s, t.len, &j, &p);
        assert_true(p.job_peak == MiB(300));
        assert_memory_equal(&p.job_curve, &curve_a, sizeof(curve_a));
        assert_int_equal(p.bad_lines, 1);

        /* A newer run without a curve: the old curve is not this run's. */
        text_add(&t, "%s", line_for(&j, MiB(200), 5));
        ms_history_predict(t.s, t.len, &j, &p);
        assert_true(p.job_peak == MiB(200));
        assert_int_equal(p.job_curve.duration_ms, 0);
        assert_int_equal(p.job_curve.reach_ms[7], 0);
        free(t.s);
}

/* A program's newest curve, of whichever of its jobs: a typical prediction's
 * (batch jobs that differ only in an argument). Runs without a curve, and
 * other programs, leave it. */
static void predict_takes_the_programs_newest_curve(void **state)
{
        struct ms_key j = mkkey("python3", 1), k = mkkey("python3", 2), other = mkkey("cc1plus", 3);
        struct ms_key fresh = mkkey("python3", 4);
        struct ms_prediction p;
        struct text t = {};

        ms_history_predict("", 0, &fresh, &p);
        assert_int_equal(p.program_curve.duration_ms, 0);
        text_add(&t, "%s", curve_line_for(&j, MiB(300), 1, &curve_b));
        text_add(&t, "%s", curve_line_for(&k, MiB(310), 2, &curve_a));
        text_add(&t, "%s", curve_line_for(&other, MiB(900), 3, &curve_b));
        text_add(&t, "%s", line_for(&j, MiB(305), 4));
        ms_history_predict(t.s, t.len, &fresh, &p);
        assert_true(p.job_peak == 0);
        assert_int_equal(p.program_runs, 3);
        assert_memory_equal(&p.program_curve, &curve_a, sizeof(curve_a));
        free(t.s);
}

static void predict_counts_bad_lines(void **state)
{
        struct ms_key k = mkkey("cc1", 1);
        struct ms_prediction p;
        struct text t = {};
        unsigned expect = 0;

        text_add(&t, "%s", line_for(&k, MiB(1), 1));
        for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
                if (!corrupt[i][0])
                        continue; /* empty lines are not counted */
                text_add(&t, "%s\n", corrupt[i]);
                expect++;
        }
        text_add(&t, "\n\n");
        text_add(&t, "%s", line_for(&k, MiB(2), 2));
        /* Binary junk with NULs and a long line. */
        t.s = realloc(t.s, t.len + 5000);
        t.cap = t.len + 5000;
        memset(t.s + t.len, 0, 10);
        memset(t.s + t.len + 10, 0xff, 3000);
        t.s[t.len + 3010] = '\n';
        t.len += 3011;
        expect++;
        text_add(&t, "%s", line_for(&k, MiB(3), 3));
        ms_history_predict(t.s, t.len, &k, &p);
        assert_true(p.job_peak == MiB(3));
        assert_int_equal(p.program_runs, 3);
        assert_int_equal(p.bad_lines, expect);

        /* A truncated last line counts as bad even if it would parse. */
        text_add(&t, "%s", line_for(&k, MiB(4), 4));
        ms_history_predict(t.s, t.len - 1, &k, &p);
        assert_true(p.job_peak == MiB(3));
        assert_int_equal(p.bad_lines, expect + 1);
        ms_history_predict(t.s, t.len - 20, &k, &p);
        assert_true(p.job_peak == MiB(3));
        assert_int_equal(p.bad_lines, expect + 1);
        ms_history_predict(t.s, t.len, &k, &p);
        assert_true(p.job_peak == MiB(4));
        assert_int_equal(p.bad_lines, expect);
        free(t.s);
}

/* ---- compaction, pure ---- */

static void compact_text_newest_per_job(void **state)
{
        struct ms_key a = mkkey("cc1", 1), b = mkkey("cc1", 2), c = mkkey("ld", 3);
        struct text t = {}, want = {};
        char out[4096];
        long n;

        text_add(&t, "%s", line_for(&a, MiB(1), 1));
        text_add(&t, "%s", line_for(&b, MiB(2), 2));
        text_add(&t, "garbage line\n");
        text_add(&t, "%s", line_for(&a, MiB(3), 3));
        text_add(&t, "\n");
        text_add(&t, "%s", line_for(&c, MiB(4), 4));
        text_add(&t, "%s", line_for(&b, MiB(5), 5));
        text_add(&t, "v1 0000000000000001 0000000000000002 5 6 trunc"); /* no '\n' */

        /* In file order of the kept lines. */
        text_add(&want, "%s", line_for(&a, MiB(3), 3));
        text_add(&want, "%s", line_for(&c, MiB(4), 4));
        text_add(&want, "%s", line_for(&b, MiB(5), 5));
        n = ms_history_compact_text(t.s, t.len, 100, out, sizeof(out));
        assert_int_equal(n, want.len);
        assert_string_equal(out, want.s);

        /* At most 2 jobs: the ones seen last (b, then c). */
        free(want.s);
        want = (struct text){};
        text_add(&want, "%s", line_for(&c, MiB(4), 4));
        text_add(&want, "%s", line_for(&b, MiB(5), 5));
        n = ms_history_compact_text(t.s, t.len, 2, out, sizeof(out));
        assert_int_equal(n, want.len);
        assert_string_equal(out, want.s);

        assert_int_equal(ms_history_compact_text(t.s, t.len, 2, out, want.len), -ENOSPC);
        assert_int_equal(ms_history_compact_text(t.s, t.len, 2, out, want.len + 1), want.len);
        assert_int_equal(ms_history_compact_text(t.s, t.len, 0, out, sizeof(out)), 0);
        assert_string_equal(out, "");
        assert_int_equal(ms_history_compact_text("", 0, 10, out, sizeof(out)), 0);
        free(t.s);
        free(want.s);
}

static void compact_text_keeps_curves(void **state)
{
        struct ms_key a = mkkey("cc1", 1), b = mkkey("cc1", 2), c = mkkey("ld", 3);
        struct ms_prediction p;
        struct text t = {}, want = {};
        char out[4096];
        long n;

        text_add(&t, "%s", curve_line_for(&a, MiB(1), 1, &curve_b));
        text_add(&t, "%s", curve_line_for(&b, MiB(2), 2, &curve_a));
        text_add(&t, "%s", line_for(&c, MiB(3), 3));
        text_add(&t, "%s", curve_line_for(&a, MiB(4), 4, &curve_a));
        /* Not canonical: rewritten. */
        text_add(&t, "v2 %016llx %016llx 5120 05 040 0 0 1 2 3 5 8 013 ld\n", (unsigned long long)c.job_hash,
                 (unsigned long long)c.program_hash);

        text_add(&want, "%s", curve_line_for(&b, MiB(2), 2, &curve_a));
        text_add(&want, "%s", curve_line_for(&a, MiB(4), 4, &curve_a));
        text_add(&want, "%s", curve_line_for(&c, MiB(5), 5, &curve_b));
        n = ms_history_compact_text(t.s, t.len, 100, out, sizeof(out));
        assert_int_equal(n, want.len);
        assert_string_equal(out, want.s);
        ms_history_predict(out, (size_t)n, &c, &p);
        assert_true(p.job_peak == MiB(5));
        assert_memory_equal(&p.job_curve, &curve_b, sizeof(curve_b));
        free(t.s);
        free(want.s);
}

/* ---- small programs ---- */

static void small_programs_list(void **state)
{
        struct ms_key cc1 = mkkey("cc1", 1), cc1b = mkkey("cc1", 2), as = mkkey("as", 1), ld = mkkey("ld", 1);
        struct ms_key sed = mkkey("sed", 1), comma = mkkey("a,b", 1), eq = mkkey("x=y", 1);
        struct ms_key ctl = mkkey("tab\tname", 1), utf = mkkey("\xc3\xa9", 1);
        struct text t = {};
        char buf[256];

        text_add(&t, "%s", line_for(&as, MiB(5), 1));
        text_add(&t, "%s", line_for(&cc1, MiB(50), 2));
        text_add(&t, "%s", line_for(&ld, MiB(10), 3));
        text_add(&t, "%s", line_for(&sed, MiB(2), 4));
        text_add(&t, "%s", line_for(&comma, MiB(1), 5));
        text_add(&t, "%s", line_for(&eq, MiB(1), 6));
        text_add(&t, "%s", line_for(&ctl, MiB(1), 6));
        text_add(&t, "%s", line_for(&utf, MiB(1), 6));
        text_add(&t, "junk\n");
        text_add(&t, "%s", line_for(&cc1b, MiB(900), 7)); /* one big run of cc1 */
        text_add(&t, "%s", line_for(&as, MiB(6), 8));
        text_add(&t, "%s", line_for(&ld, MiB(700), 9));

        assert_int_equal(ms_history_small_programs(t.s, t.len, MiB(64), buf, sizeof(buf)), 0);
        /* tab\tname was written as tab?name: printable, listed. */
        assert_string_equal(buf, "as,sed,tab?name");
        assert_int_equal(ms_history_small_programs(t.s, t.len, MiB(1000), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "as,cc1,ld,sed,tab?name");
        assert_int_equal(ms_history_small_programs(t.s, t.len, MiB(5), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "sed,tab?name");
        assert_int_equal(ms_history_small_programs(t.s, t.len, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
        /* Too small: whole names that fit, -ENOSPC. */
        assert_int_equal(ms_history_small_programs(t.s, t.len, MiB(1000), buf, 9), -ENOSPC);
        assert_string_equal(buf, "as,cc1");
        /* A later, shorter name still goes in. */
        assert_int_equal(ms_history_small_programs(t.s, t.len, MiB(1000), buf, 6), -ENOSPC);
        assert_string_equal(buf, "as,ld");
        assert_int_equal(ms_history_small_programs(t.s, t.len, MiB(1000), buf, 2), -ENOSPC);
        assert_string_equal(buf, "");
        assert_int_equal(ms_history_small_programs(t.s, t.len, MiB(1000), buf, 0), -ENOSPC);
        assert_int_equal(ms_history_small_programs("", 0, MiB(1000), buf, 1), 0);
        assert_string_equal(buf, "");
        free(t.s);
}

/* ---- directory ---- */

static void history_dir_from_env(void **state)
{
        char buf[64];

        assert_int_equal(ms_history_dir("/x/cache", "/home/u", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/x/cache/memstop");
        assert_int_equal(ms_history_dir("/x/cache//", "/home/u", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/x/cache/memstop");
        assert_int_equal(ms_history_dir("relative/cache", "/home/u", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/home/u/.cache/memstop");
        assert_int_equal(ms_history_dir("", "/home/u/", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/home/u/.cache/memstop");
        assert_int_equal(ms_history_dir(NULL, "/", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/.cache/memstop");
        assert_int_equal(ms_history_dir(NULL, "home/u", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(ms_history_dir("rel", "", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(ms_history_dir(NULL, NULL, buf, sizeof(buf)), -ENOENT);
        assert_int_equal(ms_history_dir("/x/cache", NULL, buf, 16), -ENAMETOOLONG);
        assert_int_equal(ms_history_dir("/x/cache", NULL, buf, 17), 0);
}

/* ---- files ---- */

static void record_and_lookup(void **state)
{
        struct fake *f = *state;
        struct ms_key a = mkkey("cc1plus", 1), b = mkkey("cc1plus", 2);
        struct ms_prediction p = { .job_peak = 1 };
        char *dir = dir_path(f), *text;
        struct stat st;

        /* Nothing yet: an empty history. */
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_int_equal(p.job_peak + p.program_peak + p.program_runs + p.bad_lines, 0);

        /* Creates cache/ and cache/memstop/ 0700, the files 0600. */
        assert_int_equal(ms_history_record(dir, &a, MiB(300), NULL, 1700000000), 0);
        assert_int_equal(lstat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_true(S_ISDIR(st.st_mode));
        text = fake_read(f->root, FILE_REL);
        assert_string_equal(text, line_for(&a, MiB(300), 1700000000));
        free(text);
        {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/peaks", dir);
                assert_int_equal(lstat(path, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0600);
                snprintf(path, sizeof(path), "%s/peaks.lock", dir);
                assert_int_equal(lstat(path, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0600);
        }

        assert_int_equal(ms_history_record(dir, &b, MiB(500), NULL, 1700000001), 0);
        assert_int_equal(ms_history_record(dir, &a, MiB(350), NULL, 1700000002), 0);
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_true(p.job_peak == MiB(350));
        assert_true(p.program_peak == MiB(500));
        assert_int_equal(p.program_runs, 3);
        assert_int_equal(p.bad_lines, 0);

        /* Bad figures are refused, nothing written. */
        assert_int_equal(ms_history_record(dir, &a, 0, NULL, 1), -EINVAL);
        assert_int_equal(ms_history_record(dir, &a, (UINT64_C(1) << 50) + 1, NULL, 1), -EINVAL);
        b.program[0] = '\0';
        assert_int_equal(ms_history_record(dir, &b, MiB(1), NULL, 1), -EINVAL);
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_int_equal(p.program_runs, 3);
        free(dir);
}

static void record_with_a_curve_writes_v2(void **state)
{
        struct fake *f = *state;
        struct ms_key a = mkkey("cc1plus", 1);
        struct ms_curve bad = curve_a;
        struct ms_prediction p;
        char *dir = dir_path(f), *text;

        assert_int_equal(ms_history_record(dir, &a, MiB(300), &curve_a, 1700000000), 0);
        text = fake_read(f->root, FILE_REL);
        assert_string_equal(text, curve_line_for(&a, MiB(300), 1700000000, &curve_a));
        assert_true(strncmp(text, "v2 ", 3) == 0);
        free(text);
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_true(p.job_peak == MiB(300));
        assert_memory_equal(&p.job_curve, &curve_a, sizeof(curve_a));

        /* An invalid curve is left out: a v1 record, which has none. */
        bad.reach_ms[0] = 2001;
        assert_int_equal(ms_history_record(dir, &a, MiB(310), &bad, 1700000001), 0);
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_true(p.job_peak == MiB(310));
        assert_int_equal(p.job_curve.duration_ms, 0);
        assert_int_equal(p.bad_lines, 0);
        text = fake_read(f->root, FILE_REL);
        assert_true(strstr(text, line_for(&a, MiB(310), 1700000001)) != NULL);
        free(text);
        free(dir);
}

static void truncated_file_recovers(void **state)
{
        struct fake *f = *state;
        struct ms_key a = mkkey("cc1", 1), b = mkkey("cc1", 2);
        struct ms_prediction p;
        char *dir = dir_path(f);
        struct text t = {};

        text_add(&t, "%s", line_for(&a, MiB(100), 1));
        text_add(&t, "%.30s", line_for(&b, MiB(200), 2)); /* cut in the middle */
        fake_write(f->root, FILE_REL, t.s);
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_true(p.job_peak == MiB(100));
        assert_int_equal(p.bad_lines, 1);

        /* The next append ends the cut line first: the new record survives. */
        assert_int_equal(ms_history_record(dir, &b, MiB(250), NULL, 3), 0);
        assert_int_equal(ms_history_lookup(dir, &b, &p), 0);
        assert_true(p.job_peak == MiB(250));
        assert_int_equal(p.program_runs, 2);
        assert_int_equal(p.bad_lines, 1);
        free(t.s);
        free(dir);
}

static void garbage_file_is_survived(void **state)
{
        struct fake *f = *state;
        struct ms_key a = mkkey("cc1", 1);
        struct ms_prediction p;
        char *dir = dir_path(f);
        char junk[8192];
        int fd;

        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (char)(i * 7919 % 251);
        fake_mkdir(f->root, DIR_REL);
        {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/peaks", dir);
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
                close(fd);
        }
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_int_equal(p.job_peak, 0);
        assert_true(p.bad_lines > 0);
        assert_int_equal(ms_history_record(dir, &a, MiB(7), NULL, 1), 0);
        assert_int_equal(ms_history_lookup(dir, &a, &p), 0);
        assert_true(p.job_peak == MiB(7));
        free(dir);
}

static void huge_file_reads_the_end(void **state)
{
        struct fake *f = *state;
        struct ms_key old = mkkey("cc1", 1), recent = mkkey("cc1", 2);
        struct ms_prediction p;
        char *dir = dir_path(f);
        struct text t = {};

        /* 3 x MAX_BYTES of the old job, then the recent one. */
        while (t.len < 3 * (size_t)MS_HISTORY_MAX_BYTES)
                text_add(&t, "%s", line_for(&old, MiB(10), 1));
        text_add(&t, "%s", line_for(&recent, MiB(20), 2));
        /* Make the cut fall inside a line. */
        text_add(&t, "%s", line_for(&old, MiB(11), 3) + 1);
        fake_write(f->root, FILE_REL, t.s);
        assert_int_equal(ms_history_lookup(dir, &recent, &p), 0);
        assert_true(p.job_peak == MiB(20));
        /* Only the last 2 x MAX_BYTES were read; the first partial line is not "bad". */
        assert_true(p.program_runs < 2 * MS_HISTORY_MAX_BYTES / (strlen(line_for(&old, MiB(10), 1)) - 1) + 1);
        assert_true(p.program_runs > 1000);
        assert_int_equal(p.bad_lines, 1); /* the line glued to the cut one */
        free(t.s);
        free(dir);
}

/* Parse a history file: for each record, call back. Fails on any bad line. */
static unsigned check_file(const char *path, void (*each)(const struct ms_history_record *, void *), void *data)
{
        FILE *fp = fopen(path, "re");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        unsigned count = 0;

        assert_non_null(fp);
        while ((n = getline(&line, &cap, fp)) > 0) {
                struct ms_history_record rec;
                /* A blank line, which readers skip, is what an appender leaves
                 * when it sees another's line half-written (its size updated a
                 * page at a time) and ends it first. */
                if (n == 1 && line[0] == '\n')
                        continue;
                if (line[n - 1] != '\n' || ms_history_parse_line(line, (size_t)n - 1, &rec) < 0)
                        fail_msg("corrupt line in %s: %s", path, line);
                each(&rec, data);
                count++;
        }
        free(line);
        fclose(fp);
        return count;
}

#define BOUND_JOBS 6000u
#define BOUND_ROUNDS 4u

struct bounds {
        uint64_t last_peak[BOUND_JOBS];
        unsigned records;
};

static void bounds_each(const struct ms_history_record *rec, void *data)
{
        struct bounds *b = data;

        /* The job number is in the peak: job * 1 MiB + round KiB. */
        unsigned job = (unsigned)(rec->peak / MiB(1)) - 1;
        assert_true(job < BOUND_JOBS);
        assert_true(rec->job_hash == mkkey("cc1plus", job).job_hash);
        b->last_peak[job] = rec->peak;
}

static void bounds_run(void **state, const struct ms_curve *curve);

static void compaction_bounds_size(void **state)
{
        bounds_run(state, NULL);
}

/* v2 lines with the widest numbers (~200 bytes): MAX_JOBS of them still fit. */
static void compaction_bounds_size_with_curves(void **state)
{
        const struct ms_curve c = { UINT32_MAX - 8, { UINT32_MAX - 16, UINT32_MAX - 15, UINT32_MAX - 14,
                                                      UINT32_MAX - 13, UINT32_MAX - 12, UINT32_MAX - 11,
                                                      UINT32_MAX - 10, UINT32_MAX - 9 } };

        bounds_run(state, &c);
}

static void bounds_run(void **state, const struct ms_curve *curve)
{
        struct fake *f = *state;
        char *dir = dir_path(f), path[PATH_MAX];
        struct bounds *b = calloc(1, sizeof(*b));
        struct stat st;
        unsigned total = BOUND_JOBS * BOUND_ROUNDS, count;

        assert_non_null(b);
        /* ~60-byte lines (v1) or ~200 (v2): 24000 of them are more than MAX_BYTES. */
        for (unsigned i = 0; i < total; i++) {
                unsigned job = i % BOUND_JOBS, round = i / BOUND_JOBS;
                struct ms_key k = mkkey("cc1plus", job);
                assert_int_equal(ms_history_record(dir, &k, MiB(job + 1) + KiB(round + 1), curve, 1000 + i), 0);
                if (i % 1000 == 999) {
                        snprintf(path, sizeof(path), "%s/peaks", dir);
                        assert_int_equal(stat(path, &st), 0);
                        assert_true(st.st_size <= MS_HISTORY_MAX_BYTES);
                }
        }
        snprintf(path, sizeof(path), "%s/peaks", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size <= MS_HISTORY_MAX_BYTES);
        count = check_file(path, bounds_each, b);
        /* It was compacted (not all records there)... */
        assert_true(count < total);
        assert_true(count >= MS_HISTORY_MAX_JOBS);
        /* ...and the newest MAX_JOBS jobs all have their newest record. */
        for (unsigned i = total - MS_HISTORY_MAX_JOBS; i < total; i++) {
                unsigned job = i % BOUND_JOBS;
                assert_true(b->last_peak[job] == MiB(job + 1) + KiB(BOUND_ROUNDS));
        }
        /* No temporary files left behind. */
        {
                DIR *d = opendir(dir);
                struct dirent *de;
                assert_non_null(d);
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.' && strcmp(de->d_name, "peaks") != 0 &&
                            strcmp(de->d_name, "peaks.lock") != 0)
                                fail_msg("left behind: %s", de->d_name);
                closedir(d);
        }
        free(b);
        free(dir);
}

#define WRITERS 8
#define WRITER_JOBS 50u
#define WRITER_RECORDS 500u

struct race {
        uint64_t last_peak[WRITERS][WRITER_JOBS];
};

static uint64_t race_peak(unsigned w, unsigned job, unsigned round)
{
        return MiB(1 + w * 1000 + job) + KiB(round + 1);
}

static void race_each(const struct ms_history_record *rec, void *data)
{
        struct race *r = data;
        unsigned v = (unsigned)(rec->peak / MiB(1)) - 1;
        unsigned w = v / 1000, job = v % 1000;

        assert_true(w < WRITERS && job < WRITER_JOBS);
        assert_true(rec->job_hash == mkkey("writer", w * 1000 + job).job_hash);
        r->last_peak[w][job] = rec->peak;
}

static void concurrent_writers_and_compactor(void **state)
{
        struct fake *f = *state;
        char *dir = dir_path(f), path[PATH_MAX];
        struct race r = {};
        pid_t writers[WRITERS], compactor;
        int pipefd[2], status;

        assert_int_equal(pipe(pipefd), 0);
        compactor = fork();
        assert_true(compactor >= 0);
        if (compactor == 0) {
                unsigned n = 0;
                char c;
                close(pipefd[1]);
                fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
                /* Until every writer is done (EOF on the pipe). */
                while (read(pipefd[0], &c, 1) < 0) {
                        /* Lock waits are bounded (a stopped holder must not hang
                         * everyone): a compactor may find the appenders' shared
                         * lock held all along (-ETIMEDOUT), and try again. */
                        int rc = ms_history_compact(dir);
                        if (rc < 0 && rc != -ETIMEDOUT)
                                _exit(255);
                        n += rc == 0;
                        /* A compactor that never lets go would starve the
                         * appenders likewise; real ones compact now and then. */
                        usleep(200);
                }
                _exit(n > 250 ? 250 : (int)n);
        }
        for (unsigned w = 0; w < WRITERS; w++) {
                writers[w] = fork();
                assert_true(writers[w] >= 0);
                if (writers[w] == 0) {
                        close(pipefd[0]);
                        for (unsigned i = 0; i < WRITER_RECORDS; i++) {
                                unsigned job = i % WRITER_JOBS, round = i / WRITER_JOBS;
                                struct ms_key k = mkkey("writer", w * 1000 + job);
                                snprintf(k.program, sizeof(k.program), "writer%u", w);
                                int rr = ms_history_record(dir, &k, race_peak(w, job, round), NULL, i);
                                if (rr < 0) {
                                        fprintf(stderr, "record: %s\n", strerror(-rr));
                                        _exit(1);
                                }
                        }
                        _exit(0);
                }
        }
        close(pipefd[0]);
        close(pipefd[1]);
        for (unsigned w = 0; w < WRITERS; w++) {
                assert_int_equal(waitpid(writers[w], &status, 0), writers[w]);
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
        }
        assert_int_equal(waitpid(compactor, &status, 0), compactor);
        assert_true(WIFEXITED(status));
        assert_int_not_equal(WEXITSTATUS(status), 255);
        /* The compactor really ran alongside. */
        assert_true(WEXITSTATUS(status) >= 1);

        snprintf(path, sizeof(path), "%s/peaks", dir);
        (void)check_file(path, race_each, &r);
        for (unsigned w = 0; w < WRITERS; w++)
                for (unsigned job = 0; job < WRITER_JOBS; job++)
                        if (r.last_peak[w][job] != race_peak(w, job, WRITER_RECORDS / WRITER_JOBS - 1))
                                fail_msg("writer %u job %u: newest record lost (have %" PRIu64 ")", w, job,
                                         r.last_peak[w][job]);
        free(dir);
}

static void odd_directories(void **state)
{
        struct fake *f = *state;
        struct ms_key k = mkkey("cc1", 1);
        struct ms_prediction p = { .job_peak = 5 };
        char path[PATH_MAX], target[PATH_MAX], *text;
        size_t len;

        /* A file where the directory should be. */
        fake_write(f->root, "file/memstop", "not a dir\n");
        snprintf(path, sizeof(path), "%s/file/memstop", f->root);
        assert_int_equal(ms_history_record(path, &k, MiB(1), NULL, 1), -ENOTDIR);
        assert_int_equal(ms_history_lookup(path, &k, &p), -ENOTDIR);
        assert_int_equal(p.job_peak, 0);
        assert_int_equal(ms_history_compact(path), -ENOTDIR);
        /* A file where the parent should be. */
        snprintf(path, sizeof(path), "%s/file/memstop/sub", f->root);
        assert_true(ms_history_record(path, &k, MiB(1), NULL, 1) < 0);

        /* A symlink to a good directory: refused (O_DIRECTORY|O_NOFOLLOW
         * gives ENOTDIR), nothing written through it. */
        fake_mkdir(f->root, "real");
        snprintf(target, sizeof(target), "%s/real", f->root);
        snprintf(path, sizeof(path), "%s/link", f->root);
        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(ms_history_record(path, &k, MiB(1), NULL, 1), -ENOTDIR);
        assert_int_equal(ms_history_lookup(path, &k, &p), -ENOTDIR);
        snprintf(path, sizeof(path), "%s/real/peaks", f->root);
        assert_int_equal(access(path, F_OK), -1);

        /* Someone else's directory, or one others can write. */
        fake_mkdir(f->root, "theirs");
        snprintf(path, sizeof(path), "%s/theirs", f->root);
        assert_int_equal(chown(path, 12345, 12345), 0);
        assert_int_equal(ms_history_record(path, &k, MiB(1), NULL, 1), -EPERM);
        assert_int_equal(ms_history_lookup(path, &k, &p), -EPERM);
        fake_mkdir(f->root, "open");
        snprintf(path, sizeof(path), "%s/open", f->root);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(ms_history_record(path, &k, MiB(1), NULL, 1), -EPERM);

        /* The history file is a directory, a symlink, a FIFO. */
        fake_make_unreadable(f->root, "d1/peaks");
        snprintf(path, sizeof(path), "%s/d1", f->root);
        assert_int_equal(ms_history_record(path, &k, MiB(1), NULL, 1), -EISDIR);
        assert_int_equal(ms_history_lookup(path, &k, &p), -EISDIR);
        assert_int_equal(ms_history_read(path, &text, &len), -EISDIR);
        fake_write(f->root, "d2/elsewhere", "");
        snprintf(path, sizeof(path), "%s/d2/peaks", f->root);
        assert_int_equal(symlink("elsewhere", path), 0);
        snprintf(path, sizeof(path), "%s/d2", f->root);
        assert_int_equal(ms_history_record(path, &k, MiB(1), NULL, 1), -ELOOP);
        assert_int_equal(ms_history_lookup(path, &k, &p), -ELOOP);
        fake_mkdir(f->root, "d3");
        snprintf(path, sizeof(path), "%s/d3/peaks", f->root);
        assert_int_equal(mkfifo(path, 0600), 0);
        snprintf(path, sizeof(path), "%s/d3", f->root);
        assert_int_equal(ms_history_record(path, &k, MiB(1), NULL, 1), -EINVAL);
        assert_int_equal(ms_history_lookup(path, &k, &p), -EINVAL);
        /* The lock file is a directory. */
        fake_make_unreadable(f->root, "d4/peaks.lock");
        snprintf(path, sizeof(path), "%s/d4", f->root);
        assert_true(ms_history_record(path, &k, MiB(1), NULL, 1) < 0);

        /* Missing: empty, not an error. */
        snprintf(path, sizeof(path), "%s/nothing/here", f->root);
        assert_int_equal(ms_history_lookup(path, &k, &p), 0);
        assert_int_equal(ms_history_compact(path), 0);
        assert_int_equal(ms_history_read(path, &text, &len), 0);
        assert_int_equal(len, 0);
        assert_string_equal(text, "");
        free(text);
        assert_int_equal(ms_history_lookup("", &k, &p), -EINVAL);
}

static void small_programs_from_file(void **state)
{
        struct fake *f = *state;
        struct ms_key sed = mkkey("sed", 1), cc1 = mkkey("cc1", 1);
        char *dir = dir_path(f), *text, buf[64];
        size_t len;

        assert_int_equal(ms_history_record(dir, &sed, MiB(3), NULL, 1), 0);
        assert_int_equal(ms_history_record(dir, &cc1, MiB(300), NULL, 2), 0);
        assert_int_equal(ms_history_read(dir, &text, &len), 0);
        assert_int_equal(len, strlen(text));
        assert_int_equal(ms_history_small_programs(text, len, MiB(16), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "sed");
        free(text);
        free(dir);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

/* ---- issue 12: whose home, how large, how long ---- */

/* A root process with a user's HOME (sudo -E, su without '-') made
 * ~/.cache owned by root in it. Nothing is created in a directory that is
 * not the effective uid's. */
static void nothing_is_created_in_someone_elses_home(void **state)
{
        struct fake *f = *state;
        char home[PATH_MAX - 64], dir[PATH_MAX], cache[PATH_MAX];
        struct ms_key k = mkkey("cc1", 1);

        snprintf(home, sizeof(home), "%s/home", f->root);
        assert_int_equal(mkdir(home, 0755), 0);
        if (geteuid() == 0)
                assert_int_equal(chown(home, 65534, 65534), 0);
        else
                skip(); /* only root can own a home of another user's here */
        assert_int_equal(ms_history_dir(NULL, home, dir, sizeof(dir)), 0);
        assert_int_equal(ms_history_record(dir, &k, MiB(100), NULL, 1), -EPERM);
        snprintf(cache, sizeof(cache), "%s/.cache", home);
        assert_int_equal(access(cache, F_OK), -1);
        /* ~/.cache of the user's own: memstop/ is not made in it either. */
        assert_int_equal(mkdir(cache, 0700), 0);
        assert_int_equal(chown(cache, 65534, 65534), 0);
        assert_int_equal(ms_history_record(dir, &k, MiB(100), NULL, 1), -EPERM);
        assert_int_equal(access(dir, F_OK), -1);
        /* Our own home: made as before. */
        assert_int_equal(chown(home, geteuid(), getegid()), 0);
        assert_int_equal(rmdir(cache), 0);
        assert_int_equal(ms_history_record(dir, &k, MiB(100), NULL, 1), 0);
        assert_int_equal(access(dir, F_OK), 0);
}

/* A 3 GB sparse history file reads as nothing (its end is zeros) and was
 * never compacted: the file's size decides, not what was read of it. */
static void huge_sparse_history_is_compacted(void **state)
{
        struct fake *f = *state;
        char *dir = dir_path(f), path[PATH_MAX];
        struct ms_key k = mkkey("cc1", 1);
        struct stat st;
        int fd;

        assert_int_equal(ms_history_record(dir, &k, MiB(100), NULL, 1), 0);
        snprintf(path, sizeof(path), "%s/peaks", dir);
        fd = open(path, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, INT64_C(3) << 30), 0);
        close(fd);
        assert_int_equal(ms_history_record(dir, &k, MiB(200), NULL, 2), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size <= (off_t)MS_HISTORY_MAX_BYTES);
        free(dir);
}

/* A process stopped while it holds the history's lock (Ctrl-Z, a debugger)
 * hung every exit. The wait is bounded. */
static void stopped_lock_holder_does_not_hang_a_record(void **state)
{
        struct fake *f = *state;
        char *dir = dir_path(f), path[PATH_MAX];
        struct ms_key k = mkkey("cc1", 1);
        struct timespec a, b;
        int fd;

        assert_int_equal(ms_history_record(dir, &k, MiB(100), NULL, 1), 0);
        snprintf(path, sizeof(path), "%s/peaks.lock", dir);
        /* Another open file description: as another process's. */
        fd = open(path, O_RDWR);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(ms_history_record(dir, &k, MiB(100), NULL, 2), -ETIMEDOUT);
        clock_gettime(CLOCK_MONOTONIC, &b);
        /* Bounded (1 s), not hung: the bound is generous for a slow machine. */
        assert_true(b.tv_sec - a.tv_sec <= 20);
        close(fd);
        assert_int_equal(ms_history_record(dir, &k, MiB(100), NULL, 3), 0);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(format_parse_round_trip),
                cmocka_unit_test(format_parse_round_trip_v2),
                cmocka_unit_test(longest_v2_line_fits),
                cmocka_unit_test(format_errors_and_sanitizing),
                cmocka_unit_test(parse_valid_variants),
                cmocka_unit_test(parse_corrupt_lines),
                cmocka_unit_test(predict_newest_wins),
                cmocka_unit_test(predict_program_window),
                cmocka_unit_test(predict_takes_the_curve_of_the_newest_record),
                cmocka_unit_test(predict_takes_the_programs_newest_curve),
                cmocka_unit_test(predict_counts_bad_lines),
                cmocka_unit_test(compact_text_newest_per_job),
                cmocka_unit_test(compact_text_keeps_curves),
                cmocka_unit_test(small_programs_list),
                cmocka_unit_test(history_dir_from_env),
                T(record_and_lookup),
                T(record_with_a_curve_writes_v2),
                T(truncated_file_recovers),
                T(garbage_file_is_survived),
                T(huge_file_reads_the_end),
                T(compaction_bounds_size),
                T(compaction_bounds_size_with_curves),
                T(concurrent_writers_and_compactor),
                T(odd_directories),
                T(nothing_is_created_in_someone_elses_home),
                T(huge_sparse_history_is_compacted),
                T(stopped_lock_holder_does_not_hang_a_record),
                T(small_programs_from_file),
        };

        return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
