/* SPDX-License-Identifier: GPL-3.0-or-later */
/* log: log destinations and one write(2) per line. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "util/log.h"

/* ---- ms_log_path ---- */

static void path_trailing_dash_appends_pid(void **state)
{
        char buf[64];

        assert_int_equal(ms_log_path("/tmp/ms-", 1234, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/tmp/ms-1234");
        assert_int_equal(ms_log_path("-", 7, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "-7");
}

static void path_without_dash_unchanged(void **state)
{
        char buf[64];

        assert_int_equal(ms_log_path("/var/log/memstop.log", 1234, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/var/log/memstop.log");
        /* A dash elsewhere is not special. */
        assert_int_equal(ms_log_path("/tmp/a-b", 1234, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/tmp/a-b");
}

static void path_too_long(void **state)
{
        char buf[12];

        assert_int_equal(ms_log_path("/tmp/ms-", 123456, buf, sizeof(buf)), -ENAMETOOLONG);
        assert_int_equal(ms_log_path("/tmp/ms-", 123, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/tmp/ms-123");
        assert_int_equal(ms_log_path("/tmp/abcdefgh", 1, buf, sizeof(buf)), -ENAMETOOLONG);
}

/* ---- ms_log_open ---- */

static void open_null_or_empty_is_stderr(void **state)
{
        assert_int_equal(ms_log_open(NULL, 1), STDERR_FILENO);
        assert_int_equal(ms_log_open("", 1), STDERR_FILENO);
}

static void open_creates_and_appends(void **state)
{
        struct fake *f = *state;
        char spec[4096];
        char *text;
        int fd;

        snprintf(spec, sizeof(spec), "%s/ms.log", f->root);
        fake_write(f->root, "ms.log", "old line\n");
        fd = ms_log_open(spec, 1);
        assert_true(fd > STDERR_FILENO);
        ms_log(fd, "first %d", 1);
        ms_log(fd, "second %s\n", "two");
        close(fd);

        /* A second opener appends too. */
        fd = ms_log_open(spec, 2);
        assert_true(fd > STDERR_FILENO);
        ms_log(fd, "third");
        close(fd);

        text = fake_read(f->root, "ms.log");
        assert_string_equal(text, "old line\nfirst 1\nsecond two\nthird\n");
        free(text);
}

static void open_with_pid_and_mode(void **state)
{
        struct fake *f = *state;
        char spec[4096], path[4096];
        struct stat st;
        mode_t old = umask(022);
        int fd;

        snprintf(spec, sizeof(spec), "%s/ms-", f->root);
        fd = ms_log_open(spec, 4321);
        umask(old);
        assert_true(fd > STDERR_FILENO);
        snprintf(path, sizeof(path), "%s/ms-4321", f->root);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        /* Close-on-exec, write-only, append. */
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND);
        close(fd);
}

static void open_unopenable_is_errno(void **state)
{
        struct fake *f = *state;
        char spec[4096];

        snprintf(spec, sizeof(spec), "%s/no/such/dir/ms.log", f->root);
        assert_int_equal(ms_log_open(spec, 1), -ENOENT);
        /* A directory cannot be opened for writing, even by root. */
        assert_int_equal(ms_log_open(f->root, 1), -EISDIR);
}

/* ---- ms_log: lines ---- */

static void log_one_write_per_line(void **state)
{
        int sv[2];
        char buf[4096];
        ssize_t n;

        /* SOCK_SEQPACKET keeps write boundaries: one recv per write. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        ms_log(sv[0], "==== memstop: %u%% required, %u%% available (%u MB / %u MB) ====", 10u, 15u, 1234u, 8192u);
        ms_log(sv[0], "==== memstop hold ====\n");
        n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
        assert_int_equal(n, strlen("==== memstop: 10% required, 15% available (1234 MB / 8192 MB) ====\n"));
        assert_memory_equal(buf, "==== memstop: 10% required, 15% available (1234 MB / 8192 MB) ====\n", (size_t)n);
        n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
        assert_int_equal(n, strlen("==== memstop hold ====\n"));
        assert_memory_equal(buf, "==== memstop hold ====\n", (size_t)n);
        /* Nothing else was written. */
        assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        close(sv[0]);
        close(sv[1]);
}

static void log_newline_added_once(void **state)
{
        int sv[2];
        char buf[64];
        ssize_t n;

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        ms_log(sv[0], "a");
        ms_log(sv[0], "b\n");
        ms_log(sv[0], "%s", "");
        n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
        assert_int_equal(n, 2);
        assert_memory_equal(buf, "a\n", 2);
        n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
        assert_int_equal(n, 2);
        assert_memory_equal(buf, "b\n", 2);
        n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
        assert_int_equal(n, 1);
        assert_memory_equal(buf, "\n", 1);
        close(sv[0]);
        close(sv[1]);
}

static void log_long_line_truncated_with_newline(void **state)
{
        size_t len = 5000;
        char *msg = malloc(len + 1);
        char buf[8192];
        int sv[2];
        ssize_t n;

        assert_non_null(msg);
        memset(msg, 'x', len);
        msg[len] = '\0';
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        ms_log(sv[0], "%s", msg);
        n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
        assert_true(n > 100);
        assert_true((size_t)n < len);
        assert_int_equal(buf[n - 1], '\n');
        for (ssize_t i = 0; i < n - 1; i++)
                assert_int_equal(buf[i], 'x');
        /* A message ending in '\n' that is cut still ends in exactly one. */
        msg[len - 1] = '\n';
        ms_log(sv[0], "%s", msg);
        n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
        assert_int_equal(buf[n - 1], '\n');
        assert_int_equal(buf[n - 2], 'x');
        assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
        free(msg);
        close(sv[0]);
        close(sv[1]);
}

static void log_lines_at_the_cut(void **state)
{
        /* Lengths around the internal buffer (1024) must all end in one '\n'. */
        char msg[1100], buf[2048];
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        for (size_t len = 1018; len < 1030; len++) {
                ssize_t n;
                memset(msg, 'y', len);
                msg[len] = '\0';
                ms_log(sv[0], "%s", msg);
                n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
                assert_true(n >= 2);
                assert_int_equal(buf[n - 1], '\n');
                assert_int_equal(buf[n - 2], 'y');
                assert_true((size_t)n <= len + 1);
                assert_null(memchr(buf, '\0', (size_t)n));
        }
        close(sv[0]);
        close(sv[1]);
}

static void log_keeps_errno(void **state)
{
        int sv[2];
        char buf[64];

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        errno = ENOTTY;
        ms_log(sv[0], "x");
        assert_int_equal(errno, ENOTTY);
        /* A failing write (bad fd) is ignored and keeps errno too. */
        errno = ERANGE;
        ms_log(-1, "lost");
        assert_int_equal(errno, ERANGE);
        assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 2);
        close(sv[0]);
        close(sv[1]);
}

/* ---- ms_log_open_checked: MEMSTOP_LOG may come from another user (issue 12) ---- */

static void checked_open_appends_to_our_file(void **state)
{
        struct fake *f = *state;
        char spec[4096], *text;
        int fd;

        assert_int_equal(ms_log_open_checked("", 7), STDERR_FILENO);
        snprintf(spec, sizeof(spec), "%s/ms.log-", f->root);
        for (int i = 0; i < 2; i++) {
                fd = ms_log_open_checked(spec, 7);
                assert_true(fd > STDERR_FILENO);
                ms_log(fd, "line %d", i);
                assert_int_equal(close(fd), 0);
        }
        text = fake_read(f->root, "ms.log-7");
        assert_string_equal(text, "line 0\nline 1\n");
        free(text);
}

static void checked_open_never_follows_a_symlink(void **state)
{
        struct fake *f = *state;
        char spec[4096], target[4096], *text;

        fake_write(f->root, "target", "x\n");
        snprintf(target, sizeof(target), "%s/target", f->root);
        snprintf(spec, sizeof(spec), "%s/link", f->root);
        assert_int_equal(symlink(target, spec), 0);
        assert_int_equal(ms_log_open_checked(spec, 1), -ELOOP);
        /* A dangling one is not created through either. */
        snprintf(target, sizeof(target), "%s/created", f->root);
        snprintf(spec, sizeof(spec), "%s/dangling", f->root);
        assert_int_equal(symlink(target, spec), 0);
        assert_int_equal(ms_log_open_checked(spec, 1), -ELOOP);
        assert_int_equal(access(target, F_OK), -1);
        text = fake_read(f->root, "target");
        assert_string_equal(text, "x\n");
        free(text);
        /* Root: not through a symlinked directory either. */
        if (geteuid() == 0) {
                fake_mkdir(f->root, "realdir");
                snprintf(target, sizeof(target), "%s/realdir", f->root);
                snprintf(spec, sizeof(spec), "%s/dirlink", f->root);
                assert_int_equal(symlink(target, spec), 0);
                snprintf(spec, sizeof(spec), "%s/dirlink/log", f->root);
                assert_int_equal(ms_log_open_checked(spec, 1), -ELOOP);
        }
}

static void checked_open_refuses_fifos_and_others_files(void **state)
{
        struct fake *f = *state;
        char spec[4096];

        /* Opening a FIFO without a reader for writing would block for ever. */
        snprintf(spec, sizeof(spec), "%s/fifo", f->root);
        assert_int_equal(mkfifo(spec, 0600), 0);
        assert_int_equal(ms_log_open_checked(spec, 1), -EINVAL);
        assert_int_equal(ms_log_open_checked(f->root, 1), -EISDIR);
        assert_int_equal(ms_open_append_checked("/dev/null", false), -EINVAL);
        if (geteuid() == 0) {
                fake_write(f->root, "theirs", "");
                snprintf(spec, sizeof(spec), "%s/theirs", f->root);
                assert_int_equal(chown(spec, 65534, 65534), 0);
                assert_int_equal(ms_log_open_checked(spec, 1), -EPERM);
        }
        /* Without create, a missing file stays missing. */
        snprintf(spec, sizeof(spec), "%s/missing", f->root);
        assert_int_equal(ms_open_append_checked(spec, false), -ENOENT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(path_trailing_dash_appends_pid),
                cmocka_unit_test(path_without_dash_unchanged),
                cmocka_unit_test(path_too_long),
                cmocka_unit_test(open_null_or_empty_is_stderr),
                T(open_creates_and_appends),
                T(open_with_pid_and_mode),
                T(open_unopenable_is_errno),
                cmocka_unit_test(log_one_write_per_line),
                cmocka_unit_test(log_newline_added_once),
                cmocka_unit_test(log_long_line_truncated_with_newline),
                cmocka_unit_test(log_lines_at_the_cut),
                cmocka_unit_test(log_keeps_errno),
                T(checked_open_appends_to_our_file),
                T(checked_open_never_follows_a_symlink),
                T(checked_open_refuses_fifos_and_others_files),
        };

        return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
