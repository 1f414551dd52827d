/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The supervised build's report: the summary line, the JSON of --report
 * (the SVG of --timeline is sv-svg.c's, the trace sv-trace.c's), the files
 * they go to, and the live status line's text.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/ledger.h"
#include "gate/protocol.h"
#include "probe/cgroup.h"
#include "util/json.h"
#include "util/parse.h"
#include "util/size.h"
#include "cli/cli.h"
#include "cli/outfile.h"
#include "cli/supervise.h"

#define MAX_POINTS 20000

void sv_status_format(const struct sv_counts *c, uint64_t used, uint64_t limit, double psi_full, char *buf,
                      size_t size)
{
        char u[MS_SIZE_BUF], l[MS_SIZE_BUF];

        snprintf(buf, size, "jobs: %u running, %u waiting, %u frozen | %s of %s | pressure %.0f%%", c->running,
                 c->held, c->frozen, ms_size_format(used, u, sizeof(u)),
                 limit == MS_UNLIMITED ? "no limit" : ms_size_format(limit, l, sizeof(l)), psi_full);
}

/* "1 freeze", "2 freezes". */
static const char *plural(uint64_t n, const char *one, const char *many)
{
        return n == 1 ? one : many;
}

void sv_summary_format(const struct sv_report *r, char *buf, size_t size)
{
        char total[MS_DURATION_BUF], longest[MS_DURATION_BUF + 80] = "", wall[MS_DURATION_BUF],
                peak[MS_SIZE_BUF], limit[MS_SIZE_BUF], of[MS_SIZE_BUF + 8] = "", most[48] = "";

        if (r->limit != MS_UNLIMITED)
                snprintf(of, sizeof(of), " of %s", ms_size_format(r->limit, limit, sizeof(limit)));
        if (r->hold_max_us)
                snprintf(longest, sizeof(longest), " (longest %s: %s)",
                         ms_duration_format(r->hold_max_us, total, sizeof(total)), r->hold_max_program);
        if (r->freezes)
                snprintf(most, sizeof(most), " (at most %u of one job)", r->max_job_freezes);
        snprintf(buf, size,
                 "%zu %s, %u gated, held %s in all%s, %u %s%s, peak %s%s, %" PRIu64 " OOM %s, exit %d after %s",
                 r->jobs.n, plural(r->jobs.n, "job", "jobs"), r->gated,
                 ms_duration_format(r->hold_total_us, total, sizeof(total)), longest, r->freezes,
                 plural(r->freezes, "freeze", "freezes"), most, ms_size_format(r->peak, peak, sizeof(peak)), of,
                 r->oom_kills, plural(r->oom_kills, "kill", "kills"), r->exit_status,
                 ms_duration_format(r->wall_ns / 1000, wall, sizeof(wall)));
}

