/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockd/learned.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"

#define MAGIC "memstop-lockd-learned"
#define VERSION 1
#define LINE_MAX_LEN (LOCKD_LEARNED_MAX_PATH + 256)
#define LEARNED_TMP LOCKD_LEARNED_DIR "/.learned.tmp"

static void file_free(struct lockd_learned_file *f)
{
        free(f->path);
        lockd_wset_free(&f->ws);
}

void lockd_learned_free(struct lockd_learned *l)
{
        for (size_t i = 0; i < l->n; i++)
                file_free(&l->f[i]);
        free(l->f);
        *l = (struct lockd_learned){};
}

/* The parser's position: the entry being read and what it still expects. */
struct parser {
        uint64_t page;
        size_t max_files;
        struct lockd_learned *out;
        struct lockd_learned_file *cur;
        uint64_t tools_left, ranges_left;
        bool header, end;
        const char *reason;
};

/* The next blank-separated number of *p. */
static int take_u64(const char **p, uint64_t *out)
{
        if (**p != ' ')
                return -EINVAL;
        (*p)++;
        if (**p < '0' || **p > '9' || ms_parse_u64_prefix(p, out) < 0)
                return -EINVAL;
        return 0;
}

static bool path_ok(const char *p)
{
        size_t len = strlen(p);

        if (p[0] != '/' || len >= LOCKD_LEARNED_MAX_PATH)
                return false;
        for (; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static int start_file(struct parser *ps, const char *p)
{
        struct lockd_learned_file f = {};
        uint64_t v[7];

        for (size_t k = 0; k < MS_ARRAY_SIZE(v); k++)
                if (take_u64(&p, &v[k]) < 0)
                        return ps->reason = "bad number in a file line", -EINVAL;
        if (*p++ != ' ' || !path_ok(p))
                return ps->reason = "bad path", -EINVAL;
        if (v[3] > INT64_MAX || v[4] >= 1000000000 || v[5] > LOCKD_TOOLS_MAX || v[6] > LOCKD_WSET_MAX_RANGES)
                return ps->reason = "value out of range in a file line", -EINVAL;
        if (ps->out->n >= ps->max_files)
                return ps->reason = "more files than max_files", -E2BIG;
        for (size_t i = 0; i < ps->out->n; i++)
                if (strcmp(ps->out->f[i].path, p) == 0)
                        return ps->reason = "a path twice", -EINVAL;
        if (ps->out->n == ps->out->cap) {
                size_t cap = ps->out->cap ? ps->out->cap * 2 : 32;
                struct lockd_learned_file *nf = realloc(ps->out->f, cap * sizeof(*nf));
                if (!nf)
                        return -ENOMEM;
                ps->out->f = nf;
                ps->out->cap = cap;
        }
        f = (struct lockd_learned_file){ .dev = v[0], .ino = v[1], .size = v[2], .mtime_sec = (int64_t)v[3],
                                         .mtime_nsec = (long)v[4] };
        f.path = strdup(p);
        if (!f.path)
                return -ENOMEM;
        ps->out->f[ps->out->n++] = f;
        ps->cur = &ps->out->f[ps->out->n - 1];
        ps->tools_left = v[5];
        ps->ranges_left = v[6];
        return 0;
}

static int add_range(struct parser *ps, const char *p)
{
        struct lockd_wset *w = &ps->cur->ws;
        struct lockd_range r;

        if (take_u64(&p, &r.offset) < 0 || take_u64(&p, &r.length) < 0 || *p)
                return ps->reason = "bad range line", -EINVAL;
        /* Strictly as written: sorted, disjoint, aligned, within the file. */
        if (w->n > 0 && r.offset <= w->r[w->n - 1].offset + w->r[w->n - 1].length)
                return ps->reason = "ranges unsorted or overlapping", -EINVAL;
        if (!lockd_wset_valid(&r, 1, ps->cur->size, ps->page))
                return ps->reason = "range not page-aligned or beyond the file", -EINVAL;
        if (lockd_wset_add(w, r.offset, r.length, ps->page) < 0)
                return -ENOMEM;
        ps->ranges_left--;
        return 0;
}

static int parse_line(struct parser *ps, const char *line)
{
        uint64_t v, page;
        const char *p;

        if (ps->end)
                return ps->reason = "text after the end line", -EINVAL;
        if (!ps->header) {
                p = line + strlen(MAGIC);
                if (strncmp(line, MAGIC, strlen(MAGIC)) != 0 || take_u64(&p, &v) < 0 || v != VERSION ||
                    take_u64(&p, &page) < 0 || *p)
                        return ps->reason = "not a version 1 learned file", -EINVAL;
                if (page != ps->page)
                        return ps->reason = "written for another page size", -EINVAL;
                ps->header = true;
                return 0;
        }
        if (ps->cur && ps->tools_left > 0) {
                if (strncmp(line, "tool ", 5) != 0 || !lockd_tool_name_valid(line + 5) ||
                    !lockd_tools_add(&ps->cur->tools, line + 5))
                        return ps->reason = "bad or repeated tool line", -EINVAL;
                ps->tools_left--;
                return 0;
        }
        if (ps->cur && ps->ranges_left > 0) {
                if (strncmp(line, "range", 5) != 0)
                        return ps->reason = "fewer ranges than announced", -EINVAL;
                return add_range(ps, line + 5);
        }
        if (strcmp(line, "end") == 0) {
                ps->end = true;
                return 0;
        }
        if (strncmp(line, "file", 4) == 0)
                return start_file(ps, line + 4);
        return ps->reason = "unknown line", -EINVAL;
}

int lockd_learned_parse(const char *text, size_t len, uint64_t page, size_t max_files,
                        struct lockd_learned *out, const char **reason, unsigned *line)
{
        struct parser ps = { .page = page, .max_files = max_files, .out = out };
        char buf[LINE_MAX_LEN];
        size_t pos = 0;
        int r = 0;

        *out = (struct lockd_learned){};
        *line = 0;
        while (pos < len && r == 0) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

                ++*line;
                if (!nl)
                        ps.reason = "the last line is cut short", r = -EINVAL;
                else if (n >= sizeof(buf) || memchr(text + pos, '\0', n))
                        ps.reason = "line too long or with a NUL byte", r = -EINVAL;
                else {
                        memcpy(buf, text + pos, n);
                        buf[n] = '\0';
                        r = parse_line(&ps, buf);
                }
                pos += n + 1;
        }
        if (r == 0 && !ps.end)
                ps.reason = "no end line: cut short", r = -EINVAL;
        *reason = ps.reason;
        if (r < 0)
                lockd_learned_free(out);
        return r;
}

/* Append to a growing buffer. */
struct out {
        char *buf;
        size_t len, cap;
        int error;
};

static void put(struct out *o, const char *fmt, ...) MS_PRINTF(2, 3);

static void put(struct out *o, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (o->error)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        o->error = -EINVAL;
                        return;
                }
                if (o->buf && o->len + (size_t)n < o->cap) {
                        o->len += (size_t)n;
                        return;
                }
                size_t cap = o->cap ? o->cap * 2 : 4096;
                while (cap <= o->len + (size_t)n)
                        cap *= 2;
                char *b = realloc(o->buf, cap);
                if (!b) {
                        o->error = -ENOMEM;
                        return;
                }
                o->buf = b;
                o->cap = cap;
        }
}

