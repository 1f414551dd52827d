/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe/cgroup.h"
#include "cli/cli.h"
#include "util/fileio.h"
#include "gate/ledger.h"
#include "probe/lockdstate.h"
#include "gate/statedir.h"
#include "util/macro.h"
#include "probe/memory.h"
#include "gate/policy.h"
#include "probe/proc.h"
#include "probe/psi.h"
#include "util/json.h"
#include "util/size.h"

struct status {
        struct ms_cgroup cg;
        int cg_err;
        struct ms_sample s;
        int sample_err;
        struct ms_psi psi;
        int psi_err;
        struct ms_psi_source psi_src; /* whose pressure: the limiting cgroup's, else the host's */
        struct ms_lockd_state lockd;
        int lockd_err;
        bool lockd_running;
        const struct ms_lockd_detail *lockd_detail; /* NULL: none (an older daemon) */
        uint64_t required;
        bool would_run;
        const char *held_because; /* why a gated process would wait: "queue", "supervisor", "memory"; NULL: it runs */
        const struct ms_slot *head; /* the first waiting, NULL: none */
        unsigned waiting;
        struct ms_ledger ledger;
        const struct ms_ledger_file *queue; /* NULL: no ledger yet */
};

/* This user's ledger for the cgroup, read-only, if there is one. */
static struct ms_ledger_file *map_queue(const struct ms_sample *s, struct ms_ledger *ledger)
{
        char dir[PATH_MAX], name[64];
        int dirfd, r;

        if (ms_statedir_path(getenv("XDG_RUNTIME_DIR"), getuid(), dir, sizeof(dir)) < 0)
                return NULL;
        /* The directory the gate uses: the default, or its fallback when
         * someone else planted the default (statedir.h). */
        dirfd = ms_statedir_open_used(dir, getuid(), NULL, 0, NULL);
        if (dirfd < 0)
                return NULL;
        ms_ledger_name(ms_sample_scope(s), name, sizeof(name));
        r = ms_ledger_open_ro(dirfd, name, ledger);
        close(dirfd);
        return r == 0 ? ledger->map : NULL;
}

/* The pressure of the cgroup whose limit binds, where the kernel keeps it, else the host's (psi.h). */
static void read_pressure(int root, struct status *st)
{
        static const struct ms_cgroup none = { .version = MS_CGROUP_NONE };
        const char *limit_dir = st->s.has_cgroup ? st->s.cgroup.limit_dir : "";

        /* On failure (a path too long) it names the host's. */
        (void)ms_psi_locate(root, st->cg_err < 0 ? &none : &st->cg, limit_dir, &st->psi_src);
        st->psi_err = ms_psi_read(root, st->psi_src.path, &st->psi);
}

static const char *slot_state_name(uint32_t s)
{
        switch (s) {
        case MS_SLOT_WAITING:
                return "waiting";
        case MS_SLOT_GRANTED:
                return "granted";
        case MS_SLOT_ADMITTED:
                return "admitted";
        case MS_SLOT_HOLD:
                return "holding";
        default:
                return "free";
        }
}

static const char *kind_name(uint32_t k)
{
        return k == MS_PREDICT_VERIFIED ? "learned" : k == MS_PREDICT_TYPICAL ? "program" : "unknown";
}

/* Live entries, waiting ones in queue order first. */
static size_t queue_entries(const struct ms_ledger_file *f, const struct ms_slot **out, size_t max)
{
        size_t n = 0;

        if (!f)
                return 0;
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_IN_USE) {
                const struct ms_slot *s = &f->slot[i];
                if (n < max && ms_proc_alive(MS_ROOT_HOST, s->pid, s->starttime))
                        out[n++] = s;
        }
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0; j--) {
                        const struct ms_slot *a = out[j - 1], *b = out[j];
                        bool aw = ms_slot_state(a) == MS_SLOT_WAITING, bw = ms_slot_state(b) == MS_SLOT_WAITING;
                        if ((!aw && bw) || (aw == bw && a->ticket > b->ticket)) {
                                out[j - 1] = b;
                                out[j] = a;
                        }
                }
        return n;
}