int sv_points_add(struct sv_report *r, const struct sv_point *p)
{
        if (r->n_points == MAX_POINTS) {
                size_t j = 0;
                for (size_t i = 0; i < r->n_points; i += 2)
                        r->points[j++] = r->points[i];
                r->n_points = j;
        }
        if (r->n_points == r->cap_points) {
                size_t cap = r->cap_points ? r->cap_points * 2 : 256;
                struct sv_point *n;
                if (cap > MAX_POINTS)
                        cap = MAX_POINTS;
                n = realloc(r->points, cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                r->points = n;
                r->cap_points = cap;
        }
        r->points[r->n_points++] = *p;
        return 0;
}

/* The OOM kills named since the last look, to their jobs. */
static void report_look_ooms(struct sv_report *r, uint64_t t_ms)
{
        for (; r->jobs.ooms_seen < r->n_ooms; r->jobs.ooms_seen++)
                sv_joblog_oom(&r->jobs, r->ooms[r->jobs.ooms_seen].pid, t_ms);
}

void sv_report_look(struct sv_report *r, const struct ms_jobs *jobs, const struct ms_procs *procs, uint64_t t_ms,
                    struct sv_counts *counts)
{
        (void)sv_joblog_look(&r->jobs, jobs, procs, t_ms, counts);
        report_look_ooms(r, t_ms);
}

/* --- the JSON report ------------------------------------------------------------ */

/* A size; null for "no limit". */
static void json_size(struct ms_json *j, const char *key, uint64_t v)
{
        if (v == MS_UNLIMITED)
                ms_json_null(j, key);
        else
                ms_json_uint(j, key, v);
}

/* Seconds from ms; null for SV_NO_TIME. */
static void json_ms(struct ms_json *j, const char *key, uint64_t ms)
{
        if (ms == SV_NO_TIME)
                ms_json_null(j, key);
        else
                ms_json_double(j, key, (double)ms / 1e3, 3);
}

static void json_signal(struct ms_json *j, const char *key, int sig)
{
        if (sig)
                ms_json_int(j, key, sig);
        else
                ms_json_null(j, key);
}

static void json_job(struct ms_json *j, const struct sv_job_record *rec)
{
        ms_json_object_begin(j, NULL);
        ms_json_string(j, "command", rec->cmd);
        ms_json_int(j, "pid", rec->pid);
        ms_json_uint(j, "lane", rec->lane);
        json_ms(j, "queued_seconds", rec->queued_ms);
        json_ms(j, "admitted_seconds", rec->admitted_ms);
        json_ms(j, "ended_seconds", rec->ended_ms);
        ms_json_uint(j, "peak_bytes", rec->peak);
        json_ms(j, "held_seconds", rec->held_ms);
        ms_json_uint(j, "freezes", rec->freezes);
        json_ms(j, "frozen_seconds", rec->frozen_ms);
        if (rec->exit_status >= 0)
                ms_json_int(j, "exit_status", rec->exit_status);
        else
                ms_json_null(j, "exit_status");
        ms_json_bool(j, "oom_killed", rec->oom_ms != SV_NO_TIME);
        ms_json_object_end(j);
}

static void json_holds_and_freezes(struct ms_json *j, const struct sv_report *r)
{
        ms_json_uint(j, "gated", r->gated);
        ms_json_double(j, "held_seconds", (double)r->hold_total_us / 1e6, 3);
        ms_json_double(j, "longest_hold_seconds", (double)r->hold_max_us / 1e6, 3);
        ms_json_string(j, "longest_hold_program", r->hold_max_us ? r->hold_max_program : NULL);
        ms_json_uint(j, "freezes", r->freezes);
        ms_json_uint(j, "resumes", r->resumes);
        ms_json_uint(j, "most_frozen_at_once", r->max_frozen);
        ms_json_uint(j, "most_freezes_of_one_job", r->max_job_freezes);
        ms_json_double(j, "frozen_job_seconds", (double)r->frozen_ns / 1e9, 3);
}

int sv_report_json_write(const void *report, FILE *f)
{
        const struct sv_report *r = report;
        struct ms_json j;

        ms_json_init(&j, f, 2);
        ms_json_object_begin(&j, NULL);
        ms_json_array_begin(&j, "command");
        for (size_t i = 0; r->argv && r->argv[i]; i++)
                ms_json_string(&j, NULL, r->argv[i]);
        ms_json_array_end(&j);
        ms_json_int(&j, "exit_status", r->exit_status);
        json_signal(&j, "signal", r->term_signal);
        json_signal(&j, "forwarded_signal", r->forwarded);
        ms_json_double(&j, "wall_seconds", (double)r->wall_ns / 1e9, 3);
        ms_json_string(&j, "watched_by", r->watch ? r->watch : "process tree");
        ms_json_string(&j, "cgroup", r->cgroup[0] ? r->cgroup : NULL);
        json_holds_and_freezes(&j, r);
        json_size(&j, "peak_bytes", r->peak);
        json_size(&j, "limit_bytes", r->limit);
        ms_json_double(&j, "pressure_full_max_percent", r->psi_full_max, 1);
        ms_json_uint(&j, "oom_kills", r->oom_kills);
        ms_json_array_begin(&j, "oom_killed");
        for (size_t i = 0; i < r->n_ooms; i++) {
                ms_json_object_begin(&j, NULL);
                ms_json_int(&j, "pid", r->ooms[i].pid);
                ms_json_string(&j, "command", r->ooms[i].cmd);
                ms_json_object_end(&j);
        }
        ms_json_array_end(&j);
        ms_json_uint(&j, "job_lanes", r->jobs.lanes);
        ms_json_array_begin(&j, "jobs");
        for (size_t i = 0; i < r->jobs.n; i++)
                json_job(&j, &r->jobs.rec[i]);
        ms_json_array_end(&j);
        ms_json_uint(&j, "samples", r->n_points);
        ms_json_object_end(&j);
        return ms_json_end(&j);
}

/* --- the hold file and the end ----------------------------------------------- */

static const char *tmp_dir(void)
{
        const char *tmp = getenv("TMPDIR");

        return tmp && tmp[0] == '/' ? tmp : "/tmp";
}

int sv_holdfile_make(struct sv_holdfile *h)
{
        int fd;

        /* Named for its memstop: a later one can tell when it is left over. */
        snprintf(h->dir, sizeof(h->dir), "%s/" SV_HOLD_PREFIX "%" PRIu64 "-%d-XXXXXX", tmp_dir(), ms_pidns_self(),
                 (int)getpid());
        if (!mkdtemp(h->dir)) {
                h->dir[0] = '\0';
                return -errno;
        }
        snprintf(h->path, sizeof(h->path), "%s/" SV_HOLD_FILE, h->dir);
        fd = open(h->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

int sv_holdfile_name_parse(const char *name, uint64_t *pidns, pid_t *pid)
{
        const char *p = name;
        uint64_t ns, v;
        size_t k;

        if (strncmp(p, SV_HOLD_PREFIX, strlen(SV_HOLD_PREFIX)) != 0)
                return -EINVAL;
        p += strlen(SV_HOLD_PREFIX);
        if (ms_parse_u64_prefix(&p, &ns) < 0 || *p++ != '-' || ms_parse_u64_prefix(&p, &v) < 0 || *p++ != '-' ||
            v == 0 || v > INT_MAX)
                return -EINVAL;
        /* mkdtemp's six letters or digits, and nothing after. */
        for (k = 0; k < 6; k++)
                if (!((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') || (p[k] >= '0' && p[k] <= '9')))
                        return -EINVAL;
        if (p[k] != '\0')
                return -EINVAL;
        *pidns = ns;
        *pid = (pid_t)v;
        return 0;
}

/* Entry name of dirfd: a directory of uid's, its hold file and itself
 * removed, never following a link. Anything else in it stays, and so does
 * the directory. */
static bool remove_hold_dir(int dirfd, const char *name, uid_t uid)
{
        struct stat before, st;
        int fd;

        if (fstatat(dirfd, name, &before, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(before.st_mode) || before.st_uid != uid)
                return false;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        /* The one we looked at, not another put there since. */
        if (fstat(fd, &st) < 0 || st.st_ino != before.st_ino || st.st_dev != before.st_dev || st.st_uid != uid) {
                close(fd);
                return false;
        }
        if (fstatat(fd, SV_HOLD_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == uid)
                (void)unlinkat(fd, SV_HOLD_FILE, 0);
        close(fd);
        return unlinkat(dirfd, name, AT_REMOVEDIR) == 0;
}

unsigned sv_holdfile_reap(const char *tmp, uint64_t pidns, uid_t uid, bool (*alive)(pid_t pid, void *userdata),
                          void *userdata)
{
        int fd;
        DIR *d;
        struct dirent *e;
        unsigned removed = 0;

        /* Pids of an unknown namespace cannot be told dead. */
        if (pidns == 0)
                return 0;
        fd = open(tmp ? tmp : tmp_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        if (!(d = fdopendir(fd))) {
                close(fd);
                return 0;
        }
        while ((e = readdir(d))) {
                uint64_t ns;
                pid_t pid;
                if (sv_holdfile_name_parse(e->d_name, &ns, &pid) < 0 || ns != pidns || alive(pid, userdata))
                        continue;
                removed += remove_hold_dir(dirfd(d), e->d_name, uid);
        }
        closedir(d);
        return removed;
}

void sv_holdfile_read(const struct sv_holdfile *h, struct sv_report *r)
{
        char line[256];
        FILE *f;

        if (!h->dir[0] || !(f = fopen(h->path, "re")))
                return;
        while (fgets(line, sizeof(line), f)) {
                struct ms_hold_line hl;
                if (ms_hold_line_parse(line, &hl) < 0)
                        continue;
                r->gated++;
                r->hold_total_us += hl.held_usec;
                if (hl.held_usec > r->hold_max_us || r->gated == 1) {
                        r->hold_max_us = hl.held_usec;
                        snprintf(r->hold_max_program, sizeof(r->hold_max_program), "%s", hl.program);
                }
        }
        fclose(f);
}

void sv_holdfile_remove(struct sv_holdfile *h)
{
        if (!h->dir[0])
                return;
        unlink(h->path);
        rmdir(h->dir);
        h->dir[0] = '\0';
}

/* One requested file; false (said why) when it could not be written. */
static bool write_requested(const char *path, const char *what, cli_out_writer_fn writer, const void *r)
{
        int e;

        if (!path)
                return true;
        e = cli_out_write(path, writer, r);
        if (e == 0)
                return true;
        cli_error("cannot write the %s %s: %s", what, path, strerror(-e));
        return false;
}

int sv_report_finish(struct sv_report *r, const struct cli *c)
{
        char line[768];
        bool ok = true;

        /* The OOM kills named at the very end belong to their jobs too. */
        report_look_ooms(r, r->wall_ns / 1000000);
        sv_joblog_end(&r->jobs, r->wall_ns / 1000000);
        ok &= write_requested(c->report, "report", sv_report_json_write, r);
        ok &= write_requested(c->timeline, "timeline", sv_report_svg_write, r);
        ok &= write_requested(c->trace, "trace", sv_report_trace_write, r);
        if (!c->quiet) {
                for (size_t i = 0; i < r->n_ooms; i++)
                        cli_error("job %d (%s) was OOM-killed", (int)r->ooms[i].pid, r->ooms[i].cmd);
                sv_summary_format(r, line, sizeof(line));
                cli_error("%s", line);
        }
        return ok ? 0 : -EIO;
}

void sv_report_free(struct sv_report *r)
{
        sv_joblog_free(&r->jobs);
        free(r->ooms);
        free(r->points);
        r->ooms = NULL;
        r->points = NULL;
        r->n_ooms = r->n_points = r->cap_points = 0;
}
