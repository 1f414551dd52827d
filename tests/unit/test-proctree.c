/* SPDX-License-Identifier: GPL-3.0-or-later */
/* proctree and buildcg: parsing of proc files, the tree walk, build drivers,
 * and the build's own cgroup on fake trees. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervise/buildcg.h"
#include "supervise/pidref.h"
#include "probe/cgroup.h"
#include "util/fileio.h"
#include "fixture.h"
#include "supervise/proctree.h"

static void drivers(void **state)
{
        assert_true(ms_build_driver("make"));
        assert_true(ms_build_driver("gmake"));
        assert_true(ms_build_driver("ninja"));
        assert_true(ms_build_driver("samu"));
        assert_true(ms_build_driver("cargo"));
        assert_false(ms_build_driver("cc1plus"));
        assert_false(ms_build_driver("sh"));
        assert_false(ms_build_driver("maker"));
        assert_false(ms_build_driver(""));
}

/* proc/PID/{stat,statm,task/PID/children} of a fake process. */
static void fake_proc(const char *root, int pid, int ppid, char state, const char *comm, unsigned rss_pages,
                      const char *children)
{
        char rel[96];

        snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
        fake_writef(root, rel, "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 %d 0 0\n", pid, comm, state,
                    ppid, ppid, ppid, 1000 + pid);
        snprintf(rel, sizeof(rel), "proc/%d/statm", pid);
        fake_writef(root, rel, "100 %u 10 1 0 10 0\n", rss_pages);
        snprintf(rel, sizeof(rel), "proc/%d/task/%d/children", pid, pid);
        fake_write(root, rel, children);
}

static void tree_read(void **state)
{
        struct fake *f = *state;
        pid_t q[16];
        struct ms_proc_info info, p[16];
        int n;

        /* 10 make -> 11 sh -> 13 cc1, 12 sh (its second thread 20 has child 14). */
        fake_proc(f->root, 10, 1, 'S', "make", 100, "11 12 ");
        fake_proc(f->root, 11, 10, 'S', "sh", 50, "13 ");
        fake_proc(f->root, 12, 10, 'S', "sh", 50, "");
        fake_write(f->root, "proc/12/stat", "12 (sh) S 10 10 10 0 -1 0 0 0 0 0 1 2 0 0 20 0 2 0 1012 0 0\n");
        fake_write(f->root, "proc/12/task/20/children", "14 ");
        fake_proc(f->root, 13, 11, 'R', "cc1", 1000, "");
        fake_proc(f->root, 14, 12, 'T', "cc1 x", 2000, "");

        n = ms_proc_tree_info_read(f->fd, 10, q, p, 16);
        assert_int_equal(n, 5);
        assert_int_equal(p[0].pid, 10);
        /* Breadth first: parents before children. */
        assert_true(p[1].pid == 11 || p[1].pid == 12);
        assert_true(p[3].pid == 13 || p[3].pid == 14);
        assert_int_equal(p[4].ppid, p[4].pid == 14 ? 12 : 11);
        assert_int_equal(ms_proc_tree_info_read(f->fd, 10, q, p, 2), 2);
        assert_int_equal(ms_proc_tree_info_read(f->fd, 99, q, p, 16), -ESRCH);
        /* A process that ended meanwhile is left out; stat's RSS field, where
         * it has one, spares the statm read. */
        fake_write(f->root, "proc/11/task/11/children", "13 77 ");
        fake_write(f->root, "proc/13/stat", "13 (cc1) R 11 11 11 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1013 0 300\n");
        n = ms_proc_tree_info_read(f->fd, 10, q, p, 16);
        assert_int_equal(n, 5);
        for (int i = 0; i < n; i++)
                if (p[i].pid == 13)
                        assert_int_equal(p[i].rss, 300ull * (uint64_t)sysconf(_SC_PAGESIZE));

        assert_int_equal(ms_proc_info_read(f->fd, 14, &info), 0);
        assert_int_equal(info.pid, 14);
        assert_int_equal(info.ppid, 12);
        assert_int_equal(info.state, 'T');
        assert_string_equal(info.comm, "cc1 x");
        assert_int_equal(info.rss, 2000ull * (uint64_t)sysconf(_SC_PAGESIZE));
        assert_int_equal(info.starttime, 1014);
        assert_int_equal(ms_proc_info_read(f->fd, 99, &info), -ESRCH);
}

