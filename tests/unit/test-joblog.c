/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sv-joblog: each job's states over the supervisor's looks; the status bar's escape sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/sv-joblog.h"
#include "cli/sv-status.h"

/* Pids no process has: the command line falls back to the program's name. */
#define PID0 4100000

struct look {
        struct ms_job job[4];
        struct ms_proc proc[4];
        struct ms_jobs jobs;
        struct ms_procs procs;
};

/* A look with n jobs, each of one process, job k pid PID0 + ids[k]. */
static void look_make(struct look *l, size_t n, const int *ids)
{
        memset(l, 0, sizeof(*l));
        for (size_t k = 0; k < n; k++) {
                l->job[k] = (struct ms_job){ .pid = PID0 + ids[k], .start = 100 + (uint64_t)ids[k], .rss = 1000,
                                             .procs = 1, .leaves = 1 };
                l->proc[k] = (struct ms_proc){ .info = { .pid = PID0 + ids[k], .state = 'S',
                                                         .starttime = 100 + (uint64_t)ids[k] },
                                               .job = (int)k, .leaf = true };
                snprintf(l->proc[k].info.comm, sizeof(l->proc[k].info.comm), "cc%d", ids[k]);
        }
        l->jobs = (struct ms_jobs){ .job = l->job, .n = n };
        l->procs = (struct ms_procs){ .p = l->proc, .n = n };
}

static void states_and_times(void **state)
{
        struct sv_joblog log = { 0 };
        struct sv_counts c;
        struct look l;
        const int both[] = { 1, 2 }, second[] = { 2 };

        look_make(&l, 2, both);
        l.job[0].held = 1; /* its one leaf waits in the gate */
        assert_int_equal(sv_joblog_look(&log, &l.jobs, &l.procs, 100, &c), 0);
        assert_int_equal(c.held, 1);
        assert_int_equal(c.running, 1);
        assert_int_equal(log.n, 2);

        look_make(&l, 2, both);
        l.job[1].frozen = true;
        l.job[1].rss = 5000;
        assert_int_equal(sv_joblog_look(&log, &l.jobs, &l.procs, 300, &c), 0);
        assert_int_equal(c.running, 1);
        assert_int_equal(c.frozen, 1);

        look_make(&l, 1, second);
        assert_int_equal(sv_joblog_look(&log, &l.jobs, &l.procs, 700, &c), 0);
        sv_joblog_end(&log, 900);

        const struct sv_job_record *a = &log.rec[0], *b = &log.rec[1];
        assert_string_equal(a->cmd, "cc1");
        assert_int_equal(a->queued_ms, 100);
        assert_int_equal(a->admitted_ms, 300);
        assert_int_equal(a->held_ms, 200);
        assert_int_equal(a->ended_ms, 700);
        assert_int_equal(b->admitted_ms, 100);
        assert_int_equal(b->freezes, 1);
        assert_int_equal(b->frozen_ms, 400);
        assert_int_equal(b->peak, 5000);
        assert_int_equal(b->ended_ms, 900);
        assert_int_equal(b->n_spans, 3); /* running, frozen, running */
        assert_int_equal(log.lanes, 2);
        sv_joblog_free(&log);
}

static void lanes_reused(void **state)
{
        struct sv_joblog log = { 0 };
        struct sv_counts c;
        struct look l;
        const int first[] = { 1, 2 }, next[] = { 2, 3 }, last[] = { 4 };

        look_make(&l, 2, first);
        sv_joblog_look(&log, &l.jobs, &l.procs, 0, &c);
        /* 1 ends and 3 starts between two looks: 3 takes 1's lane. */
        look_make(&l, 2, next);
        sv_joblog_look(&log, &l.jobs, &l.procs, 100, &c);
        look_make(&l, 1, last);
        sv_joblog_look(&log, &l.jobs, &l.procs, 200, &c);
        assert_int_equal(log.n, 4);
        assert_int_equal(log.rec[2].lane, log.rec[0].lane);
        assert_int_equal(log.rec[3].lane, 0);
        assert_int_equal(log.lanes, 2);
        sv_joblog_oom(&log, PID0 + 3, 250);
        assert_int_equal(log.rec[2].oom_ms, 250);
        assert_int_equal(log.rec[2].exit_status, 137);
        sv_joblog_free(&log);
}

static void terminal_sequences(void **state)
{
        char buf[256];
        size_t n = sv_term_setup(buf, sizeof(buf), 24);

        assert_int_equal(n, strlen(buf));
        assert_string_equal(buf, "\n\0337\033[1;23r\0338\033[1A");
        sv_term_restore(buf, sizeof(buf), 24);
        assert_string_equal(buf, "\0337\033[r\033[24;1H\033[2K\0338");
        /* The text cut to the columns left after the label and the last column. */
        sv_term_bar(buf, sizeof(buf), 24, 20, "jobs: 3 running, 5 waiting");
        assert_string_equal(buf, "\0337\033[24;1H\033[0m\033[2K\033[7m memstop \033[0m jobs: 3 r\0338");
        /* A buffer too small is cut, never overrun. */
        assert_int_equal(sv_term_bar(buf, 8, 24, 80, "jobs"), 7);
}

int main(void)
{
        const struct CMUnitTest tests[] = { cmocka_unit_test(states_and_times), cmocka_unit_test(lanes_reused),
                                            cmocka_unit_test(terminal_sequences) };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
