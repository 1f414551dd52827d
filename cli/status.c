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
#include "util/size.h"

struct status {
        struct ms_cgroup cg;
        int cg_err;
        struct ms_sample s;
        int sample_err;
        struct ms_psi psi;
        int psi_err;
        struct ms_lockd_state lockd;
        int lockd_err;
        bool lockd_running;
        uint64_t required;
        bool would_run;
        struct ms_ledger ledger;
        const struct ms_ledger_file *queue; /* NULL: no ledger yet */
};

/* This user's ledger for the cgroup, read-only, if there is one. */
static struct ms_ledger_file *map_queue(const struct ms_sample *s, struct ms_ledger *ledger)
{
        char dir[PATH_MAX], name[64], path[PATH_MAX + 80];

        if (ms_statedir_path(getenv("XDG_RUNTIME_DIR"), getuid(), dir, sizeof(dir)) < 0)
                return NULL;
        ms_ledger_name(ms_sample_scope(s), name, sizeof(name));
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return ms_ledger_open_ro(AT_FDCWD, path, ledger) == 0 ? ledger->map : NULL;
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

static void json_string(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

/* A size for JSON: null for "no limit". */
static void json_size(const char *key, uint64_t v, bool last)
{
        if (v == MS_UNLIMITED)
                printf("\"%s\": null%s", key, last ? "" : ", ");
        else
                printf("\"%s\": %" PRIu64 "%s", key, v, last ? "" : ", ");
}

/* The queue's live entries as a JSON array, then ", ". */
static void print_json_queue(const struct ms_ledger_file *queue)
{
        const struct ms_slot *e[MS_LEDGER_SLOTS];
        size_t n = queue_entries(queue, e, MS_LEDGER_SLOTS);

        printf("\"queue\": [");
        for (size_t i = 0; i < n; i++) {
                printf("%s{\"pid\": %d, \"program\": ", i ? ", " : "", (int)e[i]->pid);
                json_string(e[i]->program);
                printf(", \"state\": \"%s\", \"prediction\": \"%s\", ", slot_state_name(ms_slot_state(e[i])),
                       kind_name(e[i]->kind));
                json_size("predicted", e[i]->predicted, false);
                json_size("rss", e[i]->rss, false);
                json_size("reserved", slot_pending(e[i]), false);
                /* Its learned duration, and whether it started counting on others' ends. */
                if (ms_curve_valid(&e[i]->curve))
                        printf("\"duration_ms\": %" PRIu32 ", ", e[i]->curve.duration_ms);
                else
                        printf("\"duration_ms\": null, ");
                printf("\"in_time\": %s}", e[i]->timed ? "true" : "false");
        }
        printf("], ");
}

static void print_json(const struct cli *cli, const struct status *st)
{
        const struct ms_sample *s = &st->s;
        const struct ms_config *c = &cli->config;

        printf("{\"host\": {");
        json_size("total", s->host.total, false);
        json_size("available", s->host.available, false);
        printf("\"has_memavailable\": %s}, ", s->host.has_available ? "true" : "false");

        printf("\"cgroup\": ");
        if (st->cg.version == MS_CGROUP_NONE) {
                printf("null, ");
        } else {
                printf("{\"version\": %d, \"path\": ", (int)st->cg.version);
                json_string(st->cg.path);
                printf(", \"dir\": ");
                json_string(st->cg.dir);
                printf(", ");
                json_size("limit", s->cgroup.limit, false);
                json_size("max", s->cgroup.max, false);
                json_size("high", s->cgroup.high, false);
                json_size("usage", s->cgroup.usage, false);
                json_size("inactive_file", s->cgroup.inactive_file, false);
                json_size("available", s->cgroup.available, false);
                printf("\"limit_set_by\": ");
                if (s->cgroup.limit_dir[0])
                        json_string(s->cgroup.limit_dir);
                else
                        printf("null");
                printf(", \"oom_kills\": %" PRIu64 "}, ", s->cgroup.oom_kills);
        }
        printf("\"effective\": {");
        json_size("total", s->total, false);
        json_size("available", s->available, false);
        printf("\"total_from\": \"%s\", \"available_from\": \"%s\"}, ", ms_bound_name(s->total_bound),
               ms_bound_name(s->available_bound));

        if (st->psi_err < 0)
                printf("\"pressure\": null, ");
        else
                printf("\"pressure\": {\"some\": {\"avg10\": %.2f, \"avg60\": %.2f, \"avg300\": %.2f}, "
                       "\"full\": {\"avg10\": %.2f, \"avg60\": %.2f, \"avg300\": %.2f}}, ",
                       st->psi.some.avg10, st->psi.some.avg60, st->psi.some.avg300, st->psi.full.avg10,
                       st->psi.full.avg60, st->psi.full.avg300);

        printf("\"threshold\": {\"percent\": %u, ", c->percent);
        json_size("min_available", c->min_available, false);
        json_size("required", st->required, true);
        printf("}, \"timeout_usec\": %" PRIu64 ", \"would_run\": %s, ", c->timeout_usec,
               st->would_run ? "true" : "false");

        print_json_queue(st->queue);
        printf("\"lockd\": ");
        if (!st->lockd_running)
                printf("{\"running\": false}");
        else
                printf("{\"running\": true, \"pid\": %d, \"locked_bytes\": %" PRIu64 ", \"locked_files\": %" PRIu64
                       ", \"budget_bytes\": %" PRIu64 ", \"skipped_files\": %" PRIu64 "}",
                       (int)st->lockd.pid, st->lockd.locked_bytes, st->lockd.locked_files, st->lockd.budget_bytes,
                       st->lockd.skipped_files);
        printf("}\n");
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
        printf("effective  %s available (from the %s) of %s (from the %s)\n", SZ(s->available),
               ms_bound_name(s->available_bound), SZ(s->total), ms_bound_name(s->total_bound));
        if (st->psi_err < 0)
                printf("pressure   unavailable: %s\n", strerror(-st->psi_err));
        else
                printf("pressure   some %.2f %.2f %.2f, full %.2f %.2f %.2f (%% stalled, avg10 avg60 avg300)\n",
                       st->psi.some.avg10, st->psi.some.avg60, st->psi.some.avg300, st->psi.full.avg10,
                       st->psi.full.avg60, st->psi.full.avg300);
        printf("threshold  %s required: max(%u%% of %s, %s)\n", SZ(st->required), c->percent, SZ(s->total),
               SZ(c->min_available));
        printf("verdict    %s\n", st->would_run ? "a gated process would run now" : "a gated process would be held now");
        print_text_queue(st->queue);
        if (st->lockd_running)
                printf("lockd      running (pid %d): %s locked in %" PRIu64 " files of a %s budget, %" PRIu64
                       " skipped\n",
                       (int)st->lockd.pid, SZ(st->lockd.locked_bytes), st->lockd.locked_files,
                       SZ(st->lockd.budget_bytes), st->lockd.skipped_files);
        else if (st->lockd_err < 0 && st->lockd_err != -ENOENT)
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
        st.psi_err = ms_psi_read(root, "proc/pressure/memory", &st.psi);
        st.lockd_err = ms_lockd_state_read(root, &st.lockd);
        st.lockd_running = st.lockd_err == 0 && st.lockd.pid > 0 && lockd_alive(root, st.lockd.pid);
        st.required = ms_config_required(&cli->config, st.s.total);
        st.queue = map_queue(&st.s, &st.ledger);
        st.would_run = st.s.available >= st.required;

        if (cli->json)
                print_json(cli, &st);
        else
                print_text(cli, &st);
        if (st.queue)
                ms_ledger_close(&st.ledger);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
}
