/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state directory, the ledger file and the queue, in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "gate/ledger.h"
#include "gate/lockwait.h"
#include "gate/queue.h"
#include "gate/statedir.h"

#define MIB (UINT64_C(1) << 20)

struct t {
        char *root;
        int dirfd;
        struct ms_ledger l;
};

static int setup(void **state)
{
        struct t *t = calloc(1, sizeof(*t));
        char dir[4096];

        t->root = fake_mkroot();
        snprintf(dir, sizeof(dir), "%s/state", t->root);
        t->dirfd = ms_statedir_open(dir, getuid());
        assert_true(t->dirfd >= 0);
        assert_int_equal(ms_ledger_open(t->dirfd, "queue-test", &t->l), 0);
        *state = t;
        return 0;
}

static int teardown(void **state)
{
        struct t *t = *state;

        ms_ledger_close(&t->l);
        close(t->dirfd);
        fake_rmroot(t->root);
        free(t);
        return 0;
}

static void statedir_path_prefers_a_private_runtime_dir(void **state)
{
        char *root = fake_mkroot(), buf[4096], want[4096];

        assert_int_equal(ms_statedir_path(NULL, 1234, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/dev/shm/memstop-1234");
        assert_int_equal(ms_statedir_path("relative/dir", getuid(), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/dev/shm/memstop-0");
        /* mkdtemp makes 0700 directories of ours. */
        assert_int_equal(ms_statedir_path(root, getuid(), buf, sizeof(buf)), 0);
        snprintf(want, sizeof(want), "%s/memstop", root);
        assert_string_equal(buf, want);
        /* Group-readable: not private, not used. */
        chmod(root, 0750);
        assert_int_equal(ms_statedir_path(root, getuid(), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/dev/shm/memstop-0");
        /* Someone else's. */
        chmod(root, 0700);
        assert_int_equal(ms_statedir_path(root, getuid() + 1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/dev/shm/memstop-1");
        fake_rmroot(root);
}

static void statedir_open_refuses_unsafe_directories(void **state)
{
        char *root = fake_mkroot(), p[4096], target[4096];
        struct stat st;
        int fd;

        snprintf(p, sizeof(p), "%s/new", root);
        fd = ms_statedir_open(p, getuid());
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);

        snprintf(p, sizeof(p), "%s/open", root);
        assert_int_equal(mkdir(p, 0755), 0);
        assert_int_equal(ms_statedir_open(p, getuid()), -EPERM);

        snprintf(p, sizeof(p), "%s/other", root);
        assert_int_equal(mkdir(p, 0700), 0);
        assert_int_equal(ms_statedir_open(p, getuid() + 1), -EPERM);

        snprintf(target, sizeof(target), "%s/new", root);
        snprintf(p, sizeof(p), "%s/link", root);
        assert_int_equal(symlink(target, p), 0);
        fd = ms_statedir_open(p, getuid());
        assert_true(fd == -ELOOP || fd == -ENOTDIR);

        fake_write(root, "file", "x");
        snprintf(p, sizeof(p), "%s/file", root);
        assert_int_equal(ms_statedir_open(p, getuid()), -ENOTDIR);
        fake_rmroot(root);
}

/* Issue 12: any user could create /dev/shm/memstop-UID first and so disable
 * UID's queue for good. UID then uses a directory of its own beside it, and
 * every process of UID finds the same one; a planted look-alike is skipped. */
static void planted_statedir_falls_back_to_our_own(void **state)
{
        char *base = fake_mkroot(), p[4096], used[4096], used2[4096];
        uid_t uid = getuid();
        struct stat st;
        int fd, fd2;

        /* The planted one: not private (or, as root, someone else's). */
        snprintf(p, sizeof(p), "%s/memstop-%u", base, (unsigned)uid);
        assert_int_equal(mkdir(p, 0777), 0);
        assert_int_equal(chmod(p, 0777), 0);
        /* A planted fallback look-alike that comes first by name. */
        snprintf(p, sizeof(p), "%s/memstop-%u.000000", base, (unsigned)uid);
        assert_int_equal(mkdir(p, 0700), 0);
        if (geteuid() == 0)
                assert_int_equal(chown(p, 65534, 65534), 0);
        else
                assert_int_equal(chmod(p, 0755), 0);

        fd = ms_statedir_fallback(base, uid, used, sizeof(used));
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_uid, uid);
        assert_int_equal(st.st_mode & 0777, 0700);
        assert_string_not_equal(used, p);
        snprintf(p, sizeof(p), "%s/memstop-%u.", base, (unsigned)uid);
        assert_int_equal(strncmp(used, p, strlen(p)), 0);
        /* The next process picks the same directory. */
        fd2 = ms_statedir_fallback(base, uid, used2, sizeof(used2));
        assert_true(fd2 >= 0);
        assert_string_equal(used, used2);
        close(fd);
        close(fd2);
        fake_rmroot(base);
}

static void ledger_names_differ_per_cgroup(void **state)
{
        char a[64], b[64], h[64], h2[64];

        ms_ledger_name("sys/fs/cgroup/memory/a", a, sizeof(a));
        ms_ledger_name("sys/fs/cgroup/memory/b", b, sizeof(b));
        ms_ledger_name(NULL, h, sizeof(h));
        ms_ledger_name("", h2, sizeof(h2));
        assert_string_not_equal(a, b);
        assert_string_not_equal(a, h);
        assert_string_equal(h, h2);
        assert_int_equal(strncmp(a, "queue-v5-", 9), 0);
        assert_int_equal(strlen(a), 9 + 16);
}

static void new_ledger_is_initialized(void **state)
{
        struct t *t = *state;
        struct stat st;

        assert_false(t->l.reset);
        assert_int_equal(t->l.map->header.magic, MS_LEDGER_MAGIC);
        assert_int_equal(t->l.map->header.next_ticket, 1);
        assert_int_equal(fstat(t->l.fd, &st), 0);
        assert_int_equal(st.st_size, sizeof(struct ms_ledger_file));
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(ms_ledger_head(t->l.map), -1);
        assert_int_equal(ms_ledger_free_slot(t->l.map), 0);
}

static void corrupt_ledger_is_reset(void **state)
{
        struct t *t = *state;
        struct ms_ledger again;

        t->l.map->slot[3].state = MS_SLOT_ADMITTED;
        t->l.map->slot[3].pid = 42;
        t->l.map->header.next_ticket = 5;
        t->l.map->slot[3].ticket = 2;
        t->l.map->header.magic = 0xdeadbeef;
        assert_int_equal(ms_ledger_open(t->dirfd, "queue-test", &again), 0);
        assert_true(again.reset);
        assert_int_equal(again.map->header.magic, MS_LEDGER_MAGIC);
        assert_int_equal(again.map->slot[3].state, MS_SLOT_FREE);
        ms_ledger_close(&again);
}

static void truncated_ledger_is_reset(void **state)
{
        struct t *t = *state;
        struct ms_ledger again;
        int fd = openat(t->dirfd, "queue-short", O_WRONLY | O_CREAT, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "garbage", 7), 7);
        close(fd);
        assert_int_equal(ms_ledger_open(t->dirfd, "queue-short", &again), 0);
        assert_true(again.reset);
        assert_int_equal(again.map->header.magic, MS_LEDGER_MAGIC);
        ms_ledger_close(&again);
}

static void other_version_is_reset_quietly(void **state)
{
        struct t *t = *state;
        struct ms_ledger again;
        int fd = openat(t->dirfd, "queue-old", O_WRONLY | O_CREAT, 0600);
        struct ms_ledger_header old = { .magic = MS_LEDGER_MAGIC, .version = MS_LEDGER_VERSION + 1 };

        assert_true(fd >= 0);
        assert_int_equal(write(fd, &old, sizeof(old)), sizeof(old));
        close(fd);
        assert_int_equal(ms_ledger_open(t->dirfd, "queue-old", &again), 0);
        assert_false(again.reset);
        assert_int_equal(again.map->header.version, MS_LEDGER_VERSION);
        ms_ledger_close(&again);
}

static void impossible_slots_are_freed(void **state)
{
        struct t *t = *state;
        struct ms_ledger again;

        t->l.map->header.next_ticket = 10;
        t->l.map->slot[0] = (struct ms_slot){ .state = 77, .pid = 5, .ticket = 1 };
        t->l.map->slot[1] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = -3, .ticket = 2 };
        t->l.map->slot[2] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 9, .ticket = 99 };
        t->l.map->slot[3] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 9, .ticket = 3 };
        assert_int_equal(ms_ledger_open(t->dirfd, "queue-test", &again), 0);
        assert_true(again.reset);
        assert_int_equal(again.map->slot[0].state, MS_SLOT_FREE);
        assert_int_equal(again.map->slot[1].state, MS_SLOT_FREE);
        assert_int_equal(again.map->slot[2].state, MS_SLOT_FREE);
        assert_int_equal(again.map->slot[3].state, MS_SLOT_WAITING);
        ms_ledger_close(&again);
}

static void symlinked_ledger_is_refused(void **state)
{
        struct t *t = *state;
        struct ms_ledger l;

        assert_int_equal(symlinkat("/etc/passwd", t->dirfd, "queue-link"), 0);
        assert_int_equal(ms_ledger_open(t->dirfd, "queue-link", &l), -ELOOP);
}

/* The read-only open (memstop status) checks what the writable one does, and
 * changes nothing. */
static void read_only_open(void **state)
{
        struct t *t = *state;
        struct ms_ledger ro;
        int fd;

        assert_int_equal(ms_ledger_open_ro(t->dirfd, "queue-none", &ro), -ENOENT);
        t->l.map->slot[3] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 77, .ticket = 1 };
        t->l.map->header.next_ticket = 2;
        assert_int_equal(ms_ledger_open_ro(t->dirfd, "queue-test", &ro), 0);
        assert_int_equal(ro.fd, -1);
        assert_int_equal(ms_slot_state(&ro.map->slot[3]), MS_SLOT_WAITING);
        assert_int_equal(ms_ledger_head(ro.map), 3);
        ms_ledger_close(&ro);

        assert_int_equal(symlinkat("queue-test", t->dirfd, "queue-link"), 0);
        assert_int_equal(ms_ledger_open_ro(t->dirfd, "queue-link", &ro), -ELOOP);
        /* Of the wrong size, or not ours: not read (and not repaired). */
        fd = openat(t->dirfd, "queue-short", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "MSSG", 4), 4);
        close(fd);
        assert_int_equal(ms_ledger_open_ro(t->dirfd, "queue-short", &ro), -EINVAL);
        if (geteuid() == 0) {
                assert_int_equal(fchownat(t->dirfd, "queue-test", 12345, getgid(), 0), 0);
                assert_int_equal(ms_ledger_open_ro(t->dirfd, "queue-test", &ro), -EPERM);
                assert_int_equal(fchownat(t->dirfd, "queue-test", 0, getgid(), 0), 0);
        }
        /* A bad header. */
        t->l.map->header.version++;
        assert_int_equal(ms_ledger_open_ro(t->dirfd, "queue-test", &ro), -EINVAL);
        t->l.map->header.version--;
}

