/* SPDX-License-Identifier: GPL-3.0-or-later */
/* jobs: a build's processes grouped into jobs, leaves and rates, on made-up process lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "supervise/jobs.h"
#include "util/macro.h"

#define MS 1000000ull
#define SELF 100
#define CHILD 101

struct row {
        pid_t pid, ppid;
        char state;
        uint64_t rss_mib;
        const char *comm;
};

/* A look made of rows, in the order given (not sorted). */
static struct ms_procs look(struct ms_proc *buf, const struct row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                buf[i] = (struct ms_proc){ .info = { .pid = rows[i].pid, .ppid = rows[i].ppid,
                                                     .state = rows[i].state, .starttime = 1000 + (uint64_t)rows[i].pid,
                                                     .rss = MiB(rows[i].rss_mib) } };
                snprintf(buf[i].info.comm, sizeof(buf[i].info.comm), "%s", rows[i].comm);
        }
        return (struct ms_procs){ .p = buf, .n = n };
}

/* The job of root pid `root`; NULL fails the test. */
static struct ms_job *find_job(struct ms_jobs *jobs, pid_t root)
{
        for (size_t j = 0; j < jobs->n; j++)
                if (jobs->job[j].pid == root)
                        return &jobs->job[j];
        return NULL;
}

static struct ms_job *job_of(struct ms_jobs *jobs, pid_t root)
{
        static struct ms_job none;
        struct ms_job *job = find_job(jobs, root);

        assert_non_null(job);
        return job ? job : &none;
}

/* The process pid of the look; missing fails the test. */
static struct ms_proc *proc(const struct ms_procs *procs, pid_t pid)
{
        static struct ms_proc none;
        struct ms_proc *p = ms_procs_find(procs, pid);

        assert_non_null(p);
        return p ? p : &none;
}

/* A test's looks and jobs. */
struct t {
        struct ms_proc buf[8];
        struct ms_procs procs;
        struct ms_jobs jobs;
        uint64_t ended; /* frozen time of the jobs gone at the last look */
};

/* A look at rows (NULL: the same processes again) at now. */
static void see(struct t *t, const struct row *rows, size_t n, uint64_t now)
{
        if (rows)
                t->procs = look(t->buf, rows, n);
        ms_procs_index(&t->procs);
        assert_int_equal(ms_jobs_update(&t->jobs, &t->procs, SELF, CHILD, now, &t->ended), 0);
}

static int setup(void **state)
{
        *state = calloc(1, sizeof(struct t));
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        struct t *t = *state;

        ms_jobs_free(&t->jobs);
        assert_null(t->jobs.job);
        assert_int_equal(t->jobs.n, 0);
        free(t);
        return 0;
}

static void structural_processes(void **state)
{
        struct ms_proc_info p = { .pid = SELF, .comm = "memstop" };

        assert_true(ms_proc_structural(&p, SELF, CHILD));
        p.pid = CHILD;
        assert_true(ms_proc_structural(&p, SELF, CHILD)); /* the command, whatever it is */
        p = (struct ms_proc_info){ .pid = 300, .comm = "ninja" };
        assert_true(ms_proc_structural(&p, SELF, CHILD));
        p = (struct ms_proc_info){ .pid = 300, .comm = "cc1" };
        assert_false(ms_proc_structural(&p, SELF, CHILD));
}

static void leaves_sorted_once(void **state)
{
        const struct row rows[] = {
                { 105, 102, 'Z', 0, "cc1" },  /* a zombie child does not count */
                { 102, CHILD, 'S', 1, "sh" }, /* ... so sh is a leaf */
                { CHILD, SELF, 'S', 2, "make" },
                { 104, 103, 'R', 50, "cc1" },
                { 103, CHILD, 'S', 1, "sh" },
        };
        struct ms_proc buf[8];
        struct ms_procs procs = look(buf, rows, MS_ARRAY_SIZE(rows));

        assert_int_equal(ms_procs_index(&procs), 3); /* 102, 104, and the zombie 105 */
        for (size_t i = 1; i < procs.n; i++)
                assert_true(procs.p[i - 1].info.pid < procs.p[i].info.pid);
        assert_false(proc(&procs, CHILD)->leaf);
        assert_true(proc(&procs, 102)->leaf);
        assert_false(proc(&procs, 103)->leaf);
        assert_true(proc(&procs, 104)->leaf);
        assert_true(proc(&procs, 105)->leaf);
        assert_null(ms_procs_find(&procs, 999));
        procs.n = 0;
        assert_int_equal(ms_procs_index(&procs), 0);
        assert_null(ms_procs_find(&procs, 102));
}

