/* SPDX-License-Identifier: GPL-3.0-or-later */
/* psi: pressure stall information, proc/pressure/memory. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "probe/psi.h"

static const char typical[] = "some avg10=1.23 avg60=4.56 avg300=7.89 total=123456789\n"
                              "full avg10=0.50 avg60=0.25 avg300=0.00 total=9876543\n";

static void parse_some_and_full(void **state)
{
        struct ms_psi p;

        assert_int_equal(ms_psi_parse(typical, &p), 0);
        assert_float_equal(p.some.avg10, 1.23, 1e-6);
        assert_float_equal(p.some.avg60, 4.56, 1e-6);
        assert_float_equal(p.some.avg300, 7.89, 1e-6);
        assert_int_equal(p.some.total, 123456789);
        assert_true(p.has_full);
        assert_float_equal(p.full.avg10, 0.5, 1e-6);
        assert_float_equal(p.full.avg60, 0.25, 1e-6);
        assert_float_equal(p.full.avg300, 0.0, 1e-6);
        assert_int_equal(p.full.total, 9876543);
}

static void parse_only_some(void **state)
{
        struct ms_psi p;

        memset(&p, 0x55, sizeof(p));
        assert_int_equal(ms_psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &p), 0);
        assert_false(p.has_full);
        assert_int_equal(p.some.total, 0);
        assert_float_equal(p.some.avg10, 0.0, 1e-6);
        /* No stale values in the missing line. */
        assert_int_equal(p.full.total, 0);
}

static void parse_without_trailing_newline(void **state)
{
        struct ms_psi p;

        assert_int_equal(ms_psi_parse("some avg10=100.00 avg60=0.00 avg300=0.00 total=18446744073709551615", &p), 0);
        assert_float_equal(p.some.avg10, 100.0, 1e-6);
        assert_true(p.some.total == UINT64_MAX);
}

static void parse_full_before_some(void **state)
{
        struct ms_psi p;

        assert_int_equal(ms_psi_parse("full avg10=2.00 avg60=0.00 avg300=0.00 total=5\n"
                                      "some avg10=3.00 avg60=0.00 avg300=0.00 total=6\n",
                                      &p),
                         0);
        assert_int_equal(p.some.total, 6);
        assert_int_equal(p.full.total, 5);
}

static void parse_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                "\n",
                "garbage\n",
                /* no "some" line */
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                /* missing total */
                "some avg10=0.00 avg60=0.00 avg300=0.00\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
                /* missing or misnamed averages */
                "some avg10=0.00 avg300=0.00 total=1\n",
                "some avg11=0.00 avg60=0.00 avg300=0.00 total=1\n",
                /* negative */
                "some avg10=-1.00 avg60=0.00 avg300=0.00 total=1\n",
                "some avg10=0.00 avg60=0.00 avg300=-0.01 total=1\n",
                /* above 100 % */
                "some avg10=100.01 avg60=0.00 avg300=0.00 total=1\n",
                "some avg10=0.00 avg60=250.00 avg300=0.00 total=1\n",
                /* garbage in numbers or after them */
                "some avg10=abc avg60=0.00 avg300=0.00 total=1\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=12abc\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=1 extra=2\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=x\n",
                /* "some" must start a line */
                "xsome avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
                /* a malformed "full" line spoils the file */
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=101.00 avg60=0.00 avg300=0.00 total=1\n",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct ms_psi p;
                int r = ms_psi_parse(bad[i], &p);
                if (r != -EINVAL)
                        fail_msg("ms_psi_parse(\"%s\") = %d, expected -EINVAL", bad[i], r);
        }
}

