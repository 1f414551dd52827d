/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What both of the preload's libraries use (gate.h): memstop.so, the fast
 * path, and memstop-gate.so, the slow path it loads when it needs it. Each
 * has its own copy (hidden, linked into each).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "gate.h"
#include "rawsys.h"
#include "gate/admit.h"
#include "gate/policy.h"
#include "probe/cgroup.h"
#include "probe/memory.h"
#include "gate/protocol.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strutil.h"

extern char **environ;

/*
 * A variable of the environment, found in environ itself: a program may
 * define getenv() (bash does, to look in its shell variables) and the
 * preload's calls would go there, which after a setenv() before main finds
 * nothing.
 */
const char *env_get(const char *name)
{
        for (char **p = environ; p && *p; p++) {
                const char *rest = ms_startswith(*p, name);
                if (rest && *rest == '=')
                        return rest + 1;
        }
        return NULL;
}

/* A warning about a setting or shared state (history, state directory):
 * once per process tree, through MEMSTOP_WARNED. */
void warn_once(const char *id, const char *fmt, ...)
{
        const char *warned = env_get(MS_ENV_WARNED);
        char list[256];
        va_list ap;

        if (warned && ms_name_list_has(warned, id))
                return;
        va_start(ap, fmt);
        ms_logv(STDERR_FILENO, fmt, ap);
        va_end(ap);
        snprintf(list, sizeof(list), "%s%s%s", warned ? warned : "", warned && *warned ? "," : "", id);
        setenv(MS_ENV_WARNED, list, 1);
}

/* argv[0], from the constructor: not program_invocation_name, whose
 * relocation would be one more symbol lookup in every exec. */
const char *argv0;

MS_HOT const char *program_name(void)
{
        const char *path = (const char *)getauxval(AT_EXECFN);
        const char *slash;

        if (!path || !*path)
                path = argv0 ? argv0 : "";
        slash = ms_strrchr(path, '/');
        return slash ? slash + 1 : path;
}

/*
 * The host can be judged with sysinfo(2): MemAvailable is at least MemFree
 * minus the kernel's reserves (watermarks, lowmem reserve). A margin of 1/32
 * of RAM covers them with room to spare; near the threshold the slow path
 * reads /proc/meminfo.
 */
MS_HOT bool host_plenty(const struct sysinfo *si, uint64_t required)
{
        uint64_t total = (uint64_t)si->totalram * si->mem_unit;
        uint64_t free = (uint64_t)si->freeram * si->mem_unit;

        return free >= required + total / 32;
}

uint64_t now_ns(void *userdata)
{
        return ms_monotonic_ns();
}

/*
 * Add NAME=value to the environment without malloc: the first process of a
 * tree would otherwise start the heap for setenv() (brk, new pages, glibc's
 * tree of set values), a tenth of its budget (issue 10). The variable and a
 * copy of the array live in the gate's mapping, kept for good. A name
 * already set, or an environment longer than the copy, takes setenv().
 */
void env_put(struct gate *g, const char *name, const char *value)
{
        size_t n = 0;

        if (env_get(name) || ms_join3(g->env_var, sizeof(g->env_var), name, "=", value) < 0) {
                setenv(name, value, 1);
                return;
        }
        for (; environ && environ[n]; n++) {
                if (n + 2 > MS_ARRAY_SIZE(g->env_copy)) {
                        setenv(name, value, 1);
                        return;
                }
                g->env_copy[n] = environ[n];
        }
        g->env_copy[n] = g->env_var;
        g->env_copy[n + 1] = NULL;
        environ = g->env_copy;
}

void gate_begin(struct gate *g, const struct ms_config *config, bool opted_in, bool hinted)
{
        g->config = *config;
        g->opted_in = opted_in;
        g->hinted = hinted;
        g->rootfd = MS_ROOT_HOST;
        g->logfd = STDERR_FILENO;
        /* What this process passes down keeps its children under the same rules. */
        if (!opted_in)
                setenv(MS_ENV_IMPLICIT, "1", 1);
}

bool first_case(const struct gate *g)
{
        return !g->hinted && !g->config.verbose && g->rootfd == MS_ROOT_HOST;
}

/*
 * The first process of a tree (plain LD_PRELOAD: no hint from above) decides
 * on cheap figures first: sysinfo(2) and the cgroups' limit files (a full
 * sample renders memory.stat, most of its cost). When no cgroup limit binds
 * below the host's memory and the host has room for an unknown job's prior
 * twice over beside the threshold, it runs at once, outside the queue, and
 * passes the hint down: what it starts is gated as usual.
 */
bool first_plenty(struct gate *g)
{
        struct sysinfo si;
        uint64_t total, limit = MS_UNLIMITED;

        if (ms_raw_sysinfo(&si) < 0)
                return false;
        /* Strict overcommit: the commit limit may bind long before memory. */
        if (ms_overcommit_read(g->rootfd) == 2)
                return false;
        total = (uint64_t)si.totalram * si.mem_unit;
        if (g->cgroup.version != MS_CGROUP_NONE && ms_cgroup_limit_read(g->rootfd, &g->cgroup, &limit) < 0)
                return false;
        if (limit < total || !host_plenty(&si, ms_config_required(&g->config, total) + 2 * ms_admit_prior(total)))
                return false;
        /* No limit below the host's memory: the host's figures are the hint
         * (ms_cgroup_hint_format's "none"), and no buffer for a path. */
        env_put(g, MS_ENV_CGROUP, "none");
        return true;
}
