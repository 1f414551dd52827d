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
 * take, and record their peak at exit for the next build.
 *
 * It never kills the program it is loaded into (unless MEMSTOP_ON_TIMEOUT=fail
 * asks for it), never uses stdout, writes whole lines with write(2).
 *
 * Loaded system-wide (/etc/ld.so.preload) it must never lock anyone out: a
 * process that did not opt in (no MEMSTOP_* setting, ms_env_opted_in) is
 * held at most MS_IMPLICIT_TIMEOUT_USEC, and not at all when it runs as root
 * or is a child of PID 1; the kill switch (config.h) releases everyone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "rawsys.h"
#include "gate/jobtree.h"
#include "gate/protocol.h"
#include "probe/cgroup.h"
#include "gate/settings.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "gate/history.h"
#include "gate/key.h"
#include "gate/ledger.h"
#include "util/log.h"
#include "util/macro.h"
#include "probe/memory.h"
#include "gate/policy.h"
#include "probe/proc.h"
#include "gate/queue.h"
#include "util/size.h"
#include "gate/statedir.h"
#include "util/strutil.h"

/* Exit status when MEMSTOP_ON_TIMEOUT=fail gives up (as timeout(1)). */
#define EXIT_GAVE_UP 124

#define MIB (1024u * 1024u)

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

/*
 * A variable of the environment, found in environ itself: a program may
 * define getenv() (bash does, to look in its shell variables) and the
 * preload's calls would go there, which after a setenv() before main finds
 * nothing.
 */
static const char *env_get(const char *name)
{
        for (char **p = environ; p && *p; p++) {
                const char *rest = ms_startswith(*p, name);
                if (rest && *rest == '=')
                        return rest + 1;
        }
        return NULL;
}

/*
 * Add NAME=value to the environment without malloc: the first process of a
 * tree would otherwise start the heap for setenv() (brk, new pages, glibc's
 * tree of set values), a tenth of its budget (issue 10). The variable and a
 * copy of the array live in the gate's mapping, kept for good. A name
 * already set, or an environment longer than the copy, takes setenv().
 */
static void env_put(struct gate *g, const char *name, const char *value)
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

/* A warning about a setting or shared state (history, state directory):
 * once per process tree, through MEMSTOP_WARNED. */
static void warn_once(const char *id, const char *fmt, ...) MS_PRINTF(2, 3);
static void warn_once(const char *id, const char *fmt, ...)
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

/* A bad setting: once per tree (a make -j64 said it thousands of times). */
static void warn_bad_env(const char *name, const char *value, const char *reason, void *userdata)
{
        int saved_errno = errno; /* called from the fast path (its errno rule) */

        warn_once(name, "memstop: ignoring %s='%s': %s; using the default", name, value, reason);
        errno = saved_errno;
}

/* argv[0], from the constructor: not program_invocation_name, whose
 * relocation would be one more symbol lookup in every exec. */
static const char *argv0;

static MS_HOT const char *program_name(void)
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
        char path[PATH_MAX + 32];
        uint64_t total, usage, required;
        const char *h = env_lookup(MS_ENV_CGROUP, (void *)e);
        int saved_errno, r;

        if (c->reserve && !(c->small && ms_name_list_has(c->small, program)))
                return false;
        if (!h || ms_raw_sysinfo(&si) < 0)
                return false;
        total = (uint64_t)si.totalram * si.mem_unit;
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
        /* available >= limit - usage: usage alone gives a lower bound. */
        if (!path_join(path, sizeof(path), hint.dir, ms_cgroup_usage_file(hint.version)))
                return false;
        saved_errno = errno;
        r = ms_read_u64_at(MS_ROOT_HOST, path, &usage);
        errno = saved_errno;
        return r == 0 && hint.limit > usage && hint.limit - usage >= required;
}

static int sample(struct ms_sample *s, void *userdata)
{
        struct gate *g = userdata;

        /* The kill switch, looked at whenever memory is: held processes run. */
        if (ms_gate_switched_off(g->rootfd))
                return -ECANCELED;
        return ms_sample_read(g->rootfd, &g->cgroup, s);
}

static bool cancelled(void *userdata)
{
        return ms_gate_switched_off(((struct gate *)userdata)->rootfd);
}

