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
        ms_sample_combine(&h, NULL, 0, &s);
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

        ms_sample_combine(&h, &c, 0, &s);
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

        ms_sample_combine(&h, &c, 0, &s);
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

        ms_sample_combine(&h, &c, 0, &s);
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

        ms_sample_combine(&h, &c, 0, &s);
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

        ms_sample_combine(&h, &c, 0, &s);
        assert_int_equal(s.available, 0);
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
}

static void combine_equal_figures(void **state)
{
        struct ms_meminfo h = host(GiB(4), GiB(2));
        struct ms_cgroup_mem c = cgroup(GiB(4), GiB(2));
        struct ms_sample s;

        ms_sample_combine(&h, &c, 0, &s);
        assert_true(s.total == GiB(4));
        assert_true(s.available == GiB(2));
        assert_true(s.available <= s.total);
}

static void bound_names(void **state)
{
        assert_string_equal(ms_bound_name(MS_BOUND_HOST), "host");
        assert_string_equal(ms_bound_name(MS_BOUND_CGROUP), "cgroup");
        assert_string_equal(ms_bound_name(MS_BOUND_COMMIT), "commit limit");
}

/* ---- the commit limit (vm.overcommit_memory = 2) ---- */

static struct ms_meminfo host_commit(uint64_t total, uint64_t available, uint64_t limit, uint64_t committed)
{
        struct ms_meminfo h = host(total, available);

        h.has_commit = true;
        h.commit_limit = limit;
        h.committed = committed;
        return h;
}

/* Modes 0 (heuristic), 1 (always) and an unknown mode: the commit figures bind nothing. */
static void commit_ignored_unless_mode_2(void **state)
{
        struct ms_meminfo h = host_commit(GiB(8), GiB(6), GiB(4), GiB(4) - MiB(100));
        static const int modes[] = { 0, 1, MS_OVERCOMMIT_UNKNOWN };
        struct ms_sample s;

        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                ms_sample_combine(&h, NULL, modes[i], &s);
                assert_int_equal(s.overcommit, modes[i]);
                assert_false(s.commit_bound);
                assert_int_equal(s.commit_left, 0);
                assert_true(s.available == GiB(6));
                assert_int_equal(s.available_bound, MS_BOUND_HOST);
        }
}

static void commit_binds_in_mode_2(void **state)
{
        struct ms_meminfo h = host_commit(GiB(8), GiB(6), GiB(4), GiB(4) - MiB(100));
        struct ms_sample s;

        ms_sample_combine(&h, NULL, 2, &s);
        assert_true(s.commit_bound);
        assert_true(s.commit_left == MiB(100));
        assert_true(s.available == MiB(100));
        assert_int_equal(s.available_bound, MS_BOUND_COMMIT);
        /* total stays memory: the base of percentages is not the commit limit. */
        assert_true(s.total == GiB(8));
        assert_int_equal(s.total_bound, MS_BOUND_HOST);
        assert_true(s.host.available == GiB(6));
}

static void commit_beyond_limit_is_zero(void **state)
{
        struct ms_meminfo h = host_commit(GiB(8), GiB(6), GiB(4), GiB(5));
        struct ms_sample s;

        ms_sample_combine(&h, NULL, 2, &s);
        assert_true(s.commit_bound);
        assert_int_equal(s.commit_left, 0);
        assert_int_equal(s.available, 0);
        assert_int_equal(s.available_bound, MS_BOUND_COMMIT);
        /* Exactly at the limit: nothing left either. */
        h.committed = h.commit_limit;
        ms_sample_combine(&h, NULL, 2, &s);
        assert_int_equal(s.available, 0);
}

static void commit_left_above_memory_binds_nothing(void **state)
{
        /* Much swap, or a big vm.overcommit_ratio: more left to commit than memory. */
        struct ms_meminfo h = host_commit(GiB(8), GiB(6), GiB(64), GiB(1));
        struct ms_cgroup_mem c = cgroup(GiB(2), GiB(1));
        struct ms_sample s;

        ms_sample_combine(&h, NULL, 2, &s);
        assert_true(s.commit_bound);
        assert_true(s.commit_left == GiB(63));
        assert_true(s.available == GiB(6));
        assert_int_equal(s.available_bound, MS_BOUND_HOST);
        ms_sample_combine(&h, &c, 2, &s);
        assert_true(s.available == GiB(1));
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
        assert_true(s.total == GiB(2));
        assert_true(s.available <= s.total);
}

static void commit_below_cgroup_binds(void **state)
{
        struct ms_meminfo h = host_commit(GiB(8), GiB(6), GiB(4), GiB(4) - MiB(300));
        struct ms_cgroup_mem c = cgroup(GiB(2), GiB(1));
        struct ms_sample s;

        ms_sample_combine(&h, &c, 2, &s);
        assert_true(s.available == MiB(300));
        assert_int_equal(s.available_bound, MS_BOUND_COMMIT);
        assert_true(s.total == GiB(2));
        assert_int_equal(s.total_bound, MS_BOUND_CGROUP);
        /* A tie: the cgroup is named, not the commit limit. */
        c.available = MiB(300);
        ms_sample_combine(&h, &c, 2, &s);
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
}

