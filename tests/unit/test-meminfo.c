/* SPDX-License-Identifier: GPL-3.0-or-later */
/* meminfo: the host's memory from /proc/meminfo. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "probe/meminfo.h"

#define KB(n) ((uint64_t)(n) * 1024)

/* A real 6.x /proc/meminfo (24 GiB, no swap). */
static const char modern[] =
        "MemTotal:       24589876 kB\n"
        "MemFree:        18123456 kB\n"
        "MemAvailable:   21987654 kB\n"
        "Buffers:          345678 kB\n"
        "Cached:          3456789 kB\n"
        "SwapCached:            0 kB\n"
        "Active:          2345678 kB\n"
        "Inactive:        2987654 kB\n"
        "Active(anon):    1234567 kB\n"
        "Inactive(anon):      876 kB\n"
        "Active(file):    1111111 kB\n"
        "Inactive(file):  2986778 kB\n"
        "Unevictable:       12345 kB\n"
        "Mlocked:           12345 kB\n"
        "SwapTotal:             0 kB\n"
        "SwapFree:              0 kB\n"
        "Zswap:                 0 kB\n"
        "Zswapped:              0 kB\n"
        "Dirty:               123 kB\n"
        "Writeback:             0 kB\n"
        "AnonPages:       1234000 kB\n"
        "Mapped:           456789 kB\n"
        "Shmem:             98765 kB\n"
        "KReclaimable:     234567 kB\n"
        "Slab:             345678 kB\n"
        "SReclaimable:     234567 kB\n"
        "SUnreclaim:       111111 kB\n"
        "KernelStack:       12345 kB\n"
        "PageTables:        23456 kB\n"
        "CommitLimit:    12294938 kB\n"
        "Committed_AS:    5678901 kB\n"
        "VmallocTotal:   34359738367 kB\n"
        "VmallocUsed:       65432 kB\n"
        "HugePages_Total:       0\n"
        "HugePages_Free:        0\n"
        "Hugepagesize:       2048 kB\n"
        "DirectMap4k:      456789 kB\n"
        "DirectMap2M:    12345678 kB\n";

static void parse_modern(void **state)
{
        struct ms_meminfo m;

        assert_int_equal(ms_meminfo_parse(modern, &m), 0);
        assert_true(m.has_available);
        assert_true(m.total == KB(24589876));
        assert_true(m.free == KB(18123456));
        assert_true(m.available == KB(21987654));
        assert_true(m.buffers == KB(345678));
        assert_true(m.cached == KB(3456789));
        assert_true(m.sreclaimable == KB(234567));
        assert_true(m.shmem == KB(98765));
        assert_true(m.has_commit);
        assert_int_equal(m.commit_err, 0);
        assert_true(m.commit_limit == KB(12294938));
        assert_true(m.committed == KB(5678901));
}

static void parse_kb_to_bytes(void **state)
{
        struct ms_meminfo m;

        assert_int_equal(ms_meminfo_parse("MemTotal: 1 kB\nMemFree: 1 kB\nMemAvailable: 1 kB\n", &m), 0);
        assert_int_equal(m.total, 1024);
        assert_int_equal(m.free, 1024);
        assert_int_equal(m.available, 1024);
}

/* Order of lines must not matter, nor the amount of blanks (a tab too). */
static void parse_any_order_and_spacing(void **state)
{
        struct ms_meminfo m;

        assert_int_equal(ms_meminfo_parse("MemAvailable:\t300 kB\nMemFree:  200 kB\nMemTotal: 1000 kB", &m), 0);
        assert_true(m.total == KB(1000));
        assert_true(m.free == KB(200));
        assert_true(m.available == KB(300));
}

static void parse_without_memavailable_estimates(void **state)
{
        struct ms_meminfo m;
        const char *text = "MemTotal:       8000000 kB\n"
                           "MemFree:        1000000 kB\n"
                           "Buffers:         100000 kB\n"
                           "Cached:          2000000 kB\n"
                           "SwapCached:       50000 kB\n"
                           "Shmem:           300000 kB\n"
                           "SReclaimable:    200000 kB\n";

        assert_int_equal(ms_meminfo_parse(text, &m), 0);
        assert_false(m.has_available);
        /* 1000000 + 100000 + 2000000 + 200000 - 300000 */
        assert_true(m.available == KB(3000000));
}