static bool alive_if_odd(pid_t pid, uint64_t starttime, void *userdata)
{
        return pid % 2 == 1;
}

static void prune_head_find(void **state)
{
        struct ms_ledger_file *f = ((struct t *)*state)->l.map;

        f->header.next_ticket = 100;
        f->slot[0] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 11, .starttime = 1, .ticket = 50 };
        f->slot[1] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 12, .starttime = 1, .ticket = 10 };
        f->slot[2] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 13, .starttime = 1, .ticket = 20 };
        f->slot[3] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = 15, .starttime = 7, .ticket = 5 };
        assert_int_equal(ms_ledger_head(f), 1);
        assert_int_equal(ms_ledger_prune(f, 0, alive_if_odd, NULL), 1);
        assert_int_equal(f->slot[1].state, MS_SLOT_FREE);
        assert_int_equal(ms_ledger_head(f), 2);
        assert_int_equal(ms_ledger_free_slot(f), 1);
        assert_int_equal(ms_ledger_find(f, 15, 7), 3);
        assert_int_equal(ms_ledger_find(f, 15, 8), -1);
        assert_int_equal(ms_ledger_find(f, 12, 1), -1);

        struct ms_admitted a[4];
        assert_int_equal(ms_ledger_admitted(f, NULL, a, 4), 1);
}