static uint64_t slot_pending(const struct ms_slot *s)
{
        struct ms_admitted a = ms_slot_to_admitted(s);
        return ms_slot_admitted(s) ? ms_admitted_pending(&a) : 0;
}

/* Why the head waited at its last look, NULL: it has not looked yet. */
static const char *held_key(const struct ms_slot *s)
{
        switch (s->held) {
        case MS_HELD_MEMORY + 1:
                return "memory";
        case MS_HELD_SETTLING + 1:
                return "settling";
        case MS_HELD_FROZEN + 1:
                return "frozen";
        case MS_HELD_CPUS + 1:
                return "cpus";
        case MS_HELD_GATHERING + 1:
                return "gathering";
        default:
                return NULL;
        }
}

/* Whether a gated process would run now, and if not why: others wait
 * before it, the supervisor holds the queue for its frozen jobs, or memory
 * is short of the threshold. */
static void judge(struct status *st)
{
        const struct ms_slot *e[MS_LEDGER_SLOTS];
        size_t n = queue_entries(st->queue, e, MS_LEDGER_SLOTS); /* live ones */
        bool holding = false;

        for (size_t i = 0; i < n; i++) {
                if (ms_slot_state(e[i]) == MS_SLOT_WAITING && st->waiting++ == 0)
                        st->head = e[i];
                holding |= ms_slot_state(e[i]) == MS_SLOT_HOLD;
        }
        if (st->waiting)
                st->held_because = "queue";
        else if (holding)
                st->held_because = "supervisor";
        else if (st->s.available < st->required)
                st->held_because = "memory";
        st->would_run = !st->held_because;
}

/* A size; null for "no limit". */
static void json_size(struct ms_json *j, const char *key, uint64_t v)
{
        if (v == MS_UNLIMITED)
                ms_json_null(j, key);
        else
                ms_json_uint(j, key, v);
}

/* A directory below the root, absolute ("/sys/fs/cgroup/..."); null if "". */
static void json_dir(struct ms_json *j, const char *key, const char *dir)
{
        char abs[PATH_MAX + 2];

        if (!dir[0]) {
                ms_json_null(j, key);
                return;
        }
        snprintf(abs, sizeof(abs), "%s%s", dir[0] == '/' ? "" : "/", dir);
        ms_json_string(j, key, abs);
}

/* The queue's live entries. */
static void json_queue(struct ms_json *j, const struct ms_ledger_file *queue)
{
        const struct ms_slot *e[MS_LEDGER_SLOTS];
        size_t n = queue_entries(queue, e, MS_LEDGER_SLOTS);

        ms_json_array_begin(j, "queue");
        for (size_t i = 0; i < n; i++) {
                ms_json_object_begin(j, NULL);
                ms_json_int(j, "pid", e[i]->pid);
                ms_json_string(j, "program", e[i]->program);
                ms_json_string(j, "state", slot_state_name(ms_slot_state(e[i])));
                ms_json_string(j, "prediction", kind_name(e[i]->kind));
                json_size(j, "predicted", e[i]->predicted);
                json_size(j, "rss", e[i]->rss);
                json_size(j, "reserved", slot_pending(e[i]));
                /* Its learned duration, and whether it started counting on others' ends. */
                if (ms_curve_valid(&e[i]->curve))
                        ms_json_uint(j, "duration_ms", e[i]->curve.duration_ms);
                else
                        ms_json_null(j, "duration_ms");
                ms_json_bool(j, "in_time", e[i]->timed);
                /* The head: why it waited at its last look. */
                if (ms_slot_state(e[i]) == MS_SLOT_WAITING && held_key(e[i])) {
                        ms_json_object_begin(j, "held");
                        ms_json_string(j, "reason", held_key(e[i]));
                        ms_json_uint(j, "need", e[i]->held_need);
                        ms_json_uint(j, "free", e[i]->held_free);
                        ms_json_object_end(j);
                } else {
                        ms_json_null(j, "held");
                }
                ms_json_object_end(j);
        }
        ms_json_array_end(j);
}