static void parse_swapcached_is_not_cached(void **state)
{
        struct ms_meminfo m;
        /* Only SwapCached: Cached must read as absent (0), not 5000000. */
        const char *text = "MemTotal:  8000000 kB\n"
                           "MemFree:   1000000 kB\n"
                           "SwapCached: 5000000 kB\n";

        assert_int_equal(ms_meminfo_parse(text, &m), 0);
        assert_int_equal(m.cached, 0);
        assert_true(m.available == KB(1000000));
}

static void parse_swapcached_before_cached(void **state)
{
        struct ms_meminfo m;
        const char *text = "MemTotal:  8000000 kB\n"
                           "MemFree:   1000000 kB\n"
                           "SwapCached: 5000000 kB\n"
                           "Cached:      700000 kB\n";

        assert_int_equal(ms_meminfo_parse(text, &m), 0);
        assert_true(m.cached == KB(700000));
        assert_true(m.available == KB(1700000));
}

static void parse_fallback_never_below_memfree(void **state)
{
        struct ms_meminfo m;
        /* Shmem larger than all the reclaimable: the estimate would go below MemFree. */
        const char *text = "MemTotal: 8000000 kB\n"
                           "MemFree:  1000000 kB\n"
                           "Cached:    100000 kB\n"
                           "Shmem:    5000000 kB\n";

        assert_int_equal(ms_meminfo_parse(text, &m), 0);
        assert_false(m.has_available);
        assert_true(m.available == KB(1000000));
}

static void parse_fallback_never_above_memtotal(void **state)
{
        struct ms_meminfo m;
        const char *text = "MemTotal: 1000000 kB\n"
                           "MemFree:   600000 kB\n"
                           "Buffers:   300000 kB\n"
                           "Cached:    400000 kB\n"
                           "SReclaimable: 100000 kB\n";

        assert_int_equal(ms_meminfo_parse(text, &m), 0);
        assert_true(m.available == KB(1000000));
}

static void parse_memavailable_capped_at_total(void **state)
{
        struct ms_meminfo m;

        assert_int_equal(ms_meminfo_parse("MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 5000 kB\n", &m), 0);
        assert_true(m.has_available);
        assert_true(m.available == KB(1000));
}

static void parse_memavailable_zero_is_zero(void **state)
{
        struct ms_meminfo m;

        /* A present MemAvailable of 0 is the truth, not a reason to estimate. */
        assert_int_equal(ms_meminfo_parse("MemTotal: 1000 kB\nMemFree: 500 kB\nCached: 100 kB\nMemAvailable: 0 kB\n",
                                          &m),
                         0);
        assert_true(m.has_available);
        assert_int_equal(m.available, 0);
}

static void parse_missing_memtotal_is_einval(void **state)
{
        struct ms_meminfo m = { .total = 42 };

        assert_int_equal(ms_meminfo_parse("MemFree: 100 kB\nMemAvailable: 100 kB\n", &m), -EINVAL);
        assert_int_equal(m.total, 42);
        /* "SwapTotal:" or "XMemTotal:" are not MemTotal. */
        assert_int_equal(ms_meminfo_parse("XMemTotal: 100 kB\nMemFree: 100 kB\n", &m), -EINVAL);
        assert_int_equal(ms_meminfo_parse("", &m), -EINVAL);
}

static void parse_missing_memfree_is_einval(void **state)
{
        struct ms_meminfo m;

        assert_int_equal(ms_meminfo_parse("MemTotal: 100 kB\nMemAvailable: 100 kB\n", &m), -EINVAL);
}

static void parse_zero_memtotal_is_einval(void **state)
{
        struct ms_meminfo m;

        assert_int_equal(ms_meminfo_parse("MemTotal: 0 kB\nMemFree: 0 kB\n", &m), -EINVAL);
}

