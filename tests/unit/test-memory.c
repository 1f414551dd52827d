/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memory: host and cgroup figures combined into one sample. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "probe/memory.h"

static struct ms_meminfo host(uint64_t total, uint64_t available)
{
        return (struct ms_meminfo){ .total = total, .free = available / 2, .available = available, .has_available = true };
}

static struct ms_cgroup_mem cgroup(uint64_t limit, uint64_t available)
{
        return (struct ms_cgroup_mem){ .limit = limit, .max = limit, .high = MS_UNLIMITED, .available = available };
}

/* ---- ms_sample_combine ---- */

static void combine_host_only(void **state)
{
        struct ms_meminfo h = host(GiB(24), GiB(20));
        struct ms_sample s;

        memset(&s, 0x55, sizeof(s));
        ms_sample_combine(&h, NULL, &s);
        assert_false(s.has_cgroup);
        assert_true(s.total == GiB(24));
        assert_true(s.available == GiB(20));
        assert_int_equal(s.total_bound, MS_BOUND_HOST);
        assert_int_equal(s.available_bound, MS_BOUND_HOST);
        assert_true(s.host.total == GiB(24));
}

static void combine_cgroup_smaller_on_both(void **state)
{
        struct ms_meminfo h = host(GiB(24), GiB(20));
        struct ms_cgroup_mem c = cgroup(MiB(400), MiB(100));
        struct ms_sample s;

        ms_sample_combine(&h, &c, &s);
        assert_true(s.has_cgroup);
        assert_true(s.total == MiB(400));
        assert_true(s.available == MiB(100));
        assert_int_equal(s.total_bound, MS_BOUND_CGROUP);
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
        assert_string_equal(ms_bound_name(s.total_bound), "cgroup");
        assert_true(s.cgroup.limit == MiB(400));
}

static void combine_host_available_smaller(void **state)
{
        /* A big cgroup on a busy host: the host binds available, the cgroup total. */
        struct ms_meminfo h = host(GiB(24), GiB(1));
        struct ms_cgroup_mem c = cgroup(GiB(16), GiB(12));
        struct ms_sample s;

        ms_sample_combine(&h, &c, &s);
        assert_true(s.total == GiB(16));
        assert_int_equal(s.total_bound, MS_BOUND_CGROUP);
        assert_true(s.available == GiB(1));
        assert_int_equal(s.available_bound, MS_BOUND_HOST);
        assert_string_equal(ms_bound_name(s.available_bound), "host");
}

static void combine_cgroup_limit_above_host_total(void **state)
{
        /* A limit larger than the machine: the host's total, the cgroup's available. */
        struct ms_meminfo h = host(GiB(8), GiB(6));
        struct ms_cgroup_mem c = cgroup(GiB(64), GiB(5));
        struct ms_sample s;

        ms_sample_combine(&h, &c, &s);
        assert_true(s.total == GiB(8));
        assert_int_equal(s.total_bound, MS_BOUND_HOST);
        assert_true(s.available == GiB(5));
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
}

static void combine_unlimited_cgroup_leaves_host(void **state)
{
        struct ms_meminfo h = host(GiB(24), GiB(20));
        struct ms_cgroup_mem c = cgroup(MS_UNLIMITED, MS_UNLIMITED);
        struct ms_sample s;

        ms_sample_combine(&h, &c, &s);
        assert_true(s.has_cgroup);
        assert_true(s.total == GiB(24));
        assert_true(s.available == GiB(20));
        assert_int_equal(s.total_bound, MS_BOUND_HOST);
        assert_int_equal(s.available_bound, MS_BOUND_HOST);
}

static void combine_cgroup_full(void **state)
{
        struct ms_meminfo h = host(GiB(24), GiB(20));
        struct ms_cgroup_mem c = cgroup(MiB(200), 0);
        struct ms_sample s;

        ms_sample_combine(&h, &c, &s);
        assert_int_equal(s.available, 0);
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
}

static void combine_equal_figures(void **state)
{
        struct ms_meminfo h = host(GiB(4), GiB(2));
        struct ms_cgroup_mem c = cgroup(GiB(4), GiB(2));
        struct ms_sample s;

        ms_sample_combine(&h, &c, &s);
        assert_true(s.total == GiB(4));
        assert_true(s.available == GiB(2));
        assert_true(s.available <= s.total);
}

