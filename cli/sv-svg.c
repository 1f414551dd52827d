/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --timeline: the build as a self-contained SVG image. On top, memory used
 * over time (the report's points), the limit dashed, periods with jobs held
 * in the gate or frozen shaded; below it, one lane per job slot
 * (sv-joblog.h) with each job's held, running and frozen periods and its
 * OOM kill, its command as the tooltip. Axes have titles and round ticks
 * (1-2-5 steps, or powers of two of a size unit: 0, 256M, 512M...).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "probe/cgroup.h"
#include "util/json.h"
#include "util/size.h"
#include "cli/supervise.h"

#define W 960.0
#define X0 80.0     /* the plot's left edge */
#define PW (W - X0 - 24.0)
#define Y0 40.0     /* the memory chart's top */
#define MH 240.0    /* ... its height */
#define LANES_H 200.0 /* the lanes' height at most */

struct frame {
        uint64_t tmax_ms, tstep_ms;
        uint64_t ymax, ystep;
        double lane_top, lane_h, lanes_bottom, height;
};

/* s as XML text: markup escaped, invalid UTF-8 as U+FFFD, control
 * characters (not allowed in XML 1.0) as blanks. */
static void xml_text(FILE *f, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n = strlen(s);

        while (n > 0) {
                uint32_t cp;
                size_t len = ms_utf8_decode(p, n, &cp);

                if (len == 0)
                        fputs("\xef\xbf\xbd", f), len = 1;
                else if (cp == '<')
                        fputs("&lt;", f);
                else if (cp == '>')
                        fputs("&gt;", f);
                else if (cp == '&')
                        fputs("&amp;", f);
                else if (cp == '"')
                        fputs("&quot;", f);
                else if (cp < 0x20 || cp == 0x7f)
                        fputc(' ', f);
                else
                        fwrite(p, 1, len, f);
                p += len;
                n -= len;
        }
}

/* The smallest round step that cuts max into at most `ticks` parts. */
static uint64_t size_step(uint64_t max, unsigned ticks)
{
        static const unsigned mult[] = { 1, 2, 5, 10, 20, 50, 100, 128, 256, 512 };

        for (unsigned u = 0; u <= 40; u += 10)
                for (size_t i = 0; i < sizeof(mult) / sizeof(*mult); i++) {
                        uint64_t step = (uint64_t)mult[i] << u;
                        if (max / step < ticks)
                                return step;
                }
        return max / ticks + 1;
}

static uint64_t time_step(uint64_t max_ms, unsigned ticks)
{
        static const uint64_t steps[] = { 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000,
                                          300000, 600000, 900000, 1800000, 3600000, 7200000, 18000000 };

        for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
                if (max_ms / steps[i] < ticks)
                        return steps[i];
        return max_ms / ticks + 1;
}

static void time_label(uint64_t t_ms, uint64_t step_ms, char *buf, size_t size)
{
        if (step_ms < 1000)
                snprintf(buf, size, "%.1fs", (double)t_ms / 1000);
        else if (step_ms < 60000)
                snprintf(buf, size, "%" PRIu64 "s", t_ms / 1000);
        else
                snprintf(buf, size, "%" PRIu64 "m", t_ms / 60000);
}

static uint64_t report_limit(const struct sv_report *r)
{
        for (size_t i = r->n_points; i-- > 0;)
                if (r->points[i].limit != MS_UNLIMITED)
                        return r->points[i].limit;
        return r->limit;
}

static void frame_init(struct frame *fr, const struct sv_report *r)
{
        uint64_t tmax = 1, ymax = 1, limit = report_limit(r);
        unsigned lanes = r->jobs.lanes ? r->jobs.lanes : 1;

        for (size_t i = 0; i < r->n_points; i++) {
                if (r->points[i].t_ms > tmax)
                        tmax = r->points[i].t_ms;
                if (r->points[i].used > ymax)
                        ymax = r->points[i].used;
        }
        if (r->wall_ns / 1000000 > tmax)
                tmax = r->wall_ns / 1000000;
        if (limit != MS_UNLIMITED && limit > ymax)
                ymax = limit;
        fr->ystep = size_step(ymax + ymax / 20, 6);
        fr->ymax = (ymax + ymax / 20 + fr->ystep - 1) / fr->ystep * fr->ystep;
        fr->tstep_ms = time_step(tmax, 8);
        fr->tmax_ms = (tmax + fr->tstep_ms - 1) / fr->tstep_ms * fr->tstep_ms;
        fr->lane_h = LANES_H / lanes > 16 ? 16 : LANES_H / lanes < 3 ? 3 : LANES_H / lanes;
        fr->lane_top = Y0 + MH + 16;
        fr->lanes_bottom = fr->lane_top + fr->lane_h * lanes;
        fr->height = fr->lanes_bottom + 84;
}

static double x_of(const struct frame *fr, uint64_t t_ms)
{
        return X0 + PW * (double)t_ms / (double)fr->tmax_ms;
}

static double y_of(const struct frame *fr, uint64_t bytes)
{
        return Y0 + MH - MH * (double)bytes / (double)fr->ymax;
}

static void svg_head(FILE *f, const struct frame *fr, const struct sv_report *r)
{
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
                   "<style>text{font:12px sans-serif;fill:#222}.title{font-weight:bold}.axis{stroke:#555}"
                   ".grid{stroke:#ddd}.held{fill:#f4d03f;fill-opacity:.35}.frozen{fill:#5dade2;fill-opacity:.45}"
                   ".mem{fill:none;stroke:#c0392b;stroke-width:1.5}"
                   ".limit{stroke:#000;stroke-width:1.5;stroke-dasharray:6 4}"
                   ".job-held{fill:#f4d03f}.job-running{fill:#58a55c}.job-frozen{fill:#2e86c1}"
                   ".oom{fill:#c0392b}</style>\n"
                   "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
                W, fr->height, W, fr->height);
        fputs("<text class=\"title\" x=\"80\" y=\"20\">memstop:", f);
        for (size_t i = 0; r->argv && r->argv[i]; i++) {
                fputc(' ', f);
                xml_text(f, r->argv[i]);
        }
        fprintf(f, " (exit %d, %u %s, %" PRIu64 " OOM %s)</text>\n", r->exit_status, r->freezes,
                r->freezes == 1 ? "freeze" : "freezes", r->oom_kills, r->oom_kills == 1 ? "kill" : "kills");
}