static void parse_malformed_numbers_are_einval(void **state)
{
        static const char *const bad[] = {
                "MemTotal: abc kB\nMemFree: 1 kB\n",
                "MemTotal: -1 kB\nMemFree: 1 kB\n",
                "MemTotal: 12x kB\nMemFree: 1 kB\n",
                "MemTotal: kB\nMemFree: 1 kB\n",
                "MemTotal: 100 kB\nMemFree: 1.5 kB\n",
                "MemTotal: 100 kB\nMemFree: 1 kB\nMemAvailable: lots kB\n",
                "MemTotal: 100 kB\nMemFree: 1 kB\nBuffers: x\n",
                "MemTotal: 100 kB\nMemFree: 1 kB\nCached: -3 kB\n",
                "MemTotal: 100 kB\nMemFree: 1 kB\nSReclaimable: 0x10 kB\n",
                "MemTotal: 100 kB\nMemFree: 1 kB\nShmem: ? kB\n",
                /* Does not fit in 64 bits once multiplied by 1024. */
                "MemTotal: 18014398509481984 kB\nMemFree: 1 kB\n",
                "MemTotal: 99999999999999999999999 kB\nMemFree: 1 kB\n",
        };
        struct ms_meminfo m;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = ms_meminfo_parse(bad[i], &m);
                if (r != -EINVAL)
                        fail_msg("ms_meminfo_parse(\"%s\") = %d, expected -EINVAL", bad[i], r);
        }
}

/* ---- CommitLimit, Committed_AS: optional, never a reason to fail ---- */

static void parse_commit_beyond_limit(void **state)
{
        struct ms_meminfo m;

        /* Committed beyond the limit (mode switched to 2 late, or the limit
         * lowered): both figures as the kernel says them. */
        assert_int_equal(ms_meminfo_parse("MemTotal: 1000 kB\nMemFree: 500 kB\nMemAvailable: 600 kB\n"
                                          "CommitLimit: 400 kB\nCommitted_AS: 900 kB\n",
                                          &m),
                         0);
        assert_true(m.has_commit);
        assert_true(m.commit_limit == KB(400));
        assert_true(m.committed == KB(900));
}

static void parse_commit_missing_is_ignored(void **state)
{
        static const char *const texts[] = {
                "MemTotal: 1000 kB\nMemFree: 500 kB\n",
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: 400 kB\n",
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitted_AS: 400 kB\n",
                /* Not at the start of a line, or another key ending the same way. */
                "MemTotal: 1000 kB\nMemFree: 500 kB\nXCommitLimit: 400 kB\nCommitted_AS: 400 kB\n",
        };
        struct ms_meminfo m;

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
                memset(&m, 0x55, sizeof(m));
                assert_int_equal(ms_meminfo_parse(texts[i], &m), 0);
                assert_false(m.has_commit);
                assert_int_equal(m.commit_err, -ENOENT);
                assert_int_equal(m.commit_limit, 0);
                assert_int_equal(m.committed, 0);
                /* The rest of the figures stand. */
                assert_true(m.total == KB(1000));
                assert_true(m.available == KB(500));
        }
}

static void parse_commit_garbage_is_ignored(void **state)
{
        static const char *const texts[] = {
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: lots kB\nCommitted_AS: 1 kB\n",
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: 4 kB\nCommitted_AS: -1 kB\n",
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: 4 kB\nCommitted_AS: 12x kB\n",
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: kB\nCommitted_AS: 1 kB\n",
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: 4 kB\nCommitted_AS: 0x10 kB\n",
                /* Does not fit in 64 bits once multiplied by 1024. */
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: 18014398509481984 kB\nCommitted_AS: 1 kB\n",
                "MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: 1 kB\nCommitted_AS: 99999999999999999999999 kB\n",
        };
        struct ms_meminfo m;

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
                int r = ms_meminfo_parse(texts[i], &m);
                if (r != 0 || m.has_commit || m.commit_err != -EINVAL)
                        fail_msg("ms_meminfo_parse(\"%s\") = %d, has_commit %d, commit_err %d: expected 0, "
                                 "false, -EINVAL",
                                 texts[i], r, m.has_commit, m.commit_err);
                assert_int_equal(m.commit_limit, 0);
                assert_int_equal(m.committed, 0);
                assert_true(m.total == KB(1000));
        }
}

