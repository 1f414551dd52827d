/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/parse.h"
#include "probe/lockdstate.h"
#include "util/macro.h"

#define STATE_DIR "run/memstop-lockd"
#define STATE_TMP "run/memstop-lockd/.state.tmp"

struct state_key {
        const char *name;
        size_t offset;
};

#define KEY(n, field) { n, offsetof(struct ms_lockd_state, field) }

static const struct state_key keys[] = {
        KEY("started", started),
        KEY("updated", updated),
        KEY("locked_bytes", locked_bytes),
        KEY("locked_files", locked_files),
        KEY("budget_bytes", budget_bytes),
        KEY("skipped_files", skipped_files),
};

int ms_lockd_state_parse(const char *text, struct ms_lockd_state *out)
{
        struct ms_lockd_state st = {};
        uint64_t pid;
        int r;

        /* Every key must be there: a file cut short is corrupt, not zero. */
        r = ms_field_u64(text, "pid", &pid);
        if (r < 0 || pid == 0 || pid > INT32_MAX)
                return -EINVAL;
        st.pid = (pid_t)pid;
        for (size_t i = 0; i < MS_ARRAY_SIZE(keys); i++) {
                r = ms_field_u64(text, keys[i].name, (uint64_t *)((char *)&st + keys[i].offset));
                if (r < 0)
                        return -EINVAL;
        }
        *out = st;
        return 0;
}

int ms_lockd_state_read(int rootfd, struct ms_lockd_state *out)
{
        char buf[512];
        int r;

        r = ms_read_at(rootfd, MS_LOCKD_STATE_PATH, buf, sizeof(buf), NULL);
        if (r == -EFBIG)
                return -EINVAL;
        if (r < 0)
                return r;
        return ms_lockd_state_parse(buf, out);
}

int ms_lockd_state_write(int rootfd, const struct ms_lockd_state *st)
{
        _cleanup_close_ int fd = -1;
        char buf[512];
        int n, r;

        /* run/ itself belongs to the system; only our directory is made here. */
        if (mkdirat(rootfd, STATE_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        n = snprintf(buf, sizeof(buf),
                     "pid %d\nstarted %" PRIu64 "\nupdated %" PRIu64 "\nlocked_bytes %" PRIu64
                     "\nlocked_files %" PRIu64 "\nbudget_bytes %" PRIu64 "\nskipped_files %" PRIu64 "\n",
                     (int)st->pid, st->started, st->updated, st->locked_bytes, st->locked_files,
                     st->budget_bytes, st->skipped_files);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EOVERFLOW;
        fd = openat(rootfd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        r = ms_write_all(fd, buf, (size_t)n);
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r == 0 && renameat(rootfd, STATE_TMP, rootfd, MS_LOCKD_STATE_PATH) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(rootfd, STATE_TMP, 0);
        return r;
}

#define DETAIL_MAGIC "memstop-lockd-locked 1"
#define DETAIL_TMP "run/memstop-lockd/.locked.tmp"

static const char *const how_names[] = {
        [MS_LOCKD_HOW_NONE] = "none",         [MS_LOCKD_HOW_SET] = "set",
        [MS_LOCKD_HOW_LEARNING] = "learning", [MS_LOCKD_HOW_SEGMENTS] = "segments",
        [MS_LOCKD_HOW_WHOLE] = "whole",
};

const char *ms_lockd_how_name(enum ms_lockd_how how)
{
        return (size_t)how < MS_ARRAY_SIZE(how_names) ? how_names[how] : "none";
}

/* Printable, no blank where a word is expected, and it fits with its NUL. */
static bool text_ok(const char *s, size_t size, bool blanks)
{
        size_t len = strlen(s);

        if (len == 0 || len >= size)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f || (!blanks && *s == ' '))
                        return false;
        return true;
}

/* " NUMBER" at *p. */
static int take_number(const char **p, uint64_t *out)
{
        if (**p != ' ' || (*p)[1] < '0' || (*p)[1] > '9')
                return -EINVAL;
        (*p)++;
        return ms_parse_u64_prefix(p, out);
}

/* A word of at most size - 1 characters, then a blank, into out. */
static int take_word(const char **p, char *out, size_t size)
{
        const char *end;

        if (**p != ' ')
                return -EINVAL;
        (*p)++;
        end = strchr(*p, ' ');
        if (!end || end == *p || (size_t)(end - *p) >= size)
                return -EINVAL;
        memcpy(out, *p, (size_t)(end - *p));
        out[end - *p] = '\0';
        *p = end;
        return 0;
}

static int detail_file(struct ms_lockd_detail *d, const char *p)
{
        struct ms_lockd_file_detail *f;
        char how[16];
        size_t k;

        if (d->nfiles >= MS_LOCKD_DETAIL_FILES)
                return -EINVAL;
        f = &d->files[d->nfiles];
        if (take_number(&p, &f->locked_bytes) < 0 || take_number(&p, &f->learned_bytes) < 0 ||
            take_word(&p, how, sizeof(how)) < 0 || *p++ != ' ' || *p != '/' ||
            !text_ok(p, sizeof(f->path), true))
                return -EINVAL;
        for (k = 0; k < MS_ARRAY_SIZE(how_names); k++)
                if (strcmp(how, how_names[k]) == 0)
                        break;
        if (k == MS_ARRAY_SIZE(how_names))
                return -EINVAL;
        f->how = (enum ms_lockd_how)k;
        memcpy(f->path, p, strlen(p) + 1);
        d->nfiles++;
        return 0;
}

static int detail_tool(struct ms_lockd_detail *d, const char *p)
{
        struct ms_lockd_tool_detail *t;

        if (d->ntools >= MS_LOCKD_DETAIL_TOOLS)
                return -EINVAL;
        t = &d->tools[d->ntools];
        if (take_word(&p, t->name, sizeof(t->name)) < 0 || take_number(&p, &t->locked_bytes) < 0 ||
            take_number(&p, &t->files) < 0 || *p)
                return -EINVAL;
        d->ntools++;
        return 0;
}

static int detail_line(struct ms_lockd_detail *d, const char *line, unsigned n, bool *end)
{
        const char *p;

        if (*end)
                return -EINVAL;
        if (n == 1)
                return strcmp(line, DETAIL_MAGIC) == 0 ? 0 : -EINVAL;
        if (strcmp(line, "end") == 0) {
                *end = true;
                return 0;
        }
        if (strncmp(line, "mode ", 5) == 0 && n == 2)
                return text_ok(line + 5, sizeof(d->mode), false) ? (memcpy(d->mode, line + 5, strlen(line + 5) + 1), 0)
                                                                  : -EINVAL;
        if (strncmp(line, "file", 4) == 0)
                return detail_file(d, line + 4);
        if (strncmp(line, "tool", 4) == 0)
                return detail_tool(d, line + 4);
        if (strncmp(line, "more", 4) == 0) {
                p = line + 4;
                return take_number(&p, &d->more) < 0 || *p ? -EINVAL : 0;
        }
        return -EINVAL;
}

int ms_lockd_detail_parse(const char *text, size_t len, struct ms_lockd_detail *out)
{
        char line[MS_LOCKD_DETAIL_PATH_MAX + 96];
        bool end = false;
        size_t pos = 0;
        unsigned n = 0;
        int r = 0;

        memset(out, 0, sizeof(*out));
        while (pos < len && r == 0) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

                if (!nl || l >= sizeof(line) || memchr(text + pos, '\0', l)) {
                        r = -EINVAL;
                        break;
                }
                memcpy(line, text + pos, l);
                line[l] = '\0';
                r = detail_line(out, line, ++n, &end);
                pos += l + 1;
        }
        if (r == 0 && (!end || out->mode[0] == '\0'))
                r = -EINVAL;
        if (r < 0)
                memset(out, 0, sizeof(*out));
        return r;
}

int ms_lockd_detail_read(int rootfd, struct ms_lockd_detail *out)
{
        char *buf = malloc(MS_LOCKD_DETAIL_MAX_SIZE);
        size_t len = 0;
        int r;

        if (!buf)
                return -ENOMEM;
        r = ms_read_at(rootfd, MS_LOCKD_DETAIL_PATH, buf, MS_LOCKD_DETAIL_MAX_SIZE, &len);
        if (r == -EFBIG)
                r = -EINVAL;
        if (r == 0)
                r = ms_lockd_detail_parse(buf, len, out);
        free(buf);
        return r;
}

/* Append to buf[*len..size); -EOVERFLOW when it does not fit. */
static int append(char *buf, size_t size, size_t *len, const char *fmt, ...) MS_PRINTF(4, 5);

static int append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf + *len, size - *len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= size - *len)
                return -EOVERFLOW;
        *len += (size_t)n;
        return 0;
}