/* A children file longer than any buffer (a driver that started a thousand
 * jobs or more) is read whole: the supervisor and the gate's snapshot
 * stopped at 8 KiB, with the pid cut there read as another. */
static void long_children_list(void **state)
{
        struct fake *f = *state;
        enum { KIDS = 1500 };
        static pid_t out[KIDS + 8];
        char *text = malloc(KIDS * 8 + 1), digits[64];
        size_t len = 0, n = 0;

        assert_non_null(text);
        for (int i = 0; i < KIDS; i++)
                len += (size_t)sprintf(text + len, "%d ", 100000 + i);
        assert_true(len > 8192);
        fake_proc(f->root, 30, 1, 'S', "ninja", 100, text);
        assert_int_equal(ms_proc_kids_read(f->fd, 30, 1, out, KIDS + 8, &n), 0);
        assert_int_equal(n, KIDS);
        for (int i = 0; i < KIDS; i++)
                assert_int_equal(out[i], 100000 + i);
        /* The same through the task directory (a process of two threads). */
        n = 0;
        assert_int_equal(ms_proc_kids_read(f->fd, 30, 2, out, KIDS + 8, &n), 0);
        assert_int_equal(n, KIDS);
        assert_int_equal(out[KIDS - 1], 100000 + KIDS - 1);
        /* Room for fewer: full, what fits is kept. */
        n = 0;
        assert_int_equal(ms_proc_kids_read(f->fd, 30, 1, out, 1000, &n), -ENOSPC);
        assert_int_equal(n, 1000);
        /* A number no pid has, past the buffer: hostile text, no children. */
        memset(digits, '7', sizeof(digits) - 1);
        digits[sizeof(digits) - 1] = '\0';
        strcpy(text + len, digits);
        fake_proc(f->root, 31, 1, 'S', "ninja", 100, text);
        n = 0;
        assert_int_equal(ms_proc_kids_read(f->fd, 31, 1, out, KIDS + 8, &n), 0);
        free(text);
}

