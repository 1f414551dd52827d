/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockd/report.h"
#include "util/fileio.h"
#include "tmptree.h"

static void test_trigger_format(void **state)
{
        char buf[64];

        assert_int_equal(lockd_psi_trigger_format(LOCKD_PSI_SOME, 150000, 2000000, buf, sizeof(buf)), 19);
        assert_string_equal(buf, "some 150000 2000000");
        assert_int_equal(lockd_psi_trigger_format(LOCKD_PSI_FULL, 1, 500000, buf, sizeof(buf)), 13);
        assert_string_equal(buf, "full 1 500000");
        assert_int_equal(lockd_psi_trigger_format(LOCKD_PSI_OFF, 1, 2, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(lockd_psi_trigger_format(LOCKD_PSI_SOME, 150000, 2000000, buf, 8), -ENAMETOOLONG);
}

static void test_trigger_open(void **state)
{
        int fd;

        if (access("/proc/pressure/memory", F_OK) < 0)
                skip();
        /* Windows must be multiples of 2 s without CAP_SYS_RESOURCE: 2 s always works. */
        fd = lockd_psi_trigger_open(MS_ROOT_HOST, "proc/pressure/memory", LOCKD_PSI_SOME, 150000, 2000000);
        assert_true(fd >= 0);
        close(fd);
        /* The kernel refuses a threshold above the window. */
        assert_true(lockd_psi_trigger_open(MS_ROOT_HOST, "proc/pressure/memory", LOCKD_PSI_SOME, 3000000, 2000000) < 0);
        assert_int_equal(lockd_psi_trigger_open(MS_ROOT_HOST, "/nonexistent/pressure", LOCKD_PSI_SOME, 1, 2000000), -ENOENT);
}

static void test_top(void **state)
{
        struct lockd_top_entry top[3];
        size_t n = 0;

        lockd_top_insert(top, 3, &n, 1, 100);
        lockd_top_insert(top, 3, &n, 2, 300);
        lockd_top_insert(top, 3, &n, 3, 200);
        lockd_top_insert(top, 3, &n, 4, 50);  /* too small once full */
        lockd_top_insert(top, 3, &n, 5, 400);
        assert_int_equal(n, 3);
        assert_int_equal(top[0].pid, 5);
        assert_int_equal(top[1].pid, 2);
        assert_int_equal(top[2].pid, 3);
        lockd_top_insert(top, 0, &n, 6, 1000); /* n == 0: nothing kept */
}

struct lines {
        unsigned n;
        char first[512];
        char all[2048];
};

static void on_line(const char *line, void *userdata)
{
        struct lines *l = userdata;

        if (l->n++ == 0)
                snprintf(l->first, sizeof(l->first), "%s", line);
        strncat(l->all, line, sizeof(l->all) - strlen(l->all) - 2);
        strcat(l->all, "\n");
}

static void test_report_fake(void **state)
{
        char *root = tree_make();
        struct lines l = {};

        tree_write(root, "proc/10/statm", "1000 100 0 0 0 0 0\n");
        tree_write(root, "proc/10/cmdline", "small\0");
        tree_write(root, "proc/10/cgroup", "4:memory:/\n");
        tree_write(root, "proc/20/statm", "90000 50000 0 0 0 0 0\n");
        tree_write(root, "proc/20/cmdline", "cc1plus"); /* tree_write() stops at the first NUL */
        tree_write(root, "proc/20/cgroup", "4:memory:/build\n");
        tree_write(root, "proc/30/statm", "10 5 0 0 0 0 0\n");
        tree_write(root, "proc/30/cmdline", "");
        tree_write(root, "proc/30/comm", "kthreadd\n");
        tree_write(root, "proc/30/cgroup", "0::/\n");
        /* Control characters of a command line show as '?'; no cgroup file: "?". */
        tree_write(root, "proc/40/statm", "10 1 0 0 0 0 0\n");
        tree_write(root, "proc/40/cmdline", "a\tb\033c");
        assert_int_equal(lockd_report_top(tree_fd(root), 2, on_line, &l), 2);
        assert_int_equal(l.n, 2);
        /* 50000 pages of 4K */
        assert_non_null(strstr(l.first, "20 "));
        assert_non_null(strstr(l.first, "/build: cc1plus"));
        l = (struct lines){};
        assert_int_equal(lockd_report_top(tree_fd(root), 10, on_line, &l), 4);
        assert_non_null(strstr(l.all, "30 20K /: [kthreadd]\n"));
        assert_non_null(strstr(l.all, "40 4K ?: a?b?c\n"));
        assert_int_equal(lockd_report_top(tree_fd(root), 0, on_line, &l), 0);
        tree_remove(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trigger_format),
                cmocka_unit_test(test_trigger_open),
                cmocka_unit_test(test_top),
                cmocka_unit_test(test_report_fake),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