static void json_cgroup(struct ms_json *j, const struct status *st)
{
        const struct ms_sample *s = &st->s;

        if (st->cg.version == MS_CGROUP_NONE) {
                ms_json_null(j, "cgroup");
                return;
        }
        ms_json_object_begin(j, "cgroup");
        ms_json_int(j, "version", (int)st->cg.version);
        ms_json_string(j, "path", st->cg.path);
        json_dir(j, "dir", st->cg.dir);
        const struct { const char *key; uint64_t v; } sizes[] = {
                { "limit", s->cgroup.limit }, { "max", s->cgroup.max },
                { "high", s->cgroup.high },   { "usage", s->cgroup.usage },
                { "inactive_file", s->cgroup.inactive_file }, { "available", s->cgroup.available },
        };
        for (size_t i = 0; i < MS_ARRAY_SIZE(sizes); i++)
                json_size(j, sizes[i].key, sizes[i].v);
        json_dir(j, "limit_set_by", s->cgroup.limit_dir);
        ms_json_uint(j, "oom_kills", s->cgroup.oom_kills);
        ms_json_object_end(j);
}

/* Strict overcommit: the mode, and where it is 2 what the commit limit leaves. */
static void json_commit(struct ms_json *j, const struct ms_sample *s)
{
        bool known = s->overcommit == MS_OVERCOMMIT_NEVER && s->host.has_commit;

        ms_json_object_begin(j, "commit");
        if (s->overcommit == MS_OVERCOMMIT_UNKNOWN)
                ms_json_null(j, "overcommit_memory");
        else
                ms_json_int(j, "overcommit_memory", s->overcommit);
        ms_json_bool(j, "bound", s->commit_bound);
        if (s->host.has_commit) {
                ms_json_uint(j, "limit", s->host.commit_limit);
                ms_json_uint(j, "committed", s->host.committed);
        } else {
                ms_json_null(j, "limit");
                ms_json_null(j, "committed");
        }
        if (known)
                ms_json_uint(j, "left", s->commit_left);
        else
                ms_json_null(j, "left");
        ms_json_object_end(j);
}

static void json_pressure(struct ms_json *j, const char *key, const struct ms_psi_line *l)
{
        ms_json_object_begin(j, key);
        ms_json_double(j, "avg10", l->avg10, 2);
        ms_json_double(j, "avg60", l->avg60, 2);
        ms_json_double(j, "avg300", l->avg300, 2);
        ms_json_object_end(j);
}

/* What lockd holds per program and per file (issue 14); the detail of an
 * older daemon (no such file) is left out. */
static void json_lockd_detail(struct ms_json *j, const struct ms_lockd_detail *d)
{
        ms_json_string(j, "lock_mode", d->mode);
        ms_json_array_begin(j, "programs");
        for (size_t i = 0; i < d->ntools; i++) {
                ms_json_object_begin(j, NULL);
                ms_json_string(j, "name", d->tools[i].name);
                ms_json_uint(j, "locked_bytes", d->tools[i].locked_bytes);
                ms_json_uint(j, "files", d->tools[i].files);
                ms_json_object_end(j);
        }
        ms_json_array_end(j);
        ms_json_array_begin(j, "files");
        for (size_t i = 0; i < d->nfiles; i++) {
                ms_json_object_begin(j, NULL);
                ms_json_string(j, "path", d->files[i].path);
                ms_json_uint(j, "locked_bytes", d->files[i].locked_bytes);
                ms_json_uint(j, "learned_bytes", d->files[i].learned_bytes);
                ms_json_string(j, "how", ms_lockd_how_name(d->files[i].how));
                ms_json_object_end(j);
        }
        ms_json_array_end(j);
        ms_json_uint(j, "files_not_listed", d->more);
}