static void parse_commit_in_short_read(void **state)
{
        struct ms_meminfo m;

        /* Cut in the middle of Committed_AS's line (a short read): the number read so far. */
        assert_int_equal(ms_meminfo_parse("MemTotal: 1000 kB\nMemFree: 500 kB\nCommitLimit: 400 kB\nCommitted_AS: 12",
                                          &m),
                         0);
        assert_true(m.has_commit);
        assert_true(m.committed == KB(12));
}

static void read_fake_root(void **state)
{
        struct fake *f = *state;
        struct ms_meminfo m;

        fake_write(f->root, "proc/meminfo", modern);
        assert_int_equal(ms_meminfo_read(f->fd, &m), 0);
        assert_true(m.total == KB(24589876));
        assert_true(m.available == KB(21987654));

        fake_meminfo(f->root, 4000000, 1000000, 2500000);
        assert_int_equal(ms_meminfo_read(f->fd, &m), 0);
        assert_true(m.total == KB(4000000));
        assert_true(m.free == KB(1000000));
        assert_true(m.available == KB(2500000));
        assert_true(m.cached == KB(2345678));
        assert_true(m.has_commit);
        assert_true(m.commit_limit == KB(12345678));
        assert_true(m.committed == KB(9876543));
}

static void read_large_file_with_fields_on_top(void **state)
{
        struct fake *f = *state;
        struct ms_meminfo m;
        size_t n = 20000;
        char *text = malloc(sizeof(modern) + n * 32);
        size_t off;

        assert_non_null(text);
        off = (size_t)sprintf(text, "%s", modern);
        for (size_t i = 0; i < n; i++)
                off += (size_t)sprintf(text + off, "Extra%06zu:    0 kB\n", i);
        fake_write(f->root, "proc/meminfo", text);
        free(text);
        assert_int_equal(ms_meminfo_read(f->fd, &m), 0);
        assert_true(m.available == KB(21987654));
}

static void read_missing_is_enoent(void **state)
{
        struct fake *f = *state;
        struct ms_meminfo m;

        assert_int_equal(ms_meminfo_read(f->fd, &m), -ENOENT);
}

static void read_unreadable_is_error(void **state)
{
        struct fake *f = *state;
        struct ms_meminfo m;

        fake_make_unreadable(f->root, "proc/meminfo");
        assert_int_equal(ms_meminfo_read(f->fd, &m), -EISDIR);
}

static void read_garbage_is_einval(void **state)
{
        struct fake *f = *state;
        struct ms_meminfo m;

        fake_write(f->root, "proc/meminfo", "this is not meminfo\n");
        assert_int_equal(ms_meminfo_read(f->fd, &m), -EINVAL);
        fake_write(f->root, "proc/meminfo", "");
        assert_int_equal(ms_meminfo_read(f->fd, &m), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parse_modern),
                cmocka_unit_test(parse_kb_to_bytes),
                cmocka_unit_test(parse_any_order_and_spacing),
                cmocka_unit_test(parse_without_memavailable_estimates),
                cmocka_unit_test(parse_swapcached_is_not_cached),
                cmocka_unit_test(parse_swapcached_before_cached),
                cmocka_unit_test(parse_fallback_never_below_memfree),
                cmocka_unit_test(parse_fallback_never_above_memtotal),
                cmocka_unit_test(parse_memavailable_capped_at_total),
                cmocka_unit_test(parse_memavailable_zero_is_zero),
                cmocka_unit_test(parse_missing_memtotal_is_einval),
                cmocka_unit_test(parse_missing_memfree_is_einval),
                cmocka_unit_test(parse_zero_memtotal_is_einval),
                cmocka_unit_test(parse_malformed_numbers_are_einval),
                cmocka_unit_test(parse_commit_beyond_limit),
                cmocka_unit_test(parse_commit_missing_is_ignored),
                cmocka_unit_test(parse_commit_garbage_is_ignored),
                cmocka_unit_test(parse_commit_in_short_read),
                T(read_fake_root),
                T(read_large_file_with_fields_on_top),
                T(read_missing_is_enoent),
                T(read_unreadable_is_error),
                T(read_garbage_is_einval),
        };

        return cmocka_run_group_tests_name("meminfo", tests, NULL, NULL);
}