/* The original memstop's first line, byte for byte. */
static void log_figures(const struct gate *g, const struct ms_sample *s)
{
        const struct ms_config *c = &g->config;

        ms_log(g->logfd, "==== memstop: %u%% required, %" PRIu64 "%% available (%" PRIu64 " MB / %" PRIu64 " MB) ====",
               c->percent, s->total ? s->available * 100 / s->total : 0, s->available / MIB, s->total / MIB);
}

static void log_hold(struct gate *g)
{
        if (!g->held && g->config.verbose)
                ms_log(g->logfd, "==== memstop hold ====");
        g->held = true;
}

static void on_first(const struct ms_sample *s, const struct ms_step *st, void *userdata)
{
        struct gate *g = userdata;

        if (g->config.verbose)
                log_figures(g, s);
}

static void on_hold(const struct ms_sample *s, const struct ms_step *st, void *userdata)
{
        struct gate *g = userdata;
        char avail[MS_SIZE_BUF], req[MS_SIZE_BUF], total[MS_SIZE_BUF];

        log_hold(g);
        if (g->config.verbose >= 2)
                ms_log(g->logfd, "memstop: %s[%d] held: %s available (bound by the %s%s%s), %s required of %s",
                       program_name(), (int)getpid(), ms_size_format(s->available, avail, sizeof(avail)),
                       ms_bound_name(s->available_bound), s->available_bound == MS_BOUND_CGROUP ? " " : "",
                       s->available_bound == MS_BOUND_CGROUP ? s->cgroup.limit_dir : "",
                       ms_size_format(st->required, req, sizeof(req)), ms_size_format(s->total, total, sizeof(total)));
}

static void log_release(struct gate *g)
{
        if (g->held && g->config.verbose)
                ms_log(g->logfd, "==== memstop release ====");
}

static void on_release(const struct ms_sample *s, const struct ms_step *st, uint64_t waited_usec, void *userdata)
{
        log_release(userdata);
}

/* Tell the processes below where the cgroup is: the host's only, not a
 * sysroot's. Under strict overcommit no hint: the fast path, which sees
 * neither CommitLimit nor Committed_AS, must not admit anyone. */
static void export_hint(const struct gate *g, const struct ms_sample *s)
{
        char hint[PATH_MAX + 64];

        if (s->overcommit == 2) {
                unsetenv(MS_ENV_CGROUP);
                return;
        }
        if (g->rootfd == MS_ROOT_HOST && ms_cgroup_hint_make(&g->cgroup, s, hint, sizeof(hint)) == 0)
                setenv(MS_ENV_CGROUP, hint, 1);
}

static void summary_at_exit(void)
{
        char held[MS_DURATION_BUF];

        ms_log(gate->logfd, "memstop: %s[%d] exits; it was held %s before it started", program_name(),
               (int)getpid(), ms_duration_format(gate->held_usec, held, sizeof(held)));
}

uint64_t now_ns(void *userdata)
{
        return ms_monotonic_ns();
}

/* A slot's RSS: its job's whole tree (jobtree.h); itself, in its
 * constructor, has started nothing yet. */
static int rss_of(pid_t pid, uint64_t *rss, void *userdata)
{
        struct gate *g = userdata;

        if (pid == g->pid)
                return ms_proc_rss_read(MS_ROOT_HOST, 0, rss);
        return ms_snap_cache_tree_rss(&g->snap, MS_ROOT_HOST, pid, now_ns(NULL), rss);
}

/* The code in memory of a slot's job (queue.h): its largest process's (the
 * compiler below a driver or a shell), 0 if unknown. Read once per
 * MS_SNAP_FRESH_NS for the same slot: a look asks it for every candidate. */
static uint64_t code_of(pid_t pid, void *userdata)
{
        struct gate *g = userdata;
        uint64_t now = now_ns(NULL), code;
        pid_t largest;

        if (g->code_seen.pid == pid && g->code_seen.pid > 0 && now - g->code_seen.at_ns < MS_SNAP_FRESH_NS)
                return g->code_seen.code;
        largest = ms_snap_cache_tree_largest(&g->snap, MS_ROOT_HOST, pid, now);
        if (ms_proc_code_read(MS_ROOT_HOST, largest, &code) < 0)
                code = 0;
        g->code_seen.pid = pid;
        g->code_seen.code = code;
        g->code_seen.at_ns = now;
        return code;
}

