/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --trace: the build in the Trace Event Format of Chrome's tracing, as
 * Perfetto (ui.perfetto.dev) and chrome://tracing open it:
 *
 * - one process, "memstop: COMMAND", and in it one thread (tid) per job
 *   lane (sv-joblog.h), named "job slot N";
 * - a complete event ("ph": "X") per period of a job in one state, named
 *   after its command, with category held, running or frozen;
 * - instant events ("ph": "i") on the job's lane where it was frozen and
 *   where it was OOM-killed;
 * - a counter ("ph": "C") "memory" with the series used and limit, at each
 *   point of the timeline (every 200 ms), in bytes.
 *
 * Times are microseconds since the build started.
 */
#include <errno.h>
#include <stdio.h>

#include "util/json.h"
#include "probe/cgroup.h"
#include "cli/supervise.h"

#define TRACE_PID 1

/* The fields every event has. */
static void event_begin(struct ms_json *j, const char *name, const char *cat, const char *ph, uint64_t t_ms,
                        unsigned tid)
{
        ms_json_object_begin(j, NULL);
        ms_json_string(j, "name", name);
        if (cat)
                ms_json_string(j, "cat", cat);
        ms_json_string(j, "ph", ph);
        ms_json_uint(j, "ts", t_ms * 1000);
        ms_json_int(j, "pid", TRACE_PID);
        ms_json_uint(j, "tid", tid);
}

static void metadata(struct ms_json *j, const char *what, unsigned tid, const char *name)
{
        event_begin(j, what, NULL, "M", 0, tid);
        ms_json_object_begin(j, "args");
        ms_json_string(j, "name", name);
        ms_json_object_end(j);
        ms_json_object_end(j);
}

static void names(struct ms_json *j, const struct sv_report *r)
{
        char title[512] = "memstop:", lane[32];
        size_t n = 8;

        for (size_t i = 0; r->argv && r->argv[i] && n < sizeof(title) - 1; i++)
                n += (size_t)snprintf(title + n, sizeof(title) - n, " %s", r->argv[i]);
        metadata(j, "process_name", 0, title);
        for (unsigned i = 0; i < r->jobs.lanes; i++) {
                snprintf(lane, sizeof(lane), "job slot %u", i + 1);
                metadata(j, "thread_name", i + 1, lane);
        }
}

static void job_events(struct ms_json *j, const struct sv_job_record *rec)
{
        for (size_t k = 0; k < rec->n_spans; k++) {
                const struct sv_span *s = &rec->spans[k];
                uint64_t end = s->end_ms == SV_NO_TIME ? s->start_ms : s->end_ms;

                event_begin(j, rec->cmd, sv_job_state_name(s->state), "X", s->start_ms, rec->lane + 1);
                ms_json_uint(j, "dur", (end - s->start_ms) * 1000);
                ms_json_object_begin(j, "args");
                ms_json_int(j, "pid", rec->pid);
                ms_json_string(j, "state", sv_job_state_name(s->state));
                ms_json_object_end(j);
                ms_json_object_end(j);
                if (s->state == SV_JOB_FROZEN) {
                        event_begin(j, "freeze", "frozen", "i", s->start_ms, rec->lane + 1);
                        ms_json_string(j, "s", "t");
                        ms_json_object_end(j);
                }
        }
        if (rec->oom_ms != SV_NO_TIME) {
                event_begin(j, "OOM kill", "oom", "i", rec->oom_ms, rec->lane + 1);
                ms_json_string(j, "s", "p");
                ms_json_object_begin(j, "args");
                ms_json_string(j, "command", rec->cmd);
                ms_json_object_end(j);
                ms_json_object_end(j);
        }
}

static void memory_counters(struct ms_json *j, const struct sv_report *r)
{
        for (size_t i = 0; i < r->n_points; i++) {
                const struct sv_point *p = &r->points[i];

                event_begin(j, "memory", NULL, "C", p->t_ms, 0);
                ms_json_object_begin(j, "args");
                ms_json_uint(j, "used", p->used);
                if (p->limit != MS_UNLIMITED)
                        ms_json_uint(j, "limit", p->limit);
                ms_json_object_end(j);
                ms_json_object_end(j);
        }
}

int sv_report_trace_write(const void *report, FILE *f)
{
        const struct sv_report *r = report;
        struct ms_json j;

        ms_json_init(&j, f, 2);
        ms_json_object_begin(&j, NULL);
        ms_json_string(&j, "displayTimeUnit", "ms");
        ms_json_array_begin(&j, "traceEvents");
        names(&j, r);
        for (size_t i = 0; i < r->jobs.n; i++)
                job_events(&j, &r->jobs.rec[i]);
        memory_counters(&j, r);
        ms_json_array_end(&j);
        ms_json_object_end(&j);
        return ms_json_end(&j);
}