/* A signed total is malformed (sscanf("%llu") would have read -1 as 2^64-1). */
static void parse_negative_total_is_einval(void **state)
{
        struct ms_psi p;

        assert_int_equal(ms_psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n", &p), -EINVAL);
}

/* "nan" is not an average (NaN would pass any range check: every comparison is false). */
static void parse_nan_average_is_einval(void **state)
{
        struct ms_psi p;

        assert_int_equal(ms_psi_parse("some avg10=nan avg60=0.00 avg300=0.00 total=1\n", &p), -EINVAL);
}

/* A total that does not fit in 64 bits is malformed, not UINT64_MAX. */
static void parse_total_overflow_is_einval(void **state)
{
        struct ms_psi p;

        assert_int_equal(ms_psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999999\n", &p),
                         -EINVAL);
}

static void read_fake_root(void **state)
{
        struct fake *f = *state;
        struct ms_psi p;

        fake_write(f->root, "proc/pressure/memory", typical);
        assert_int_equal(ms_psi_read(f->fd, "proc/pressure/memory", &p), 0);
        assert_float_equal(p.some.avg10, 1.23, 1e-6);
        assert_true(p.has_full);
        assert_int_equal(p.full.total, 9876543);

        /* A v2 cgroup's memory.pressure, same format. */
        fake_write(f->root, "sys/fs/cgroup/a/memory.pressure", "some avg10=9.00 avg60=0.00 avg300=0.00 total=7\n");
        assert_int_equal(ms_psi_read(f->fd, "sys/fs/cgroup/a/memory.pressure", &p), 0);
        assert_float_equal(p.some.avg10, 9.0, 1e-6);
        assert_false(p.has_full);
}

static void read_missing_is_enoent(void **state)
{
        struct fake *f = *state;
        struct ms_psi p;

        assert_int_equal(ms_psi_read(f->fd, "proc/pressure/memory", &p), -ENOENT);
}

static void read_unreadable_is_error(void **state)
{
        struct fake *f = *state;
        struct ms_psi p;

        fake_make_unreadable(f->root, "proc/pressure/memory");
        assert_int_equal(ms_psi_read(f->fd, "proc/pressure/memory", &p), -EISDIR);
}

static void read_garbage_is_einval(void **state)
{
        struct fake *f = *state;
        struct ms_psi p;
        char big[2048];

        fake_write(f->root, "proc/pressure/memory", "not psi\n");
        assert_int_equal(ms_psi_read(f->fd, "proc/pressure/memory", &p), -EINVAL);
        /* Too large to be a pressure file. */
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        fake_write(f->root, "proc/pressure/memory", big);
        assert_int_equal(ms_psi_read(f->fd, "proc/pressure/memory", &p), -EINVAL);
}

/* ---- ms_psi_locate: whose pressure ---- */

static const char psi_text[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n";

static void locate_v2_limit_cgroup(void **state)
{
        struct fake *f = *state;
        struct ms_psi_source src;
        struct ms_cgroup cg;
        char name[PATH_MAX + 16];

        fake_v2_tree(f->root, "/docker/abc/build");
        fake_write(f->root, FAKE_V2_MNT "/docker/abc/memory.pressure", psi_text);
        fake_write(f->root, "proc/pressure/memory", psi_text);
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(ms_psi_locate(f->fd, &cg, FAKE_V2_MNT "/docker/abc", &src), 0);
        assert_int_equal(src.scope, MS_PSI_CGROUP);
        assert_string_equal(src.path, FAKE_V2_MNT "/docker/abc/memory.pressure");
        ms_psi_source_name(&src, name, sizeof(name));
        assert_string_equal(name, "cgroup /" FAKE_V2_MNT "/docker/abc");

        /* No limit: the host's. */
        assert_int_equal(ms_psi_locate(f->fd, &cg, "", &src), 0);
        assert_int_equal(src.scope, MS_PSI_HOST);
        assert_string_equal(src.path, "proc/pressure/memory");
        ms_psi_source_name(&src, name, sizeof(name));
        assert_string_equal(name, "host");
}

static void locate_v2_unreadable_is_host(void **state)
{
        struct fake *f = *state;
        struct ms_psi_source src;
        struct ms_cgroup cg;

        /* A kernel without PSI per cgroup (or none at all): the host's path. */
        fake_v2_tree(f->root, "/ci/job");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(ms_psi_locate(f->fd, &cg, FAKE_V2_MNT "/ci/job", &src), 0);
        assert_int_equal(src.scope, MS_PSI_HOST);
        assert_string_equal(src.path, "proc/pressure/memory");
}

static void locate_v1_hybrid_unified_cgroup(void **state)
{
        struct fake *f = *state;
        struct ms_psi_source src;
        struct ms_cgroup cg;

        char *self, *v2;

        /* The v1 memory cgroup has the limit; the process's unified cgroup
         * (the fake's hybrid hierarchy, its "0::" line moved to /box) keeps
         * its pressure. */
        fake_v1_tree(f->root, "/box");
        self = fake_read(f->root, "proc/self/cgroup");
        v2 = strstr(self, "0::/\n");
        assert_non_null(v2);
        *v2 = '\0';
        fake_writef(f->root, "proc/self/cgroup", "%s0::/box\n", self);
        fake_write(f->root, "sys/fs/cgroup/unified/box/memory.pressure", psi_text);
        free(self);
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_int_equal(ms_psi_locate(f->fd, &cg, FAKE_V1_MNT "/box", &src), 0);
        assert_int_equal(src.scope, MS_PSI_CGROUP);
        assert_string_equal(src.path, "sys/fs/cgroup/unified/box/memory.pressure");

        /* In the unified root: the host's. */
        fake_write(f->root, "proc/self/cgroup", "4:memory:/box\n0::/\n");
        assert_int_equal(ms_psi_locate(f->fd, &cg, FAKE_V1_MNT "/box", &src), 0);
        assert_int_equal(src.scope, MS_PSI_HOST);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parse_some_and_full),
                cmocka_unit_test(parse_only_some),
                cmocka_unit_test(parse_without_trailing_newline),
                cmocka_unit_test(parse_full_before_some),
                cmocka_unit_test(parse_malformed),
                cmocka_unit_test(parse_negative_total_is_einval),
                cmocka_unit_test(parse_nan_average_is_einval),
                cmocka_unit_test(parse_total_overflow_is_einval),
                T(read_fake_root),
                T(read_missing_is_enoent),
                T(read_unreadable_is_error),
                T(read_garbage_is_einval),
                T(locate_v2_limit_cgroup),
                T(locate_v2_unreadable_is_host),
                T(locate_v1_hybrid_unified_cgroup),
        };

        return cmocka_run_group_tests_name("psi", tests, NULL, NULL);
}
