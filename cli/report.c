/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The supervised build's report: the summary line, the JSON of --report, the
 * SVG of --timeline, and the live status line's text.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/protocol.h"
#include "probe/cgroup.h"
#include "cli/cli.h"
#include "util/size.h"
#include "cli/supervise.h"

#define MAX_POINTS 20000

void sv_status_format(unsigned running, unsigned held, unsigned frozen, uint64_t used, uint64_t limit,
                      double psi_full, char *buf, size_t size)
{
        char u[MS_SIZE_BUF], l[MS_SIZE_BUF];

        snprintf(buf, size, "memstop: %u running, %u held, %u frozen | %s / %s | pressure %.0f%%", running, held,
                 frozen, ms_size_format(used, u, sizeof(u)),
                 limit == MS_UNLIMITED ? "no limit" : ms_size_format(limit, l, sizeof(l)), psi_full);
}

void sv_summary_format(const struct sv_report *r, char *buf, size_t size)
{
        char total[MS_DURATION_BUF], longest[MS_DURATION_BUF], wall[MS_DURATION_BUF], peak[MS_SIZE_BUF],
                limit[MS_SIZE_BUF], of[MS_SIZE_BUF + 8] = "";

        if (r->limit != MS_UNLIMITED)
                snprintf(of, sizeof(of), " of %s", ms_size_format(r->limit, limit, sizeof(limit)));
        snprintf(buf, size,
                 "%u gated, held %s in all (longest %s%s%s%s), %u freezes, peak %s%s, %" PRIu64
                 " OOM kills, exit %d after %s",
                 r->gated, ms_duration_format(r->hold_total_us, total, sizeof(total)),
                 ms_duration_format(r->hold_max_us, longest, sizeof(longest)), r->hold_max_us ? ": " : "",
                 r->hold_max_us ? r->hold_max_program : "", "", r->freezes,
                 ms_size_format(r->peak, peak, sizeof(peak)), of, r->oom_kills, r->exit_status,
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

static void json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

static void json_size(FILE *f, uint64_t v)
{
        if (v == MS_UNLIMITED)
                fputs("null", f);
        else
                fprintf(f, "%" PRIu64, v);
}

int sv_report_json_write(const struct sv_report *r, FILE *f)
{
        fputs("{\n  \"command\": [", f);
        for (size_t i = 0; r->argv && r->argv[i]; i++) {
                if (i)
                        fputs(", ", f);
                json_string(f, r->argv[i]);
        }
        fprintf(f, "],\n  \"exit_status\": %d,\n  \"signal\": ", r->exit_status);
        if (r->term_signal)
                fprintf(f, "%d", r->term_signal);
        else
                fputs("null", f);
        fputs(",\n  \"forwarded_signal\": ", f);
        if (r->forwarded)
                fprintf(f, "%d", r->forwarded);
        else
                fputs("null", f);
        fprintf(f, ",\n  \"wall_seconds\": %.3f,\n  \"watched_by\": ", (double)r->wall_ns / 1e9);
        json_string(f, r->watch ? r->watch : "process tree");
        fputs(",\n  \"cgroup\": ", f);
        if (r->cgroup[0])
                json_string(f, r->cgroup);
        else
                fputs("null", f);
        fprintf(f, ",\n  \"gated\": %u,\n  \"held_seconds\": %.3f,\n  \"longest_hold_seconds\": %.3f,\n",
                r->gated, (double)r->hold_total_us / 1e6, (double)r->hold_max_us / 1e6);
        fputs("  \"longest_hold_program\": ", f);
        if (r->hold_max_us)
                json_string(f, r->hold_max_program);
        else
                fputs("null", f);
        fprintf(f, ",\n  \"freezes\": %u,\n  \"resumes\": %u,\n  \"most_frozen_at_once\": %u,\n"
                   "  \"frozen_job_seconds\": %.3f,\n  \"peak_bytes\": ",
                r->freezes, r->resumes, r->max_frozen, (double)r->frozen_ns / 1e9);
        json_size(f, r->peak);
        fputs(",\n  \"limit_bytes\": ", f);
        json_size(f, r->limit);
        fprintf(f, ",\n  \"pressure_full_max_percent\": %.1f,\n  \"oom_kills\": %" PRIu64 ",\n  \"oom_killed\": [",
                r->psi_full_max, r->oom_kills);
        for (size_t i = 0; i < r->n_ooms; i++) {
                fprintf(f, "%s\n    {\"pid\": %d, \"command\": ", i ? "," : "", (int)r->ooms[i].pid);
                json_string(f, r->ooms[i].cmd);
                fputc('}', f);
        }
        fprintf(f, "%s],\n  \"samples\": %zu\n}\n", r->n_ooms ? "\n  " : "", r->n_points);
        return ferror(f) ? -EIO : 0;
}

static void xml_text(FILE *f, const char *s)
{
        for (; *s; s++) {
                switch (*s) {
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '&': fputs("&amp;", f); break;
                case '"': fputs("&quot;", f); break;
                default:
                        if ((unsigned char)*s >= 0x20)
                                fputc(*s, f);
                }
        }
}

/* Shaded periods where count(point) > 0, as rectangles. */
static void svg_periods(FILE *f, const struct sv_report *r, int which, const char *cls, double x0, double w,
                        double top, double h, uint64_t tmax)
{
        for (size_t i = 0; i < r->n_points; i++) {
                uint16_t v = which ? r->points[i].frozen : r->points[i].held;
                size_t j = i;
                if (!v)
                        continue;
                while (j + 1 < r->n_points && (which ? r->points[j + 1].frozen : r->points[j + 1].held))
                        j++;
                uint64_t a = r->points[i].t_ms, b = j + 1 < r->n_points ? r->points[j + 1].t_ms : r->points[j].t_ms;
                fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", cls,
                        x0 + w * (double)a / (double)tmax, top, w * (double)(b - a) / (double)tmax + 0.5, h);
                i = j;
        }
}

int sv_report_svg_write(const struct sv_report *r, FILE *f)
{
        const double W = 900, H = 360, x0 = 70, y0 = 30, w = W - x0 - 20, h = H - y0 - 60;
        uint64_t tmax = 1, ymax = 1, limit = MS_UNLIMITED;
        char a[MS_SIZE_BUF], title[512];

        for (size_t i = 0; i < r->n_points; i++) {
                if (r->points[i].t_ms > tmax)
                        tmax = r->points[i].t_ms;
                if (r->points[i].used > ymax)
                        ymax = r->points[i].used;
                if (r->points[i].limit != MS_UNLIMITED)
                        limit = r->points[i].limit;
        }
        if (limit == MS_UNLIMITED && r->limit != MS_UNLIMITED)
                limit = r->limit;
        if (limit != MS_UNLIMITED && limit > ymax)
                ymax = limit;
        ymax += ymax / 10;

        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
                   "<style>text{font:12px sans-serif;fill:#222}.held{fill:#f4d03f;fill-opacity:.35}"
                   ".frozen{fill:#5dade2;fill-opacity:.45}.mem{fill:none;stroke:#c0392b;stroke-width:1.5}"
                   ".limit{stroke:#000;stroke-width:1.5;stroke-dasharray:6 4}.axis{stroke:#888}</style>\n"
                   "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
                W, H, W, H);
        title[0] = '\0';
        for (size_t i = 0, n = 0; r->argv && r->argv[i] && n < sizeof(title) - 2; i++)
                n += (size_t)snprintf(title + n, sizeof(title) - n, "%s%s", i ? " " : "", r->argv[i]);
        fputs("<text x=\"70\" y=\"18\">memstop: ", f);
        xml_text(f, title);
        fprintf(f, " (exit %d, %u freezes, %" PRIu64 " OOM kills)</text>\n", r->exit_status, r->freezes,
                r->oom_kills);
        svg_periods(f, r, 0, "held", x0, w, y0, h, tmax);
        svg_periods(f, r, 1, "frozen", x0, w, y0, h, tmax);
        fprintf(f, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", x0, y0 + h, x0 + w, y0 + h);
        fprintf(f, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", x0, y0, x0, y0 + h);
        for (int k = 0; k <= 4; k++) {
                uint64_t v = ymax * (uint64_t)k / 4;
                fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", x0 - 6,
                        y0 + h - h * k / 4 + 4, ms_size_format(v, a, sizeof(a)));
                fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.1fs</text>\n", x0 + w * k / 4,
                        y0 + h + 16, (double)tmax * k / 4 / 1000.0);
        }
        if (limit != MS_UNLIMITED) {
                double y = y0 + h - h * (double)limit / (double)ymax;
                fprintf(f, "<line id=\"limit\" class=\"limit\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>\n",
                        x0, y, x0 + w, y);
                fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">limit %s</text>\n", x0 + w, y - 4,
                        ms_size_format(limit, a, sizeof(a)));
        }
        fputs("<polyline id=\"memory\" class=\"mem\" points=\"", f);
        for (size_t i = 0; i < r->n_points; i++)
                fprintf(f, "%s%.1f,%.1f", i ? " " : "", x0 + w * (double)r->points[i].t_ms / (double)tmax,
                        y0 + h - h * (double)r->points[i].used / (double)ymax);
        fputs("\"/>\n", f);
        fprintf(f, "<rect class=\"held\" x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\">held in the queue</text>\n",
                x0, H - 22, x0 + 16, H - 13);
        fprintf(f, "<rect class=\"frozen\" x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\">jobs frozen</text>\n",
                x0 + 150, H - 22, x0 + 166, H - 13);
        fprintf(f, "<line class=\"mem\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\">memory used</text>\n",
                x0 + 270, H - 17, x0 + 290, H - 17, x0 + 296, H - 13);
        fprintf(f, "<line class=\"limit\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\">limit</text>\n",
                x0 + 400, H - 17, x0 + 420, H - 17, x0 + 426, H - 13);
        fputs("</svg>\n", f);
        return ferror(f) ? -EIO : 0;
}