static int detail_format(const struct ms_lockd_detail *d, char *buf, size_t size, size_t *len)
{
        int r;

        if (!text_ok(d->mode, sizeof(d->mode), false) || d->nfiles > MS_LOCKD_DETAIL_FILES ||
            d->ntools > MS_LOCKD_DETAIL_TOOLS)
                return -EINVAL;
        r = append(buf, size, len, "%s\nmode %s\n", DETAIL_MAGIC, d->mode);
        for (size_t i = 0; r == 0 && i < d->nfiles; i++) {
                const struct ms_lockd_file_detail *f = &d->files[i];
                if (f->path[0] != '/' || !text_ok(f->path, sizeof(f->path), true))
                        return -EINVAL;
                r = append(buf, size, len, "file %" PRIu64 " %" PRIu64 " %s %s\n", f->locked_bytes,
                           f->learned_bytes, ms_lockd_how_name(f->how), f->path);
        }
        for (size_t i = 0; r == 0 && i < d->ntools; i++) {
                const struct ms_lockd_tool_detail *t = &d->tools[i];
                if (!text_ok(t->name, sizeof(t->name), false))
                        return -EINVAL;
                r = append(buf, size, len, "tool %s %" PRIu64 " %" PRIu64 "\n", t->name, t->locked_bytes, t->files);
        }
        if (r == 0 && d->more)
                r = append(buf, size, len, "more %" PRIu64 "\n", d->more);
        return r == 0 ? append(buf, size, len, "end\n") : r;
}

int ms_lockd_detail_write(int rootfd, const struct ms_lockd_detail *d)
{
        _cleanup_close_ int fd = -1;
        char *buf = malloc(MS_LOCKD_DETAIL_MAX_SIZE);
        size_t len = 0;
        int r;

        if (!buf)
                return -ENOMEM;
        r = detail_format(d, buf, MS_LOCKD_DETAIL_MAX_SIZE, &len);
        if (r == 0 && mkdirat(rootfd, STATE_DIR, 0755) < 0 && errno != EEXIST)
                r = -errno;
        if (r == 0) {
                fd = openat(rootfd, DETAIL_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
                r = fd < 0 ? -errno : ms_write_all(fd, buf, len);
        }
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r == 0 && renameat(rootfd, DETAIL_TMP, rootfd, MS_LOCKD_DETAIL_PATH) < 0)
                r = -errno;
        if (r < 0 && fd >= 0)
                (void)unlinkat(rootfd, DETAIL_TMP, 0);
        free(buf);
        return r;
}
