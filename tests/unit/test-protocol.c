/* SPDX-License-Identifier: GPL-3.0-or-later */
/* protocol: what memstop and its preload tell each other, both ways. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gate/protocol.h"

#define MIB (UINT64_C(1) << 20)

static struct ms_hold_line round_trip(const struct ms_hold_line *h, char *line, size_t size)
{
        struct ms_hold_line out;
        int n = ms_hold_line_format(h, line, size);

        assert_true(n > 0);
        assert_int_equal((size_t)n, strlen(line));
        assert_int_equal(line[n - 1], '\n');
        memset(&out, 0x55, sizeof(out));
        assert_int_equal(ms_hold_line_parse(line, &out), 0);
        assert_int_equal(out.pid, h->pid);
        assert_int_equal(out.held_usec, h->held_usec);
        return out;
}

static void hold_line_round_trip(void **state)
{
        struct ms_hold_line h = { .pid = 4242, .held_usec = UINT64_MAX, .program = "cc1plus" }, out;
        char line[128];

        out = round_trip(&h, line, sizeof(line));
        assert_string_equal(line, "4242 18446744073709551615 cc1plus\n");
        assert_string_equal(out.program, "cc1plus");
        /* Without its newline too. */
        line[strlen(line) - 1] = '\0';
        assert_int_equal(ms_hold_line_parse(line, &out), 0);
        assert_string_equal(out.program, "cc1plus");
}

static void hold_line_long_program_is_cut(void **state)
{
        struct ms_hold_line h = { .pid = 1, .held_usec = 0 }, out;
        char line[256];

        memset(h.program, 'x', MS_HOLD_PROGRAM_MAX);
        h.program[MS_HOLD_PROGRAM_MAX] = '\0';
        out = round_trip(&h, line, sizeof(line));
        assert_int_equal(strlen(out.program), MS_HOLD_PROGRAM_MAX);
}

static void hold_line_blank_and_control_characters(void **state)
{
        struct ms_hold_line h = { .pid = 7, .held_usec = 12, .program = "my prog\t\x01\x7f" }, out;
        struct ms_hold_line empty = { .pid = 8, .held_usec = 0, .program = "" };
        char line[128];

        out = round_trip(&h, line, sizeof(line));
        assert_string_equal(out.program, "my?prog???");
        /* An empty name is still one field. */
        out = round_trip(&empty, line, sizeof(line));
        assert_string_equal(out.program, "?");
}

static void hold_line_format_refuses(void **state)
{
        struct ms_hold_line h = { .pid = 1234, .held_usec = 5, .program = "ld" };
        char line[8];

        assert_int_equal(ms_hold_line_format(&h, line, sizeof(line)), -ENOBUFS);
        assert_int_equal(ms_hold_line_format(&h, line, 0), -ENOBUFS);
        h.pid = 0;
        assert_int_equal(ms_hold_line_format(&h, line, sizeof(line)), -ENOBUFS);
}

static void hold_line_bad_lines(void **state)
{
        static const char *const bad[] = {
                "", "\n", "abc 1 x", "1 2", "1 2 ", "1  2 x", "0 1 x", "-1 2 x", "2147483648 1 x", "1 2 a b",
                "1 2 x\nmore", "1 x 2", " 1 2 x", "1 2 \x01", "1 99999999999999999999 x",
                "1 2 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", /* 65 */
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct ms_hold_line out;
                if (ms_hold_line_parse(bad[i], &out) != -EINVAL)
                        fail_msg("hold line \"%s\" was accepted", bad[i]);
        }
}

static void supervisor_pid(void **state)
{
        static const char *const bad[] = { "", "0", "-1", "12a", " 12", "2147483648", "99999999999999999999" };
        pid_t pid = 0;

        assert_int_equal(ms_supervisor_parse("123", &pid), 0);
        assert_int_equal(pid, 123);
        assert_int_equal(ms_supervisor_parse("2147483647", &pid), 0);
        assert_int_equal(pid, 2147483647);
        assert_int_equal(ms_supervisor_parse(NULL, &pid), -EINVAL);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (ms_supervisor_parse(bad[i], &pid) != -EINVAL)
                        fail_msg("MEMSTOP_SUPERVISOR=\"%s\" was accepted", bad[i]);
}