/* pid's parent (the slots' snapshot). */
static pid_t parent(pid_t pid, void *userdata)
{
        struct gate *g = userdata;

        return ms_snap_cache_parent(&g->snap, MS_ROOT_HOST, pid, now_ns(NULL));
}

/* Whether pid's job is on a CPU or waiting for one (the slots' snapshot). */
static bool running(pid_t pid, void *userdata)
{
        struct gate *g = userdata;

        return ms_snap_cache_tree_running(&g->snap, MS_ROOT_HOST, pid, now_ns(NULL));
}

/* Whether pid is an ancestor of this process: its chain of parents is read
 * once (at most 16 up, not past pid 1), on the first question. */
static bool ancestor(pid_t pid, void *userdata)
{
        struct gate *g = userdata;

        if (!g->ancestors_read) {
                g->n_ancestors = ms_ancestors_read(MS_ROOT_HOST, g->ancestors, (int)MS_ARRAY_SIZE(g->ancestors));
                g->ancestors_read = true;
        }
        for (int i = 0; i < g->n_ancestors; i++)
                if (g->ancestors[i] == pid)
                        return true;
        return false;
}

/* A slot's process: alive, the same start, and the user's (the ledger is
 * per user: a slot naming someone else's process, pid 1 say, is not kept). */
static bool alive(pid_t pid, uint64_t starttime, void *userdata)
{
        struct ms_proc_stat st;
        uid_t uid;

        if (ms_proc_stat_owner_read(MS_ROOT_HOST, pid, &st, &uid) < 0)
                return false;
        /* 'x' is how kernels before 3.14 wrote a dead task. */
        if (st.state == 'Z' || st.state == 'X' || st.state == 'x')
                return false;
        return st.starttime == starttime && uid == geteuid();
}

/* Stopped by a signal (T) or a debugger (t): skipped as the head. */
static bool stopped(pid_t pid, uint64_t starttime, void *userdata)
{
        struct ms_proc_stat st;

        return ms_proc_stat_read(MS_ROOT_HOST, pid, &st) == 0 && st.starttime == starttime &&
               (st.state == 'T' || st.state == 't');
}

static void on_queue_held(const struct ms_sample *s, const struct ms_admit_result *r, unsigned ahead, void *userdata)
{
        struct gate *g = userdata;
        char a[MS_SIZE_BUF], res[MS_SIZE_BUF], need[MS_SIZE_BUF];

        /* Held after all: what the history says matters now. */
        g->plenty = false;
        log_hold(g);
        if (g->config.verbose < 2)
                return;
        if (!s)
                ms_log(g->logfd, "memstop: %s[%d] held: waiting in line behind %u", program_name(), (int)getpid(),
                       ahead);
        else
                ms_log(g->logfd, "memstop: %s[%d] held: %s; %s available, %s reserved by running jobs, needs %s",
                       program_name(), (int)getpid(), ms_admit_reason_name(r->reason),
                       ms_size_format(s->available, a, sizeof(a)), ms_size_format(r->reserved, res, sizeof(res)),
                       ms_size_format(r->need, need, sizeof(need)));
}

/*
 * Whether a supervising `memstop` that freezes jobs watches this process
 * (MEMSTOP_SUPERVISOR, its pid): only then may admission count on time
 * (admit.h), with freezing to catch a job that outlives its prediction.
 */
