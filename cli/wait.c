/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/cgroup.h"
#include "cli/cli.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "probe/memory.h"
#include "gate/policy.h"
#include "util/size.h"

struct waiter {
        int root;
        struct ms_cgroup cg;
        const struct cli *cli;
};

static int sample(struct ms_sample *s, void *userdata)
{
        struct waiter *w = userdata;

        return ms_sample_read(w->root, &w->cg, s);
}

static void on_hold(const struct ms_sample *s, const struct ms_step *st, void *userdata)
{
        const struct waiter *w = userdata;
        char a[MS_SIZE_BUF], r[MS_SIZE_BUF];

        if (!w->cli->quiet)
                fprintf(stderr, "memstop: waiting: %s available (from the %s), %s required\n",
                        ms_size_format(s->available, a, sizeof(a)), ms_bound_name(s->available_bound),
                        ms_size_format(st->required, r, sizeof(r)));
}

static void on_release(const struct ms_sample *s, const struct ms_step *st, uint64_t waited, void *userdata)
{
        const struct waiter *w = userdata;
        char a[MS_SIZE_BUF], d[MS_DURATION_BUF];

        if (!w->cli->quiet)
                fprintf(stderr, "memstop: %s available after %s\n", ms_size_format(s->available, a, sizeof(a)),
                        ms_duration_format(waited, d, sizeof(d)));
}

/* Whether --on-timeout run (or MEMSTOP_ON_TIMEOUT=run) was asked for. */
static bool on_timeout_run(const struct cli *cli)
{
        bool given = cli->setting[MS_SETTING_ON_TIMEOUT] || getenv(MS_ENV_ON_TIMEOUT);

        return given && cli->config.on_timeout == MS_ON_TIMEOUT_RUN;
}

int cli_wait(struct cli *cli)
{
        struct waiter w = { .cli = cli };
        struct ms_wait_hooks hooks = { .hold = on_hold, .release = on_release, .userdata = &w };
        struct ms_wait_result res;
        _cleanup_close_ int own = -1;
        char a[MS_SIZE_BUF], r[MS_SIZE_BUF], d[MS_DURATION_BUF];
        int e;

        if (cli_root(cli, &w.root) < 0)
                return EXIT_FAILURE_;
        if (w.root != MS_ROOT_HOST)
                own = w.root;
        e = ms_cgroup_locate(w.root, &w.cg);
        if (e < 0) {
                cli_error("cannot locate the memory cgroup: %s", strerror(-e));
                return EXIT_FAILURE_;
        }
        e = ms_wait(&cli->config, sample, &w, &ms_clock_monotonic, &hooks, &res);
        if (e < 0) {
                cli_error("cannot read the memory figures: %s", strerror(-e));
                return EXIT_FAILURE_;
        }
        if (res.verdict == MS_EXPIRED) {
                /* 'run' only when asked for: wait's own default is to fail. */
                bool go_on = on_timeout_run(cli);
                if (!cli->quiet)
                        cli_error("timed out after %s: %s available, %s required%s",
                                  ms_duration_format(res.waited_usec, d, sizeof(d)),
                                  ms_size_format(res.last.available, a, sizeof(a)),
                                  ms_size_format(ms_config_required(&cli->config, res.last.total), r, sizeof(r)),
                                  go_on ? "; going on (--on-timeout run)" : "");
                return go_on ? EXIT_OK : EXIT_TIMEDOUT;
        }
        return EXIT_OK;
}
