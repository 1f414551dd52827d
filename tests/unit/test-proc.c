/* SPDX-License-Identifier: GPL-3.0-or-later */
/* proc: proc/PID/stat, statm and status of processes below a root. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/fileio.h"
#include "fixture.h"
#include "probe/proc.h"

/* A 6.x proc/PID/stat line: 52 fields; tpgid -1, nice -5. */
static char *stat_line(const char *comm, char state, unsigned ppid, unsigned long utime, unsigned long stime,
                       unsigned long long starttime)
{
        char *s;

        if (asprintf(&s,
                     "4242 (%s) %c %u 4242 1200 34816 -1 4194304 12345 0 3 0 %lu %lu 0 0 25 -5 3 0 %llu "
                     "123456789 45678 18446744073709551615 94000000000000 94000000100000 140000000000000 0 0 "
                     "0 0 0 0 0 17 1 0 0 0 0 0 94000000200000 94000000300000 94000000400000 140000000100000 "
                     "140000000200000 140000000200000 140000000300000 0\n",
                     comm, state, ppid, utime, stime, starttime) < 0)
                fail_msg("out of memory");
        return s;
}

static void stat_parse_real_line(void **state)
{
        char *line = stat_line("cc1plus", 'R', 1200, 150, 30, 987654);
        struct ms_proc_stat st;

        assert_int_equal(ms_proc_stat_parse(line, &st), 0);
        assert_int_equal(st.state, 'R');
        assert_int_equal(st.ppid, 1200);
        assert_int_equal(st.utime, 150);
        assert_int_equal(st.stime, 30);
        assert_int_equal(st.starttime, 987654);
        assert_int_equal(st.rss_pages, 45678);
        assert_int_equal(st.threads, 3);
        free(line);
}

static void stat_parse_comm_with_parens_and_spaces(void **state)
{
        static const char *const comms[] = {
                "a) b) c", "a b", ") S 7 7 7", "(", ")", "x (y) z", "tab\there", "new\nline", "",
        };

        for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
                char *line = stat_line(comms[i], 'S', 77, 5, 6, 123456789012ULL);
                struct ms_proc_stat st;

                assert_int_equal(ms_proc_stat_parse(line, &st), 0);
                assert_int_equal(st.state, 'S');
                assert_int_equal(st.ppid, 77);
                assert_int_equal(st.utime, 5);
                assert_int_equal(st.stime, 6);
                assert_true(st.starttime == 123456789012ULL);
                free(line);
        }
}

static void stat_parse_literal_tricky(void **state)
{
        struct ms_proc_stat st;

        /* The brief's example, fields cut after starttime. */
        assert_int_equal(ms_proc_stat_parse("123 (a) b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n", &st),
                         0);
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, 1);
        assert_int_equal(st.utime, 11);
        assert_int_equal(st.stime, 12);
        assert_int_equal(st.starttime, 19);
        /* A zombie. */
        assert_int_equal(ms_proc_stat_parse("9 (x) Z 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555", &st), 0);
        assert_int_equal(st.state, 'Z');
        assert_int_equal(st.starttime, 555);
}