static void json_lockd(struct ms_json *j, const struct status *st)
{
        ms_json_object_begin(j, "lockd");
        ms_json_bool(j, "running", st->lockd_running);
        if (st->lockd_running) {
                const struct { const char *key; uint64_t v; } counts[] = {
                        { "locked_bytes", st->lockd.locked_bytes }, { "locked_files", st->lockd.locked_files },
                        { "budget_bytes", st->lockd.budget_bytes }, { "skipped_files", st->lockd.skipped_files },
                };
                ms_json_int(j, "pid", st->lockd.pid);
                for (size_t i = 0; i < MS_ARRAY_SIZE(counts); i++)
                        ms_json_uint(j, counts[i].key, counts[i].v);
                if (st->lockd_detail)
                        json_lockd_detail(j, st->lockd_detail);
        }
        ms_json_object_end(j);
}

static int print_json(const struct cli *cli, const struct status *st)
{
        const struct ms_sample *s = &st->s;
        struct ms_json j;

        ms_json_init(&j, stdout, 0);
        ms_json_object_begin(&j, NULL);
        ms_json_object_begin(&j, "host");
        json_size(&j, "total", s->host.total);
        json_size(&j, "available", s->host.available);
        ms_json_bool(&j, "has_memavailable", s->host.has_available);
        ms_json_object_end(&j);
        json_cgroup(&j, st);
        json_commit(&j, s);
        ms_json_object_begin(&j, "effective");
        json_size(&j, "total", s->total);
        json_size(&j, "available", s->available);
        ms_json_string(&j, "total_from", ms_bound_name(s->total_bound));
        ms_json_string(&j, "available_from", ms_bound_name(s->available_bound));
        ms_json_object_end(&j);
        if (st->psi_err < 0) {
                ms_json_null(&j, "pressure");
        } else {
                ms_json_object_begin(&j, "pressure");
                ms_json_string(&j, "from", st->psi_src.scope == MS_PSI_CGROUP ? "cgroup" : "host");
                json_dir(&j, "file", st->psi_src.path);
                json_pressure(&j, "some", &st->psi.some);
                json_pressure(&j, "full", &st->psi.full);
                ms_json_object_end(&j);
        }
        ms_json_object_begin(&j, "threshold");
        ms_json_uint(&j, "percent", cli->config.percent);
        json_size(&j, "min_available", cli->config.min_available);
        json_size(&j, "required", st->required);
        ms_json_object_end(&j);
        ms_json_uint(&j, "timeout_usec", cli->config.timeout_usec);
        ms_json_bool(&j, "would_run", st->would_run);
        if (st->held_because)
                ms_json_string(&j, "held_because", st->held_because);
        else
                ms_json_null(&j, "held_because");
        json_queue(&j, st->queue);
        json_lockd(&j, st);
        ms_json_object_end(&j);
        return ms_json_end(&j);
}

#define SZ(v) ms_size_format((v), (char[MS_SIZE_BUF]){ 0 }, MS_SIZE_BUF)

/* The queue's live entries, one line each. */
static void print_text_queue(const struct ms_ledger_file *queue)
{
        const struct ms_slot *e[MS_LEDGER_SLOTS];
        size_t n = queue_entries(queue, e, MS_LEDGER_SLOTS);

        if (n == 0)
                printf("queue      empty\n");
        for (size_t i = 0; i < n; i++)
                printf("%s %-8s %7d %-16s predicted %s (%s), RSS %s, reserved %s%s\n",
                       i ? "          " : "queue     ", slot_state_name(ms_slot_state(e[i])), (int)e[i]->pid,
                       e[i]->program, e[i]->predicted ? SZ(e[i]->predicted) : "?", kind_name(e[i]->kind),
                       SZ(e[i]->rss), SZ(slot_pending(e[i])),
                       e[i]->timed ? ", admitted in time (counting on others' ends)" : "");
}