static void svg_axes(FILE *f, const struct frame *fr)
{
        char label[MS_SIZE_BUF];

        for (uint64_t v = 0; v <= fr->ymax; v += fr->ystep) {
                double y = y_of(fr, v);
                fprintf(f, "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
                           "<text class=\"ytick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                        X0, y, X0 + PW, y, X0 - 6, y + 4, v ? ms_size_format(v, label, sizeof(label)) : "0");
        }
        for (uint64_t t = 0; t <= fr->tmax_ms; t += fr->tstep_ms) {
                double x = x_of(fr, t);
                time_label(t, fr->tstep_ms, label, sizeof(label));
                fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                           "<text class=\"xtick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                        x, Y0, x, fr->lanes_bottom, x, fr->lanes_bottom + 16, label);
        }
        fprintf(f, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", X0, Y0, X0, Y0 + MH);
        fprintf(f, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", X0, Y0 + MH, X0 + PW,
                Y0 + MH);
        fprintf(f, "<text class=\"axis-title\" transform=\"translate(16 %.0f) rotate(-90)\" text-anchor=\"middle\">"
                   "memory used</text>\n", Y0 + MH / 2);
        fprintf(f, "<text class=\"axis-title\" transform=\"translate(16 %.0f) rotate(-90)\" text-anchor=\"middle\">"
                   "jobs</text>\n", (fr->lane_top + fr->lanes_bottom) / 2);
        fprintf(f, "<text class=\"axis-title\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
                   "time since the build started</text>\n", X0 + PW / 2, fr->lanes_bottom + 34);
}

/* Shaded periods of the memory chart where held (which 0) or frozen jobs were. */
static void svg_periods(FILE *f, const struct frame *fr, const struct sv_report *r, int which, const char *cls)
{
        for (size_t i = 0; i < r->n_points; i++) {
                size_t j = i;
                if (!(which ? r->points[i].frozen : r->points[i].held))
                        continue;
                while (j + 1 < r->n_points && (which ? r->points[j + 1].frozen : r->points[j + 1].held))
                        j++;
                uint64_t a = r->points[i].t_ms, b = r->points[j + 1 < r->n_points ? j + 1 : j].t_ms;
                fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"/>\n", cls,
                        x_of(fr, a), Y0, x_of(fr, b) - x_of(fr, a) + 0.5, MH);
                i = j;
        }
}

static void svg_memory(FILE *f, const struct frame *fr, const struct sv_report *r)
{
        uint64_t limit = report_limit(r);
        char a[MS_SIZE_BUF];

        svg_periods(f, fr, r, 0, "held");
        svg_periods(f, fr, r, 1, "frozen");
        if (limit != MS_UNLIMITED) {
                double y = y_of(fr, limit);
                fprintf(f, "<line id=\"limit\" class=\"limit\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>\n",
                        X0, y, X0 + PW, y);
                fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">limit %s</text>\n", X0 + PW, y - 4,
                        ms_size_format(limit, a, sizeof(a)));
        }
        fputs("<polyline id=\"memory\" class=\"mem\" points=\"", f);
        for (size_t i = 0; i < r->n_points; i++)
                fprintf(f, "%s%.1f,%.1f", i ? " " : "", x_of(fr, r->points[i].t_ms), y_of(fr, r->points[i].used));
        fputs("\"/>\n", f);
}

