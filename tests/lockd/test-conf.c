/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockd/conf.h"
#include "tmptree.h"

struct errors {
        unsigned n;
        unsigned line[16];
        char msg[16][512];
        char file[64];
};

static void on_error(const char *file, unsigned line, const char *msg, void *userdata)
{
        struct errors *e = userdata;

        if (e->n < 16) {
                e->line[e->n] = line;
                snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
                snprintf(e->file, sizeof(e->file), "%s", file);
        }
        e->n++;
}

static void test_defaults(void **state)
{
        struct lockd_conf c;
        const char *bad;

        assert_int_equal(lockd_conf_init(&c), 0);
        assert_true(c.max_locked == 1ull << 30);
        assert_int_equal(c.max_locked_percent, 5);
        assert_true(c.min_locked == 64ull << 20);
        assert_int_equal(c.lock_mode, LOCKD_LOCK_WORKINGSET);
        assert_true(c.max_file_size == 256ull << 20);
        assert_true(c.scan_interval_usec == 1000000);
        assert_int_equal(c.psi_kind, LOCKD_PSI_SOME);
        assert_true(c.psi_threshold_usec == 150000 && c.psi_window_usec == 2000000);
        assert_true(lockd_patterns_match(&c.programs, "cc1") >= 0);
        assert_true(lockd_patterns_match(&c.programs, "gcc-12") >= 0);
        assert_true(lockd_patterns_match(&c.programs, "x86_64-linux-gnu-gcc-12") >= 0);
        assert_true(lockd_patterns_match(&c.programs, "clang-14") >= 0);
        assert_true(lockd_patterns_match(&c.programs, "ld.lld-14") >= 0);
        assert_true(lockd_patterns_match(&c.programs, "sh") >= 0);
        assert_true(lockd_patterns_match(&c.programs, "python3") < 0);
        assert_true(lockd_patterns_match(&c.programs, "gcc-ar") < 0);
        assert_null(c.user);
        /* Issue 14: 5% of MemTotal, at least 64M (at most a quarter of
         * memory), at most 1G. 5% of 24 GiB is more than 1G: 1G; of 8 GiB:
         * 409.6M; of 1 GiB: 51.2M, raised to 64M; of 128 MiB: 6.4M, raised
         * to a quarter, 32M. */
        assert_true(lockd_conf_budget(&c, 24ull << 30) == 1ull << 30);
        assert_true(lockd_conf_budget(&c, 8ull << 30) == (8ull << 30) / 100 * 5);
        assert_true(lockd_conf_budget(&c, 1ull << 30) == 64ull << 20);
        assert_true(lockd_conf_budget(&c, 128ull << 20) == 32ull << 20);
        /* A configured cap below the floor is honoured. */
        c.max_locked = 40ull << 20;
        assert_true(lockd_conf_budget(&c, 1ull << 30) == 40ull << 20);
        c.max_locked = 1ull << 30;
        c.min_locked = 0;
        assert_true(lockd_conf_budget(&c, 1ull << 30) == (1ull << 30) / 100 * 5);
        c.min_locked = 64ull << 20;
        assert_int_equal(c.max_files, 2048);
        assert_int_equal(c.max_user_share, 50);
        assert_int_equal(lockd_conf_check(&c, &bad), 0);
        /* Issue 12: both caps 0 was "no limit"; now it is refused, and the
         * budget it would give is 0, never unbounded. */
        c.max_locked = 0;
        c.max_locked_percent = 0;
        assert_true(lockd_conf_budget(&c, 4ull << 30) == 0);
        assert_int_equal(lockd_conf_check(&c, &bad), -EINVAL);
        assert_non_null(strstr(bad, "both 0"));
        c.max_locked_percent = 5;
        assert_true(lockd_conf_budget(&c, 4ull << 30) == (4ull << 30) / 100 * 5);
        lockd_conf_free(&c);
}