static void driver_children_are_jobs(void **state)
{
        const struct row rows[] = {
                { CHILD, SELF, 'S', 2, "make" }, { 102, CHILD, 'S', 1, "sh" }, { 103, 102, 'R', 300, "cc1" },
                { 104, CHILD, 'R', 200, "cc1" }, { 105, CHILD, 'Z', 0, "ld" },
        };
        struct t *t = *state;
        struct ms_job *a, *b;

        see(t, rows, MS_ARRAY_SIZE(rows), 1000 * MS);
        assert_int_equal(t->jobs.n, 2);
        assert_int_equal(t->jobs.running, 2);
        assert_int_equal(t->jobs.frozen, 0);
        assert_int_equal(t->ended, 0);
        a = job_of(&t->jobs, 102);
        b = job_of(&t->jobs, 104);
        assert_int_equal(a->procs, 2);   /* sh and its cc1 */
        assert_int_equal(a->leaves, 1);  /* cc1 alone */
        assert_int_equal(a->rss, MiB(301));
        assert_int_equal(a->start, 1102);
        assert_int_equal(b->procs, 1);
        assert_int_equal(b->rss, MiB(200));
        /* make and the zombie belong to no job; cc1 to sh's. */
        assert_int_equal(proc(&t->procs, CHILD)->job, -1);
        assert_int_equal(proc(&t->procs, 105)->job, -1);
        assert_int_equal(proc(&t->procs, 103)->job, (int)(a - t->jobs.job));
}

static void nested_drivers_and_siblings(void **state)
{
        /* The command is a script: its children are jobs, and a make below
         * it runs jobs of its own. */
        const struct row rows[] = {
                { CHILD, SELF, 'S', 1, "build.sh" }, { 102, CHILD, 'S', 1, "sh" },  { 103, 102, 'S', 2, "make" },
                { 104, 103, 'R', 100, "cc1" },       { 105, 103, 'R', 120, "cc1" }, { 106, CHILD, 'R', 10, "python3" },
        };
        struct t *t = *state;

        see(t, rows, MS_ARRAY_SIZE(rows), 1000 * MS);
        assert_int_equal(t->jobs.n, 4);
        assert_int_equal(job_of(&t->jobs, 102)->procs, 1); /* sh alone: make starts jobs */
        assert_int_equal(job_of(&t->jobs, 102)->leaves, 0);
        assert_int_equal(job_of(&t->jobs, 104)->rss, MiB(100));
        assert_int_equal(job_of(&t->jobs, 105)->rss, MiB(120));
        assert_int_equal(job_of(&t->jobs, 106)->procs, 1);
        assert_null(find_job(&t->jobs, 103));
}

static void jobs_last_and_end(void **state)
{
        const struct row first[] = { { CHILD, SELF, 'S', 2, "make" },
                                     { 102, CHILD, 'R', 100, "cc1" },
                                     { 103, CHILD, 'R', 100, "cc1" } };
        const struct row second[] = { { CHILD, SELF, 'S', 2, "make" }, { 103, CHILD, 'R', 150, "cc1" } };
        struct t *t = *state;

        see(t, first, MS_ARRAY_SIZE(first), 1000 * MS);
        assert_int_equal(t->jobs.n, 2);
        ms_jobs_freeze(&t->jobs, (size_t)(job_of(&t->jobs, 102) - t->jobs.job), 1000 * MS);
        assert_int_equal(t->jobs.frozen, 1);
        assert_int_equal(t->jobs.running, 1);
        assert_int_equal(t->jobs.last_freeze_ns, 1000 * MS);

        /* 102 is gone, frozen for 500 ms; 103 keeps its job and is renumbered. */
        see(t, second, MS_ARRAY_SIZE(second), 1500 * MS);
        assert_int_equal(t->jobs.n, 1);
        assert_int_equal(t->ended, 500 * MS);
        assert_int_equal(t->jobs.frozen, 0);
        assert_int_equal(t->jobs.running, 1);
        assert_int_equal(t->jobs.job[0].pid, 103);
        assert_int_equal(t->jobs.job[0].rss, MiB(150));
        assert_int_equal(proc(&t->procs, 103)->job, 0);
}