static bool entry_ok(const struct lockd_learned_file *f, uint64_t page)
{
        if (!f->path || !path_ok(f->path) || f->mtime_sec < 0 || f->mtime_nsec < 0 || f->mtime_nsec >= 1000000000)
                return false;
        for (unsigned k = 0; k < f->tools.n; k++)
                if (!lockd_tool_name_valid(f->tools.name[k]))
                        return false;
        return f->tools.n <= LOCKD_TOOLS_MAX && lockd_wset_valid(f->ws.r, f->ws.n, f->size, page);
}

int lockd_learned_format(const struct lockd_learned_file *files, size_t n, uint64_t page, char **text,
                         size_t *len)
{
        struct out o = {};

        put(&o, "%s %d %" PRIu64 "\n", MAGIC, VERSION, page);
        for (size_t i = 0; i < n; i++) {
                const struct lockd_learned_file *f = &files[i];
                if (!entry_ok(f, page))
                        continue;
                put(&o, "file %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %ld %u %u %s\n", f->dev, f->ino,
                    f->size, f->mtime_sec, f->mtime_nsec, f->tools.n, f->ws.n, f->path);
                for (unsigned k = 0; k < f->tools.n; k++)
                        put(&o, "tool %s\n", f->tools.name[k]);
                for (unsigned k = 0; k < f->ws.n; k++)
                        put(&o, "range %" PRIu64 " %" PRIu64 "\n", f->ws.r[k].offset, f->ws.r[k].length);
        }
        put(&o, "end\n");
        if (o.error) {
                free(o.buf);
                return o.error;
        }
        *text = o.buf;
        *len = o.len;
        return 0;
}