static bool supervised(void)
{
        pid_t pid;

        /* EPERM: it lives, as another user (a root supervisor of a build that dropped privileges). */
        return ms_supervisor_parse(env_get(MS_ENV_SUPERVISOR), &pid) == 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* What the history says of this job. */
static void predict(struct gate *g, struct ms_candidate *cand)
{
        struct ms_prediction p;
        struct stat st;
        char path[PATH_MAX + 8];
        int r;

        if (!g->config.learn || !g->history_dir[0] || g->plenty)
                return;
        /* Read the file again only when it changed. */
        snprintf(path, sizeof(path), "%s/peaks", g->history_dir);
        if (stat(path, &st) == 0) {
                if (st.st_size == g->history_size && st.st_mtim.tv_sec == g->history_mtime.tv_sec &&
                    st.st_mtim.tv_nsec == g->history_mtime.tv_nsec)
                        return;
                g->history_size = st.st_size;
                g->history_mtime = st.st_mtim;
        }
        r = ms_history_lookup(g->history_dir, &g->key, &p);
        if (r < 0) {
                warn_once("history", "memstop: cannot read the history of peaks in %s: %s; predicting nothing",
                          g->history_dir, strerror(-r));
                return;
        }
        if (p.bad_lines)
                warn_once("history-corrupt", "memstop: skipped %u corrupt lines in %s/peaks", p.bad_lines,
                          g->history_dir);
        ms_candidate_predict(&p, cand);
}

static void predict_again(struct ms_candidate *cand, void *userdata)
{
        predict(userdata, cand);
}

/* Join the ledger of the memory that binds (the first sample says whose).
 * Returns false when there is none to join: the plain gate then runs. */
static bool ledger_join(struct gate *g, const struct ms_sample *first)
{
        char dir[PATH_MAX], used[PATH_MAX], name[64];
        _cleanup_close_ int dirfd = -1;
        struct ms_proc_stat st;
        bool fallback;
        int r;

        if (ms_statedir_path(env_get("XDG_RUNTIME_DIR"), getuid(), dir, sizeof(dir)) < 0)
                return false;
        dirfd = ms_statedir_open_used(dir, getuid(), used, sizeof(used), &fallback);
        if (dirfd < 0) {
                warn_once("statedir", "memstop: cannot use the state directory %s: %s; no queue, no reservations",
                          dir, strerror(-dirfd));
                return false;
        }
        if (fallback)
                warn_once("statedir-taken", "memstop: %s is not a private directory of uid %u (made by another user?); "
                          "using %s instead", dir, (unsigned)getuid(), used);
        ms_ledger_name(ms_sample_scope(first), name, sizeof(name));
        r = ms_ledger_open(dirfd, name, &g->ledger);
        if (r < 0) {
                warn_once("ledger", "memstop: cannot open the ledger %s/%s: %s; no queue, no reservations", dir,
                          name, strerror(-r));
                return false;
        }
        if (g->ledger.reset)
                warn_once("ledger-reset", "memstop: the ledger %s/%s was corrupt and has been reset", dir, name);
        if (ms_proc_stat_read(MS_ROOT_HOST, 0, &st) < 0) {
                ms_ledger_close(&g->ledger);
                return false;
        }
        g->pid = getpid();
        g->starttime = st.starttime;
        return true;
}

/* Memory for the prior of an unknown job twice over, beside the threshold. */
static bool plentiful(const struct gate *g, const struct ms_sample *s)
{
        return s->available >= ms_config_required(&g->config, s->total) + 2 * ms_admit_prior(s->total);
}

/* Who this job is, and what the history says of it: nothing is read where
 * memory is plentiful (room for the prior of an unknown job twice over
 * beside the threshold): it would be admitted whatever its prediction, and
 * the first process of a tree stays cheap (issue 10). */
static void describe(struct gate *g, const struct ms_sample *first, int argc, char **argv,
                     struct ms_queue_request *req)
{
        g->plenty = plentiful(g, first);
        if (argc > 0 && argv && argv[0])
                ms_key_from_argv(argc, argv, &g->key);
        else
                ms_key_from_argv(1, (char *[]){ (char *)program_name(), NULL }, &g->key);
        *req = (struct ms_queue_request){ .pid = g->pid, .starttime = g->starttime, .program = g->key.program,
                                          .program_hash = g->key.program_hash };
        if (g->config.learn &&
            ms_history_dir(env_get("XDG_CACHE_HOME"), env_get("HOME"), g->history_dir, sizeof(g->history_dir)) < 0)
                g->history_dir[0] = '\0';
        predict(g, &req->cand);
        req->cand.supervised = supervised();
        /* Jobs wait for CPUs only under the CLI, which runs a build. */
        req->cand.cpus = req->cand.supervised ? ms_cpus_usable() : 0;
        /* Started without the CLI: tell the processes below which programs stay small. */
        if (g->config.learn && !g->config.small && g->history_dir[0] && !g->plenty) {
                char small[4096];
                if (ms_history_small_list(g->history_dir, small, sizeof(small)) == 0)
                        setenv(MS_ENV_SMALL, small, 1);
        }
}

/*
 * Wait in the fair queue. Returns 1 when it decided (admitted or timed out:
 * *res filled in), 0 when the queue cannot be used (the plain gate then runs),
 * -ECANCELED when the kill switch is on (run).
 */
static int queue_gate(struct gate *g, const struct ms_sample *first, int argc, char **argv,
                      struct ms_queue_result *res)
{
        struct ms_queue_request req;
        const struct ms_queue_ops ops = {
                .sample = sample,
                .rss = rss_of,
                .code = code_of,
                .alive = alive,
                .now_ns = now_ns,
                .held = on_queue_held,
                .predict = predict_again,
                .stopped = stopped,
                .ancestor = ancestor,
                .parent = parent,
                .running = running,
                .cancelled = cancelled,
                .userdata = g,
        };
        int r;

        if (!ledger_join(g, first))
                return 0;
        describe(g, first, argc, argv, &req);
        req.pidns = ms_pidns_self();
        r = ms_queue_wait(&g->ledger, &g->config, &req, &ops, res);
        if (r < 0) {
                if (g->config.verbose && r != -ECANCELED)
                        ms_log(g->logfd, "memstop: the queue failed: %s; falling back to the threshold alone",
                               strerror(-r));
                ms_ledger_close(&g->ledger);
                return r == -ECANCELED ? r : 0;
        }
        if (res->outcome == MS_QUEUE_ADMITTED) {
                g->in_ledger = true;
                g->slot = res->slot;
                atexit(leave_at_exit);
        } else {
                ms_ledger_close(&g->ledger);
        }
        return 1;
}

static void log_unreadable(const struct gate *g, int r)
{
        ms_log(g->logfd, "memstop: cannot read the memory figures (/proc/meminfo%s%s): %s; running ungated",
               g->cgroup.version ? " or the memory files of " : "", g->cgroup.version ? g->cgroup.dir : "",
               strerror(-r));
}

static void timed_out(struct gate *g, uint64_t waited_usec, const struct ms_sample *last, bool sampled)
{
        const struct ms_config *c = &g->config;
        char waited[MS_DURATION_BUF], avail[MS_SIZE_BUF], req[MS_SIZE_BUF], why[96] = "";

        ms_duration_format(waited_usec, waited, sizeof(waited));
        if (sampled)
                snprintf(why, sizeof(why), " (%s available, %s required)",
                         ms_size_format(last->available, avail, sizeof(avail)),
                         ms_size_format(ms_config_required(c, last->total), req, sizeof(req)));
        if (c->on_timeout == MS_ON_TIMEOUT_FAIL) {
                /* Always on stderr: the user must see why the program failed. */
                ms_log(STDERR_FILENO, "memstop: %s: gave up after waiting %s for memory%s", program_name(), waited,
                       why);
                _exit(EXIT_GAVE_UP);
        }
        if (c->verbose)
                ms_log(g->logfd, "memstop: %s: waited %s for memory%s; running anyway", program_name(), waited, why);
}

/*
 * MEMSTOP_REPORT (set by the supervising `memstop`): one line per admitted
 * process, "pid held_usec program", appended with a single write(2) so that
 * lines of parallel processes never mix. The file must exist already.
 */
static void report_admission(const struct gate *g)
{
        const char *path = env_get(MS_ENV_REPORT);
        struct ms_hold_line h = { .held_usec = g->held_usec };
        char line[128];
        int fd, n;

        if (!path || path[0] != '/')
                return;
        h.pid = getpid();
        /* Named as the queue names it: a wrapper (sh -c) by what it runs. */
        snprintf(h.program, sizeof(h.program), "%s", g->key.program[0] ? g->key.program : program_name());
        n = ms_hold_line_format(&h, line, sizeof(line));
        if (n <= 0)
                return;
        /* Of this user's, regular, no symlink: the variable may be inherited
         * from another user (su without '-'). */
        fd = ms_open_append_checked(path, false);
        if (fd < 0)
                return;
        (void)!write(fd, line, (size_t)n);
        close(fd);
}

/*
 * MEMSTOP_LOG, which may come from another user's environment (su without
 * '-'): not in a process whose effective ids differ from its real ones, and
 * only a regular file of the effective uid reached without a symlink, opened
 * without blocking (ms_log_open_checked). Else stderr, said once per tree.
 */
static void log_open(struct gate *g, const char *spec)
{
        int r;

        if (getuid() != geteuid() || getgid() != getegid()) {
                warn_once("log-ids", "memstop: ignoring " MS_ENV_LOG "='%s' in a process whose effective user or "
                          "group differs from the real one; logging to stderr", spec);
                return;
        }
        r = ms_log_open_checked(spec, getpid());
        if (r < 0)
                warn_once("log", "memstop: cannot use " MS_ENV_LOG "='%s': %s; logging to stderr", spec,
                          r == -ELOOP    ? "a symbolic link"
                          : r == -EINVAL ? "not a regular file"
                          : r == -EPERM  ? "not the user's own file"
                                         : strerror(-r));
        else
                g->logfd = r;
}

/* The slow path's root and log. Returns false to run ungated. */
static bool gate_open(struct gate *g, const struct ms_config *config)
{
        const struct ms_config *c = &g->config;
        int r;

        g->config = *config;
        g->rootfd = MS_ROOT_HOST;
        g->logfd = STDERR_FILENO;
        /* MEMSTOP_SYSROOT costs this branch and the hint's, nothing more. */
        if (c->sysroot) {
                r = ms_root_open(c->sysroot);
                if (r < 0) {
                        ms_log(STDERR_FILENO, "memstop: cannot open " MS_ENV_SYSROOT "='%s': %s; running ungated",
                               c->sysroot, strerror(-r));
                        return false;
                }
                g->rootfd = r;
        }
        if (c->log)
                log_open(g, c->log);
        r = ms_cgroup_locate(g->rootfd, &g->cgroup);
        if (r < 0) {
                if (c->verbose)
                        ms_log(g->logfd, "memstop: cannot read %s: %s; running ungated", "/proc/self/cgroup",
                               strerror(-r));
                return false;
        }
        return true;
}

/* How a way of gating ended. */
enum outcome {
        ADMITTED, /* memory allowed (at once or after a hold): report it */
        RUN,      /* timed out and runs anyway, or the figures are unreadable */
        FALLBACK, /* the queue cannot be used: the plain gate decides */
};

/* After the queue could not be used for a while: the plain gate gets what
 * is left of the timeout. Returns false when nothing is left. */
static bool timeout_left(struct gate *g, uint64_t start_ns)
{
        uint64_t waited_usec = (now_ns(NULL) - start_ns) / 1000;

        if (!g->config.timeout_usec)
                return true;
        if (waited_usec >= g->config.timeout_usec) {
                timed_out(g, waited_usec, NULL, false);
                return false;
        }
        g->config.timeout_usec -= waited_usec;
        return true;
}

/*
 * The first process of a tree (plain LD_PRELOAD: no hint from above) decides
 * on cheap figures first: sysinfo(2) and the cgroups' limit files (a full
 * sample renders memory.stat, most of its cost). When no cgroup limit binds
 * below the host's memory and the host has room for an unknown job's prior
 * twice over beside the threshold, it runs at once, outside the queue, and
 * passes the hint down: what it starts is gated as usual.
 */
static bool first_plenty(struct gate *g)
{
        char hint[PATH_MAX + 64];
        struct sysinfo si;
        uint64_t total, limit = MS_UNLIMITED;

        if (g->hinted || g->config.verbose || g->rootfd != MS_ROOT_HOST || sysinfo(&si) < 0)
                return false;
        /* Strict overcommit: the commit limit may bind long before memory. */
        if (ms_overcommit_read(g->rootfd) == 2)
                return false;
        total = (uint64_t)si.totalram * si.mem_unit;
        if (g->cgroup.version != MS_CGROUP_NONE && ms_cgroup_limit_read(g->rootfd, &g->cgroup, &limit) < 0)
                return false;
        if (limit < total || !host_plenty(&si, ms_config_required(&g->config, total) + 2 * ms_admit_prior(total)))
                return false;
        if (ms_cgroup_hint_format(&g->cgroup, MS_UNLIMITED, hint, sizeof(hint)) == 0)
                env_put(g, MS_ENV_CGROUP, hint);
        return true;
}

/* Through the fair queue, with reservations. */
static enum outcome gate_queued(struct gate *g, int argc, char **argv)
{
        struct ms_sample first;
        struct ms_queue_result qres;
        uint64_t start;
        int r;

        if (first_plenty(g))
                return ADMITTED;
        start = now_ns(NULL);
        /* The queue to join depends on whose limit binds; the original's
         * first line needs figures before any waiting. */
        r = sample(&first, g);
        if (r < 0) {
                if (g->config.verbose)
                        log_unreadable(g, r);
                return RUN;
        }
        if (g->config.verbose)
                log_figures(g, &first);
        export_hint(g, &first);
        /* The first process of a tree (plain LD_PRELOAD: no hint from above)
         * where memory is plentiful runs at once, outside the queue, and costs
         * a sample; what it starts finds the hint and is gated as usual. */
        if (!g->hinted && plentiful(g, &first))
                return ADMITTED;
        r = queue_gate(g, &first, argc, argv, &qres);
        if (r < 0)
                return RUN;
        if (r == 0)
                return timeout_left(g, start) ? FALLBACK : RUN;
        if (qres.sampled)
                export_hint(g, &qres.last);
        if (qres.outcome == MS_QUEUE_EXPIRED) {
                timed_out(g, qres.waited_ns / 1000, &qres.last, qres.sampled);
                return RUN;
        }
        log_release(g);
        g->held_usec = qres.waited_ns / 1000;
        return ADMITTED;
}

/* The threshold alone: MEMSTOP_RESERVE=0, or the queue could not be used. */
static enum outcome gate_plain(struct gate *g)
{
        const struct ms_wait_hooks hooks = {
                .first = on_first,
                .hold = on_hold,
                .release = on_release,
                .userdata = g,
        };
        /* After the queue failed: the first line is out already. */
        const struct ms_wait_hooks hooks_after_queue = {
                .hold = on_hold,
                .release = on_release,
                .userdata = g,
        };
        const struct ms_config *c = &g->config;
        struct ms_wait_result res;
        int r;

        r = ms_wait(c, sample, g, &ms_clock_monotonic, c->reserve && c->verbose ? &hooks_after_queue : &hooks, &res);
        if (r < 0) {
                if (c->verbose && r != -ECANCELED)
                        log_unreadable(g, r);
                return RUN;
        }
        export_hint(g, &res.last);
        if (res.verdict == MS_EXPIRED) {
                timed_out(g, res.waited_usec, &res.last, true);
                return RUN;
        }
        g->held = g->held || res.held;
        g->held_usec = res.waited_usec;
        return ADMITTED;
}

/* Admitted through the queue as a job's root (a compiler driver, or what a
 * build driver started): what it starts is part of its job (jobtree.h). */
static void mark_job_root(struct gate *g, const char *program)
{
        char value[MS_JOB_BUF];

        if (!g->in_ledger || !(ms_compiler_driver(program) || ms_parent_runs_jobs(MS_ROOT_HOST)))
                return;
        if (ms_job_format(g->pid, g->starttime, value, sizeof(value)) == 0 && setenv(MS_ENV_JOB, value, 1) == 0)
                g->job_root = true;
}

/* The slow path's state, zeroed (gate.h); NULL if it cannot be mapped:
 * the process then runs ungated. */
__attribute__((cold, noinline)) static struct gate *gate_map(void)
{
        void *p = mmap(NULL, sizeof(struct gate), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        return p == MAP_FAILED ? NULL : p;
}

/* The slow path, out of the fast path's pages (GCC would count it hot,
 * called from the constructor only, and lay it out among the hot code). */
__attribute__((cold, noinline)) static void run_gate(struct gate *g, const struct ms_config *config, bool opted_in,
                                                     bool hinted, int argc, char **argv)
{
        enum outcome o = FALLBACK;

        g->opted_in = opted_in;
        g->hinted = hinted;
        /* What this process passes down keeps its children under the same rules. */
        if (!opted_in)
                setenv(MS_ENV_IMPLICIT, "1", 1);
        if (!gate_open(g, config))
                return;
        if (ms_gate_switched_off(g->rootfd))
                return;
        /* A build driver runs jobs rather than being one: only the threshold
         * holds it (it is not queued). */
        if (ms_build_driver(program_name()))
                g->config.reserve = false;
        if (g->config.reserve)
                o = gate_queued(g, argc, argv);
        if (o == FALLBACK)
                o = gate_plain(g);
        if (o != ADMITTED)
                return;
        mark_job_root(g, program_name());
        report_admission(g);
        if (g->config.verbose >= 2 && g->held)
                atexit(summary_at_exit);
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

/* The slow path, with errno as the program left it. */
__attribute__((cold, noinline)) static void slow_path(const struct ms_config *config, bool opted_in, bool hinted,
                                                      int argc, char **argv)
{
        int saved_errno = errno;

        gate = gate_map();
        if (gate)
                run_gate(gate, config, opted_in, hinted, argc, argv);
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
