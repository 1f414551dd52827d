/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop.so: loaded with LD_PRELOAD, its constructor holds the process back
 * until enough memory is available, then lets it run.
 *
 * It runs in every process of a build (sh, make, sed, cc1...), so the common
 * case is a fast path: sysinfo(2) and, inside a memory cgroup, one read of the
 * cgroup's usage, located by the MEMSTOP_CGROUP hint that an earlier process
 * exported. With reservations on (the default) only programs known to stay
 * small (MEMSTOP_SMALL) take it; the others wait in the fair queue of the
 * ledger (queue.h), which accounts for what admitted processes will still
 * take, and record their peak at exit for the next build. That slow path is
 * memstop-gate.so (gate.c), loaded only when taken: this library holds the
 * fast path only, as every exec pays for each page of it (gate.h).
 *
 * It never kills the program it is loaded into (unless MEMSTOP_ON_TIMEOUT=fail
 * asks for it), never uses stdout, writes whole lines with write(2).
 *
 * Loaded system-wide (/etc/ld.so.preload) it must never lock anyone out: a
 * process that did not opt in (no MEMSTOP_* setting, ms_env_opted_in) is
 * held at most MS_IMPLICIT_TIMEOUT_USEC, and not at all when it runs as root
 * or is a child of PID 1; the kill switch (config.h) releases everyone.
 */

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "gate.h"
#include "rawsys.h"
#include "gate/jobtree.h"
#include "gate/protocol.h"
#include "gate/settings.h"
#include "probe/cgroup.h"
#include "gate/config.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/strutil.h"

extern char **environ;

struct gate *gate;

/* The MEMSTOP_* variables, found in one pass over the environment. */
struct env {
        const char *vars[24];
        unsigned n;
};