static void stat_parse_malformed(void **state)
{
        struct ms_proc_stat st = { .state = 'Q' };
        char *line;

        assert_int_equal(ms_proc_stat_parse("", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("garbage", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("(x) S 1 2 3", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (x S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", &st), -EINVAL);
        /* Truncated before starttime. */
        assert_int_equal(ms_proc_stat_parse("12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 ", &st), -EINVAL);
        /* No state, a two-letter state, a bad number. */
        assert_int_equal(ms_proc_stat_parse("12 (x) 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (x) SS 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (x) S 1 2 3 4 5 6 7 8 9 10 11 1x 13 14 15 16 17 18 19", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (x) S -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -19", &st), -EINVAL);
        /* starttime overflowing 64 bits. */
        assert_int_equal(ms_proc_stat_parse("12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
                                            "18446744073709551616",
                                            &st),
                         -EINVAL);
        line = stat_line("ok", 'S', 1, 1, 1, 18446744073709551615ULL);
        assert_int_equal(ms_proc_stat_parse(line, &st), 0);
        assert_true(st.starttime == UINT64_MAX);
        free(line);
}

/* Each hostile line in a buffer of its exact size: a read past its NUL is
 * an ASan error in the sanitizer build. */
static int parse_exact(const char *line, struct ms_proc_stat *st)
{
        char *copy = strdup(line);
        int r;

        assert_non_null(copy);
        r = ms_proc_stat_parse(copy, st);
        free(copy);
        return r;
}

static void stat_parse_hostile(void **state)
{
        static const char *const bad[] = {
                "l(c)1", /* the fuzzer's: lockd's old parser read past its end */
                "1(c)1", "1 (c)", "1 (c) ", "1 (c) S", "1 (c) S ", "1 (c) S 1", "1 (c) S 1 ", "1 (c) S 1 2 3 -",
                "1 (c) S -", "1 (", "1 )", "1 )(", "1 (c", "1 ()", "1 () S", "(", ")", "()", "1", "1 (c) \n",
                "1 (c) S\n2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
                "1 (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -",
                "1 (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 1x",
                "1 (c) S  1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
                "1 (c) S 1 2 3 4 5 -6 7 8 9 10 11 12 13 14 15 16 17 18 19", /* flags */
        };
        struct ms_proc_stat st = { .state = 'Q' };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse_exact(bad[i], &st) != -EINVAL)
                        fail_msg("accepted: \"%s\"", bad[i]);
        }
        assert_int_equal(st.state, 'Q'); /* untouched on error */
        /* The shortest valid line: fields up to starttime. */
        assert_int_equal(parse_exact("1 (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", &st), 0);
        assert_int_equal(st.starttime, 19);
}

static void children_parse(void **state)
{
        pid_t p[4];
        size_t n = 0;

        assert_int_equal(ms_proc_children_parse("", p, 4, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(ms_proc_children_parse("12 345 ", p, 4, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(p[0], 12);
        assert_int_equal(p[1], 345);
        /* Appends. */
        assert_int_equal(ms_proc_children_parse("7\n", p, 4, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(p[2], 7);
        assert_int_equal(ms_proc_children_parse("8 9 10", p, 4, &n), -ENOSPC);
        assert_int_equal(n, 4);
        n = 0;
        assert_int_equal(ms_proc_children_parse("12 x4 ", p, 4, &n), -EINVAL);
        n = 0;
        assert_int_equal(ms_proc_children_parse("0 ", p, 4, &n), -EINVAL);
        n = 0;
        assert_int_equal(ms_proc_children_parse("99999999999 ", p, 4, &n), -EINVAL);
}


static void cmdline_format(void **state)
{
        char buf[32];

        ms_proc_cmdline_format("cc1\0-O2\0x.c\0", 12, buf, sizeof(buf));
        assert_string_equal(buf, "cc1 -O2 x.c");
        ms_proc_cmdline_format("", 0, buf, sizeof(buf));
        assert_string_equal(buf, "");
        ms_proc_cmdline_format("a\nb\0", 4, buf, sizeof(buf));
        assert_string_equal(buf, "a b");
        ms_proc_cmdline_format("abcdefgh", 8, buf, 4);
        assert_string_equal(buf, "abc");
}


static void stat_parse_comm_and_flags(void **state)
{
        struct ms_proc_stat st;

        assert_int_equal(ms_proc_stat_parse("1234 (cc1) R 1233 1234 1 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 1 0 "
                                            "98765 1000 200 18446744073709551615\n",
                                            &st),
                         0);
        assert_string_equal(st.comm, "cc1");
        assert_int_equal(st.flags, 4194560);
        assert_true(st.starttime == 98765);
        /* A comm with blanks and parentheses: the last ')' ends it. */
        assert_int_equal(ms_proc_stat_parse("77 (a) b (c)) S 1 77 77 0 -1 2097216 0 0 0 0 0 0 0 0 -5 -2 1 0 42 0 0\n",
                                            &st),
                         0);
        assert_string_equal(st.comm, "a) b (c)");
        assert_int_equal(st.flags, 2097216);
        assert_true(st.starttime == 42);
        /* comm longer than TASK_COMM_LEN (kworkers): cut to 15. */
        assert_int_equal(ms_proc_stat_parse("9 (kworker/0:1-events_unbound) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 "
                                            "0 1 0 7\n",
                                            &st),
                         0);
        assert_string_equal(st.comm, "kworker/0:1-eve");
        assert_int_equal(st.flags & 0x00200000u, 0x00200000u);
        assert_int_equal(ms_proc_stat_parse("12 cc1 R 1", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (cc1) R 1 2 3", &st), -EINVAL);
        assert_int_equal(ms_proc_stat_parse("12 (cc1) R x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", &st),
                         -EINVAL);
}

static void memcg_parse(void **state)
{
        char out[128];

        assert_int_equal(ms_proc_memcg_parse("12:pids:/a\n4:memory:/build/x\n0::/init.scope\n", out, sizeof(out)), 0);
        assert_string_equal(out, "/build/x");
        assert_int_equal(ms_proc_memcg_parse("3:cpu,memory:/y\n", out, sizeof(out)), 0);
        assert_string_equal(out, "/y");
        assert_int_equal(ms_proc_memcg_parse("0::/user.slice/u.service\n", out, sizeof(out)), 0);
        assert_string_equal(out, "/user.slice/u.service");
        assert_int_equal(ms_proc_memcg_parse("5:memoryx:/no\n", out, sizeof(out)), -ENOENT);
        assert_int_equal(ms_proc_memcg_parse("", out, sizeof(out)), -ENOENT);
        assert_int_equal(ms_proc_memcg_parse("4:memory\n", out, sizeof(out)), -EINVAL);
        assert_int_equal(ms_proc_memcg_parse("4:memory:/long/path\n", out, 8), -ENAMETOOLONG);
}

static void memcg_and_comm_read(void **state)
{
        struct fake *f = *state;
        char out[64];

        fake_write(f->root, "proc/10/cgroup", "12:pids:/a\n4:memory:/build\n");
        fake_write(f->root, "proc/10/comm", "cc1plus\n");
        assert_int_equal(ms_proc_memcg_read(f->fd, 10, out, sizeof(out)), 0);
        assert_string_equal(out, "/build");
        assert_int_equal(ms_proc_comm_read(f->fd, 10, out, sizeof(out)), 0);
        assert_string_equal(out, "cc1plus");
        assert_int_equal(ms_proc_comm_read(f->fd, 10, out, 4), 0);
        assert_string_equal(out, "cc1");
        assert_int_equal(ms_proc_memcg_read(f->fd, 11, out, sizeof(out)), -ESRCH);
        assert_int_equal(ms_proc_comm_read(f->fd, 11, out, sizeof(out)), -ESRCH);
        assert_int_equal(ms_proc_comm_read(MS_ROOT_HOST, 0, out, sizeof(out)), 0);
        assert_string_equal(out, "test-proc");
}

static void fake_stat(const char *root, const char *pid, const char *comm, char state, unsigned long long start)
{
        char rel[64];
        char *line = stat_line(comm, state, 1, 2, 3, start);

        snprintf(rel, sizeof(rel), "proc/%s/stat", pid);
        fake_write(root, rel, line);
        free(line);
}

static void stat_read_fake_tree(void **state)
{
        struct fake *f = *state;
        struct ms_proc_stat st;

        fake_stat(f->root, "4242", "make) (x", 'S', 1000);
        fake_stat(f->root, "self", "me", 'R', 2000);
        assert_int_equal(ms_proc_stat_read(f->fd, 4242, &st), 0);
        assert_int_equal(st.starttime, 1000);
        assert_int_equal(ms_proc_stat_read(f->fd, 0, &st), 0);
        assert_int_equal(st.starttime, 2000);
        assert_int_equal(st.state, 'R');
        assert_int_equal(ms_proc_stat_read(f->fd, 4243, &st), -ESRCH);
        assert_int_equal(ms_proc_stat_read(f->fd, -1, &st), -EINVAL);
        fake_write(f->root, "proc/7/stat", "not a stat line\n");
        assert_int_equal(ms_proc_stat_read(f->fd, 7, &st), -EINVAL);
        fake_make_unreadable(f->root, "proc/7/stat");
        assert_int_equal(ms_proc_stat_read(f->fd, 7, &st), -EISDIR);
}

static void alive_on_fake_tree(void **state)
{
        struct fake *f = *state;

        fake_stat(f->root, "100", "cc1", 'R', 5000);
        fake_stat(f->root, "101", "cc1", 'Z', 5001);
        fake_stat(f->root, "102", "cc1", 'X', 5002);
        fake_stat(f->root, "103", "a) Z (b", 'D', 5003);
        fake_stat(f->root, "self", "me", 'S', 6000);
        fake_write(f->root, "proc/104/stat", "104 (broken");

        assert_true(ms_proc_alive(f->fd, 100, 5000));
        assert_false(ms_proc_alive(f->fd, 100, 4999)); /* pid reused */
        assert_false(ms_proc_alive(f->fd, 101, 5001)); /* zombie */
        assert_false(ms_proc_alive(f->fd, 102, 5002)); /* dead */
        assert_true(ms_proc_alive(f->fd, 103, 5003));  /* 'Z' inside comm */
        assert_false(ms_proc_alive(f->fd, 104, 0));    /* unparsable */
        assert_false(ms_proc_alive(f->fd, 105, 5000)); /* gone */
        assert_true(ms_proc_alive(f->fd, 0, 6000));
}

static void alive_real_processes(void **state)
{
        struct ms_proc_stat self, child;
        pid_t pid;
        int status;

        assert_int_equal(ms_proc_stat_read(MS_ROOT_HOST, 0, &self), 0);
        assert_int_equal(self.ppid, getppid());
        assert_true(ms_proc_alive(MS_ROOT_HOST, getpid(), self.starttime));
        assert_true(ms_proc_alive(MS_ROOT_HOST, 0, self.starttime));
        assert_false(ms_proc_alive(MS_ROOT_HOST, getpid(), self.starttime + 1));

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        /* Wait until it is a zombie (still there, not reaped). */
        for (int i = 0; i < 2000; i++) {
                assert_int_equal(ms_proc_stat_read(MS_ROOT_HOST, pid, &child), 0);
                if (child.state == 'Z')
                        break;
                usleep(1000);
        }
        assert_int_equal(child.state, 'Z');
        assert_int_equal(child.ppid, getpid());
        assert_false(ms_proc_alive(MS_ROOT_HOST, pid, child.starttime));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_false(ms_proc_alive(MS_ROOT_HOST, pid, child.starttime));
        assert_int_equal(ms_proc_stat_read(MS_ROOT_HOST, pid, &child), -ESRCH);
}

static void statm_parse(void **state)
{
        uint64_t rss = 1;

        assert_int_equal(ms_proc_statm_parse("2964 250 200 183 0 136 0\n", 4096, &rss), 0);
        assert_int_equal(rss, 250 * 4096);
        assert_int_equal(ms_proc_statm_parse("2964 0 200 183 0 136 0\n", 4096, &rss), 0);
        assert_int_equal(rss, 0);
        assert_int_equal(ms_proc_statm_parse("1 3", 65536, &rss), 0);
        assert_int_equal(rss, 3 * 65536);
        rss = 7;
        assert_int_equal(ms_proc_statm_parse("", 4096, &rss), -EINVAL);
        assert_int_equal(ms_proc_statm_parse("2964", 4096, &rss), -EINVAL);
        assert_int_equal(ms_proc_statm_parse("2964 ", 4096, &rss), -EINVAL);
        assert_int_equal(ms_proc_statm_parse("2964 x 1", 4096, &rss), -EINVAL);
        assert_int_equal(ms_proc_statm_parse("2964 -1 1", 4096, &rss), -EINVAL);
        assert_int_equal(ms_proc_statm_parse("1 18446744073709551615 1", 4096, &rss), -EINVAL);
        assert_int_equal(rss, 7);
}

static void rss_read(void **state)
{
        struct fake *f = *state;
        uint64_t rss, page = (uint64_t)sysconf(_SC_PAGESIZE);

        fake_write(f->root, "proc/55/statm", "10000 1234 100 10 0 500 0\n");
        assert_int_equal(ms_proc_rss_read(f->fd, 55, &rss), 0);
        assert_true(rss == 1234 * page);
        fake_write(f->root, "proc/self/statm", "10000 9 100 10 0 500 0\n");
        assert_int_equal(ms_proc_rss_read(f->fd, 0, &rss), 0);
        assert_true(rss == 9 * page);
        assert_int_equal(ms_proc_rss_read(f->fd, 56, &rss), -ESRCH);
        /* The real self: at least a page. */
        assert_int_equal(ms_proc_rss_read(MS_ROOT_HOST, 0, &rss), 0);
        assert_true(rss >= page);
}

static const char status_text[] =
        "Name:\tcc1plus\n"
        "Umask:\t0022\n"
        "State:\tR (running)\n"
        "Tgid:\t4242\n"
        "Pid:\t4242\n"
        "PPid:\t1200\n"
        "VmPeak:\t  812340 kB\n"
        "VmSize:\t  800000 kB\n"
        "VmLck:\t       0 kB\n"
        "VmHWM:\t  543210 kB\n"
        "VmRSS:\t  500000 kB\n"
        "Threads:\t1\n";

static void hwm_parse(void **state)
{
        uint64_t hwm = 0;

        assert_int_equal(ms_proc_status_hwm_parse(status_text, &hwm), 0);
        assert_true(hwm == UINT64_C(543210) * 1024);
        assert_int_equal(ms_proc_status_hwm_parse("VmHWM:\t  1234 kB", &hwm), 0);
        assert_int_equal(hwm, 1234 * 1024);
        /* Kernel threads have no Vm lines. */
        assert_int_equal(ms_proc_status_hwm_parse("Name:\tkthreadd\nState:\tS (sleeping)\n", &hwm), -ENOENT);
        /* Only at the start of a line. */
        assert_int_equal(ms_proc_status_hwm_parse("XVmHWM:\t1 kB\n", &hwm), -ENOENT);
        assert_int_equal(ms_proc_status_hwm_parse("VmHWM:\tlots kB\n", &hwm), -EINVAL);
        assert_int_equal(ms_proc_status_hwm_parse("VmHWM:\t\n", &hwm), -EINVAL);
        assert_int_equal(ms_proc_status_hwm_parse("VmHWM:\t99999999999999999999 kB\n", &hwm), -EINVAL);
        assert_int_equal(ms_proc_status_hwm_parse("VmHWM:\t18446744073709551 kB\n", &hwm), -EINVAL);
}

static const char clang_status[] =
        "Name:\tclang\n"
        "VmHWM:\t  395656 kB\n"
        "VmRSS:\t  395656 kB\n"
        "RssAnon:\t  315896 kB\n"
        "RssFile:\t   79760 kB\n"
        "RssShmem:\t       0 kB\n"
        "VmData:\t  330000 kB\n"
        "VmExe:\t     132 kB\n"
        "VmLib:\t  178744 kB\n"
        "Threads:\t1\n";

static void code_parse(void **state)
{
        uint64_t code = 0;

        (void)state;
        /* clang++: its libraries' pages in memory, fewer than they map. */
        assert_int_equal(ms_proc_status_code_parse(clang_status, &code), 0);
        assert_true(code == UINT64_C(79760) * 1024);
        /* A linker whose inputs are mapped: at most its code's size. */
        assert_int_equal(ms_proc_status_code_parse("RssFile:\t900000 kB\nVmExe:\t2000 kB\nVmLib:\t3000 kB\n", &code),
                         0);
        assert_true(code == UINT64_C(5000) * 1024);
        /* A field missing (a kernel thread, or cut short), or malformed. */
        assert_int_equal(ms_proc_status_code_parse(status_text, &code), -ENOENT);
        assert_int_equal(ms_proc_status_code_parse("RssFile:\t1 kB\nVmExe:\t1 kB\n", &code), -ENOENT);
        assert_int_equal(ms_proc_status_code_parse("RssFile:\tx kB\nVmExe:\t1 kB\nVmLib:\t1 kB\n", &code), -EINVAL);
        assert_int_equal(
                ms_proc_status_code_parse("RssFile:\t1 kB\nVmExe:\t18446744073709551 kB\nVmLib:\t1 kB\n", &code),
                -EINVAL);
}

static void code_read(void **state)
{
        struct fake *f = *state;
        uint64_t code = 0;

        fake_write(f->root, "proc/4242/status", clang_status);
        assert_int_equal(ms_proc_code_read(f->fd, 4242, &code), 0);
        assert_true(code == UINT64_C(79760) * 1024);
        assert_int_equal(ms_proc_code_read(f->fd, 4243, &code), -ESRCH);
        assert_int_equal(ms_proc_code_read(MS_ROOT_HOST, 0, &code), 0);
        assert_true(code > 0);
}

static void hwm_read(void **state)
{
        struct fake *f = *state;
        uint64_t hwm;

        fake_write(f->root, "proc/4242/status", status_text);
        assert_int_equal(ms_proc_hwm_read(f->fd, 4242, &hwm), 0);
        assert_true(hwm == UINT64_C(543210) * 1024);
        assert_int_equal(ms_proc_hwm_read(f->fd, 4243, &hwm), -ESRCH);
        assert_int_equal(ms_proc_hwm_read(MS_ROOT_HOST, 0, &hwm), 0);
        assert_true(hwm > 0);
}

/* ---- owner and state in one read; committed memory ---- */

static void stat_owner_read(void **state)
{
        struct fake *f = *state;
        char *line = stat_line("cc1", 'T', 1, 0, 0, 777);
        struct ms_proc_stat st;
        uid_t uid = 12345;

        fake_write(f->root, "proc/4242/stat", line);
        free(line);
        assert_int_equal(ms_proc_stat_owner_read(f->fd, 4242, &st, &uid), 0);
        assert_int_equal(st.state, 'T');
        assert_true(st.starttime == 777);
        assert_int_equal(uid, geteuid());
        assert_int_equal(ms_proc_stat_owner_read(f->fd, 4243, &st, &uid), -ESRCH);
        fake_write(f->root, "proc/4244/stat", "garbage");
        assert_int_equal(ms_proc_stat_owner_read(f->fd, 4244, &st, &uid), -EINVAL);
        /* The real one: ours, running. */
        assert_int_equal(ms_proc_stat_owner_read(MS_ROOT_HOST, getpid(), &st, &uid), 0);
        assert_int_equal(uid, geteuid());
        assert_int_equal(st.state, 'R');
}

static void commit_parse(void **state)
{
        uint64_t b = 42;

        assert_int_equal(ms_proc_status_commit_parse("VmPeak:\t1 kB\nVmData:\t  1000 kB\nVmStk:\t 24 kB\n", &b), 0);
        assert_true(b == 1024 * 1024);
        assert_int_equal(ms_proc_status_commit_parse("Name:\tkthreadd\n", &b), -ENOENT);
        assert_int_equal(ms_proc_status_commit_parse("VmData:\t1 kB\n", &b), -ENOENT);
        assert_int_equal(ms_proc_status_commit_parse("VmData:\tx kB\nVmStk:\t1 kB\n", &b), -EINVAL);
        assert_int_equal(ms_proc_status_commit_parse("VmData:\t18014398509481983 kB\nVmStk:\t1 kB\n", &b),
                         -EINVAL);
        assert_int_equal(ms_proc_status_commit_parse("VmData:\t18014398509481982 kB\nVmStk:\t1 kB\n", &b), 0);
        assert_true(b == UINT64_C(18014398509481983) * 1024);
}

static void commit_read(void **state)
{
        struct fake *f = *state;
        uint64_t b;

        fake_write(f->root, "proc/4242/status", "VmData:\t2048 kB\nVmStk:\t0 kB\n");
        assert_int_equal(ms_proc_commit_read(f->fd, 4242, &b), 0);
        assert_true(b == 2048 * 1024);
        assert_int_equal(ms_proc_commit_read(f->fd, 4243, &b), -ESRCH);
        assert_int_equal(ms_proc_commit_read(MS_ROOT_HOST, 0, &b), 0);
        assert_true(b > 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

/* The CPUs of the affinity mask, as nproc counts them. */
static void cpus_usable_are_the_affinity_mask(void **state)
{
        cpu_set_t set;

        assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
        assert_int_equal(ms_cpus_usable(), (unsigned)CPU_COUNT(&set));
        assert_true(ms_cpus_usable() >= 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(cpus_usable_are_the_affinity_mask),
                cmocka_unit_test(stat_parse_real_line),
                cmocka_unit_test(stat_parse_comm_with_parens_and_spaces),
                cmocka_unit_test(stat_parse_literal_tricky),
                cmocka_unit_test(stat_parse_malformed),
                cmocka_unit_test(stat_parse_hostile),
                cmocka_unit_test(stat_parse_comm_and_flags),
                cmocka_unit_test(children_parse),
                cmocka_unit_test(cmdline_format),
                cmocka_unit_test(memcg_parse),
                T(memcg_and_comm_read),
                T(stat_read_fake_tree),
                T(alive_on_fake_tree),
                cmocka_unit_test(alive_real_processes),
                cmocka_unit_test(statm_parse),
                T(rss_read),
                cmocka_unit_test(hwm_parse),
                T(hwm_read),
                cmocka_unit_test(code_parse),
                T(code_read),
                T(stat_owner_read),
                cmocka_unit_test(commit_parse),
                T(commit_read),
        };

        return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
