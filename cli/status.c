/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "cli.h"
#include "fileio.h"
#include "lockdstate.h"
#include "macro.h"
#include "memory.h"
#include "policy.h"
#include "psi.h"
#include "size.h"

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
};

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
        st.lockd_running = st.lockd_err == 0 && st.lockd.pid > 0 &&
                           (root != MS_ROOT_HOST || kill(st.lockd.pid, 0) == 0 || errno == EPERM);
        st.required = ms_config_required(&cli->config, st.s.total);
        st.would_run = st.s.available >= st.required;

        if (cli->json)
                print_json(cli, &st);
        else
                print_text(cli, &st);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
}