/* The directory: nobody but its owner may write it, and that owner is us,
 * root, or (when root reads, as --dry-run does) the daemon's user. */
static bool dir_safe(const struct stat *st)
{
        uid_t me = geteuid();

        return !(st->st_mode & (S_IWGRP | S_IWOTH)) && (st->st_uid == me || st->st_uid == 0 || me == 0);
}

/* The file: a regular file of the directory's owner, writable by nobody else. */
static bool file_safe(const struct stat *st, const struct stat *dir)
{
        return S_ISREG(st->st_mode) && st->st_uid == dir->st_uid && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int lockd_learned_read(int rootfd, uint64_t page, size_t max_files, struct lockd_learned *out,
                       const char **reason, unsigned *line)
{
        _cleanup_close_ int dirfd = -1, fd = -1;
        struct stat st, dst;
        char *text;
        ssize_t n;
        int r;

        *out = (struct lockd_learned){};
        *line = 0;
        *reason = "cannot be opened";
        /* The directory may be a symbolic link: systemd's DynamicUser=
         * makes /var/lib/memstop-lockd one to private/memstop-lockd. Only
         * root can put one there; what it leads to is checked below. */
        dirfd = openat(rootfd, LOCKD_LEARNED_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        if (fstat(dirfd, &dst) < 0)
                return -errno;
        if (!dir_safe(&dst))
                return *reason = "its directory is not the daemon's or writable by others", -EPERM;
        fd = openat(dirfd, "learned", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? (*reason = "a symbolic link", -EPERM) : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!file_safe(&st, &dst))
                return *reason = "not a regular file of the daemon's user, or writable by others", -EPERM;
        if (st.st_size > LOCKD_LEARNED_MAX_SIZE)
                return *reason = "larger than 16 MiB", -EFBIG;
        text = malloc(LOCKD_LEARNED_MAX_SIZE + 1);
        if (!text)
                return -ENOMEM;
        /* The size read, not the size stat'ed: the file may change under us. */
        n = ms_read_full(fd, text, LOCKD_LEARNED_MAX_SIZE + 1);
        if (n < 0)
                r = (int)n;
        else if ((size_t)n > LOCKD_LEARNED_MAX_SIZE)
                r = (*reason = "larger than 16 MiB", -EFBIG);
        else
                r = lockd_learned_parse(text, (size_t)n, page, max_files, out, reason, line);
        free(text);
        return r;
}

int lockd_learned_write(int rootfd, const struct lockd_learned_file *files, size_t n, uint64_t page)
{
        _cleanup_close_ int fd = -1;
        char *text = NULL;
        size_t len = 0;
        int r;

        if (mkdirat(rootfd, "var", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(rootfd, "var/lib", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(rootfd, LOCKD_LEARNED_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        r = lockd_learned_format(files, n, page, &text, &len);
        if (r < 0)
                return r;
        (void)unlinkat(rootfd, LEARNED_TMP, 0);
        fd = openat(rootfd, LEARNED_TMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                r = -errno;
        if (r == 0)
                r = ms_write_all(fd, text, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(rootfd, LEARNED_TMP, rootfd, LOCKD_LEARNED_PATH) < 0)
                r = -errno;
        if (r < 0 && fd >= 0)
                (void)unlinkat(rootfd, LEARNED_TMP, 0);
        free(text);
        return r;
}

int lockd_learned_adopt(struct lockd_set *s, size_t i, const struct lockd_learned_file *e)
{
        struct lockd_file *f = &s->files[i];

        for (unsigned k = 0; k < e->tools.n; k++)
                (void)lockd_tools_add(&f->tools, e->tools.name[k]);
        if (f->dev != e->dev || f->ino != e->ino || f->size != e->size || f->mtime_sec != e->mtime_sec ||
            f->mtime_nsec != e->mtime_nsec)
                return 0;
        if (lockd_wset_copy(&f->learned, &e->ws) < 0)
                return -ENOMEM;
        if (lockd_set_apply_learned(s, i, UINT64_MAX) < 0)
                return -ENOMEM;
        return 1;
}