static void commit_unknown_figures_bind_nothing(void **state)
{
        /* Mode 2 but no CommitLimit in meminfo (a container's lxcfs, say). */
        struct ms_meminfo h = host(GiB(8), GiB(6));
        struct ms_sample s;

        h.commit_err = -ENOENT;
        ms_sample_combine(&h, NULL, 2, &s);
        assert_int_equal(s.overcommit, 2);
        assert_false(s.commit_bound);
        assert_true(s.available == GiB(6));
        assert_int_equal(s.available_bound, MS_BOUND_HOST);
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

static void read_overcommit_modes(void **state)
{
        struct fake *f = *state;
        struct ms_sample s;

        /* fake_meminfo: CommitLimit 12345678 kB, Committed_AS 9876543 kB. */
        fake_meminfo(f->root, 24 * 1024 * 1024, 1024 * 1024, 20 * 1024 * 1024);
        assert_int_equal(ms_overcommit_read(f->fd), MS_OVERCOMMIT_UNKNOWN);
        assert_int_equal(ms_sample_read(f->fd, NULL, &s), 0);
        assert_int_equal(s.overcommit, MS_OVERCOMMIT_UNKNOWN);
        assert_false(s.commit_bound);
        assert_true(s.available == GiB(20));

        fake_write(f->root, "proc/sys/vm/overcommit_memory", "0\n");
        assert_int_equal(ms_sample_read(f->fd, NULL, &s), 0);
        assert_int_equal(s.overcommit, 0);
        assert_false(s.commit_bound);
        assert_true(s.available == GiB(20));

        fake_write(f->root, "proc/sys/vm/overcommit_memory", "1\n");
        assert_int_equal(ms_overcommit_read(f->fd), 1);

        fake_write(f->root, "proc/sys/vm/overcommit_memory", "2\n");
        assert_int_equal(ms_sample_read(f->fd, NULL, &s), 0);
        assert_int_equal(s.overcommit, 2);
        assert_true(s.commit_bound);
        assert_true(s.commit_left == (uint64_t)(12345678 - 9876543) * 1024);
        assert_true(s.available == s.commit_left);
        assert_int_equal(s.available_bound, MS_BOUND_COMMIT);
        assert_true(s.total == GiB(24));

        /* Garbage, or a mode the kernel does not have: unknown, no bound. */
        static const char *const bad[] = { "3\n", "two\n", "", "-1\n", "max\n" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                fake_write(f->root, "proc/sys/vm/overcommit_memory", bad[i]);
                assert_int_equal(ms_sample_read(f->fd, NULL, &s), 0);
                assert_int_equal(s.overcommit, MS_OVERCOMMIT_UNKNOWN);
                assert_false(s.commit_bound);
        }
}

static void read_overcommit_with_cgroup(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_sample s;

        fake_meminfo(f->root, 8 * 1024 * 1024, 512 * 1024, 4 * 1024 * 1024);
        fake_write(f->root, "proc/meminfo",
                   "MemTotal: 8388608 kB\nMemFree: 524288 kB\nMemAvailable: 4194304 kB\n"
                   "CommitLimit: 4194304 kB\nCommitted_AS: 4000000 kB\n");
        fake_write(f->root, "proc/sys/vm/overcommit_memory", "2\n");
        fake_v2_tree(f->root, "/build");
        fake_v2_set(f->root, "build", "1073741824", "max", MiB(512), 0, 0);
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(ms_sample_read(f->fd, &cg, &s), 0);
        assert_true(s.has_cgroup);
        assert_true(s.commit_left == (uint64_t)(4194304 - 4000000) * 1024);
        assert_true(s.available == s.commit_left);
        assert_int_equal(s.available_bound, MS_BOUND_COMMIT);
        assert_true(s.total == GiB(1));
        assert_int_equal(s.total_bound, MS_BOUND_CGROUP);
        /* The commit limit is the host's: the queue's scope stays the cgroup's. */
        assert_non_null(ms_sample_scope(&s));

        /* Meminfo without the commit lines: mode 2 binds nothing it cannot see. */
        fake_meminfo(f->root, 8 * 1024 * 1024, 512 * 1024, 4 * 1024 * 1024);
        fake_write(f->root, "proc/meminfo", "MemTotal: 8388608 kB\nMemFree: 524288 kB\nMemAvailable: 4194304 kB\n");
        assert_int_equal(ms_sample_read(f->fd, &cg, &s), 0);
        assert_int_equal(s.overcommit, 2);
        assert_false(s.commit_bound);
        assert_int_equal(s.host.commit_err, -ENOENT);
        assert_true(s.available == MiB(512));
        assert_int_equal(s.available_bound, MS_BOUND_CGROUP);
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
                cmocka_unit_test(commit_ignored_unless_mode_2),
                cmocka_unit_test(commit_binds_in_mode_2),
                cmocka_unit_test(commit_beyond_limit_is_zero),
                cmocka_unit_test(commit_left_above_memory_binds_nothing),
                cmocka_unit_test(commit_below_cgroup_binds),
                cmocka_unit_test(commit_unknown_figures_bind_nothing),
                T(read_host_only),
                T(read_v1_tree),
                T(read_v2_tree),
                T(read_overcommit_modes),
                T(read_overcommit_with_cgroup),
                T(read_missing_meminfo_is_enoent),
                T(read_unreadable_cgroup_is_error),
        };

        return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