/* Under strict overcommit (vm.overcommit_memory = 2), what the commit limit leaves. */
static void print_text_commit(const struct ms_sample *s)
{
        if (s->overcommit != MS_OVERCOMMIT_NEVER)
                return;
        if (s->commit_bound)
                printf("commit     limit %s, committed %s, left %s (vm.overcommit_memory=2: a bound)\n",
                       SZ(s->host.commit_limit), SZ(s->host.committed), SZ(s->commit_left));
        else
                printf("commit     unknown: CommitLimit or Committed_AS %s in /proc/meminfo "
                       "(vm.overcommit_memory=2: no bound counted)\n",
                       s->host.commit_err == -EINVAL ? "malformed" : "missing");
}

/* Whose pressure: "host" or "cgroup /DIR", and its figures. */
static void print_text_pressure(const struct status *st)
{
        char from[PATH_MAX + 16];

        ms_psi_source_name(&st->psi_src, from, sizeof(from));
        if (st->psi_err < 0)
                printf("pressure   %s: unavailable: %s\n", from, strerror(-st->psi_err));
        else
                printf("pressure   %s: some %.2f %.2f %.2f, full %.2f %.2f %.2f (%% stalled, avg10 avg60 avg300)\n",
                       from, st->psi.some.avg10, st->psi.some.avg60, st->psi.some.avg300, st->psi.full.avg10,
                       st->psi.full.avg60, st->psi.full.avg300);
}

/* lockd's holdings per program and per file (issue 14). */
static void print_text_lockd_detail(const struct ms_lockd_detail *d)
{
        printf("           lock_mode %s; by program (a file shared by several counts for each):\n", d->mode);
        for (size_t i = 0; i < d->ntools; i++)
                printf("           %-15s %8s in %" PRIu64 " files\n", d->tools[i].name, SZ(d->tools[i].locked_bytes),
                       d->tools[i].files);
        for (size_t i = 0; i < d->nfiles; i++)
                printf("           %8s %-8s (learned %s)  %s\n", SZ(d->files[i].locked_bytes),
                       ms_lockd_how_name(d->files[i].how), SZ(d->files[i].learned_bytes), d->files[i].path);
        if (d->more)
                printf("           and %" PRIu64 " more files\n", d->more);
}

/* Whether a gated process would run now, and why not. */
static void print_text_verdict(const struct status *st)
{
        const struct ms_slot *h = st->head;

        if (st->would_run)
                printf("verdict    a gated process would run now\n");
        else if (!h)
                printf("verdict    a gated process would be held now: %s\n",
                       strcmp(st->held_because, "supervisor") == 0
                               ? "the supervisor holds the queue till its frozen jobs resume"
                               : "less memory available than the threshold requires");
        else if (h->held == MS_HELD_MEMORY + 1)
                printf("verdict    a gated process would wait in line behind %u: the first, %s[%d], needs %s "
                       "beside the %s threshold; %s is free after the running jobs' reservations\n",
                       st->waiting, h->program, (int)h->pid, SZ(h->held_need), SZ(st->required), SZ(h->held_free));
        else if (h->held)
                printf("verdict    a gated process would wait in line behind %u: the first, %s[%d], waits: %s\n",
                       st->waiting, h->program, (int)h->pid, ms_admit_reason_name((enum ms_admit_reason)(h->held - 1)));
        else
                printf("verdict    a gated process would wait in line behind %u\n", st->waiting);
}