#define MS_ (UINT64_C(1000000))

static void frozen_time_is_left_out_of_ages(void **state)
{
        struct ms_slot s = { .state = MS_SLOT_ADMITTED, .pid = 3, .starttime = 1, .since_ns = 1000 * MS_,
                             .curve = { 2000, { 1, 2, 3, 4, 5, 6, 7, 8 } } };
        struct ms_ledger_file *f = calloc(1, sizeof(*f));
        struct ms_admitted a;

        assert_non_null(f);
        assert_int_equal(ms_ledger_age(&s, 1500 * MS_), 500 * MS_);
        ms_ledger_pause(&s, 2000 * MS_, true);
        /* Stopped at 1 s of age: it stays there while frozen. */
        assert_int_equal(ms_ledger_age(&s, 2500 * MS_), 1000 * MS_);
        f->slot[0] = s;
        f->header.next_ticket = 2;
        assert_int_equal(ms_ledger_admitted(f, NULL, &a, 1), 1);
        assert_int_equal(a.end_ns, 0); /* frozen: its end is anyone's guess */
        ms_ledger_pause(&s, 2000 * MS_, true); /* twice: the first stop counts */
        ms_ledger_pause(&s, 3000 * MS_, false);
        assert_int_equal(s.paused_ns, 1000 * MS_);
        assert_int_equal(s.stopped_ns, 0);
        assert_int_equal(ms_ledger_age(&s, 3500 * MS_), 1500 * MS_);
        f->slot[0] = s;
        assert_int_equal(ms_ledger_admitted(f, NULL, &a, 1), 1);
        /* Ends 1 s later than it would have. */
        assert_int_equal(a.end_ns, ms_admit_end_ns(2000 * MS_, 2000));
        ms_ledger_pause(&s, 4000 * MS_, false); /* resumed, not stopped: nothing */
        assert_int_equal(s.paused_ns, 1000 * MS_);
        /* Looks note running ages. */
        ms_ledger_observe(&s, 8 * MIB, 3500 * MS_);
        assert_int_equal(s.rss, 8 * MIB);
        assert_int_equal(s.trace.seen_ms, 1500);
        free(f);
}

static void exit_curve_comes_from_the_looks(void **state)
{
        struct t *t = *state;
        struct ms_slot *s = &t->l.map->slot[4];
        struct ms_curve c;

        *s = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = getpid(), .starttime = 1, .since_ns = 1000 * MS_,
                               .ticket = t->l.map->header.next_ticket++, .kind = MS_PREDICT_VERIFIED };
        ms_ledger_observe(s, 10 * MIB, 1100 * MS_);
        ms_ledger_observe(s, 50 * MIB, 1200 * MS_);
        ms_ledger_observe(s, 40 * MIB, 1250 * MS_);
        /* 50 MiB first seen at the look at 200 ms: reached after 100 ms. */
        assert_int_equal(ms_queue_curve(&t->l, getpid(), 1, 100 * MIB, 0, 1300 * MS_, &c), 0);
        assert_int_equal(c.duration_ms, 300);
        for (unsigned k = 0; k < 4; k++)
                assert_int_equal(c.reach_ms[k], 100);
        /* Above 50 MiB only after the last look, at 250 ms. */
        for (unsigned k = 4; k < MS_CURVE_STEPS; k++)
                assert_int_equal(c.reach_ms[k], 250);
        /* Predicted from an earlier run: the earlier reach times and the
         * longer duration (7/8 of 400) are kept. */
        s->curve = (struct ms_curve){ 400, { 50, 50, 150, 150, 150, 300, 300, 300 } };
        assert_int_equal(ms_queue_curve(&t->l, getpid(), 1, 100 * MIB, 0, 1300 * MS_, &c), 0);
        const struct ms_curve want = { 350, { 50, 50, 100, 100, 150, 250, 250, 250 } };
        assert_memory_equal(&c, &want, sizeof(c));
        assert_int_equal(ms_queue_curve(&t->l, getpid(), 2, 100 * MIB, 0, 1300 * MS_, &c), -ENOENT);
        /* On a CPU for 200 of its 300 ms: alone it takes 200 ms, and grows
         * as much faster; the earlier run's 7/8 of 400 still stands. */
        s->curve = (struct ms_curve){};
        assert_int_equal(ms_queue_curve(&t->l, getpid(), 1, 100 * MIB, 200, 1300 * MS_, &c), 0);
        const struct ms_curve alone = { 200, { 66, 66, 66, 66, 166, 166, 166, 166 } };
        assert_memory_equal(&c, &alone, sizeof(c));
        s->curve = (struct ms_curve){ 400, { 50, 50, 150, 150, 150, 300, 300, 300 } };
        assert_int_equal(ms_queue_curve(&t->l, getpid(), 1, 100 * MIB, 200, 1300 * MS_, &c), 0);
        assert_int_equal(c.duration_ms, 350);
        /* Predicted from its program's curve (typical): its own run alone. */
        s->kind = MS_PREDICT_TYPICAL;
        assert_int_equal(ms_queue_curve(&t->l, getpid(), 1, 100 * MIB, 200, 1300 * MS_, &c), 0);
        assert_memory_equal(&c, &alone, sizeof(c));
}

