/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileio: reading small files below a root, numbers and "key value" fields. */
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
#include "util/parse.h"
#include "fixture.h"

/* ---- ms_root_open ---- */

static void root_open_directory(void **state)
{
        struct fake *f = *state;
        int fd = ms_root_open(f->root);

        assert_true(fd >= 0);
        close(fd);
}

static void root_open_missing_is_enoent(void **state)
{
        struct fake *f = *state;
        char path[4096];

        snprintf(path, sizeof(path), "%s/nope", f->root);
        assert_int_equal(ms_root_open(path), -ENOENT);
}

static void root_open_file_is_enotdir(void **state)
{
        struct fake *f = *state;
        char path[4096];

        fake_write(f->root, "file", "x");
        snprintf(path, sizeof(path), "%s/file", f->root);
        assert_int_equal(ms_root_open(path), -ENOTDIR);
}

/* ---- ms_read_at ---- */

static void read_at_whole_file(void **state)
{
        struct fake *f = *state;
        char buf[64];
        size_t len = 99;

        fake_write(f->root, "proc/x", "hello\nworld\n");
        assert_int_equal(ms_read_at(f->fd, "proc/x", buf, sizeof(buf), &len), 0);
        assert_string_equal(buf, "hello\nworld\n");
        assert_int_equal(len, 12);
}

static void read_at_exact_size_fits(void **state)
{
        struct fake *f = *state;
        char buf[6];
        size_t len = 99;

        /* 5 bytes + NUL fill the buffer exactly: not "too big". */
        fake_write(f->root, "f", "hello");
        assert_int_equal(ms_read_at(f->fd, "f", buf, sizeof(buf), &len), 0);
        assert_string_equal(buf, "hello");
        assert_int_equal(len, 5);
}

static void read_at_one_byte_too_many_is_efbig(void **state)
{
        struct fake *f = *state;
        char buf[6];

        memset(buf, 'Z', sizeof(buf));
        fake_write(f->root, "f", "hello!");
        assert_int_equal(ms_read_at(f->fd, "f", buf, sizeof(buf), NULL), -EFBIG);
        /* The partial content is there and NUL-terminated. */
        assert_string_equal(buf, "hello");
}

static void read_at_too_small_is_efbig_with_partial_content(void **state)
{
        struct fake *f = *state;
        char buf[8];

        memset(buf, 'Z', sizeof(buf));
        fake_write(f->root, "f", "0123456789abcdef\n");
        assert_int_equal(ms_read_at(f->fd, "f", buf, sizeof(buf), NULL), -EFBIG);
        assert_int_equal(buf[7], '\0');
        assert_string_equal(buf, "0123456");
}

/*
 * With size 1 there is no room for any byte, so a non-empty file does not
 * fit and -EFBIG is due (asking read() for 0 bytes and taking the 0 for end
 * of file would report a truncated read as a complete one).
 */
static void read_at_size_one_nonempty_file_is_efbig(void **state)
{
        struct fake *f = *state;
        char buf[1] = { 'Z' };

        fake_write(f->root, "f", "x");
        assert_int_equal(ms_read_at(f->fd, "f", buf, sizeof(buf), NULL), -EFBIG);
        assert_int_equal(buf[0], '\0');
}

static void read_at_size_one_empty_file(void **state)
{
        struct fake *f = *state;
        char buf[1] = { 'Z' };
        size_t len = 99;

        fake_write(f->root, "f", "");
        assert_int_equal(ms_read_at(f->fd, "f", buf, sizeof(buf), &len), 0);
        assert_int_equal(buf[0], '\0');
        assert_int_equal(len, 0);
}

static void read_at_size_zero_is_einval(void **state)
{
        struct fake *f = *state;
        char buf[1];

        fake_write(f->root, "f", "x");
        assert_int_equal(ms_read_at(f->fd, "f", buf, 0, NULL), -EINVAL);
}

static void read_at_empty_file(void **state)
{
        struct fake *f = *state;
        char buf[16] = "garbage";
        size_t len = 99;

        fake_write(f->root, "empty", "");
        assert_int_equal(ms_read_at(f->fd, "empty", buf, sizeof(buf), &len), 0);
        assert_string_equal(buf, "");
        assert_int_equal(len, 0);
}

