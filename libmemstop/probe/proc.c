/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/parse.h"
#include "util/macro.h"
#include "probe/cgroup.h"
#include "probe/proc.h"
#include "util/strutil.h"

/* proc/stat has 52 fields of at most 20 digits plus comm (at most 64 bytes). */
#define STAT_BUF 2048

/*
 * "proc/PID/FILE" or "proc/self/FILE" into buf, without libc (the preload
 * checks liveness on its fast path). Returns 0 or -ENAMETOOLONG.
 */
static MS_HOT int proc_path(pid_t pid, const char *file, char *buf, size_t size)
{
        char digits[16];
        size_t n = 0, nd = 0;
        const char *p;

        if (pid < 0)
                return -EINVAL;
        if (pid == 0) {
                for (p = "self"; *p; p++)
                        digits[nd++] = *p;
        } else {
                char rev[16];
                size_t nr = 0;
                for (unsigned long v = (unsigned long)pid; v; v /= 10)
                        rev[nr++] = (char)('0' + v % 10);
                while (nr)
                        digits[nd++] = rev[--nr];
        }
        if (5 + nd + 1 + ms_strlen(file) + 1 > size)
                return -ENAMETOOLONG;
        for (p = "proc/"; *p; p++)
                buf[n++] = *p;
        for (size_t i = 0; i < nd; i++)
                buf[n++] = digits[i];
        buf[n++] = '/';
        for (p = file; *p; p++)
                buf[n++] = *p;
        buf[n] = '\0';
        return 0;
}

/* Read proc/PID/file; a missing process reads as -ESRCH. */
static MS_HOT int proc_read_len(int rootfd, pid_t pid, const char *file, char *buf, size_t size, size_t *len)
{
        char path[64];
        int r = proc_path(pid, file, path, sizeof(path));

        if (r < 0)
                return r;
        r = ms_read_at(rootfd, path, buf, size, len);
        return r == -ENOENT ? -ESRCH : r;
}

static MS_HOT int proc_read(int rootfd, pid_t pid, const char *file, char *buf, size_t size)
{
        return proc_read_len(rootfd, pid, file, buf, size, NULL);
}