static void test_good_file(void **state)
{
        static const char text[] =
                "# comment\n"
                "\n"
                "   programs = make, gcc-[0-9]*  cc1\t\n"
                "allowed_paths = /usr/, /opt\n"
                "search_path = /usr/bin\n"
                "compiler_dirs = \"\"\n"
                "max_locked = 512M\n"
                "max_locked_percent = 5%\n"
                "max_file_size = 0\n"
                "lock_mode = segments\n"
                "proactive = no\n"
                "scan_interval = 250ms\n"
                "release_after = 0\n"
                "pressure_trigger = full 200ms 4s\n"
                "report_interval = 5m\n"
                "report_processes = 3\n"
                "report_command = logger \"low memory\"\n"
                "report_timeout = 2s\n"
                "user = nobody\n"
                "log = /var/log/lockd.log\n"
                "verbose = 2\r\n";
        struct errors e = {};
        struct lockd_conf c;

        assert_int_equal(lockd_conf_init(&c), 0);
        assert_int_equal(lockd_conf_parse(&c, text, "t.conf", on_error, &e), 0);
        assert_int_equal(e.n, 0);
        assert_int_equal(c.programs.n, 3);
        assert_string_equal(c.programs.items[1], "gcc-[0-9]*");
        assert_string_equal(c.allowed_paths.items[0], "/usr");
        assert_int_equal(c.compiler_dirs.n, 0);
        assert_true(c.max_locked == 512ull << 20);
        assert_int_equal(c.max_locked_percent, 5);
        assert_true(c.max_file_size == 0);
        assert_int_equal(c.lock_mode, LOCKD_LOCK_SEGMENTS);
        assert_false(c.proactive);
        assert_true(c.scan_interval_usec == 250000);
        assert_true(c.release_after_usec == 0);
        assert_int_equal(c.psi_kind, LOCKD_PSI_FULL);
        assert_true(c.psi_threshold_usec == 200000 && c.psi_window_usec == 4000000);
        assert_true(c.report_interval_usec == 300000000ull);
        assert_int_equal(c.report_processes, 3);
        assert_string_equal(c.report_command, "logger \"low memory\"");
        assert_string_equal(c.user, "nobody");
        assert_string_equal(c.log, "/var/log/lockd.log");
        assert_int_equal(c.verbose, 2);
        lockd_conf_free(&c);
}

/* Each bad line alone: one error, on line 2, naming the value. */
static void test_bad_lines(void **state)
{
        static const struct {
                const char *line, *expect;
        } bad[] = {
                { "nonsense", "expected \"key = value\", got \"nonsense\"" },
                { "frobnicate = 1", "unknown key \"frobnicate\"" },
                { "Max_Locked = 1G", "bad key \"Max_Locked\"" },
                { "= 1G", "bad key \"\"" },
                { "max_locked = lots", "\"lots\"" },
                { "max_locked = -1G", "\"-1G\"" },
                { "max_locked = 1Q", "\"1Q\"" },
                { "max_locked = 100", "below one page" },
                { "max_locked = 99999999999999999999G", "\"99999999999999999999G\"" },
                { "max_locked = ", "\"\"" },
                { "max_locked_percent = 101", "\"101\"" },
                { "max_locked_percent = ten", "\"ten\"" },
                { "max_file_size = 1.5.5M", "\"1.5.5M\"" },
                { "lock_mode = partial", "\"partial\"" },
                { "proactive = maybe", "\"maybe\"" },
                { "scan_interval = 5ms", "shorter than 10ms" },
                { "scan_interval = soon", "\"soon\"" },
                { "release_after = 1y", "\"1y\"" },
                { "pressure_trigger = some", "\"some\"" },
                { "pressure_trigger = most 1s 2s", "\"most 1s 2s\"" },
                { "pressure_trigger = some 3s 2s", "not longer than the window" },
                { "pressure_trigger = some 100ms 20s", "between 500ms and 10s" },
                { "pressure_trigger = some 0 2s", "above 0" },
                { "pressure_trigger = some 1s 2s extra", "\"some 1s 2s extra\"" },
                { "report_interval = 10ms", "shorter than 1s" },
                { "report_processes = 1000", "\"1000\"" },
                { "report_processes = -1", "\"-1\"" },
                { "report_timeout = 0", "above 0" },
                { "user = a b", "\"a b\"" },
                { "user = ../root", "\"../root\"" },
                { "log = relative.log", "\"relative.log\"" },
                { "verbose = 3", "\"3\"" },
                { "verbose = yes", "\"yes\"" },
                { "programs = ", "empty list" },
                { "programs = /usr/bin/gcc", "contains no '/'" },
                { "programs = gcc-[0-9", "unbalanced" },
                { "allowed_paths = usr", "not an absolute path" },
                { "allowed_paths = ,", "empty list" },
                { "search_path = bin", "not an absolute path" },
                { "report_command = \"unterminated", "unterminated quote" },
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct errors e = {};
                struct lockd_conf c;
                char text[512];

                snprintf(text, sizeof(text), "# first line\n%s\ncompiler_dirs = /x\n", bad[i].line);
                assert_int_equal(lockd_conf_init(&c), 0);
                if (lockd_conf_parse(&c, text, "bad.conf", on_error, &e) != 1 || e.n != 1)
                        fail_msg("\"%s\": %u errors", bad[i].line, e.n);
                assert_int_equal(e.line[0], 2);
                assert_string_equal(e.file, "bad.conf");
                if (!strstr(e.msg[0], bad[i].expect))
                        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].line, e.msg[0], bad[i].expect);
                /* The good line after the bad one was still read. */
                assert_int_equal(c.compiler_dirs.n, 1);
                assert_string_equal(c.compiler_dirs.items[0], "/x");
                lockd_conf_free(&c);
        }
}