static void read_at_large_file(void **state)
{
        struct fake *f = *state;
        size_t n = 200000, len = 0;
        char *text = malloc(n + 1), *buf = malloc(n + 1);

        assert_non_null(text);
        assert_non_null(buf);
        for (size_t i = 0; i < n; i++)
                text[i] = (char)('a' + i % 26);
        text[n] = '\0';
        fake_write(f->root, "big", text);
        assert_int_equal(ms_read_at(f->fd, "big", buf, n + 1, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(buf, text, n + 1);
        assert_int_equal(ms_read_at(f->fd, "big", buf, n, &len), -EFBIG);
        free(text);
        free(buf);
}

static void read_at_missing_is_enoent(void **state)
{
        struct fake *f = *state;
        char buf[16];

        assert_int_equal(ms_read_at(f->fd, "proc/meminfo", buf, sizeof(buf), NULL), -ENOENT);
}

static void read_at_directory_is_eisdir(void **state)
{
        struct fake *f = *state;
        char buf[16];

        fake_write(f->root, "proc/meminfo", "x");
        fake_make_unreadable(f->root, "proc/meminfo");
        assert_int_equal(ms_read_at(f->fd, "proc/meminfo", buf, sizeof(buf), NULL), -EISDIR);
}

static void read_at_leading_slash_stays_below_root(void **state)
{
        struct fake *f = *state;
        char buf[16];

        fake_write(f->root, "proc/meminfo", "fake\n");
        assert_int_equal(ms_read_at(f->fd, "/proc/meminfo", buf, sizeof(buf), NULL), 0);
        assert_string_equal(buf, "fake\n");
        assert_int_equal(ms_read_at(f->fd, "///proc/meminfo", buf, sizeof(buf), NULL), 0);
        assert_string_equal(buf, "fake\n");
}

/* ---- ms_parse_u64 ---- */

static void parse_u64_valid(void **state)
{
        uint64_t v = 1;

        assert_int_equal(ms_parse_u64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(ms_parse_u64("007", &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(ms_parse_u64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
}

static void parse_u64_invalid(void **state)
{
        static const char *const bad[] = { "", " 1", "1 ", "+1", "-1", "1\n", "0x10", "1e3", "1.0", "abc", "1a" };
        uint64_t v = 42;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (ms_parse_u64(bad[i], &v) != -EINVAL)
                        fail_msg("ms_parse_u64(\"%s\") != -EINVAL", bad[i]);
                assert_int_equal(v, 42);
        }
}

static void parse_u64_overflow_is_erange(void **state)
{
        uint64_t v = 42;

        assert_int_equal(ms_parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(ms_parse_u64("99999999999999999999", &v), -ERANGE);
        assert_int_equal(v, 42);
}

/* ---- ms_read_u64_at ---- */

static int read_u64(struct fake *f, const char *content, uint64_t *v)
{
        fake_write(f->root, "sys/fs/cgroup/x/memory.max", content);
        return ms_read_u64_at(f->fd, "sys/fs/cgroup/x/memory.max", v);
}

static void read_u64_number_with_newline(void **state)
{
        uint64_t v = 0;

        assert_int_equal(read_u64(*state, "123\n", &v), 0);
        assert_int_equal(v, 123);
        assert_int_equal(read_u64(*state, "456", &v), 0);
        assert_int_equal(v, 456);
        assert_int_equal(read_u64(*state, "0\n", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(read_u64(*state, "18446744073709551615\n", &v), 0);
        assert_true(v == UINT64_MAX);
}

static void read_u64_max_is_uint64_max(void **state)
{
        uint64_t v = 0;

        assert_int_equal(read_u64(*state, "max\n", &v), 0);
        assert_true(v == UINT64_MAX);
        v = 0;
        assert_int_equal(read_u64(*state, "max", &v), 0);
        assert_true(v == UINT64_MAX);
}

static void read_u64_invalid(void **state)
{
        static const char *const bad[] = {
                "", "\n", "abc\n", "-1\n", "+1\n", " 123\n", "12 34\n", "12abc\n", "0x10\n",
                "1.5\n", "MAX\n", "max2\n", "maximum\n", "18446744073709551616\n", "99999999999999999999\n",
                /* Read up to the first newline, still one value only. */
                "123\n456\n", "1\n2", "max\nfoo\n", "7\n1234567890123456789012345678901234567890123456789012345678901234567890\n",
        };
        uint64_t v = 42;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = read_u64(*state, bad[i], &v);
                if (r != -EINVAL)
                        fail_msg("ms_read_u64_at on \"%s\": %d, expected -EINVAL", bad[i], r);
                assert_int_equal(v, 42);
        }
}

static void read_u64_long_file_is_einval(void **state)
{
        uint64_t v = 42;

        /* Longer than any number: not a number file. */
        assert_int_equal(read_u64(*state, "1234567890123456789012345678901234567890123456789012345678901234567890\n",
                                  &v),
                         -EINVAL);
        assert_int_equal(v, 42);
}

static void read_u64_missing_is_enoent(void **state)
{
        struct fake *f = *state;
        uint64_t v;

        assert_int_equal(ms_read_u64_at(f->fd, "sys/fs/cgroup/memory.max", &v), -ENOENT);
}

/* ---- ms_find_field / ms_field_u64 ---- */

static const char meminfo_like[] =
        "MemTotal:       24589876 kB\n"
        "SwapCached:          111 kB\n"
        "Cached:          2222222 kB\n"
        "Key\twith tab\n"
        "Last: 42";

static void find_field_at_line_start(void **state)
{
        const char *v = ms_find_field(meminfo_like, "Cached:");

        assert_non_null(v);
        assert_true(strncmp(v, "2222222 kB\n", 11) == 0);
        v = ms_find_field(meminfo_like, "MemTotal:");
        assert_non_null(v);
        assert_true(strncmp(v, "24589876 kB", 11) == 0);
}

static void find_field_not_in_mid_line(void **state)
{
        assert_null(ms_find_field("SwapCached: 5 kB\n", "Cached:"));
        assert_null(ms_find_field("x Cached: 5 kB\n", "Cached:"));
        assert_null(ms_find_field("SwapCached: 5 kB\nFoo: Cached: 3\n", "Cached:"));
}

static void find_field_needs_blank_after_key(void **state)
{
        assert_null(ms_find_field("MemTotalX: 1\n", "MemTotal:"));
        assert_null(ms_find_field("oom_kill_disable 0\n", "oom_kill"));
        assert_null(ms_find_field("Key:1\n", "Key:"));
        /* A key at the very end, with no value. */
        assert_null(ms_find_field("A: 1\nKey:", "Key:"));
        assert_non_null(ms_find_field(meminfo_like, "Key"));
        assert_string_equal(ms_find_field(meminfo_like, "Key"), "with tab\nLast: 42");
}

static void find_field_empty_and_absent(void **state)
{
        assert_null(ms_find_field("", "MemTotal:"));
        assert_null(ms_find_field("\n\n\n", "MemTotal:"));
        assert_null(ms_find_field(meminfo_like, "MemFree:"));
}

static void field_u64_values(void **state)
{
        uint64_t v = 0;

        assert_int_equal(ms_field_u64(meminfo_like, "Cached:", &v), 0);
        assert_int_equal(v, 2222222);
        assert_int_equal(ms_field_u64(meminfo_like, "SwapCached:", &v), 0);
        assert_int_equal(v, 111);
        /* Last line without newline. */
        assert_int_equal(ms_field_u64(meminfo_like, "Last:", &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(ms_field_u64("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", "oom_kill", &v), 0);
        assert_int_equal(v, 7);
}

static void field_u64_missing_is_enoent(void **state)
{
        uint64_t v = 42;

        assert_int_equal(ms_field_u64(meminfo_like, "MemFree:", &v), -ENOENT);
        assert_int_equal(ms_field_u64("SwapCached: 5 kB\n", "Cached:", &v), -ENOENT);
        assert_int_equal(v, 42);
}

static void field_u64_malformed_is_einval(void **state)
{
        static const char *const bad[] = {
                "K: abc\n", "K: 12abc\n", "K: -1\n", "K: +1\n", "K: 1.5\n", "K: \n", "K: 0x10\n",
                "K: 18446744073709551616\n", "K: 123456789012345678901234567890\n",
        };
        uint64_t v = 42;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = ms_field_u64(bad[i], "K:", &v);
                if (r != -EINVAL)
                        fail_msg("ms_field_u64 on \"%s\": %d, expected -EINVAL", bad[i], r);
                assert_int_equal(v, 42);
        }
}

/* ---- ms_access_at ---- */

static void access_at_existing_and_missing(void **state)
{
        struct fake *f = *state;

        fake_write(f->root, "sys/fs/cgroup/a/memory.current", "0\n");
        assert_int_equal(ms_access_at(f->fd, "sys/fs/cgroup/a/memory.current"), 0);
        assert_int_equal(ms_access_at(f->fd, "/sys/fs/cgroup/a/memory.current"), 0);
        assert_int_equal(ms_access_at(f->fd, "sys/fs/cgroup/a"), 0);
        assert_int_equal(ms_access_at(f->fd, "sys/fs/cgroup/a/memory.max"), -ENOENT);
        assert_int_equal(ms_access_at(f->fd, "sys/fs/cgroup/b/memory.current"), -ENOENT);
}

/* ---- MS_ROOT_HOST: absolute paths on the real system ---- */

static void host_root_reads_real_proc(void **state)
{
        char buf[4096], expect[32];

        assert_int_equal(ms_access_at(MS_ROOT_HOST, "/proc/self/stat"), 0);
        assert_int_equal(ms_access_at(MS_ROOT_HOST, "proc/self/stat"), 0);
        assert_int_equal(ms_access_at(MS_ROOT_HOST, "/proc/self/no-such-file"), -ENOENT);

        /* /proc/self/stat starts with our pid. */
        snprintf(expect, sizeof(expect), "%d (", (int)getpid());
        assert_int_equal(ms_read_at(MS_ROOT_HOST, "/proc/self/stat", buf, sizeof(buf), NULL), 0);
        assert_true(strncmp(buf, expect, strlen(expect)) == 0);
        assert_int_equal(ms_read_at(MS_ROOT_HOST, "proc/self/stat", buf, sizeof(buf), NULL), 0);
        assert_true(strncmp(buf, expect, strlen(expect)) == 0);
}

/* A host path longer than the short buffer (256 bytes) of the first
 * process of a tree is opened and looked up the long way. */
static void host_root_long_path(void **state)
{
        char dir[] = "/tmp/memstop-test-fileio.XXXXXX", sub[512], path[1024], rel[1024];
        uint64_t v = 0;
        int fd;

        assert_non_null(mkdtemp(dir));
        snprintf(sub, sizeof(sub), "%s/%0150d", dir, 6); /* a name is at most 255 bytes */
        assert_int_equal(mkdir(sub, 0700), 0);
        snprintf(path, sizeof(path), "%s/%0150d", sub, 7);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "42\n", 3), 3);
        close(fd);
        snprintf(rel, sizeof(rel), "%s", path + 1); /* as the gate names them: below the root */
        assert_int_equal(ms_access_at(MS_ROOT_HOST, rel), 0);
        assert_int_equal(ms_read_u64_at(MS_ROOT_HOST, rel, &v), 0);
        assert_true(v == 42);
        unlink(path);
        rmdir(sub);
        rmdir(dir);
}

static void host_root_read_u64(void **state)
{
        uint64_t v = 0;

        assert_int_equal(ms_read_u64_at(MS_ROOT_HOST, "/proc/sys/kernel/pid_max", &v), 0);
        assert_true(v > 0);
}

/* ---- ms_read_at on -EFBIG, ms_read_full, ms_read_alloc_*, ms_read_lines_at, ms_root_prefix ---- */

static void read_at_efbig_gives_length(void **state)
{
        struct fake *f = *state;
        char buf[8];
        size_t len = 0;

        fake_write(f->root, "f", "0123456789abcdef\n");
        assert_int_equal(ms_read_at(f->fd, "f", buf, sizeof(buf), &len), -EFBIG);
        assert_int_equal(len, 7);
}

static void read_full_to_end(void **state)
{
        int p[2];
        char buf[16];

        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], "abc", 3), 3);
        assert_int_equal(write(p[1], "def", 3), 3);
        close(p[1]);
        assert_int_equal(ms_read_full(p[0], buf, 4), 4);
        assert_int_equal(ms_read_full(p[0], buf, sizeof(buf)), 2); /* the end: what is left */
        assert_int_equal(ms_read_full(p[0], buf, sizeof(buf)), 0);
        close(p[0]);
        assert_int_equal(ms_read_full(-1, buf, 1), -EBADF);
}

static void read_alloc_sizes(void **state)
{
        struct fake *f = *state;
        size_t big = 3 * 4096 + 17, len = 0;
        char *text = malloc(big + 1), *out = NULL;

        assert_non_null(text);
        for (size_t i = 0; i < big; i++)
                text[i] = (char)('a' + i % 26);
        text[big] = '\0';
        fake_write(f->root, "big", text);
        /* Larger than any first buffer: it grows. */
        assert_int_equal(ms_read_alloc_at(f->fd, "big", big, &out, &len), 0);
        assert_int_equal(len, big);
        assert_string_equal(out, text);
        free(out);
        out = NULL;
        /* One byte more than max. */
        assert_int_equal(ms_read_alloc_at(f->fd, "big", big - 1, &out, &len), -EFBIG);
        assert_null(out);
        assert_int_equal(ms_read_alloc_at(f->fd, "/big", 1 << 20, &out, NULL), 0);
        free(out);
        fake_write(f->root, "empty", "");
        assert_int_equal(ms_read_alloc_at(f->fd, "empty", 0, &out, &len), 0);
        assert_int_equal(len, 0);
        assert_string_equal(out, "");
        free(out);
        assert_int_equal(ms_read_alloc_at(f->fd, "none", 10, &out, &len), -ENOENT);
        free(text);
}

struct lines {
        unsigned n;
        char seen[8][64];
        unsigned stop_at; /* 1-based; 0: never */
};

static int on_line(char *line, void *userdata)
{
        struct lines *l = userdata;

        if (l->n < 8)
                snprintf(l->seen[l->n], sizeof(l->seen[0]), "%s", line);
        l->n++;
        return l->n == l->stop_at ? 42 : 0;
}

static void read_lines_small_buffer(void **state)
{
        struct fake *f = *state;
        struct lines l = {};
        unsigned overlong = 0;
        char buf[8];

        /* "1234567" does not fit in 8 bytes with its NUL: skipped. */
        fake_write(f->root, "l", "ab\n1234567\ncd\n\nxyz1234567890\nlast");
        assert_int_equal(ms_read_lines_at(f->fd, "l", buf, sizeof(buf), on_line, &l, &overlong), 0);
        assert_int_equal(overlong, 2);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.seen[0], "ab");
        assert_string_equal(l.seen[1], "cd");
        assert_string_equal(l.seen[2], "");
        assert_string_equal(l.seen[3], "last");
        /* A callback's non-zero value stops the reading and is returned. */
        l = (struct lines){ .stop_at = 2 };
        assert_int_equal(ms_read_lines_at(f->fd, "l", buf, sizeof(buf), on_line, &l, NULL), 42);
        assert_int_equal(l.n, 2);
        /* An overlong last line without '\n'. */
        l = (struct lines){};
        overlong = 0;
        fake_write(f->root, "m", "ok\n0123456789");
        assert_int_equal(ms_read_lines_at(f->fd, "m", buf, sizeof(buf), on_line, &l, &overlong), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(overlong, 1);
        assert_int_equal(ms_read_lines_at(f->fd, "none", buf, sizeof(buf), on_line, &l, NULL), -ENOENT);
        assert_int_equal(ms_read_lines_at(f->fd, "m", buf, 1, on_line, &l, NULL), -EINVAL);
}

static void root_prefix_names_the_root(void **state)
{
        struct fake *f = *state;
        char prefix[MS_ROOT_PREFIX_MAX], path[256], buf[16];
        int fd;

        assert_int_equal(ms_root_prefix(MS_ROOT_HOST, prefix, sizeof(prefix)), 0);
        assert_string_equal(prefix, "");
        fake_write(f->root, "etc/x", "below\n");
        assert_int_equal(ms_root_prefix(f->fd, prefix, sizeof(prefix)), 0);
        snprintf(path, sizeof(path), "%s/etc/x", prefix);
        fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(ms_read_full(fd, buf, sizeof(buf)), 6);
        close(fd);
        assert_int_equal(ms_root_prefix(f->fd, prefix, 4), -ENAMETOOLONG);
}

/* ---- ms_open_beneath: no symbolic link, no "..", regular files only ---- */

typedef int (*open_beneath_fn)(int dirfd, const char *path, struct stat *st);

static void check_open_beneath(struct fake *f, open_beneath_fn open_fn)
{
        char target[4096];
        struct stat st;
        int fd;

        fake_write(f->root, "usr/lib/a.so", "code\n");
        fake_write(f->root, "etc/secret", "x\n");
        fd = open_fn(f->fd, "/usr/lib/a.so", &st);
        assert_true(fd >= 0);
        assert_true(S_ISREG(st.st_mode) && st.st_size == 5);
        close(fd);
        fd = open_fn(f->fd, "usr//lib/a.so", &st);
        assert_true(fd >= 0);
        close(fd);
        /* ".." is refused even where it would stay inside. */
        assert_int_equal(open_fn(f->fd, "usr/../etc/secret", &st), -EXDEV);
        assert_int_equal(open_fn(f->fd, "usr/lib/../lib/a.so", &st), -EXDEV);
        assert_int_equal(open_fn(f->fd, "./usr/lib/a.so", &st), -EXDEV);
        assert_int_equal(open_fn(f->fd, "", &st), -EXDEV);
        /* A symbolic link as the file or on the way, relative or absolute. */
        snprintf(target, sizeof(target), "%s/etc/secret", f->root);
        assert_int_equal(symlinkat("../../etc/secret", f->fd, "usr/lib/link.so"), 0);
        assert_int_equal(open_fn(f->fd, "usr/lib/link.so", &st), -ELOOP);
        assert_int_equal(symlinkat(target, f->fd, "usr/lib/abs.so"), 0);
        assert_int_equal(open_fn(f->fd, "usr/lib/abs.so", &st), -ELOOP);
        assert_int_equal(symlinkat("../etc", f->fd, "usr/etc"), 0);
        fd = open_fn(f->fd, "usr/etc/secret", &st);
        assert_true(fd == -ELOOP || fd == -ENOTDIR);
        /* A FIFO is not opened for reading (which would block), a directory
         * is no regular file. */
        assert_int_equal(mkfifoat(f->fd, "usr/lib/fifo", 0644), 0);
        assert_int_equal(open_fn(f->fd, "usr/lib/fifo", &st), -EINVAL);
        assert_int_equal(open_fn(f->fd, "usr/lib", &st), -EINVAL);
        assert_int_equal(open_fn(f->fd, "usr/lib/none.so", &st), -ENOENT);
}

static void open_beneath_refuses_links_and_dotdot(void **state)
{
        check_open_beneath(*state, ms_open_beneath);
}

static void open_beneath_walk_refuses_links_and_dotdot(void **state)
{
        check_open_beneath(*state, ms_open_beneath_walk);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(root_open_directory),
                T(root_open_missing_is_enoent),
                T(root_open_file_is_enotdir),
                T(read_at_whole_file),
                T(read_at_efbig_gives_length),
                cmocka_unit_test(read_full_to_end),
                T(read_alloc_sizes),
                T(read_lines_small_buffer),
                T(root_prefix_names_the_root),
                T(read_at_exact_size_fits),
                T(read_at_one_byte_too_many_is_efbig),
                T(read_at_too_small_is_efbig_with_partial_content),
                T(read_at_size_one_nonempty_file_is_efbig),
                T(read_at_size_one_empty_file),
                T(read_at_size_zero_is_einval),
                T(read_at_empty_file),
                T(read_at_large_file),
                T(read_at_missing_is_enoent),
                T(read_at_directory_is_eisdir),
                T(read_at_leading_slash_stays_below_root),
                cmocka_unit_test(parse_u64_valid),
                cmocka_unit_test(parse_u64_invalid),
                cmocka_unit_test(parse_u64_overflow_is_erange),
                T(read_u64_number_with_newline),
                T(read_u64_max_is_uint64_max),
                T(read_u64_invalid),
                T(read_u64_long_file_is_einval),
                T(read_u64_missing_is_enoent),
                cmocka_unit_test(find_field_at_line_start),
                cmocka_unit_test(find_field_not_in_mid_line),
                cmocka_unit_test(find_field_needs_blank_after_key),
                cmocka_unit_test(find_field_empty_and_absent),
                cmocka_unit_test(field_u64_values),
                cmocka_unit_test(field_u64_missing_is_enoent),
                cmocka_unit_test(field_u64_malformed_is_einval),
                T(access_at_existing_and_missing),
                T(open_beneath_refuses_links_and_dotdot),
                T(open_beneath_walk_refuses_links_and_dotdot),
                cmocka_unit_test(host_root_reads_real_proc),
                cmocka_unit_test(host_root_read_u64),
                cmocka_unit_test(host_root_long_path),
        };

        return cmocka_run_group_tests_name("fileio", tests, NULL, NULL);
}