static void svg_job(FILE *f, const struct frame *fr, const struct sv_job_record *rec)
{
        double y = fr->lane_top + fr->lane_h * rec->lane, h = fr->lane_h > 4 ? fr->lane_h - 1 : fr->lane_h;

        for (size_t k = 0; k < rec->n_spans; k++) {
                const struct sv_span *s = &rec->spans[k];
                uint64_t end = s->end_ms == SV_NO_TIME ? s->start_ms : s->end_ms;
                fprintf(f, "<rect class=\"job-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>",
                        sv_job_state_name(s->state), x_of(fr, s->start_ms), y,
                        x_of(fr, end) - x_of(fr, s->start_ms) + 0.5, h);
                xml_text(f, rec->cmd);
                fprintf(f, " (pid %d, %s)</title></rect>\n", (int)rec->pid, sv_job_state_name(s->state));
        }
        if (rec->oom_ms != SV_NO_TIME)
                fprintf(f, "<rect class=\"oom\" x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"%.1f\"/>\n",
                        x_of(fr, rec->oom_ms) - 1, y, h);
}

static void svg_lanes(FILE *f, const struct frame *fr, const struct sv_report *r)
{
        for (unsigned lane = 0; lane < r->jobs.lanes; lane++) {
                fprintf(f, "<g class=\"lane\" id=\"lane-%u\">\n", lane + 1);
                if (fr->lane_h >= 10 || lane % 10 == 0)
                        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%u</text>\n", X0 - 6,
                                fr->lane_top + fr->lane_h * lane + fr->lane_h / 2 + 4, lane + 1);
                for (size_t i = 0; i < r->jobs.n; i++)
                        if (r->jobs.rec[i].lane == lane)
                                svg_job(f, fr, &r->jobs.rec[i]);
                fputs("</g>\n", f);
        }
}

static void svg_legend(FILE *f, const struct frame *fr)
{
        static const struct { const char *cls, *text; } items[] = {
                { "job-held", "held in the gate" }, { "job-running", "running" }, { "job-frozen", "frozen" },
                { "oom", "OOM kill" },
        };
        double y = fr->height - 18, x = X0;

        for (size_t i = 0; i < sizeof(items) / sizeof(*items); i++, x += 130)
                fprintf(f, "<rect class=\"%s\" x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\"/>"
                           "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
                        items[i].cls, x, y - 9, x + 16, y, items[i].text);
        fprintf(f, "<line class=\"mem\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\">memory used</text>\n", x, y - 4, x + 20, y - 4, x + 26, y);
        x += 130;
        fprintf(f, "<line class=\"limit\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\">limit</text>\n", x, y - 4, x + 20, y - 4, x + 26, y);
}

int sv_report_svg_write(const void *report, FILE *f)
{
        const struct sv_report *r = report;
        struct frame fr;

        frame_init(&fr, r);
        svg_head(f, &fr, r);
        svg_axes(f, &fr);
        svg_memory(f, &fr, r);
        svg_lanes(f, &fr, r);
        svg_legend(f, &fr);
        fputs("</svg>\n", f);
        return ferror(f) ? -EIO : 0;
}
