/* SPDX-License-Identifier: GPL-3.0-or-later */
/* watch: what the supervisor reads from and notes in a ledger, in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "gate/statedir.h"
#include "supervise/watch.h"
#include "util/macro.h"

#define MS 1000000ull
#define SELF 100
#define CHILD 101

struct t {
        char *root;
        struct ms_watch w;
        struct ms_proc buf[16];
        struct ms_procs procs;
        struct ms_jobs jobs;
};

struct row {
        pid_t pid, ppid;
        char state;
        uint64_t rss_mib;
        const char *comm;
};

/* make -> sh -> cc1 (201, admitted), make -> cc1 (202, waiting), make -> cc1
 * (203, granted), make -> sh -> cc1 (204, pid reused: another start time). */
static const struct row build[] = {
        { CHILD, SELF, 'S', 2, "make" }, { 110, CHILD, 'S', 1, "sh" }, { 201, 110, 'R', 40, "cc1" },
        { 202, CHILD, 'S', 1, "cc1" },   { 203, CHILD, 'R', 90, "cc1" }, { 111, CHILD, 'S', 1, "sh" },
        { 204, 111, 'R', 30, "cc1" },
};

static void look(struct t *t, const struct row *rows, size_t n, uint64_t now)
{
        uint64_t ended;

        for (size_t i = 0; i < n; i++) {
                t->buf[i] = (struct ms_proc){ .info = { .pid = rows[i].pid, .ppid = rows[i].ppid,
                                                        .state = rows[i].state, .starttime = (uint64_t)rows[i].pid,
                                                        .rss = MiB(rows[i].rss_mib) } };
                snprintf(t->buf[i].info.comm, sizeof(t->buf[i].info.comm), "%s", rows[i].comm);
        }
        t->procs = (struct ms_procs){ .p = t->buf, .n = n };
        ms_procs_index(&t->procs);
        assert_int_equal(ms_jobs_update(&t->jobs, &t->procs, SELF, CHILD, now, &ended), 0);
}

static struct ms_slot *slot(struct t *t, unsigned i, uint32_t state, pid_t pid, uint64_t start, uint64_t predicted_mib)
{
        struct ms_slot *s = &t->w.ledger.map->slot[i];

        *s = (struct ms_slot){ .state = state, .pid = pid, .starttime = start, .since_ns = 1000 * MS,
                               .predicted = MiB(predicted_mib) };
        return s;
}

/* The process pid of the look; missing fails the test. */
static struct ms_proc *proc(struct t *t, pid_t pid)
{
        static struct ms_proc none = { .job = -1 };
        struct ms_proc *p = ms_procs_find(&t->procs, pid);

        assert_non_null(p);
        return p ? p : &none;
}

/* The job of process pid; none fails the test. */
static struct ms_job *job_of(struct t *t, pid_t pid)
{
        static struct ms_job none;
        const struct ms_proc *p = proc(t, pid);

        assert_true(p->job >= 0);
        return p->job >= 0 ? &t->jobs.job[p->job] : &none;
}

static int setup(void **state)
{
        struct t *t = calloc(1, sizeof(*t));
        char dir[4096];
        int dirfd;

        t->root = fake_mkroot();
        snprintf(dir, sizeof(dir), "%s/state", t->root);
        dirfd = ms_statedir_open(dir, getuid());
        assert_true(dirfd >= 0);
        assert_int_equal(ms_watch_open(&t->w, dirfd, "queue-test", SELF, 4242), 0);
        close(dirfd);
        assert_true(t->w.open);
        slot(t, 3, MS_SLOT_ADMITTED, 201, 201, 300);
        slot(t, 5, MS_SLOT_WAITING, 202, 202, 0);
        slot(t, 6, MS_SLOT_GRANTED, 203, 203, 100);
        slot(t, 7, MS_SLOT_ADMITTED, 204, 9999, 50); /* an earlier process with 204's pid */
        slot(t, 9, MS_SLOT_ADMITTED, 999, 999, 700); /* not of this build */
        look(t, build, MS_ARRAY_SIZE(build), 1000 * MS);
        *state = t;
        return 0;
}

static int teardown(void **state)
{
        struct t *t = *state;

        ms_watch_close(&t->w);
        ms_jobs_free(&t->jobs);
        fake_rmroot(t->root);
        free(t);
        return 0;
}

static void observe_notes_our_admitted(void **state)
{
        struct t *t = *state;
        struct ms_slot *s = t->w.ledger.map->slot;
        unsigned growing;

        assert_int_equal(ms_watch_observe(&t->w, &t->procs, 1100 * MS, &growing), 2);
        assert_int_equal(growing, 2);
        assert_int_equal(s[3].rss, MiB(40));
        assert_int_equal(s[6].rss, MiB(90));
        assert_int_equal(s[3].trace.n > 0, 1);
        assert_int_equal(s[7].rss, 0); /* not its process */
        assert_int_equal(s[9].rss, 0);
        assert_int_equal(s[5].rss, 0); /* waiting */

        /* Only 201 grew since. */
        proc(t, 201)->info.rss = MiB(60);
        assert_int_equal(ms_watch_observe(&t->w, &t->procs, 1200 * MS, &growing), 2);
        assert_int_equal(growing, 1);
        assert_int_equal(s[3].rss, MiB(60));
}

/* A slot of a driver counts its tree: g++ (admitted) -> cc1plus and as; a
 * make below it starts jobs of its own and is not counted. */