static void print_text(const struct cli *cli, const struct status *st)
{
        const struct ms_sample *s = &st->s;
        const struct ms_config *c = &cli->config;

        printf("host       %s available of %s (%s)\n", SZ(s->host.available), SZ(s->host.total),
               s->host.has_available ? "MemAvailable" : "estimated: no MemAvailable in /proc/meminfo");
        if (st->cg_err < 0)
                printf("cgroup     unknown: %s\n", strerror(-st->cg_err));
        else if (st->cg.version == MS_CGROUP_NONE)
                printf("cgroup     none with a memory controller\n");
        else if (s->cgroup.limit == MS_UNLIMITED)
                printf("cgroup     v%d %s: no memory limit (usage %s)\n", (int)st->cg.version, st->cg.path,
                       SZ(s->cgroup.usage));
        else
                printf("cgroup     v%d %s: %s available of %s limit set by /%s\n"
                       "           usage %s, inactive file %s, OOM kills %" PRIu64 "\n",
                       (int)st->cg.version, st->cg.path, SZ(s->cgroup.available), SZ(s->cgroup.limit),
                       s->cgroup.limit_dir, SZ(s->cgroup.usage), SZ(s->cgroup.inactive_file), s->cgroup.oom_kills);
        print_text_commit(s);
        printf("effective  %s available (from the %s) of %s (from the %s)\n", SZ(s->available),
               ms_bound_name(s->available_bound), SZ(s->total), ms_bound_name(s->total_bound));
        print_text_pressure(st);
        printf("threshold  %s required: max(%u%% of %s, %s)\n", SZ(st->required), c->percent, SZ(s->total),
               SZ(c->min_available));
        print_text_verdict(st);
        print_text_queue(st->queue);
        if (st->lockd_running) {
                printf("lockd      running (pid %d): %s locked in %" PRIu64 " files of a %s budget, %" PRIu64
                       " skipped\n",
                       (int)st->lockd.pid, SZ(st->lockd.locked_bytes), st->lockd.locked_files,
                       SZ(st->lockd.budget_bytes), st->lockd.skipped_files);
                if (st->lockd_detail)
                        print_text_lockd_detail(st->lockd_detail);
        } else if (st->lockd_err < 0 && st->lockd_err != -ENOENT)
                printf("lockd      unknown: state file unreadable: %s\n", strerror(-st->lockd_err));
        else
                printf("lockd      not running\n");
}

/* A crashed daemon leaves its state file: believe it only if the pid is still memstop-lockd. */
static bool lockd_alive(int root, pid_t pid)
{
        char path[64], comm[32];
        size_t len;

        snprintf(path, sizeof(path), "proc/%d/comm", (int)pid);
        if (ms_read_at(root, path, comm, sizeof(comm), &len) < 0)
                return false;
        while (len > 0 && comm[len - 1] == '\n')
                comm[--len] = '\0';
        /* comm is cut to 15 characters. */
        return strcmp(comm, "memstop-lockd") == 0;
}

/* The daemon's state and, when it is running, what it holds file by file. */
static void lockd_read(int root, struct status *st)
{
        static struct ms_lockd_detail detail; /* 80 KB: not on the stack */

        st->lockd_err = ms_lockd_state_read(root, &st->lockd);
        st->lockd_running = st->lockd_err == 0 && st->lockd.pid > 0 && lockd_alive(root, st->lockd.pid);
        if (st->lockd_running && ms_lockd_detail_read(root, &detail) == 0)
                st->lockd_detail = &detail;
}

int cli_status(struct cli *cli)
{
        struct status st = {};
        _cleanup_close_ int own = -1;
        int root;

        if (cli_root(cli, &root) < 0)
                return EXIT_FAILURE_;
        if (root != MS_ROOT_HOST)
                own = root;

        st.cg_err = ms_cgroup_locate(root, &st.cg);
        st.sample_err = ms_sample_read(root, st.cg_err < 0 ? NULL : &st.cg, &st.s);
        if (st.sample_err < 0) {
                cli_error("cannot read the memory figures: %s", strerror(-st.sample_err));
                return EXIT_FAILURE_;
        }
        read_pressure(root, &st);
        lockd_read(root, &st);
        st.required = ms_config_required(&cli->config, st.s.total);
        st.queue = map_queue(&st.s, &st.ledger);
        judge(&st);

        if (cli->json)
                (void)print_json(cli, &st);
        else
                print_text(cli, &st);
        if (st.queue)
                ms_ledger_close(&st.ledger);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
}