/* The queue in one process: ops injected, no real memory involved. */
struct fake_ops {
        uint64_t available, total, now;
        int samples;
        bool others_alive;
        struct ms_ledger_file *ledger;
        uint64_t rss; /* of processes other than us; 0: 1M */
};

static int fake_sample(struct ms_sample *s, void *userdata)
{
        struct fake_ops *o = userdata;

        memset(s, 0, sizeof(*s));
        s->available = o->available;
        s->total = o->total;
        o->samples++;
        return 0;
}

/* Our own RSS is 1M; other processes' is o->rss (1M unless a test says). */
static int fake_rss(pid_t pid, uint64_t *rss, void *userdata)
{
        const struct fake_ops *o = userdata;

        *rss = pid != getpid() && o->rss ? o->rss : 1 * MIB;
        return 0;
}

static bool fake_alive(pid_t pid, uint64_t starttime, void *userdata)
{
        return pid == getpid() || ((struct fake_ops *)userdata)->others_alive;
}

static uint64_t fake_now(void *userdata)
{
        /* Time passes by 100 ms per look (the futex sleeps really, shortly). */
        return ((struct fake_ops *)userdata)->now += 100 * 1000 * 1000;
}

static const struct ms_queue_request me = {
        .starttime = 1,
        .cand = { .kind = MS_PREDICT_VERIFIED, .predicted = 100 * MIB, .worst = 100 * MIB },
        .program = "test",
};

static void queue_admits_at_once_when_it_fits(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 4000 * MIB, .total = 8000 * MIB };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        ms_config_init(&c);
        req.pid = getpid();
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_ADMITTED);
        assert_false(res.held);
        assert_int_equal(o.samples, 1);
        int i = ms_ledger_find(t->l.map, getpid(), 1);
        assert_true(i >= 0);
        assert_int_equal(t->l.map->slot[i].state, MS_SLOT_ADMITTED);
        assert_int_equal(t->l.map->slot[i].predicted, 100 * MIB);
        ms_queue_leave(&t->l, getpid(), 1);
        assert_int_equal(ms_ledger_find(t->l.map, getpid(), 1), -1);
}

static void queue_times_out_and_leaves(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 50 * MIB, .total = 8000 * MIB };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        ms_config_init(&c);
        c.timeout_usec = 300 * 1000;
        req.pid = getpid();
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_EXPIRED);
        assert_true(res.held);
        assert_true(res.waited_ns >= 300ull * 1000 * 1000);
        assert_int_equal(ms_ledger_find(t->l.map, getpid(), 1), -1);
}

static void dead_head_is_replaced(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 4000 * MIB, .total = 8000 * MIB };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        /* A waiter ahead of us that was killed: its slot stays behind. */
        t->l.map->header.next_ticket = 2;
        t->l.map->slot[5] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 999999, .starttime = 3, .ticket = 1 };
        ms_config_init(&c);
        req.pid = getpid();
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(t->l.map->slot[5].state, MS_SLOT_FREE);
}

static void live_head_keeps_us_waiting(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 4000 * MIB, .total = 8000 * MIB, .others_alive = true };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        t->l.map->header.next_ticket = 2;
        t->l.map->slot[5] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 999999, .starttime = 3, .ticket = 1 };
        ms_config_init(&c);
        c.timeout_usec = 200 * 1000;
        req.pid = getpid();
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        /* Not the head: never sampled, waited in line until the timeout. */
        assert_int_equal(res.outcome, MS_QUEUE_EXPIRED);
        assert_int_equal(o.samples, 0);
        assert_true(res.held);
}

/* Later jobs arrive while we are held: slots 7 (50M) and 8 (200M), behind us in line. */
static void later_jobs_arrive(const struct ms_sample *s, const struct ms_admit_result *r, unsigned ahead,
                              void *userdata)
{
        struct ms_ledger_file *f = ((struct fake_ops *)userdata)->ledger;

        f->slot[7] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 999999, .starttime = 3,
                                       .ticket = f->header.next_ticket++, .kind = MS_PREDICT_VERIFIED,
                                       .predicted = 200 * MIB, .worst = 200 * MIB };
        f->slot[8] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 999998, .starttime = 3,
                                       .ticket = f->header.next_ticket++, .kind = MS_PREDICT_VERIFIED,
                                       .predicted = 50 * MIB, .worst = 50 * MIB };
}