int sv_write_file(const char *path, int (*writer)(const struct sv_report *, FILE *), const struct sv_report *r)
{
        char tmp[PATH_MAX];
        FILE *f;
        int n, rr;

        n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
        if (n < 0 || (size_t)n >= sizeof(tmp)) {
                errno = ENAMETOOLONG;
                return -ENAMETOOLONG;
        }
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        rr = writer(r, f);
        if (fclose(f) != 0 && rr == 0)
                rr = -errno;
        if (rr == 0 && rename(tmp, path) < 0)
                rr = -errno;
        if (rr < 0) {
                unlink(tmp);
                errno = -rr;
        }
        return rr;
}

/* --- the hold file and the end ----------------------------------------------- */

int sv_holdfile_make(struct sv_holdfile *h)
{
        const char *tmp = getenv("TMPDIR");
        int fd;

        snprintf(h->dir, sizeof(h->dir), "%s/memstop-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (!mkdtemp(h->dir)) {
                h->dir[0] = '\0';
                return -errno;
        }
        snprintf(h->path, sizeof(h->path), "%s/held", h->dir);
        fd = open(h->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
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

void sv_report_finish(const struct sv_report *r, const struct cli *c, bool status_line)
{
        char line[512];

        if (c->report && sv_write_file(c->report, sv_report_json_write, r) < 0)
                cli_error("cannot write the report %s: %s", c->report, strerror(errno));
        if (c->timeline && sv_write_file(c->timeline, sv_report_svg_write, r) < 0)
                cli_error("cannot write the timeline %s: %s", c->timeline, strerror(errno));
        if (c->quiet)
                return;
        for (size_t i = 0; i < r->n_ooms; i++)
                cli_error("job %d (%s) was OOM-killed", (int)r->ooms[i].pid, r->ooms[i].cmd);
        /* On a terminal, always; in logs, when jobs were frozen or killed (holds
         * alone are the gate's business: -v tells of them). */
        if (status_line || r->freezes || r->oom_kills) {
                sv_summary_format(r, line, sizeof(line));
                cli_error("%s", line);
        }
}

void sv_report_free(struct sv_report *r)
{
        free(r->ooms);
        free(r->points);
        r->ooms = NULL;
        r->points = NULL;
        r->n_ooms = r->n_points = r->cap_points = 0;
}
