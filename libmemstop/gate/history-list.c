/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/history.h"
#include "gate/history-list.h"
#include "util/grow.h"

/* Each line of text in turn: fn(line, len, whole, userdata); whole is false
 * for a last line without '\n' (history.h: a truncated record, skipped). */
static int each_line(const char *text, size_t len, int (*fn)(const char *, size_t, bool, void *), void *userdata)
{
        size_t at = 0;

        while (at < len) {
                const char *nl = memchr(text + at, '\n', len - at);
                size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
                int r = fn(text + at, n, nl != NULL, userdata);
                if (r < 0)
                        return r;
                at += n + (nl != NULL);
        }
        return 0;
}

struct entries {
        struct ms_history_entry *e;
        size_t n, cap;
};

static int add_record(const char *line, size_t len, bool whole, void *userdata)
{
        struct entries *es = userdata;
        struct ms_history_record rec;
        struct ms_history_entry *e = NULL;

        if (!whole || ms_history_parse_line(line, len, &rec) < 0)
                return 0;
        for (size_t i = 0; i < es->n && !e; i++)
                if (es->e[i].job_hash == rec.job_hash && es->e[i].program_hash == rec.program_hash)
                        e = &es->e[i];
        if (!e) {
                if (ms_grow(&es->e, &es->cap, es->n, sizeof(*es->e), 64) < 0)
                        return -ENOMEM;
                e = &es->e[es->n++];
                *e = (struct ms_history_entry){ .job_hash = rec.job_hash, .program_hash = rec.program_hash };
        }
        /* Later lines are newer. */
        snprintf(e->program, sizeof(e->program), "%s", rec.program);
        e->peak = rec.peak;
        e->when = rec.when;
        if (rec.peak > e->largest)
                e->largest = rec.peak;
        if (rec.curve.duration_ms)
                e->duration_ms = rec.curve.duration_ms;
        e->runs++;
        return 0;
}

int ms_history_entries(const char *text, size_t len, struct ms_history_entry **out, size_t *n)
{
        struct entries es = { 0 };
        int r = each_line(text, len, add_record, &es);

        if (r < 0) {
                free(es.e);
                es = (struct entries){ 0 };
        }
        *out = es.e;
        *n = es.n;
        return r;
}

bool ms_history_matches(const char *pattern, uint64_t job_hash, const char *program)
{
        char hex[17];

        snprintf(hex, sizeof(hex), "%016" PRIx64, job_hash);
        return fnmatch(pattern, program, 0) == 0 || strcmp(pattern, hex) == 0;
}

struct filter {
        const char *pattern;
        char *out;
        size_t len;
        unsigned removed;
};

static int keep_line(const char *line, size_t len, bool whole, void *userdata)
{
        struct filter *f = userdata;
        struct ms_history_record rec;

        if (whole && ms_history_parse_line(line, len, &rec) == 0 &&
            ms_history_matches(f->pattern, rec.job_hash, rec.program)) {
                f->removed++;
                return 0;
        }
        memcpy(f->out + f->len, line, len);
        f->len += len;
        if (whole)
                f->out[f->len++] = '\n';
        return 0;
}

int ms_history_without(const char *text, size_t len, const char *pattern, char **out, size_t *out_len,
                       unsigned *removed)
{
        /* Never longer than the text. */
        struct filter f = { .pattern = pattern, .out = malloc(len + 1) };

        if (!f.out)
                return -ENOMEM;
        (void)each_line(text, len, keep_line, &f);
        f.out[f.len] = '\0';
        *out = f.out;
        *out_len = f.len;
        *removed = f.removed;
        return 0;
}
