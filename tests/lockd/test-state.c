/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
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

#include "util/fileio.h"
#include "probe/lockdstate.h"
#include "tmptree.h"

static const char good[] = "pid 1234\nstarted 1732230000\nupdated 1732230042\nlocked_bytes 123456789\n"
                           "locked_files 42\nbudget_bytes 536870912\nskipped_files 3\n";

static void test_parse(void **state)
{
        struct ms_lockd_state st;

        assert_int_equal(ms_lockd_state_parse(good, &st), 0);
        assert_int_equal(st.pid, 1234);
        assert_true(st.started == 1732230000);
        assert_true(st.updated == 1732230042);
        assert_true(st.locked_bytes == 123456789);
        assert_true(st.locked_files == 42);
        assert_true(st.budget_bytes == 536870912);
        assert_true(st.skipped_files == 3);
}

static void test_parse_bad(void **state)
{
        static const char *const bad[] = {
                "",
                "garbage",
                "pid 0\nstarted 1\nupdated 1\nlocked_bytes 1\nlocked_files 1\nbudget_bytes 1\nskipped_files 1\n",
                "pid -5\nstarted 1\nupdated 1\nlocked_bytes 1\nlocked_files 1\nbudget_bytes 1\nskipped_files 1\n",
                "pid 12\nstarted 1\nupdated 1\nlocked_bytes x\nlocked_files 1\nbudget_bytes 1\nskipped_files 1\n",
                "pid 12\nstarted 1\nupdated 1\nlocked_bytes 1\nlocked_files 1\nbudget_bytes 1\n", /* cut short */
                "pid 99999999999\nstarted 1\nupdated 1\nlocked_bytes 1\nlocked_files 1\nbudget_bytes 1\nskipped_files 1\n",
                " pid 12\nstarted 1\nupdated 1\nlocked_bytes 1\nlocked_files 1\nbudget_bytes 1\nskipped_files 1\n",
        };
        struct ms_lockd_state st;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (ms_lockd_state_parse(bad[i], &st) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
}

static void test_write_read(void **state)
{
        char *root = tree_make();
        struct ms_lockd_state st = { .pid = 77, .started = 10, .updated = 20, .locked_bytes = 1ull << 33,
                                     .locked_files = 5, .budget_bytes = 1ull << 34, .skipped_files = 1 };
        struct ms_lockd_state back;
        struct stat sb;
        int fd;

        tree_mkdir(root, "run");
        fd = ms_root_open(root);
        assert_true(fd >= 0);
        assert_int_equal(ms_lockd_state_read(fd, &back), -ENOENT);
        assert_int_equal(ms_lockd_state_write(fd, &st), 0);
        assert_int_equal(stat(tree_path(root, "run/memstop-lockd"), &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0755);
        assert_int_equal(stat(tree_path(root, MS_LOCKD_STATE_PATH), &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0644);
        assert_int_equal(ms_lockd_state_read(fd, &back), 0);
        assert_int_equal(back.pid, 77);
        assert_true(back.started == 10 && back.updated == 20 && back.locked_bytes == 1ull << 33);
        assert_true(back.locked_files == 5 && back.budget_bytes == 1ull << 34 && back.skipped_files == 1);
        /* Replaced, not appended; no temporary file left behind. */
        st.locked_files = 6;
        assert_int_equal(ms_lockd_state_write(fd, &st), 0);
        assert_int_equal(ms_lockd_state_read(fd, &back), 0);
        assert_true(back.locked_files == 6);
        assert_int_equal(access(tree_path(root, "run/memstop-lockd/.state.tmp"), F_OK), -1);
        /* A corrupt file is reported as such. */
        tree_write(root, MS_LOCKD_STATE_PATH, "pid 1\n");
        assert_int_equal(ms_lockd_state_read(fd, &back), -EINVAL);
        close(fd);
        tree_remove(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_bad),
                cmocka_unit_test(test_write_read),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