static void cmdline_read(void **state)
{
        struct fake *f = *state;
        char buf[64];

        fake_write(f->root, "proc/5/cmdline", "make");
        assert_int_equal(ms_proc_cmdline_read(f->fd, 5, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "make");
        assert_int_equal(ms_proc_cmdline_read(f->fd, 6, buf, sizeof(buf)), -ESRCH);
}

static void build_cgroup_name(void **state)
{
        struct ms_cgroup own = { .version = MS_CGROUP_V1 }, out;

        strcpy(own.path, "/ci/job");
        strcpy(own.dir, "sys/fs/cgroup/memory/ci/job");
        own.mount_len = strlen("sys/fs/cgroup/memory");
        assert_int_equal(ms_build_cgroup_name(&own, 42, &out), 0);
        assert_string_equal(out.path, "/ci/job/memstop-build-42");
        assert_string_equal(out.dir, "sys/fs/cgroup/memory/ci/job/memstop-build-42");
        assert_int_equal(out.mount_len, own.mount_len);
        assert_int_equal(out.version, MS_CGROUP_V1);

        strcpy(own.path, "/");
        strcpy(own.dir, "sys/fs/cgroup/memory");
        assert_int_equal(ms_build_cgroup_name(&own, 7, &out), 0);
        assert_string_equal(out.path, "/memstop-build-7");
        assert_string_equal(out.dir, "sys/fs/cgroup/memory/memstop-build-7");
}

/* On a fake tree nothing fills a new directory with the controller's files,
 * as v2 does not where the parent does not delegate memory: the child is
 * removed again and the caller falls back to the process tree. */
static void build_cgroup_without_controller(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup own, out;
        struct stat st;
        char path[8192];

        fake_v2_tree(f->root, "/user/session");
        assert_int_equal(ms_cgroup_locate(f->fd, &own), 0);
        assert_int_equal(own.version, MS_CGROUP_V2);
        assert_int_equal(ms_build_cgroup_create(f->fd, &own, 42, &out), -EOPNOTSUPP);
        snprintf(path, sizeof(path), "%s/%s/memstop-build-42", f->root, own.dir);
        assert_int_equal(stat(path, &st), -1);

        struct ms_cgroup none = { .version = MS_CGROUP_NONE };
        assert_int_equal(ms_build_cgroup_create(f->fd, &none, 42, &out), -EOPNOTSUPP);
}

/* Where the files appear (a kernel would put them there), it is used, and
 * removal takes it away. */
static void build_cgroup_remove(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup own, out;
        char path[8192];
        struct stat st;

        fake_v1_tree(f->root, "/ci");
        assert_int_equal(ms_cgroup_locate(f->fd, &own), 0);
        assert_int_equal(ms_build_cgroup_name(&own, 43, &out), 0);
        fake_mkdir(f->root, out.dir);
        assert_int_equal(ms_build_cgroup_create(f->fd, &own, 43, &out), -EEXIST);
        assert_int_equal(ms_build_cgroup_remove(f->fd, &out, &own), 0);
        snprintf(path, sizeof(path), "%s/%s", f->root, out.dir);
        assert_int_equal(stat(path, &st), -1);
        /* Gone already: fine. */
        assert_int_equal(ms_build_cgroup_remove(f->fd, &out, &own), 0);
}

static void exit_code_of_zombie(void **state)
{
        int st = -1;

        /* Field 52 of a zombie killed by SIGKILL: wait status 9. */
        assert_int_equal(ms_proc_exit_code_parse("42 (cc1 (x)) Z 1 42 42 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 "
                                                 "100 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 "
                                                 "0 0 0 0 0 0 0 0 0 9\n", &st), 0);
        assert_int_equal(st, 9);
        assert_int_equal(ms_proc_exit_code_parse("42 (sh) Z 1 0 256\n", &st), 0);
        assert_int_equal(st, 256);
        assert_int_equal(ms_proc_exit_code_parse("42 (sh) Z\n", &st), -EINVAL);
        assert_int_equal(ms_proc_exit_code_parse("42 (a 9)", &st), -EINVAL);
        assert_int_equal(ms_proc_exit_code_parse("", &st), -EINVAL);
        assert_int_equal(ms_proc_exit_code_parse("42 (sh) Z 1 99999\n", &st), -EINVAL);
}

static void job_cgroup_dir(void **state)
{
        struct ms_cgroup build = { .version = MS_CGROUP_V2 };
        char dir[PATH_MAX];

        snprintf(build.dir, sizeof(build.dir), "sys/fs/cgroup/ci/memstop-build-7");
        assert_int_equal(ms_job_cgroup_dir(&build, 42, dir, sizeof(dir)), 0);
        assert_string_equal(dir, "sys/fs/cgroup/ci/memstop-build-7/job-42");
        assert_int_equal(ms_job_cgroup_dir(&build, 42, dir, 10), -ENAMETOOLONG);
}

/* The v1 freezer: its files and values beside v2's; a directory without
 * freezer.state is not a freezer cgroup (removed again). */
static void freezer_v1(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup own = { .version = MS_CGROUP_V1 }, v2 = { .version = MS_CGROUP_V2 }, out;
        char file[PATH_MAX];
        struct stat st;

        snprintf(own.dir, sizeof(own.dir), "sys/fs/cgroup/freezer/a");
        snprintf(own.path, sizeof(own.path), "/a");
        snprintf(v2.dir, sizeof(v2.dir), "sys/fs/cgroup/b");
        assert_int_equal(ms_job_cgroup_freeze_file(&own, 42, file, sizeof(file)), 0);
        assert_string_equal(file, "sys/fs/cgroup/freezer/a/job-42/freezer.state");
        assert_string_equal(ms_freeze_value(file, true), "FROZEN");
        assert_string_equal(ms_freeze_value(file, false), "THAWED");
        assert_int_equal(ms_job_cgroup_freeze_file(&v2, 42, file, sizeof(file)), 0);
        assert_string_equal(file, "sys/fs/cgroup/b/job-42/cgroup.freeze");
        assert_string_equal(ms_freeze_value(file, true), "1");
        assert_string_equal(ms_freeze_value(file, false), "0");
        assert_int_equal(ms_job_cgroup_freeze_file(&own, 42, file, 20), -ENAMETOOLONG);

        fake_write(f->root, "sys/fs/cgroup/freezer/a/tasks", "");
        assert_int_equal(ms_freezer_v1_create(f->fd, &own, 7, &out), -EOPNOTSUPP);
        assert_int_equal(fstatat(f->fd, "sys/fs/cgroup/freezer/a/memstop-freeze-7", &st, 0), -1);
        assert_int_equal(ms_freezer_v1_create(f->fd, &v2, 7, &out), -EOPNOTSUPP);
}

static bool alive_8(pid_t pid, void *userdata)
{
        (void)userdata;
        return pid == 8;
}

/* A memstop killed with its guardian left its freezer cgroup: its jobs are
 * thawed and moved out; a live memstop's, and what is no such cgroup, are
 * left alone. */
static void freezer_v1_stale_reaped(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup own = { .version = MS_CGROUP_V1 }, v2 = { .version = MS_CGROUP_V2 };
        const char *a = "sys/fs/cgroup/freezer/a";
        unsigned removed = 99;
        struct stat st;
        char *text;

        snprintf(own.dir, sizeof(own.dir), "%s", a);
        snprintf(own.path, sizeof(own.path), "/a");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/cgroup.procs", "");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-7/cgroup.procs", "102\n");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-7/freezer.state", "THAWED");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-7/job-42/cgroup.procs", "100\n101\n");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-7/job-42/freezer.state", "FROZEN");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-8/job-5/cgroup.procs", "200\n");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-8/job-5/freezer.state", "FROZEN");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-x9/cgroup.procs", "300\n");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/other-7/cgroup.procs", "301\n");
        fake_write(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-9", "a file");
        /* Emptied, a cgroup goes (the kernel removes its files with it; a
         * fake directory with files stays). */
        fake_mkdir(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-11/job-3");
        /* Three processes of 7's moved (a fake file keeps the last one). */
        assert_int_equal(ms_freezer_v1_reap(f->fd, &own, alive_8, NULL, &removed), 3);
        assert_int_equal(removed, 1);
        assert_int_equal(fstatat(f->fd, "sys/fs/cgroup/freezer/a/memstop-freeze-11", &st, 0), -1);
        text = fake_read(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-7/job-42/freezer.state");
        assert_string_equal(text, "THAWED");
        free(text);
        text = fake_read(f->root, "sys/fs/cgroup/freezer/a/cgroup.procs");
        assert_string_equal(text, "102\n");
        free(text);
        text = fake_read(f->root, "sys/fs/cgroup/freezer/a/memstop-freeze-8/job-5/freezer.state");
        assert_string_equal(text, "FROZEN");
        free(text);
        assert_int_equal(ms_freezer_v1_reap(f->fd, &v2, alive_8, NULL, &removed), -EOPNOTSUPP);
        snprintf(own.dir, sizeof(own.dir), "sys/fs/cgroup/freezer/none");
        assert_int_equal(ms_freezer_v1_reap(f->fd, &own, alive_8, NULL, &removed), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(drivers),
                cmocka_unit_test_setup_teardown(tree_read, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(long_children_list, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(cmdline_read, fake_setup, fake_teardown),
                cmocka_unit_test(build_cgroup_name),
                cmocka_unit_test_setup_teardown(build_cgroup_without_controller, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(build_cgroup_remove, fake_setup, fake_teardown),
                cmocka_unit_test(exit_code_of_zombie),
                cmocka_unit_test(job_cgroup_dir),
                cmocka_unit_test_setup_teardown(freezer_v1, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(freezer_v1_stale_reaped, fake_setup, fake_teardown),
        };

        return cmocka_run_group_tests_name("proctree", tests, NULL, NULL);
}