static void head_backfills_only_what_cannot_delay_it(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 400 * MIB, .total = 8000 * MIB, .others_alive = true,
                              .ledger = t->l.map };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .held = later_jobs_arrive,
                                    .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        /*
         * We need 1000M; 400M are free and a running job holds 700M (fake_rss
         * says its RSS is 1M: it will give back at least that much... so make
         * its RSS count: the head's prospect is 400 + RSS of the running job).
         */
        t->l.map->slot[2] = (struct ms_slot){ .state = MS_SLOT_ADMITTED, .pid = 999997, .starttime = 3,
                                              .ticket = t->l.map->header.next_ticket++,
                                              .kind = MS_PREDICT_VERIFIED, .predicted = 700 * MIB,
                                              .worst = 700 * MIB };
        o.rss = 700 * MIB;
        ms_config_init(&c);
        c.percent = 0;
        /* The fake clock moves 100 ms per look: held, then the jobs arrive, then backfill. */
        c.timeout_usec = 350 * 1000;
        req.pid = getpid();
        req.cand.predicted = req.cand.worst = 1000 * MIB;
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_EXPIRED);
        /* 200M fits now (400M free) but would leave 1100 - 200 < 1000 for us: not let in. */
        assert_int_equal(t->l.map->slot[7].state, MS_SLOT_WAITING);
        /* 50M cannot delay us (1100 - 50 >= 1000): let in. */
        assert_int_equal(t->l.map->slot[8].state, MS_SLOT_GRANTED);
        assert_int_equal(t->l.map->slot[8].granted, MS_GRANT_BACKFILL);
}

/* Called at every look (as the kill switch): slot 9 appears, behind us. */
static bool big_job_arrives(void *userdata)
{
        struct ms_ledger_file *f = ((struct fake_ops *)userdata)->ledger;

        if (f->slot[9].state == MS_SLOT_FREE && !f->slot[9].pid)
                f->slot[9] = (struct ms_slot){ .state = MS_SLOT_WAITING, .pid = 999996, .starttime = 3,
                                               .ticket = f->header.next_ticket++, .kind = MS_PREDICT_VERIFIED,
                                               .predicted = 2000 * MIB, .worst = 2000 * MIB };
        return false;
}

static void big_waiting_job_goes_first(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 4000 * MIB, .total = 8000 * MIB, .others_alive = true };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        /* A big job behind us in line (it arrives after we took our ticket):
         * it fits now and starts first. */
        ops.cancelled = big_job_arrives;
        o.ledger = t->l.map;
        req.pid = getpid();
        ms_config_init(&c);
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_ADMITTED);
        assert_int_equal(t->l.map->slot[9].state, MS_SLOT_GRANTED);
        assert_int_equal(t->l.map->slot[9].granted, MS_GRANT_BIG_FIRST);
}

static void supervisor_hold_stops_admissions(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 4000 * MIB, .total = 8000 * MIB, .others_alive = true };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        /* A live supervisor with frozen jobs: plenty of memory, still held. */
        assert_int_equal(ms_queue_hold(&t->l, 999995, 3), 0);
        assert_true(ms_ledger_holding(t->l.map));
        ms_config_init(&c);
        c.timeout_usec = 300 * 1000;
        req.pid = getpid();
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_EXPIRED);
        assert_int_equal(res.decision.reason, MS_HELD_FROZEN);

        /* Resumed: admitted at once. */
        ms_queue_unhold(&t->l, 999995, 3);
        assert_false(ms_ledger_holding(t->l.map));
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_ADMITTED);
}

static void dead_supervisor_hold_is_pruned(void **state)
{
        struct t *t = *state;
        struct fake_ops o = { .available = 4000 * MIB, .total = 8000 * MIB, .others_alive = false };
        struct ms_queue_ops ops = { fake_sample, fake_rss, fake_alive, fake_now, .userdata = &o };
        struct ms_queue_request req = me;
        struct ms_config c;
        struct ms_queue_result res;

        assert_int_equal(ms_queue_hold(&t->l, 999995, 3), 0);
        ms_config_init(&c);
        req.pid = getpid();
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), 0);
        assert_int_equal(res.outcome, MS_QUEUE_ADMITTED);
        assert_false(ms_ledger_holding(t->l.map));
}

/* ---- issue 12: the fd out of the way, the lock bounded ---- */

/* The program closed the ledger's fd and opened its own file at that
 * number: the gate then locked and unlocked the program's file (a lock a
 * background child relied on was dropped). The fd is high, and checked. */
