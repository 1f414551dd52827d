/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>

#include "gate/protocol.h"
#include "util/macro.h"
#include "util/parse.h"
#include "util/strutil.h"

/* Append s to buf at *n (bounded by size); false when it did not fit. */
static bool put(char *buf, size_t size, size_t *n, const char *s)
{
        for (; *s; s++) {
                if (*n + 1 >= size)
                        return false;
                buf[(*n)++] = *s;
        }
        buf[*n] = '\0';
        return true;
}

static bool put_u64(char *buf, size_t size, size_t *n, uint64_t v)
{
        char digits[24];
        size_t i = sizeof(digits) - 1;

        digits[i] = '\0';
        do {
                digits[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        return put(buf, size, n, digits + i);
}

MS_HOT int ms_hold_line_format(const struct ms_hold_line *h, char *buf, size_t size)
{
        char prog[MS_HOLD_PROGRAM_MAX + 1];
        size_t n = 0, i;

        for (i = 0; i < MS_HOLD_PROGRAM_MAX && h->program[i]; i++) {
                unsigned char c = (unsigned char)h->program[i];
                prog[i] = c <= ' ' || c == 0x7f ? '?' : (char)c;
        }
        prog[i] = '\0';
        if (size == 0 || h->pid <= 0)
                return -ENOBUFS;
        if (!put_u64(buf, size, &n, (uint64_t)h->pid) || !put(buf, size, &n, " ") ||
            !put_u64(buf, size, &n, h->held_usec) || !put(buf, size, &n, " ") ||
            !put(buf, size, &n, i ? prog : "?") || !put(buf, size, &n, "\n"))
                return -ENOBUFS;
        return (int)n;
}

int ms_hold_line_parse(const char *line, struct ms_hold_line *out)
{
        const char *p = line;
        uint64_t pid, held;
        size_t i = 0;

        if (ms_parse_u64_prefix(&p, &pid) < 0 || pid == 0 || pid > INT32_MAX || *p++ != ' ')
                return -EINVAL;
        if (ms_parse_u64_prefix(&p, &held) < 0 || *p++ != ' ')
                return -EINVAL;
        for (; *p && *p != '\n'; p++) {
                if ((unsigned char)*p <= ' ' || i >= MS_HOLD_PROGRAM_MAX)
                        return -EINVAL;
                out->program[i++] = *p;
        }
        if (i == 0 || (*p == '\n' && p[1]))
                return -EINVAL;
        out->program[i] = '\0';
        out->pid = (pid_t)pid;
        out->held_usec = held;
        return 0;
}

int ms_supervisor_format(pid_t pid, char *buf, size_t size)
{
        size_t n = 0;

        if (pid <= 0 || size < MS_SUPERVISOR_BUF)
                return -EINVAL;
        return put_u64(buf, size, &n, (uint64_t)pid) ? 0 : -EINVAL;
}

MS_HOT int ms_supervisor_parse(const char *value, pid_t *pid)
{
        uint64_t v;

        if (!value || ms_parse_u64(value, &v) < 0 || v == 0 || v > INT32_MAX)
                return -EINVAL;
        *pid = (pid_t)v;
        return 0;
}

int ms_job_format(pid_t pid, uint64_t starttime, char *buf, size_t size)
{
        int n;

        if (pid <= 0 || size < MS_JOB_BUF)
                return -EINVAL;
        n = snprintf(buf, size, "%d.%" PRIu64, (int)pid, starttime);
        return n > 0 && (size_t)n < size ? 0 : -EINVAL;
}

MS_HOT int ms_job_parse(const char *value, pid_t *pid, uint64_t *starttime)
{
        char digits[24];
        const char *dot;
        uint64_t p;
        size_t len;

        if (!value || !(dot = ms_strchr(value, '.')))
                return -EINVAL;
        len = (size_t)(dot - value);
        if (len == 0 || len >= sizeof(digits))
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                digits[i] = value[i];
        digits[len] = '\0';
        if (ms_parse_u64(digits, &p) < 0 || p == 0 || p > INT32_MAX || ms_parse_u64(dot + 1, starttime) < 0)
                return -EINVAL;
        *pid = (pid_t)p;
        return 0;
}

int ms_cgroup_hint_make(const struct ms_cgroup *cg, const struct ms_sample *s, char *buf, size_t size)
{
        uint64_t limit = s->has_cgroup ? s->cgroup.limit : MS_UNLIMITED;

        if (limit >= s->host.total)
                limit = MS_UNLIMITED;
        return ms_cgroup_hint_format(cg, limit, buf, size);
}

MS_HOT int ms_cgroup_hint_read(const char *value, uint64_t host_total, struct ms_cgroup_hint *hint)
{
        if (!value || ms_cgroup_hint_parse(value, hint) < 0)
                return -EINVAL;
        if (hint->limit >= host_total)
                *hint = (struct ms_cgroup_hint){ .version = MS_CGROUP_NONE, .limit = MS_UNLIMITED };
        return 0;
}

/* The variables memstop.so passes down itself, as "NAME=" after the prefix. */
static MS_HOT bool passed_down(const char *rest)
{
        return ms_startswith(rest, "CGROUP=") || ms_startswith(rest, "SMALL=") || ms_startswith(rest, "WARNED=") ||
               ms_startswith(rest, "JOB=");
}

MS_HOT bool ms_env_opted_in(const char *const *vars, unsigned n)
{
        bool implicit = false, hints = false;

        for (unsigned i = 0; i < n; i++) {
                const char *rest = ms_startswith(vars[i], MS_ENV_PREFIX);
                if (!rest)
                        continue;
                if (ms_startswith(rest, "IMPLICIT="))
                        implicit = true;
                else if (passed_down(rest))
                        hints = true;
                else
                        return true;
        }
        return hints && !implicit;
}