static void rates_over_90ms_at_least(void **state)
{
        struct row rows[] = { { CHILD, SELF, 'S', 2, "make" }, { 102, CHILD, 'R', 100, "cc1" } };
        struct t *t = *state;

        see(t, rows, 2, 1000 * MS);
        /* First look: from 0 at the job's start (now): no interval yet. */
        assert_int_equal(t->jobs.job[0].rate, 0);
        rows[1].rss_mib = 200;
        see(t, rows, 2, 1050 * MS); /* 50 ms: a page-fault burst */
        assert_int_equal(t->jobs.job[0].rate, 0);
        assert_int_equal(t->jobs.job[0].rss, MiB(200));
        see(t, NULL, 0, 2000 * MS); /* 0 -> 200 MiB over 1 s: half of it */
        assert_int_equal(t->jobs.job[0].rate, ms_freeze_rate(0, 0, MiB(200), 1000 * MS));
        assert_int_equal(t->jobs.job[0].rate, (int64_t)MiB(100));
        assert_int_equal(t->jobs.job[0].prev_rss, MiB(200));
        see(t, NULL, 0, 3000 * MS); /* stopped growing: believed at once */
        assert_int_equal(t->jobs.job[0].rate, 0);
}

/* A driver's job keeps the most it held: its cc1plus's 800 MiB, after the
 * cc1plus ended and `as` runs (the freeze policy's past_peak). */
static void a_job_keeps_the_most_it_held(void **state)
{
        struct row cc1[] = { { CHILD, SELF, 'S', 2, "make" }, { 102, CHILD, 'S', 3, "g++" },
                             { 103, 102, 'R', 100, "cc1plus" } };
        struct row as[] = { { CHILD, SELF, 'S', 2, "make" }, { 102, CHILD, 'S', 3, "g++" },
                            { 104, 102, 'R', 100, "as" } };
        struct ms_job_view v[4];
        struct t *t = *state;

        see(t, cc1, MS_ARRAY_SIZE(cc1), 1000 * MS);
        cc1[2].rss_mib = 800;
        see(t, cc1, MS_ARRAY_SIZE(cc1), 2000 * MS);
        see(t, as, MS_ARRAY_SIZE(as), 3000 * MS);
        assert_int_equal(t->jobs.n, 1);
        assert_int_equal(job_of(&t->jobs, 102)->rss, MiB(103));
        assert_int_equal(job_of(&t->jobs, 102)->most_rss, MiB(803));
        assert_int_equal(ms_jobs_views(&t->jobs, v, MS_ARRAY_SIZE(v)), 1);
        assert_int_equal(v[0].most_rss, MiB(803));
}

static void views_for_the_freeze_policy(void **state)
{
        const struct row rows[] = {
                { CHILD, SELF, 'S', 2, "make" }, { 102, CHILD, 'S', 1, "sh" },  { 103, 102, 'S', 50, "cc1" },
                { 104, CHILD, 'S', 1, "sh" },    { 105, 104, 'S', 60, "cc1" }, { 106, 104, 'R', 70, "as" },
        };
        struct t *t = *state;
        struct ms_job_view v[4];
        size_t a, b;

        see(t, rows, MS_ARRAY_SIZE(rows), 1000 * MS);
        a = (size_t)(job_of(&t->jobs, 102) - t->jobs.job);
        b = (size_t)(job_of(&t->jobs, 104) - t->jobs.job);
        /* The gate holds 102's only leaf, and one of 104's two. */
        t->jobs.job[a].held = 1;
        t->jobs.job[b].held = 1;
        t->jobs.job[b].peak = MiB(500);
        ms_jobs_note_running(&t->jobs, 1000 * MS);
        ms_jobs_freeze(&t->jobs, b, 1000 * MS);
        assert_int_equal(ms_jobs_views(&t->jobs, v, MS_ARRAY_SIZE(v)), 2);
        assert_true(v[a].held);
        assert_false(v[b].held);
        assert_true(v[b].frozen);
        assert_int_equal(v[b].peak, MiB(500));
        assert_int_equal(v[b].rss, MiB(131));
        assert_int_equal(v[a].start, 0); /* waiting in the gate: not started */
        assert_int_equal(v[a].born, 1102);
        assert_int_equal(v[b].start, 1000 * MS);
        assert_int_equal(ms_jobs_views(&t->jobs, v, 1), 1);

        /* A frozen job's process that runs must be stopped again; a stopped one not. */
        assert_true(ms_jobs_must_stop(&t->jobs, proc(&t->procs, 106)));
        proc(&t->procs, 106)->info.state = 'T';
        assert_false(ms_jobs_must_stop(&t->jobs, proc(&t->procs, 106)));
        assert_false(ms_jobs_must_stop(&t->jobs, proc(&t->procs, 103)));
        assert_false(ms_jobs_must_stop(&t->jobs, proc(&t->procs, CHILD)));

        assert_int_equal(ms_jobs_resume(&t->jobs, b, 1800 * MS), 800 * MS);
        assert_int_equal(t->jobs.frozen, 0);
        assert_int_equal(t->jobs.running, 2);
        assert_int_equal(t->jobs.last_resume_ns, 1800 * MS);
        assert_false(ms_jobs_must_stop(&t->jobs, proc(&t->procs, 105)));
}