static void supervisor_round_trip(void **state)
{
        static const pid_t pids[] = { 1, 42, 65536, 2147483647 };
        char buf[MS_SUPERVISOR_BUF];
        pid_t pid;

        for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
                assert_int_equal(ms_supervisor_format(pids[i], buf, sizeof(buf)), 0);
                assert_int_equal(ms_supervisor_parse(buf, &pid), 0);
                assert_int_equal(pid, pids[i]);
        }
        assert_int_equal(ms_supervisor_format(0, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ms_supervisor_format(-5, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ms_supervisor_format(42, buf, 4), -EINVAL);
}

static void job_round_trip_and_bad_values(void **state)
{
        static const char *const bad[] = { "", ".", "12", "12.", ".5", "0.5", "-1.5", "12.x", "x.12", "1 2.3",
                                           "2147483648.1", "12.5.6", "12.99999999999999999999999" };
        char buf[MS_JOB_BUF];
        uint64_t start;
        pid_t pid;

        assert_int_equal(ms_job_format(4242, UINT64_C(18446744073709551615), buf, sizeof(buf)), 0);
        assert_int_equal(ms_job_parse(buf, &pid, &start), 0);
        assert_int_equal(pid, 4242);
        assert_true(start == UINT64_C(18446744073709551615));
        assert_int_equal(ms_job_format(0, 1, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ms_job_format(1, 1, buf, 8), -EINVAL);
        assert_int_equal(ms_job_parse(NULL, &pid, &start), -EINVAL);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (ms_job_parse(bad[i], &pid, &start) != -EINVAL)
                        fail_msg("MEMSTOP_JOB=\"%s\" was accepted", bad[i]);
}

static void job_is_a_hint_passed_down(void **state)
{
        const char *job[] = { "MEMSTOP_JOB=12.34" };
        const char *implicit[] = { "MEMSTOP_JOB=12.34", "MEMSTOP_IMPLICIT=1" };

        assert_true(ms_env_opted_in(job, 1));
        assert_false(ms_env_opted_in(implicit, 2));
}

static struct ms_sample sample_of(uint64_t host_total, bool has_cgroup, uint64_t limit)
{
        struct ms_sample s = { .has_cgroup = has_cgroup };

        s.host.total = host_total;
        s.cgroup.limit = limit;
        return s;
}

static void cgroup_hint_round_trip(void **state)
{
        struct ms_cgroup cg = { .version = MS_CGROUP_V2 };
        struct ms_sample s = sample_of(8192 * MIB, true, 200 * MIB);
        struct ms_cgroup_hint h;
        char buf[256];

        snprintf(cg.dir, sizeof(cg.dir), "sys/fs/cgroup/build dir");
        assert_int_equal(ms_cgroup_hint_make(&cg, &s, buf, sizeof(buf)), 0);
        assert_int_equal(ms_cgroup_hint_read(buf, 8192 * MIB, &h), 0);
        assert_int_equal(h.version, MS_CGROUP_V2);
        assert_int_equal(h.limit, 200 * MIB);
        assert_string_equal(h.dir, "sys/fs/cgroup/build dir");

        cg.version = MS_CGROUP_V1;
        assert_int_equal(ms_cgroup_hint_make(&cg, &s, buf, sizeof(buf)), 0);
        assert_int_equal(ms_cgroup_hint_read(buf, 8192 * MIB, &h), 0);
        assert_int_equal(h.version, MS_CGROUP_V1);

        /* Too small a buffer: nothing half-written is exported. */
        assert_int_equal(ms_cgroup_hint_make(&cg, &s, buf, 8), -ENAMETOOLONG);
}

/* A limit at or above the host's memory never binds first: "none", on
 * writing and, whoever wrote the hint, on reading. */
static void cgroup_hint_is_clamped(void **state)
{
        struct ms_cgroup cg = { .version = MS_CGROUP_V1 };
        struct ms_sample s = sample_of(8192 * MIB, true, 8192 * MIB);
        struct ms_cgroup_hint h = { .version = MS_CGROUP_V2, .limit = 1 };
        char buf[256];

        snprintf(cg.dir, sizeof(cg.dir), "sys/fs/cgroup/memory/x");
        assert_int_equal(ms_cgroup_hint_make(&cg, &s, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "none");
        s = sample_of(8192 * MIB, false, 100 * MIB);
        assert_int_equal(ms_cgroup_hint_make(&cg, &s, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "none");

        assert_int_equal(ms_cgroup_hint_read("v1:9000000000000:sys/fs/cgroup/memory/x", 8192 * MIB, &h), 0);
        assert_int_equal(h.version, MS_CGROUP_NONE);
        assert_int_equal(h.limit, MS_UNLIMITED);
        assert_int_equal(ms_cgroup_hint_read("v1:1048576:sys/fs/cgroup/memory/x", 8192 * MIB, &h), 0);
        assert_int_equal(h.version, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_hint_read("none", 8192 * MIB, &h), 0);
        assert_int_equal(h.version, MS_CGROUP_NONE);
}

static void cgroup_hint_bad(void **state)
{
        static const char *const bad[] = { "", "v3:1:x", "v1:x:dir", "v1:1:", "v1:1:/abs", "v2:1:a/../../etc",
                                           "nonsense" };
        struct ms_cgroup_hint h;

        assert_int_equal(ms_cgroup_hint_read(NULL, 8192 * MIB, &h), -EINVAL);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (ms_cgroup_hint_read(bad[i], 8192 * MIB, &h) != -EINVAL)
                        fail_msg("MEMSTOP_CGROUP=\"%s\" was accepted", bad[i]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(hold_line_round_trip),
                cmocka_unit_test(hold_line_long_program_is_cut),
                cmocka_unit_test(hold_line_blank_and_control_characters),
                cmocka_unit_test(hold_line_format_refuses),
                cmocka_unit_test(hold_line_bad_lines),
                cmocka_unit_test(supervisor_pid),
                cmocka_unit_test(supervisor_round_trip),
                cmocka_unit_test(job_round_trip_and_bad_values),
                cmocka_unit_test(job_is_a_hint_passed_down),
                cmocka_unit_test(cgroup_hint_round_trip),
                cmocka_unit_test(cgroup_hint_is_clamped),
                cmocka_unit_test(cgroup_hint_bad),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