static MS_HOT void env_collect(struct env *e)
{
        for (char **p = environ; p && *p && e->n < MS_ARRAY_SIZE(e->vars); p++)
                if (ms_startswith(*p, MS_ENV_PREFIX))
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

/* A bad setting: once per tree (a make -j64 said it thousands of times). */
static void warn_bad_env(const char *name, const char *value, const char *reason, void *userdata)
{
        int saved_errno = errno; /* called from the fast path (its errno rule) */

        warn_once(name, "memstop: ignoring %s='%s': %s; using the default", name, value, reason);
        errno = saved_errno;
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

/*
 * The cgroup's usage file is named in MS_SHORT_PATH: a PATH_MAX buffer would
 * put what is written below it on a new page of stack, a page fault that
 * every process in a cgroup with a limit pays. A longer path takes this way.
 */
__attribute__((cold, noinline)) static int usage_read_long(const struct ms_cgroup_hint *hint, uint64_t *usage)
{
        char path[PATH_MAX + 32];

        if (!path_join(path, sizeof(path), hint->dir, ms_cgroup_usage_file(hint->version)))
                return -ENAMETOOLONG;
        return ms_read_u64_at(MS_ROOT_HOST, path, usage);
}

/*
 * True when the cheap figures show enough memory; false means "look closer".
 * With reservations, only programs known to stay small qualify, and with a
 * margin of 1/16 of the total on top of the threshold: a burst of unknown
 * jobs must go through the queue, whatever memory shows at this instant.
 */
static MS_HOT bool fast_admit(const struct ms_config *c, const struct env *e, const char *program)
{
        struct ms_cgroup_hint hint;
        struct sysinfo si;
        char path[MS_SHORT_PATH];
        uint64_t total, ram, used, usage, required;
        const char *h = env_lookup(MS_ENV_CGROUP, (void *)e);
        int saved_errno, r;

        if (c->reserve && !(c->small && ms_name_list_has(c->small, program)))
                return false;
        if (!h || ms_raw_sysinfo(&si) < 0)
                return false;
        total = ram = (uint64_t)si.totalram * si.mem_unit;
        if (ms_cgroup_hint_read(h, total, &hint) < 0)
                return false;
        if (hint.limit < total)
                total = hint.limit;
        required = ms_config_required(c, total);
        if (c->reserve)
                required += total / 16;
        if (!host_plenty(&si, required))
                return false;
        if (hint.version == MS_CGROUP_NONE)
                return true;
        /*
         * available >= limit - usage, and the cgroup uses at most what the
         * host does: its charged pages are not free, bar the CPUs' charge
         * stocks (MEMCG_CHARGE_BATCH pages each), which a margin of 1/32 of
         * RAM covers. When the host's figure leaves room, the usage file
         * need not be read: its open, read and close cost a process in a
         * cgroup with a limit 25-30 us (bench/gate-overhead.sh).
         */
        used = ram - (uint64_t)si.freeram * si.mem_unit + ram / 32;
        if (hint.limit > used && hint.limit - used >= required)
                return true;
        /* Else usage alone gives a lower bound. */
        saved_errno = errno;
        r = path_join(path, sizeof(path), hint.dir, ms_cgroup_usage_file(hint.version))
                    ? ms_read_u64_at(MS_ROOT_HOST, path, &usage)
                    : usage_read_long(&hint, &usage);
        errno = saved_errno;
        return r == 0 && hint.limit > usage && hint.limit - usage >= required;
}

/* The slow path's state, zeroed (gate.h); NULL if it cannot be mapped:
 * the process then runs ungated. */
__attribute__((cold, noinline)) static struct gate *gate_map(void)
{
        void *p = mmap(NULL, sizeof(struct gate), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        return p == MAP_FAILED ? NULL : p;
}

/*
 * A process that did not opt in (system-wide use): never held when it runs
 * as root (an admin must always get in) or is a child of PID 1 (services,
 * getty, a container's init); else held at most MS_IMPLICIT_TIMEOUT_USEC.
 * Returns false when it is not to be held at all.
 */
static bool implicit_rules(struct ms_config *c)
{
        if (getuid() == 0 || geteuid() == 0 || getppid() == 1)
                return false;
        c->timeout_usec = MS_IMPLICIT_TIMEOUT_USEC;
        c->on_timeout = MS_ON_TIMEOUT_RUN;
        return true;
}

/*
 * Part of a job admitted above it: MEMSTOP_JOB names its root, alive (the
 * same start time). A value naming no live root (the root has ended and
 * this process outlived it) or no process at all is dropped, so that what
 * this process starts is gated again; a malformed one is said once.
 */
static bool job_member(const char *v)
{
        int r = ms_job_check(MS_ROOT_HOST, v);

        if (r == -EINVAL)
                warn_once("job", "memstop: ignoring %s='%s': not PID.STARTTIME", MS_ENV_JOB, v);
        if (r <= 0)
                unsetenv(MS_ENV_JOB);
        return r > 0;
}

/*
 * Inside a job (MEMSTOP_JOB set): a build driver's children are jobs of
 * their own (the variable is dropped); anything else is part of it and runs
 * at once (true). Saves errno: the check reads /proc.
 */
__attribute__((cold, noinline)) static bool in_job(const char *job, const char *program)
{
        int saved_errno = errno;
        bool member = false;

        if (ms_build_driver(program))
                unsetenv(MS_ENV_JOB);
        else
                member = job_member(job);
        errno = saved_errno;
        return member;
}

/*
 * memstop-gate.so's entry: the library beside this one (its path as ld.so
 * loaded it), loaded once; NULL, said once per tree, if it cannot be: the
 * process then runs ungated.
 */
static ms_gate_run_fn *gate_load(void)
{
        char path[PATH_MAX];
        const char *slash;
        ms_gate_run_fn *run;
        Dl_info info;
        void *lib;
        size_t dir;

        if (!dladdr((void *)gate_load, &info) || !info.dli_fname || !(slash = ms_strrchr(info.dli_fname, '/')))
                return NULL;
        dir = (size_t)(slash + 1 - info.dli_fname);
        if (dir + sizeof(MS_GATE_LIBRARY) > sizeof(path))
                return NULL;
        memcpy(path, info.dli_fname, dir);
        memcpy(path + dir, MS_GATE_LIBRARY, sizeof(MS_GATE_LIBRARY));
        lib = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
        run = lib ? (ms_gate_run_fn *)dlsym(lib, MS_GATE_ENTRY) : NULL;
        if (!run)
                warn_once("gate-library", "memstop: cannot load %s: %s; running ungated", path, dlerror());
        return run;
}

/*
 * The first process of a tree (no hint from above) where memory is
 * plentiful: admitted here, as the slow path would (first_plenty), without
 * loading memstop-gate.so, which would cost it ~80 us (a third of its
 * budget, issue 10). Only the plain case: nothing to log or report, the
 * real root, the queue's rules. False: the slow path decides (it locates
 * the cgroup again, under its own root).
 */
static bool first_of_tree(struct gate *g)
{
        const struct ms_config *c = &g->config;

        if (!first_case(g) || c->sysroot || c->log || !c->reserve || env_get(MS_ENV_REPORT) ||
            ms_build_driver(program_name()))
                return false;
        if (ms_cgroup_locate(MS_ROOT_HOST, &g->cgroup) < 0)
                return false;
        return ms_gate_switched_off(MS_ROOT_HOST) || first_plenty(g);
}

/* The slow path, with errno as the program left it: memstop-gate.so but
 * for the first process of a tree that memory leaves free to run. */
__attribute__((cold, noinline)) static void slow_path(const struct ms_config *config, bool opted_in, bool hinted,
                                                      int argc, char **argv)
{
        int saved_errno = errno;
        ms_gate_run_fn *run;

        gate = gate_map();
        if (gate) {
                gate_begin(gate, config, opted_in, hinted);
                if (!first_of_tree(gate) && (run = gate_load()))
                        run(gate, argc, argv);
        }
        errno = saved_errno;
}

/*
 * glibc passes argc, argv and envp to constructors.
 *
 * errno is left as it was: the fast path calls nothing that sets it
 * (getauxval finds both its types on every kernel glibc supports, sysinfo is
 * raw, the cgroup's usage is read with errno saved), and each way out of it
 * (a bad setting, a job, the slow path) saves it. Saving it here would cost
 * every exec a symbol lookup (__errno_location).
 */
__attribute__((constructor)) static MS_HOT void memstop_constructor(int argc, char **argv, char **envp)
{
        struct ms_config config;
        struct env env = {};
        const char *program, *job;
        bool opted_in;

        /* Setuid and setgid programs are never held. */
        if (getauxval(AT_SECURE))
                return;
        argv0 = argc > 0 ? argv[0] : NULL;
        env_collect(&env);
        ms_config_init(&config);
        ms_config_load(&config, env_lookup, warn_bad_env, &env);
        /* Not gate.opted_in: the fast path never touches the slow path's pages. */
        opted_in = ms_env_opted_in(env.vars, env.n);
        if (!opted_in && !implicit_rules(&config))
                return;
        program = program_name();
        if (!ms_config_gates(&config, program))
                return;
        /* Inside a job (only there: the fast path pays one lookup). */
        job = env_lookup(MS_ENV_JOB, &env);
        if (job && in_job(job, program))
                return;
        /* Plenty of memory by the cheap figures: run at once. */
        if (!config.verbose && !config.sysroot && fast_admit(&config, &env, program))
                return;
        slow_path(&config, opted_in, env_lookup(MS_ENV_CGROUP, &env) != NULL, argc, argv);
}