static void test_repeated_and_all_reported(void **state)
{
        static const char text[] = "verbose = 1\nfoo = 2\nverbose = 2\nmax_locked = x\n";
        struct errors e = {};
        struct lockd_conf c;

        assert_int_equal(lockd_conf_init(&c), 0);
        assert_int_equal(lockd_conf_parse(&c, text, "r.conf", on_error, &e), 3);
        assert_int_equal(e.n, 3);
        assert_int_equal(e.line[0], 2);
        assert_int_equal(e.line[1], 3);
        assert_non_null(strstr(e.msg[1], "already set on line 1"));
        assert_int_equal(e.line[2], 4);
        assert_int_equal(c.verbose, 1);
        lockd_conf_free(&c);
}

static void test_load(void **state)
{
        char *root = tree_make();
        struct errors e = {};
        struct lockd_conf c;

        assert_int_equal(lockd_conf_init(&c), 0);
        /* Missing: fine when allowed (built-in defaults), an error otherwise. */
        assert_int_equal(lockd_conf_load(&c, tree_path(root, "none.conf"), true, on_error, &e), 0);
        assert_int_equal(e.n, 0);
        assert_int_equal(lockd_conf_load(&c, tree_path(root, "none.conf"), false, on_error, &e), -ENOENT);
        assert_int_equal(e.n, 1);
        assert_int_equal(e.line[0], 0);
        assert_non_null(strstr(e.msg[0], "cannot open"));
        tree_write(root, "lockd.conf", "max_locked = 64M\nlock_mode = whole\nscan_interval = 2s");
        e.n = 0;
        assert_int_equal(lockd_conf_load(&c, tree_path(root, "lockd.conf"), false, on_error, &e), 0);
        assert_true(c.max_locked == 64ull << 20);
        assert_true(c.scan_interval_usec == 2000000);
        assert_int_equal(lockd_conf_load(&c, root, false, on_error, &e), -EINVAL);
        /* Issue 12: only regular files are read (a FIFO would block, a
         * terminal or device be read); /dev/null is an empty configuration. */
        assert_int_equal(mkfifo(tree_path(root, "fifo.conf"), 0644), 0);
        e.n = 0;
        assert_int_equal(lockd_conf_load(&c, tree_path(root, "fifo.conf"), false, on_error, &e), -EINVAL);
        assert_non_null(strstr(e.msg[0], "not a regular file"));
        assert_int_equal(lockd_conf_load(&c, "/dev/zero", false, on_error, &e), -EINVAL);
        assert_int_equal(lockd_conf_load(&c, "/dev/null", false, on_error, &e), 0);
        lockd_conf_free(&c);
        tree_remove(root);
}

static void test_override(void **state)
{
        struct errors e = {};
        struct lockd_conf c;

        assert_int_equal(lockd_conf_init(&c), 0);
        assert_int_equal(lockd_conf_override(&c, "max_locked=40M", on_error, &e), 0);
        assert_true(c.max_locked == 40ull << 20);
        assert_int_equal(lockd_conf_override(&c, " programs = mytool ", on_error, &e), 0);
        assert_int_equal(c.programs.n, 1);
        assert_int_equal(lockd_conf_override(&c, "max_locked", on_error, &e), -EINVAL);
        assert_int_equal(lockd_conf_override(&c, "nokey=1", on_error, &e), -ENOENT);
        assert_int_equal(lockd_conf_override(&c, "verbose=9", on_error, &e), -EINVAL);
        assert_int_equal(e.n, 3);
        assert_string_equal(e.file, "command line");
        assert_non_null(strstr(e.msg[2], "\"9\""));
        lockd_conf_free(&c);
}

static void test_dump_round_trip(void **state)
{
        char *root = tree_make();
        struct lockd_conf a, b;
        struct errors e = {};
        FILE *f;
        int fd;

        assert_int_equal(lockd_conf_init(&a), 0);
        assert_int_equal(lockd_conf_override(&a, "lock_mode=segments", on_error, &e), 0);
        assert_int_equal(lockd_conf_override(&a, "pressure_trigger=full 300ms 3s", on_error, &e), 0);
        f = fopen(tree_path(root, "dump.conf"), "w");
        fd = fileno(f);
        assert_int_equal(lockd_conf_dump(&a, fd), 0);
        fclose(f);
        assert_int_equal(lockd_conf_init(&b), 0);
        assert_int_equal(lockd_conf_load(&b, tree_path(root, "dump.conf"), false, on_error, &e), 0);
        assert_int_equal(e.n, 0);
        assert_int_equal(b.lock_mode, LOCKD_LOCK_SEGMENTS);
        assert_int_equal(b.psi_kind, LOCKD_PSI_FULL);
        assert_true(b.psi_window_usec == 3000000);
        assert_true(b.max_locked == a.max_locked);
        assert_int_equal(b.programs.n, a.programs.n);
        lockd_conf_free(&a);
        lockd_conf_free(&b);
        tree_remove(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_good_file),
                cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_repeated_and_all_reported),
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_override),
                cmocka_unit_test(test_dump_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