static void reused_fd_is_never_locked(void **state)
{
        struct t *t = *state;
        char path[4096];
        int own, other;

        assert_true(t->l.fd >= MS_LEDGER_FD_MIN);
        assert_true(fcntl(t->l.fd, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(ms_ledger_lock(&t->l), 0);
        ms_ledger_unlock(&t->l);
        /* The program's own file, locked, put at the ledger's number. */
        snprintf(path, sizeof(path), "%s/program-file", t->root);
        own = open(path, O_RDWR | O_CREAT, 0600);
        assert_true(own >= 0);
        assert_int_equal(flock(own, LOCK_EX), 0);
        assert_int_equal(dup2(own, t->l.fd), t->l.fd);
        assert_int_equal(ms_ledger_lock(&t->l), -EBADF);
        /* Its lock is still held: another open file description cannot take it. */
        other = open(path, O_RDWR);
        assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
        /* Leaving still works, without the lock. */
        ms_queue_leave(&t->l, getpid(), 1);
        close(other);
        close(own);
}

static void locks_line_names_the_holder(void **state)
{
        const uint64_t dev = makedev(0, 0x1a), ino = 4242;
        char longline[600];

        (void)state;
        assert_int_equal(ms_locks_line_holder("3: FLOCK  ADVISORY  WRITE 99 00:1a:4242 0 EOF", dev, ino), 99);
        /* A waiter's line ("->") is not a holder; nor a POSIX or OFD lock. */
        assert_int_equal(ms_locks_line_holder("3: -> FLOCK  ADVISORY  WRITE 100 00:1a:4242 0 EOF", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder("1: POSIX  ADVISORY  WRITE 77 00:1a:4242 0 EOF", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder("1: OFDLCK ADVISORY  WRITE -1 00:1a:4242 0 EOF", dev, ino), 0);
        /* Another device, another file. */
        assert_int_equal(ms_locks_line_holder("3: FLOCK  ADVISORY  WRITE 99 08:01:4242 0 EOF", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder("2: FLOCK  ADVISORY  WRITE 88 00:1a:4243 0 EOF", dev, ino), 0);
        /* The major and minor numbers are hexadecimal. */
        assert_int_equal(ms_locks_line_holder("4: FLOCK ADVISORY WRITE 5 fd:1f:4242 0 EOF", makedev(0xfd, 0x1f), ino),
                         5);
        /* Malformed, cut short, empty, hostile. */
        assert_int_equal(ms_locks_line_holder("3: FLOCK  ADVISORY  WRITE 99 00:1a", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder("3: FLOCK  ADVISORY  WRITE 0 00:1a:4242 0 EOF", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder("3: FLOCK  ADVISORY  WRITE -7 00:1a:4242 0 EOF", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder("garbage", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder("", dev, ino), 0);
        assert_int_equal(ms_locks_line_holder(NULL, dev, ino), 0);
        memset(longline, 'x', sizeof(longline) - 1);
        longline[sizeof(longline) - 1] = '\0';
        assert_int_equal(ms_locks_line_holder(longline, dev, ino), 0);
}

/* proc/locks and the holder's proc/PID/stat, read from a fake root: a file
 * of any length, line by line; the holder's state decides. */
/* Whether the holder of the flock on fd's file is at work: found, not this
 * process (as that /proc numbers it), and in state R or D. */
static bool holder_busy(int rootfd, int fd)
{
        pid_t pid;

        return ms_flock_holder(rootfd, fd, &pid) == MS_HOLDER_BUSY;
}

static void holder_is_busy_in_state_r_or_d(void **state)
{
        char *root = fake_mkroot(), line[128], longline[700];
        const char *states = "RDSTtZ";
        const bool busy[] = { true, true, false, false, false, false };
        struct stat st;
        int rootfd, fd;

        fake_write(root, "lockfile", "");
        fake_mkdir(root, "proc");
        rootfd = fake_open(root);
        fd = openat(rootfd, "lockfile", O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        memset(longline, 'x', sizeof(longline) - 1);
        longline[sizeof(longline) - 1] = '\0';
        snprintf(line, sizeof(line), "5: FLOCK  ADVISORY  WRITE 77 %02x:%02x:%llu 0 EOF", major(st.st_dev),
                 minor(st.st_dev), (unsigned long long)st.st_ino);
        /* An overlong line before it, a waiter after it; no newline at the end. */
        fake_writef(root, "proc/locks", "1: POSIX  ADVISORY  WRITE 3 00:01:2 0 EOF\n%s\n%s\n5: -> %s", longline, line,
                    line + 3);
        for (unsigned i = 0; i < strlen(states); i++) {
                fake_writef(root, "proc/77/stat", "77 (cc1plus) %c 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1077 0 0\n",
                            states[i]);
                assert_int_equal(holder_busy(rootfd, fd), busy[i]);
        }
        /* Gone. */
        fake_remove(root, "proc/77/stat");
        assert_false(holder_busy(rootfd, fd));
        /* This process, as this /proc numbers it (a pid namespace whose /proc
         * is its parent's: there, getpid() would name someone else). */
        fake_write(root, "proc/77/stat", "77 (self) R 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1077 0 0\n");
        assert_true(holder_busy(rootfd, fd));
        assert_int_equal(symlinkat("77", rootfd, "proc/self"), 0);
        assert_false(holder_busy(rootfd, fd));
        /* No holder named, or no proc/locks at all. */
        fake_write(root, "proc/locks", "garbage\n");
        assert_false(holder_busy(rootfd, fd));
        fake_remove(root, "proc/locks");
        assert_false(holder_busy(rootfd, fd));
        close(fd);
        close(rootfd);
        fake_rmroot(root);
}

static double monotonic_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* As every holder of a ledger's lock does: say so in its header (a file of
 * another size is no ledger: nothing said). */
static void say_holder(int fd, pid_t pid)
{
        struct stat st;
        struct ms_ledger_file *f;

        if (fstat(fd, &st) < 0 || st.st_size != (off_t)sizeof(*f))
                return;
        f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (f == MAP_FAILED)
                return;
        f->header.lock_pidns = ms_pidns_self();
        __atomic_store_n(&f->header.lock_pid, pid, __ATOMIC_RELEASE);
        munmap(f, sizeof(*f));
}

/* A child that takes the ledger's lock (and says so), says so on the pipe,
 * then spins on a CPU for `busy` seconds or sleeps, and exits (releasing it). */
static pid_t lock_holder(const char *path, double busy, int *ready)
{
        int p[2];
        pid_t pid;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open(path, O_RDWR);
                if (fd < 0 || flock(fd, LOCK_EX) < 0)
                        _exit(1);
                say_holder(fd, getpid());
                (void)!write(p[1], "x", 1);
                if (busy <= 0)
                        for (;;)
                                pause();
                for (double end = monotonic_s() + busy; monotonic_s() < end;)
                        ;
                _exit(0);
        }
        close(p[1]);
        *ready = p[0];
        return pid;
}

/* A holder at work (a gate reading a slow /proc) longer than
 * MS_LEDGER_LOCK_NS is waited for: the admission keeps its queue. */
static void busy_holder_is_waited_for(void **state)
{
        struct t *t = *state;
        char path[4096], c;
        int ready, status;
        pid_t pid;

        snprintf(path, sizeof(path), "%s/state/queue-test", t->root);
        pid = lock_holder(path, 2.5, &ready);
        assert_int_equal(read(ready, &c, 1), 1);
        close(ready);
        assert_int_equal(ms_ledger_lock_patient(&t->l, MS_LEDGER_PATIENCE_NS), 0);
        ms_ledger_unlock(&t->l);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A holder that sleeps with the lock (no gate does) is stuck: given up on
 * after MS_LEDGER_LOCK_NS, not after the patience. */
static void sleeping_holder_is_given_up_on(void **state)
{
        struct t *t = *state;
        char path[4096], c;
        double t0;
        int ready;
        pid_t pid;

        snprintf(path, sizeof(path), "%s/state/queue-test", t->root);
        pid = lock_holder(path, 0, &ready);
        assert_int_equal(read(ready, &c, 1), 1);
        close(ready);
        t0 = monotonic_s();
        assert_int_equal(ms_ledger_lock_patient(&t->l, MS_LEDGER_PATIENCE_NS), -ETIMEDOUT);
        /* Not the 30 s of patience (the bound is generous: a slow machine). */
        assert_true(monotonic_s() - t0 < 20);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* A holder of the ledger's lock says so in the header (lock_pid) from
 * taking the lock to letting it go, and a waiter asks there before
 * proc/locks: hundreds of waiters reading proc/locks (which write-locks the
 * kernel's file-lock rwsem) stalled every flock() on the machine. Here the
 * lock is held by a sleeping process that does not say so (proc/locks alone
 * would give up on it within seconds), while the header names a child busy
 * on a CPU: the wait goes on until that child has ended. */
static void published_holder_is_asked_first(void **state)
{
        struct t *t = *state;
        struct ms_ledger_file *f = t->l.map;
        char path[4096], other[4096], c;
        int holder, ready, status;
        pid_t busy;

        /* Taking and letting go say so. */
        assert_int_equal(ms_ledger_lock(&t->l), 0);
        assert_int_equal(f->header.lock_pid, getpid());
        assert_int_equal(f->header.lock_pidns, ms_pidns_self());
        ms_ledger_unlock(&t->l);
        assert_int_equal(f->header.lock_pid, 0);
        /* None named: passing hands, not stuck (the wait goes on). */
        {
                struct ms_lock_owner o = { .pid = &f->header.lock_pid, .pidns = &f->header.lock_pidns,
                                           .own_pidns = ms_pidns_self() };
                pid_t pid;
                assert_int_equal(ms_lock_owner_holder(&o, t->l.fd, &pid), MS_HOLDER_PASSING);
        }

        snprintf(path, sizeof(path), "%s/state/queue-test", t->root);
        holder = open(path, O_RDWR);
        assert_true(holder >= 0);
        assert_int_equal(flock(holder, LOCK_EX), 0);
        snprintf(other, sizeof(other), "%s/state/other", t->root);
        close(open(other, O_RDWR | O_CREAT, 0600));
        busy = lock_holder(other, 3, &ready); /* not the ledger's lock: it spins */
        assert_int_equal(read(ready, &c, 1), 1);
        close(ready);
        f->header.lock_pidns = ms_pidns_self();
        __atomic_store_n(&f->header.lock_pid, busy, __ATOMIC_RELEASE);
        assert_int_equal(ms_ledger_lock_patient(&t->l, MS_LEDGER_PATIENCE_NS), -ETIMEDOUT);
        /* Given up only once the named holder had ended (an order, not a time). */
        assert_int_equal(waitpid(busy, &status, WNOHANG), busy);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(holder);
        /* Of another pid namespace, the name is not used: proc/locks tells. */
        {
                struct ms_lock_owner o = { .pid = &f->header.lock_pid, .pidns = &f->header.lock_pidns,
                                           .own_pidns = ms_pidns_self() + 1 };
                pid_t pid;
                int fd = open(path, O_RDWR);
                assert_true(fd >= 0);
                assert_int_equal(ms_lock_owner_holder(&o, fd, &pid), MS_HOLDER_NONE);
                close(fd);
        }
}

/* Two children that pass the lock between them for `secs` seconds, each
 * holding it asleep for 20 ms at a time (a queue of hundreds, joining). */
static pid_t lock_passer(const char *path, double secs)
{
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                double end = monotonic_s() + secs;
                int fd;
                if (fork() == 0) /* two of them; the second dies with the first */
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                fd = open(path, O_RDWR);
                if (fd < 0)
                        _exit(1);
                while (monotonic_s() < end) {
                        struct timespec hold = { 0, 20 * 1000 * 1000 };
                        if (flock(fd, LOCK_EX) < 0)
                                _exit(1);
                        say_holder(fd, getpid());
                        nanosleep(&hold, NULL);
                        say_holder(fd, 0);
                        flock(fd, LOCK_UN);
                }
                _exit(0);
        }
        return pid;
}

/* A lock that passes from hand to hand is no stuck lock, though whoever holds
 * it at a look is asleep: the wait goes on (hundreds of processes joining
 * the queue at once gave up the queue so, one in three). */
static void lock_passed_around_is_waited_for(void **state)
{
        struct t *t = *state;
        char path[4096];
        struct timespec settle = { 0, 50 * 1000 * 1000 };
        pid_t pid;

        snprintf(path, sizeof(path), "%s/state/queue-test", t->root);
        pid = lock_passer(path, 3);
        nanosleep(&settle, NULL);
        assert_int_equal(ms_ledger_lock_patient(&t->l, MS_LEDGER_PATIENCE_NS), 0);
        ms_ledger_unlock(&t->l);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* A process stopped while it held the ledger's lock hung every gated start:
 * MEMSTOP_TIMEOUT=1 was still hung at 6 s. The user's timeout bounds the
 * wait, whoever holds the lock: a stuck holder (here this process, through
 * another open file) and a busy one (a child on a CPU, whom the patience
 * would wait 30 s for) alike. */
static void held_lock_is_waited_for_boundedly(void **state)
{
        struct t *t = *state;
        struct fake_ops plenty = { .available = 4000 * MIB, .total = 8000 * MIB };
        const struct ms_queue_ops ops = {
                .sample = fake_sample, .rss = fake_rss, .alive = fake_alive, .now_ns = fake_now, .userdata = &plenty,
        };
        struct ms_queue_request req = { .pid = getpid(), .starttime = 1, .program = "test" };
        struct ms_config c = { .timeout_usec = 300 * 1000 };
        struct ms_queue_result res;
        char path[4096], ch;
        int holder, ready;
        pid_t pid;

        snprintf(path, sizeof(path), "%s/state/queue-test", t->root);
        holder = open(path, O_RDWR);
        assert_true(holder >= 0);
        assert_int_equal(flock(holder, LOCK_EX), 0);
        assert_int_equal(ms_ledger_lock_within(&t->l, 50 * 1000 * 1000), -ETIMEDOUT);
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), -ETIMEDOUT);
        /* And opening a ledger whose lock is held gives up too. */
        {
                struct ms_ledger l2;
                assert_int_equal(ms_ledger_open(t->dirfd, "queue-test", &l2), -ETIMEDOUT);
        }
        close(holder);
        /* A busy holder, at work for two minutes: the wait ends at the
         * timeout, while the holder still holds the lock. */
        pid = lock_holder(path, 120, &ready);
        assert_int_equal(read(ready, &ch, 1), 1);
        close(ready);
        assert_int_equal(ms_queue_wait(&t->l, &c, &req, &ops, &res), -ETIMEDOUT);
        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(statedir_path_prefers_a_private_runtime_dir),
                cmocka_unit_test(statedir_open_refuses_unsafe_directories),
                cmocka_unit_test(ledger_names_differ_per_cgroup),
                cmocka_unit_test(planted_statedir_falls_back_to_our_own),
                cmocka_unit_test_setup_teardown(new_ledger_is_initialized, setup, teardown),
                cmocka_unit_test_setup_teardown(corrupt_ledger_is_reset, setup, teardown),
                cmocka_unit_test_setup_teardown(truncated_ledger_is_reset, setup, teardown),
                cmocka_unit_test_setup_teardown(other_version_is_reset_quietly, setup, teardown),
                cmocka_unit_test_setup_teardown(impossible_slots_are_freed, setup, teardown),
                cmocka_unit_test_setup_teardown(symlinked_ledger_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(read_only_open, setup, teardown),
                cmocka_unit_test_setup_teardown(prune_head_find, setup, teardown),
                cmocka_unit_test(frozen_time_is_left_out_of_ages),
                cmocka_unit_test(locks_line_names_the_holder),
                cmocka_unit_test(holder_is_busy_in_state_r_or_d),
                cmocka_unit_test_setup_teardown(busy_holder_is_waited_for, setup, teardown),
                cmocka_unit_test_setup_teardown(lock_passed_around_is_waited_for, setup, teardown),
                cmocka_unit_test_setup_teardown(sleeping_holder_is_given_up_on, setup, teardown),
                cmocka_unit_test_setup_teardown(published_holder_is_asked_first, setup, teardown),
                cmocka_unit_test_setup_teardown(exit_curve_comes_from_the_looks, setup, teardown),
                cmocka_unit_test_setup_teardown(queue_admits_at_once_when_it_fits, setup, teardown),
                cmocka_unit_test_setup_teardown(queue_times_out_and_leaves, setup, teardown),
                cmocka_unit_test_setup_teardown(dead_head_is_replaced, setup, teardown),
                cmocka_unit_test_setup_teardown(live_head_keeps_us_waiting, setup, teardown),
                cmocka_unit_test_setup_teardown(head_backfills_only_what_cannot_delay_it, setup, teardown),
                cmocka_unit_test_setup_teardown(big_waiting_job_goes_first, setup, teardown),
                cmocka_unit_test_setup_teardown(supervisor_hold_stops_admissions, setup, teardown),
                cmocka_unit_test_setup_teardown(dead_supervisor_hold_is_pruned, setup, teardown),
                cmocka_unit_test_setup_teardown(reused_fd_is_never_locked, setup, teardown),
                cmocka_unit_test_setup_teardown(held_lock_is_waited_for_boundedly, setup, teardown),
        };
        return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