static void bound_names(void **state)
{
        assert_string_equal(ms_bound_name(MS_BOUND_HOST), "host");
        assert_string_equal(ms_bound_name(MS_BOUND_CGROUP), "cgroup");
}

/* ---- ms_sample_read on fake trees ---- */

static void read_host_only(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup none = { .version = MS_CGROUP_NONE };
        struct ms_sample s;

        fake_meminfo(f->root, 24 * 1024 * 1024, 1024 * 1024, 20 * 1024 * 1024);
        assert_int_equal(ms_sample_read(f->fd, NULL, &s), 0);
        assert_false(s.has_cgroup);
        assert_true(s.total == GiB(24));
        assert_true(s.available == GiB(20));
        assert_int_equal(ms_sample_read(f->fd, &none, &s), 0);
        assert_false(s.has_cgroup);
        assert_true(s.available == GiB(20));
}

static void read_v1_tree(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_sample s;

        fake_meminfo(f->root, 24 * 1024 * 1024, 1024 * 1024, 20 * 1024 * 1024);
        fake_v1_tree(f->root, "/parent/child");
        fake_v1_set(f->root, "parent", MiB(200), MiB(200), MiB(200), MiB(100), 0);
        fake_v1_set(f->root, "parent/child", FAKE_V1_UNLIMITED, MiB(200), MiB(200), MiB(100), 0);
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_int_equal(ms_sample_read(f->fd, &cg, &s), 0);
        assert_true(s.has_cgroup);
        assert_true(s.total == MiB(200));
        assert_true(s.available == MiB(100));
        assert_int_equal(s.total_bound, MS_BOUND_CGROUP);
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
        assert_string_equal(s.cgroup.limit_dir, FAKE_V1_MNT "/parent");
        assert_true(s.host.available == GiB(20));
}

static void read_v2_tree(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_sample s;

        fake_meminfo(f->root, 8 * 1024 * 1024, 512 * 1024, 1024 * 1024);
        fake_v2_tree(f->root, "/user.slice/build");
        fake_v2_set(f->root, "user.slice", "4294967296", "max", 0, 0, 0);
        fake_v2_set(f->root, "user.slice/build", "max", "max", MiB(512), MiB(128), 0);
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V2);
        assert_int_equal(ms_sample_read(f->fd, &cg, &s), 0);
        /* total: cgroup 4 GiB < host 8 GiB; available: host 1 GiB < cgroup 3.6 GiB. */
        assert_true(s.total == GiB(4));
        assert_int_equal(s.total_bound, MS_BOUND_CGROUP);
        assert_true(s.available == GiB(1));
        assert_int_equal(s.available_bound, MS_BOUND_HOST);
        assert_true(s.cgroup.available == GiB(4) - MiB(384));
}

static void read_missing_meminfo_is_enoent(void **state)
{
        struct fake *f = *state;
        struct ms_sample s;

        assert_int_equal(ms_sample_read(f->fd, NULL, &s), -ENOENT);
}

static void read_unreadable_cgroup_is_error(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_sample s;

        fake_meminfo(f->root, 8 * 1024 * 1024, 512 * 1024, 1024 * 1024);
        fake_v2_tree(f->root, "/a");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        fake_remove(f->root, FAKE_V2_MNT "/a/memory.current");
        assert_int_equal(ms_sample_read(f->fd, &cg, &s), -ENOENT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(combine_host_only),
                cmocka_unit_test(combine_cgroup_smaller_on_both),
                cmocka_unit_test(combine_host_available_smaller),
                cmocka_unit_test(combine_cgroup_limit_above_host_total),
                cmocka_unit_test(combine_unlimited_cgroup_leaves_host),
                cmocka_unit_test(combine_cgroup_full),
                cmocka_unit_test(combine_equal_figures),
                cmocka_unit_test(bound_names),
                T(read_host_only),
                T(read_v1_tree),
                T(read_v2_tree),
                T(read_missing_meminfo_is_enoent),
                T(read_unreadable_cgroup_is_error),
        };

        return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
