/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop.so: loaded with LD_PRELOAD, its constructor holds the process back
 * until enough memory is available, then lets it run.
 *
 * It runs in every process of a build (sh, make, sed, cc1...), so the common
 * case is a fast path: sysinfo(2) and, inside a memory cgroup, one read of the
 * cgroup's usage, located by the MEMSTOP_CGROUP hint that an earlier process
 * exported. Only when that conservative estimate is short of the threshold,
 * or in verbose mode, does it read the exact figures.
 *
 * It never kills the program it is loaded into (unless MEMSTOP_ON_TIMEOUT=fail
 * asks for it), never uses stdout, writes whole lines with write(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cgroup.h"
#include "macro.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "memory.h"
#include "policy.h"
#include "size.h"
#include "strutil.h"

/* Exit status when MEMSTOP_ON_TIMEOUT=fail gives up (as timeout(1)). */
#define EXIT_GAVE_UP 124

#define MIB (1024u * 1024u)

/* The slow path's state; in .bss, so the fast path never touches its pages. */
struct gate {
        struct ms_config config;
        int rootfd;
        int logfd;
        struct ms_cgroup cgroup;
        uint64_t held_usec;
};

static struct gate gate;

/* The MEMSTOP_* variables, found in one pass over the environment. */
struct env {
        const char *vars[16];
        unsigned n;
};

static MS_HOT void env_collect(struct env *e)
{
        for (char **p = environ; p && *p && e->n < MS_ARRAY_SIZE(e->vars); p++)
                if (ms_startswith(*p, "MEMSTOP_"))
                        e->vars[e->n++] = *p;
}

static MS_HOT const char *env_lookup(const char *name, void *userdata)
{
        const struct env *e = userdata;

        for (unsigned i = 0; i < e->n; i++) {
                const char *rest = ms_startswith(e->vars[i], name);
                if (rest && *rest == '=')
                        return rest + 1;
        }
        return NULL;
}

static void warn_bad_env(const char *name, const char *value, const char *reason, void *userdata)
{
        ms_log(STDERR_FILENO, "memstop: ignoring %s='%s': %s; using the default", name, value, reason);
}

static MS_HOT const char *program_name(void)
{
        const char *path = (const char *)getauxval(AT_EXECFN);
        const char *slash;

        if (!path || !*path)
                path = program_invocation_name;
        slash = ms_strrchr(path, '/');
        return slash ? slash + 1 : path;
}

/*
 * The host can be judged with sysinfo(2): MemAvailable is at least MemFree
 * minus the kernel's reserves (watermarks, lowmem reserve). A margin of 1/32
 * of RAM covers them with room to spare; near the threshold the slow path
 * reads /proc/meminfo.
 */
static MS_HOT bool host_plenty(const struct sysinfo *si, uint64_t required)
{
        uint64_t total = (uint64_t)si->totalram * si->mem_unit;
        uint64_t free = (uint64_t)si->freeram * si->mem_unit;

        return free >= required + total / 32;
}

/* dir + "/" + file, without snprintf (see strutil.h). */
static MS_HOT bool path_join(char *buf, size_t size, const char *dir, const char *file)
{
        size_t d = ms_strlen(dir), f = ms_strlen(file);

        if (d + 1 + f + 1 > size)
                return false;
        for (size_t i = 0; i < d; i++)
                buf[i] = dir[i];
        buf[d] = '/';
        for (size_t i = 0; i <= f; i++)
                buf[d + 1 + i] = file[i];
        return true;
}

/* True when the cheap figures show enough memory; false means "look closer". */
static MS_HOT bool fast_admit(const struct ms_config *c, const struct env *e)
{
        struct ms_cgroup_hint hint;
        struct sysinfo si;
        char path[PATH_MAX + 32];
        uint64_t total, usage, required;
        const char *h = env_lookup(MS_CGROUP_HINT_ENV, (void *)e);

        if (!h || ms_cgroup_hint_parse(h, &hint) < 0 || sysinfo(&si) < 0)
                return false;
        total = (uint64_t)si.totalram * si.mem_unit;
        if (hint.limit < total)
                total = hint.limit;
        required = ms_config_required(c, total);
        if (!host_plenty(&si, required))
                return false;
        if (hint.version == MS_CGROUP_NONE)
                return true;
        /* available >= limit - usage: usage alone gives a lower bound. */
        if (!path_join(path, sizeof(path), hint.dir, ms_cgroup_usage_file(hint.version)))
                return false;
        if (ms_read_u64_at(MS_ROOT_HOST, path, &usage) < 0)
                return false;
        return hint.limit > usage && hint.limit - usage >= required;
}

static int sample(struct ms_sample *s, void *userdata)
{
        struct gate *g = userdata;

        return ms_sample_read(g->rootfd, &g->cgroup, s);
}

static void on_first(const struct ms_sample *s, const struct ms_step *st, void *userdata)
{
        struct gate *g = userdata;
        const struct ms_config *c = &g->config;

        if (!c->verbose)
                return;
        /* The original memstop's line, byte for byte. */
        ms_log(g->logfd, "==== memstop: %u%% required, %" PRIu64 "%% available (%" PRIu64 " MB / %" PRIu64 " MB) ====",
               c->percent, s->total ? s->available * 100 / s->total : 0, s->available / MIB, s->total / MIB);
}

static void on_hold(const struct ms_sample *s, const struct ms_step *st, void *userdata)
{
        struct gate *g = userdata;
        char avail[MS_SIZE_BUF], req[MS_SIZE_BUF], total[MS_SIZE_BUF];

        if (!g->config.verbose)
                return;
        ms_log(g->logfd, "==== memstop hold ====");
        if (g->config.verbose >= 2)
                ms_log(g->logfd, "memstop: %s[%d] held: %s available (bound by the %s%s%s), %s required of %s",
                       program_name(), (int)getpid(), ms_size_format(s->available, avail, sizeof(avail)),
                       ms_bound_name(s->available_bound),
                       s->available_bound == MS_BOUND_CGROUP ? " " : "",
                       s->available_bound == MS_BOUND_CGROUP ? s->cgroup.limit_dir : "",
                       ms_size_format(st->required, req, sizeof(req)),
                       ms_size_format(s->total, total, sizeof(total)));
}

static void on_release(const struct ms_sample *s, const struct ms_step *st, uint64_t waited_usec, void *userdata)
{
        struct gate *g = userdata;

        if (g->config.verbose)
                ms_log(g->logfd, "==== memstop release ====");
}

static void export_hint(const struct ms_cgroup *cg, const struct ms_sample *s)
{
        char hint[PATH_MAX + 64];

        if (ms_cgroup_hint_format(cg, s->has_cgroup ? s->cgroup.limit : MS_UNLIMITED, hint, sizeof(hint)) == 0)
                setenv(MS_CGROUP_HINT_ENV, hint, 1);
}

static void summary_at_exit(void)
{
        char held[MS_DURATION_BUF];

        ms_log(gate.logfd, "memstop: %s[%d] exits; it was held %s before it started", program_name(),
               (int)getpid(), ms_duration_format(gate.held_usec, held, sizeof(held)));
}

static void run_gate(struct gate *g, const struct ms_config *config)
{
        static const struct ms_wait_hooks hooks = {
                .first = on_first,
                .hold = on_hold,
                .release = on_release,
                .userdata = &gate,
        };
        struct ms_config *c = &g->config;
        struct ms_wait_result res;

        *c = *config;
        g->rootfd = MS_ROOT_HOST;
        g->logfd = STDERR_FILENO;
        char waited[MS_DURATION_BUF], avail[MS_SIZE_BUF], req[MS_SIZE_BUF];
        int r;

        if (c->sysroot) {
                r = ms_root_open(c->sysroot);
                if (r < 0) {
                        ms_log(STDERR_FILENO, "memstop: cannot open MEMSTOP_SYSROOT='%s': %s; running ungated",
                               c->sysroot, strerror(-r));
                        return;
                }
                g->rootfd = r;
        }

        if (c->log) {
                r = ms_log_open(c->log, getpid());
                if (r < 0)
                        ms_log(STDERR_FILENO, "memstop: cannot open MEMSTOP_LOG='%s': %s; logging to stderr",
                               c->log, strerror(-r));
                else
                        g->logfd = r;
        }

        r = ms_cgroup_locate(g->rootfd, &g->cgroup);
        if (r < 0) {
                if (c->verbose)
                        ms_log(g->logfd, "memstop: cannot read %s: %s; running ungated", "/proc/self/cgroup",
                               strerror(-r));
                return;
        }
        r = ms_wait(c, sample, g, &ms_clock_monotonic, &hooks, &res);
        if (r < 0) {
                if (c->verbose)
                        ms_log(g->logfd, "memstop: cannot read the memory figures (%s%s): %s; running ungated",
                               "/proc/meminfo", g->cgroup.version ? " or the cgroup's memory files" : "",
                               strerror(-r));
                return;
        }
        if (!c->sysroot)
                export_hint(&g->cgroup, &res.last);
        if (res.verdict == MS_EXPIRED) {
                ms_duration_format(res.waited_usec, waited, sizeof(waited));
                ms_size_format(res.last.available, avail, sizeof(avail));
                ms_size_format(ms_config_required(c, res.last.total), req, sizeof(req));
                if (c->on_timeout == MS_ON_TIMEOUT_FAIL) {
                        /* Always on stderr: the user must see why the program failed. */
                        ms_log(STDERR_FILENO,
                               "memstop: %s: gave up after waiting %s for memory (%s available, %s required)",
                               program_name(), waited, avail, req);
                        _exit(EXIT_GAVE_UP);
                }
                if (c->verbose)
                        ms_log(g->logfd, "memstop: %s: waited %s for memory (%s available, %s required); running anyway",
                               program_name(), waited, avail, req);
                return;
        }
        if (c->verbose >= 2 && res.held) {
                g->held_usec = res.waited_usec;
                atexit(summary_at_exit);
        }
}

__attribute__((constructor)) static MS_HOT void memstop_constructor(void)
{
        int saved_errno = errno;
        struct ms_config config;
        struct env env = {};

        /* Setuid and setgid programs are never held. */
        if (getauxval(AT_SECURE))
                goto out;
        env_collect(&env);
        ms_config_init(&config);
        ms_config_load(&config, env_lookup, warn_bad_env, &env);
        if (!ms_config_gates(&config, program_name()))
                goto out;
        /* Plenty of memory by the cheap figures: run at once. */
        if (!config.verbose && !config.sysroot && fast_admit(&config, &env))
                goto out;
        run_gate(&gate, &config);
out:
        errno = saved_errno;
}