static MS_HOT bool is_letter(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* One unsigned decimal field ending in ' ', '\n' or NUL; *p moves past it. */
static MS_HOT int take_u64(const char **p, uint64_t *out)
{
        const char *s = *p;
        uint64_t v;

        if (ms_parse_u64_prefix(&s, &v) < 0 || (*s != ' ' && *s != '\n' && *s != '\0'))
                return -EINVAL;
        *p = s;
        *out = v;
        return 0;
}

/* comm, between the first '(' and the last ')' of text, cut to fit. Returns
 * what follows the ')' or NULL. */
static MS_HOT const char *take_comm(const char *text, char *comm, size_t size)
{
        const char *open = ms_strchr(text, '('), *close = ms_strrchr(text, ')');
        size_t n = 0;

        if (!open || !close || close < open)
                return NULL;
        for (const char *c = open + 1; c < close && n + 1 < size; c++)
                comm[n++] = *c;
        comm[n] = '\0';
        return close + 1;
}

/* Fields 4..24 after the state; some (tty_nr, tpgid, priority, nice) may be
 * negative: only the ones kept must not be. A line that ends after field 22
 * (older or hostile text) leaves rss_pages 0. */
static MS_HOT int take_numbers(const char *p, struct ms_proc_stat *st)
{
        uint64_t v;

        for (unsigned field = 4; field <= 24; field++) {
                bool kept = field == 4 || field == 9 || field == 14 || field == 15 || field == 20 || field == 22 ||
                            field == 24;

                if (field > 22 && (*p == '\0' || *p == '\n'))
                        return 0;
                if (*p != ' ')
                        return -EINVAL;
                p++;
                if (!kept && *p == '-')
                        p++;
                if (take_u64(&p, &v) < 0)
                        return -EINVAL;
                if (field == 4) {
                        if (v > INT32_MAX)
                                return -EINVAL;
                        st->ppid = (pid_t)v;
                } else if (field == 9) {
                        st->flags = (unsigned)v;
                } else if (field == 14) {
                        st->utime = v;
                } else if (field == 15) {
                        st->stime = v;
                } else if (field == 20) {
                        st->threads = v;
                } else if (field == 22) {
                        st->starttime = v;
                } else if (field == 24) {
                        st->rss_pages = v;
                }
        }
        return 0;
}

MS_HOT int ms_proc_stat_parse(const char *text, struct ms_proc_stat *out)
{
        struct ms_proc_stat st = {};
        const char *p;

        /* "PID (comm) S ...": comm is anything, so the last ')' ends it. */
        if (!ms_isdigit(*text))
                return -EINVAL;
        p = take_comm(text, st.comm, sizeof(st.comm));
        if (!p)
                return -EINVAL;
        /* Field 3: the state, one letter; each check stops at the NUL. */
        if (p[0] != ' ' || !is_letter(p[1]) || p[2] != ' ')
                return -EINVAL;
        st.state = p[1];
        if (take_numbers(p + 2, &st) < 0)
                return -EINVAL;
        *out = st;
        return 0;
}

MS_HOT int ms_proc_stat_read(int rootfd, pid_t pid, struct ms_proc_stat *out)
{
        char buf[STAT_BUF];
        int r = proc_read(rootfd, pid, "stat", buf, sizeof(buf));

        if (r < 0)
                return r;
        return ms_proc_stat_parse(buf, out);
}

int ms_proc_statm_parse(const char *text, uint64_t page_size, uint64_t *rss)
{
        const char *p = text;
        uint64_t size, resident;

        if (take_u64(&p, &size) < 0 || *p != ' ')
                return -EINVAL;
        p++;
        if (take_u64(&p, &resident) < 0)
                return -EINVAL;
        if (page_size && resident > UINT64_MAX / page_size)
                return -EINVAL;
        *rss = resident * page_size;
        return 0;
}

int ms_proc_rss_read(int rootfd, pid_t pid, uint64_t *rss)
{
        char buf[256];
        long page = sysconf(_SC_PAGESIZE);
        int r = proc_read(rootfd, pid, "statm", buf, sizeof(buf));

        if (r < 0)
                return r;
        return ms_proc_statm_parse(buf, page > 0 ? (uint64_t)page : 4096, rss);
}

MS_HOT bool ms_proc_alive(int rootfd, pid_t pid, uint64_t starttime)
{
        struct ms_proc_stat st;

        if (ms_proc_stat_read(rootfd, pid, &st) < 0)
                return false;
        /* 'x' is how kernels before 3.14 wrote a dead task. */
        if (st.state == 'Z' || st.state == 'X' || st.state == 'x')
                return false;
        return st.starttime == starttime;
}

int ms_proc_status_hwm_parse(const char *text, uint64_t *hwm)
{
        uint64_t kb;
        int r = ms_field_u64(text, "VmHWM:", &kb);

        if (r < 0)
                return r;
        if (kb > UINT64_MAX / 1024)
                return -EINVAL;
        *hwm = kb * 1024;
        return 0;
}

/* proc/PID/status, parsed by parse: one bigger than buf (-EFBIG) is parsed
 * as far as it was read, the Vm and Rss lines being in its first half. */
static int status_read(int rootfd, pid_t pid, int (*parse)(const char *text, uint64_t *out), uint64_t *out)
{
        char buf[8192];
        int r = proc_read(rootfd, pid, "status", buf, sizeof(buf));

        if (r < 0 && r != -EFBIG)
                return r;
        return parse(buf, out);
}

int ms_proc_hwm_read(int rootfd, pid_t pid, uint64_t *hwm)
{
        return status_read(rootfd, pid, ms_proc_status_hwm_parse, hwm);
}

int ms_proc_status_code_parse(const char *text, uint64_t *code)
{
        static const char *const keys[] = { "RssFile:", "VmExe:", "VmLib:" };
        uint64_t kb[3];

        for (size_t i = 0; i < 3; i++) {
                int r = ms_field_u64(text, keys[i], &kb[i]);
                if (r < 0)
                        return r;
                if (kb[i] > UINT64_MAX / 1024 / 2)
                        return -EINVAL;
        }
        *code = (kb[0] < kb[1] + kb[2] ? kb[0] : kb[1] + kb[2]) * 1024;
        return 0;
}

int ms_proc_code_read(int rootfd, pid_t pid, uint64_t *code)
{
        return status_read(rootfd, pid, ms_proc_status_code_parse, code);
}

int ms_proc_comm_read(int rootfd, pid_t pid, char *out, size_t size)
{
        size_t len = 0;
        int r = proc_read_len(rootfd, pid, "comm", out, size, &len);

        if (r < 0 && r != -EFBIG)
                return r;
        if (len > 0 && out[len - 1] == '\n')
                out[len - 1] = '\0';
        return 0;
}

int ms_proc_memcg_parse(const char *text, char *path, size_t size)
{
        int r = ms_proc_cgroup_parse(text, MS_CGROUP_V1, path, size);

        if (r == -ENOENT)
                r = ms_proc_cgroup_parse(text, MS_CGROUP_V2, path, size);
        return r;
}

int ms_proc_memcg_read(int rootfd, pid_t pid, char *path, size_t size)
{
        char text[4096];
        int r = proc_read(rootfd, pid, "cgroup", text, sizeof(text));

        if (r < 0)
                return r;
        return ms_proc_memcg_parse(text, path, size);
}

int ms_proc_children_parse(const char *text, pid_t *out, size_t max, size_t *n)
{
        const char *p = text;

        for (;;) {
                uint64_t v = 0;
                const char *start;

                while (*p == ' ' || *p == '\n')
                        p++;
                if (!*p)
                        return 0;
                for (start = p; *p >= '0' && *p <= '9'; p++) {
                        v = v * 10 + (uint64_t)(*p - '0');
                        if (v > INT32_MAX)
                                return -EINVAL;
                }
                if (p == start || (*p && *p != ' ' && *p != '\n') || v == 0)
                        return -EINVAL;
                if (*n >= max)
                        return -ENOSPC;
                out[(*n)++] = (pid_t)v;
        }
}


/* A children file longer than CHILDREN_TEXT (a process that started a
 * thousand children or more), read in pieces: a pid cut at a piece's end is
 * carried over to the next. Returns 0, -ENOSPC (out is full), -EINVAL or
 * -errno. */
#define CHILDREN_TEXT 8192
static int children_long_read(int rootfd, const char *path, pid_t *out, size_t max, size_t *n)
{
        char buf[4096 + 12], tail[12];
        size_t carry = 0;
        struct stat st;
        _cleanup_close_ int fd = ms_open_regular_at(rootfd, path, &st);

        if (fd < 0)
                return fd;
        for (;;) {
                long got = ms_read_full(fd, buf + carry, 4096);
                size_t len, cut;
                int r;

                if (got < 0)
                        return (int)got;
                len = carry + (size_t)got;
                for (cut = len; got > 0 && cut > 0 && buf[cut - 1] >= '0' && buf[cut - 1] <= '9'; cut--)
                        ;
                if (len - cut >= sizeof(tail))
                        return -EINVAL; /* no pid has that many digits */
                memcpy(tail, buf + cut, len - cut);
                buf[cut] = '\0';
                r = ms_proc_children_parse(buf, out, max, n);
                if (r < 0 || got == 0)
                        return r;
                carry = len - cut;
                memcpy(buf, tail, carry);
        }
}

/* One children file, whatever its length. As ms_proc_children_parse. */
static int children_file_read(int rootfd, const char *path, pid_t *out, size_t max, size_t *n)
{
        char text[CHILDREN_TEXT];
        int r = ms_read_at(rootfd, path, text, sizeof(text), NULL);

        if (r == -EFBIG)
                return children_long_read(rootfd, path, out, max, n);
        return r < 0 ? r : ms_proc_children_parse(text, out, max, n);
}

int ms_proc_children_read(int rootfd, pid_t pid, pid_t *out, size_t max, size_t *n)
{
        char path[64];
        struct ms_pid_dir tasks;
        pid_t tid;
        int r = 0;

        snprintf(path, sizeof(path), "proc/%d/task", (int)pid);
        r = ms_pid_dir_open(rootfd, path, &tasks);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        while ((tid = ms_pid_dir_next(&tasks, NULL)) > 0) {
                char child[96];
                int q;

                snprintf(child, sizeof(child), "%s/%d/children", path, (int)tid);
                q = children_file_read(rootfd, child, out, max, n);
                if (q == -ENOENT || q == -ESRCH)
                        continue; /* the thread ended meanwhile */
                if (q < 0) {
                        r = q;
                        if (q != -EINVAL)
                                break;
                }
        }
        ms_pid_dir_close(&tasks);
        return r;
}

int ms_proc_kids_read(int rootfd, pid_t pid, uint64_t threads, pid_t *out, size_t max, size_t *n)
{
        char path[64];
        int r;

        if (threads > 1)
                return ms_proc_children_read(rootfd, pid, out, max, n);
        snprintf(path, sizeof(path), "proc/%d/task/%d/children", (int)pid, (int)pid);
        r = children_file_read(rootfd, path, out, max, n);
        if (r == -ENOENT)
                return -ENOTSUP;
        return r == -EINVAL ? 0 : r; /* hostile text: no children */
}

void ms_proc_cmdline_format(const char *text, size_t len, char *buf, size_t size)
{
        size_t n = 0;

        if (size == 0)
                return;
        /* The trailing NUL ends the last argument: no trailing blank. */
        while (len > 0 && text[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len && n + 1 < size; i++)
                buf[n++] = text[i] == '\0' || text[i] == '\n' ? ' ' : text[i];
        buf[n] = '\0';
}


int ms_proc_cmdline_read(int rootfd, pid_t pid, char *buf, size_t size)
{
        char text[4096];
        size_t len = 0;
        int r = proc_read_len(rootfd, pid, "cmdline", text, sizeof(text), &len);

        /* A longer command line is cut: its start is what tells. */
        if (r < 0 && r != -EFBIG)
                return r;
        ms_proc_cmdline_format(text, len, buf, size);
        return 0;
}

int ms_pid_dir_open(int rootfd, const char *path, struct ms_pid_dir *d)
{
        char abs[PATH_MAX];
        const char *p = ms_at_path(rootfd, path, abs, sizeof(abs));
        int fd;

        d->dir = NULL;
        if (!p)
                return -ENAMETOOLONG;
        fd = openat(rootfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d->dir = fdopendir(fd);
        if (!d->dir) {
                int r = -errno;
                close(fd);
                return r;
        }
        return 0;
}

pid_t ms_pid_dir_next(struct ms_pid_dir *d, uint64_t *ino)
{
        struct dirent *de;
        uint64_t v;

        while (d->dir && (de = readdir(d->dir))) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9' || ms_parse_u64(de->d_name, &v) < 0 || v > INT32_MAX)
                        continue;
                if (ino)
                        *ino = de->d_ino;
                return (pid_t)v;
        }
        return 0;
}

void ms_pid_dir_rewind(struct ms_pid_dir *d)
{
        if (d->dir)
                rewinddir(d->dir);
}

void ms_pid_dir_close(struct ms_pid_dir *d)
{
        if (d->dir)
                closedir(d->dir);
        d->dir = NULL;
}

/* ---- for the gate: owner and state in one read; committed memory ---- */

int ms_proc_stat_owner_read(int rootfd, pid_t pid, struct ms_proc_stat *out, uid_t *uid)
{
        char path[64], buf[STAT_BUF];
        struct stat st;
        _cleanup_close_ int fd = -1;
        long n;
        int r = proc_path(pid, "stat", path, sizeof(path));

        if (r < 0)
                return r;
        fd = ms_open_regular_at(rootfd, path, &st);
        if (fd < 0)
                return fd == -ENOENT ? -ESRCH : fd;
        n = ms_read_full(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return n == -ESRCH ? -ESRCH : (int)n;
        buf[n] = '\0';
        r = ms_proc_stat_parse(buf, out);
        if (r < 0)
                return r;
        *uid = st.st_uid;
        return 0;
}

int ms_proc_status_commit_parse(const char *text, uint64_t *bytes)
{
        static const char fields[][8] = { "VmData:", "VmStk:" };
        uint64_t kib = 0;

        for (size_t i = 0; i < MS_ARRAY_SIZE(fields); i++) {
                uint64_t v;
                int r = ms_field_u64(text, fields[i], &v);
                if (r < 0)
                        return r;
                if (v > UINT64_MAX / 1024 - kib)
                        return -EINVAL;
                kib += v;
        }
        *bytes = kib * 1024;
        return 0;
}

int ms_proc_commit_read(int rootfd, pid_t pid, uint64_t *bytes)
{
        char status[8192];
        int r = proc_read(rootfd, pid, "status", status, sizeof(status));

        /* Both fields come early: a status cut short (-EFBIG) still has them. */
        return r < 0 && r != -EFBIG ? r : ms_proc_status_commit_parse(status, bytes);
}

unsigned ms_cpus_usable(void)
{
        cpu_set_t set;
        long online;

        if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
                return (unsigned)CPU_COUNT(&set);
        /* More CPUs than a cpu_set_t holds (1024), or no answer. */
        online = sysconf(_SC_NPROCESSORS_ONLN);
        return online > 0 ? (unsigned)online : 1;
}