/* make forks a and then b; the gate lets b in first, a 700 ms later: a is
 * the younger job, and the one the freeze policy stops (freezing b, near its
 * peak, would free nothing while a grew into what b holds). */
static void the_job_let_in_last_is_the_youngest(void **state)
{
        const struct row rows[] = {
                { CHILD, SELF, 'S', 2, "make" },
                { 102, CHILD, 'S', 1, "job" },
                { 104, CHILD, 'R', 1, "job" },
        };
        struct t *t = *state;
        struct ms_job_view v[4];
        struct ms_freeze_params p;
        struct ms_freeze_action act[2];
        size_t a, b;

        see(t, rows, MS_ARRAY_SIZE(rows), 1000 * MS);
        a = (size_t)(job_of(&t->jobs, 102) - t->jobs.job);
        b = (size_t)(job_of(&t->jobs, 104) - t->jobs.job);
        t->jobs.job[a].held = 1; /* a waits, b runs */
        ms_jobs_note_running(&t->jobs, 1000 * MS);
        assert_int_equal(t->jobs.job[a].run_ns, 0);
        assert_int_equal(t->jobs.job[b].run_ns, 1000 * MS);

        /* a is let in; both grow at 300 MiB/s, b near its predicted peak. */
        t->buf[1].info.rss = MiB(1);
        t->buf[2].info.rss = MiB(300);
        see(t, NULL, 0, 1700 * MS);
        ms_jobs_note_running(&t->jobs, 1700 * MS);
        assert_int_equal(t->jobs.job[a].run_ns, 1700 * MS);
        assert_int_equal(t->jobs.job[b].run_ns, 1000 * MS); /* unchanged while it runs */
        t->buf[1].info.rss = MiB(150);
        t->buf[2].info.rss = MiB(380);
        see(t, NULL, 0, 2200 * MS);
        ms_jobs_note_running(&t->jobs, 2200 * MS);
        t->jobs.job[a].rate = t->jobs.job[b].rate = (int64_t)MiB(300);
        t->jobs.job[a].peak = t->jobs.job[b].peak = MiB(400);
        assert_int_equal(ms_jobs_views(&t->jobs, v, MS_ARRAY_SIZE(v)), 2);
        assert_true(v[a].start > v[b].start);
        assert_true(v[a].born < v[b].born);

        /* 700 MiB: 170 MiB left, what a still needs (250 MiB) not there. */
        ms_freeze_params_default(&p, MiB(70));
        assert_int_equal(ms_freeze_decide(&p,
                                          &(struct ms_freeze_input){ .now_ns = 2200 * MS, .available = MiB(170) },
                                          v, 2, act, MS_ARRAY_SIZE(act)),
                         1);
        assert_int_equal(act[0].verb, MS_FREEZE_STOP);
        assert_int_equal(act[0].job, a);

        /* Waiting in the gate again (a script's next step): not started until let in. */
        t->jobs.job[a].held = 2;
        t->jobs.job[a].leaves = 2;
        ms_jobs_note_running(&t->jobs, 2300 * MS);
        assert_int_equal(t->jobs.job[a].run_ns, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(structural_processes),
                cmocka_unit_test(leaves_sorted_once),
                T(driver_children_are_jobs),
                T(nested_drivers_and_siblings),
                T(jobs_last_and_end),
                T(rates_over_90ms_at_least),
                T(a_job_keeps_the_most_it_held),
                T(views_for_the_freeze_policy),
                T(the_job_let_in_last_is_the_youngest),
        };

        return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