static void observe_counts_the_job_tree(void **state)
{
        static const struct row tree[] = {
                { CHILD, SELF, 'S', 2, "make" }, { 201, CHILD, 'S', 3, "g++" },  { 301, 201, 'R', 400, "cc1plus" },
                { 302, 201, 'R', 20, "as" },     { 303, 201, 'S', 2, "make" },  { 304, 303, 'R', 100, "cc1" },
        };
        struct t *t = *state;
        struct ms_slot *s = t->w.ledger.map->slot;
        unsigned growing;

        look(t, tree, sizeof(tree) / sizeof(tree[0]), 1000 * MS);
        assert_int_equal(ms_watch_observe(&t->w, &t->procs, 1100 * MS, &growing), 1);
        assert_int_equal(s[3].rss, MiB(423));
}

static void count_held_and_reserved(void **state)
{
        struct t *t = *state;

        assert_int_equal(ms_watch_count(&t->w, &t->procs, &t->jobs), 1);
        assert_int_equal(job_of(t, 202)->held, 1);
        assert_int_equal(job_of(t, 201)->held, 0);
        assert_int_equal(job_of(t, 201)->peak, MiB(300));
        assert_int_equal(job_of(t, 203)->peak, MiB(100));
        /* Reserved by pid alone, as a count for display. */
        assert_int_equal(job_of(t, 204)->peak, MiB(50));
}

static void pause_marks_the_job_slots(void **state)
{
        struct t *t = *state;
        struct ms_slot *s = t->w.ledger.map->slot;
        int j = proc(t, 201)->job;

        ms_watch_pause(&t->w, &t->procs, j, 2000 * MS, true);
        assert_int_equal(s[3].stopped_ns, 2000 * MS);
        assert_int_equal(s[6].stopped_ns, 0);
        assert_int_equal(s[7].stopped_ns, 0);
        ms_watch_pause(&t->w, &t->procs, j, 2500 * MS, false);
        assert_int_equal(s[3].stopped_ns, 0);
        assert_int_equal(s[3].paused_ns, 500 * MS);
}

static void build_waits_while_every_leaf_waits(void **state)
{
        /* Two jobs, each a cc1 waiting in the gate. */
        static const struct row idle[] = {
                { CHILD, SELF, 'S', 2, "make" }, { 110, CHILD, 'S', 1, "sh" }, { 202, 110, 'S', 1, "cc1" },
                { 205, CHILD, 'S', 1, "cc1" },   { 206, 205, 'Z', 0, "cc1" },
        };
        struct t *t = *state;
        size_t leaves;
        unsigned held;

        slot(t, 3, MS_SLOT_FREE, 0, 0, 0);
        slot(t, 6, MS_SLOT_FREE, 0, 0, 0);
        slot(t, 8, MS_SLOT_WAITING, 205, 205, 0);
        look(t, idle, MS_ARRAY_SIZE(idle), 2000 * MS);
        leaves = ms_procs_index(&t->procs); /* 202, 205 and the zombie 206 */
        assert_int_equal(leaves, 3);
        held = ms_watch_count(&t->w, &t->procs, &t->jobs);
        assert_int_equal(held, 2);
        assert_false(ms_watch_build_waits(&t->w, &t->procs, leaves, held, 0));

        /* Without the zombie: every leaf waits. */
        t->procs.n = 4;
        leaves = ms_procs_index(&t->procs);
        assert_true(ms_watch_build_waits(&t->w, &t->procs, leaves, held, 0));
        assert_int_equal(t->w.n_waiting, 2);
        assert_true(ms_watch_still_waiting(&t->w));
        assert_false(ms_watch_build_waits(&t->w, &t->procs, leaves, held, 1)); /* jobs frozen */
        assert_false(ms_watch_still_waiting(&t->w));

        assert_true(ms_watch_build_waits(&t->w, &t->procs, leaves, held, 0));
        slot(t, 8, MS_SLOT_ADMITTED, 205, 205, 0); /* one was let in */
        assert_false(ms_watch_still_waiting(&t->w));
        slot(t, 8, MS_SLOT_WAITING, 207, 207, 0); /* the slot is someone else's */
        assert_false(ms_watch_still_waiting(&t->w));
}

static void hold_while_frozen(void **state)
{
        struct t *t = *state;

        assert_false(ms_ledger_holding(t->w.ledger.map));
        ms_watch_hold(&t->w, true);
        assert_true(t->w.holding);
        assert_true(ms_ledger_holding(t->w.ledger.map));
        assert_int_equal(ms_ledger_find(t->w.ledger.map, SELF, 4242) >= 0, 1);
        ms_watch_hold(&t->w, true); /* once */
        ms_watch_hold(&t->w, false);
        assert_false(t->w.holding);
        assert_false(ms_ledger_holding(t->w.ledger.map));
}

static void no_ledger_watches_nothing(void **state)
{
        struct ms_watch w;
        struct t *t = *state;
        unsigned growing = 7;

        assert_true(ms_watch_open(&w, -1, "queue-test", SELF, 1) < 0);
        assert_false(w.open);
        assert_int_equal(ms_watch_observe(&w, &t->procs, 1, &growing), 0);
        assert_int_equal(growing, 0);
        assert_int_equal(ms_watch_count(&w, &t->procs, &t->jobs), 0);
        assert_false(ms_watch_build_waits(&w, &t->procs, 1, 1, 0));
        assert_false(ms_watch_still_waiting(&w));
        ms_watch_pause(&w, &t->procs, 0, 1, true);
        ms_watch_hold(&w, true);
        assert_false(w.holding);
        ms_watch_close(&w);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(observe_notes_our_admitted),
                T(observe_counts_the_job_tree),
                T(count_held_and_reserved),
                T(pause_marks_the_job_slots),
                T(build_waits_while_every_leaf_waits),
                T(hold_while_frozen),
                T(no_ledger_watches_nothing),
        };

        return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
