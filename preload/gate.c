/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop-gate.so: the slow path of memstop.so (gate.h), loaded by its
 * constructor when the fast path cannot admit the process: the first process
 * of a tree, a job of unknown or large size, memory short. It holds the
 * process back until enough memory is available, then lets it run.
 *
 * With reservations on (the default) it waits in the fair queue of the
 * ledger (queue.h), which accounts for what admitted processes will still
 * take, and the process records its peak at exit for the next build
 * (gate-exit.c). The first process of a tree (no MEMSTOP_CGROUP hint from
 * above) where memory is plentiful runs at once and passes the hint down.
 *
 * It never kills the program it is loaded into (unless MEMSTOP_ON_TIMEOUT=fail
 * asks for it), never uses stdout, writes whole lines with write(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "gate/history.h"
#include "gate/jobtree.h"
#include "gate/key.h"
#include "gate/ledger.h"
#include "gate/policy.h"
#include "gate/protocol.h"
#include "gate/queue.h"
#include "gate/settings.h"
#include "gate/statedir.h"
#include "probe/cgroup.h"
#include "probe/memory.h"
#include "probe/proc.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/strutil.h"

/* Exit status when MEMSTOP_ON_TIMEOUT=fail gives up (as timeout(1)). */
#define EXIT_GAVE_UP 124

#define MIB (1024u * 1024u)

extern char **environ;

struct gate *gate;


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

/* -vv: the figures it was let in on, after the hold (the threshold alone). */
static void on_release(const struct ms_sample *s, const struct ms_step *st, uint64_t waited_usec, void *userdata)
{
        struct gate *g = userdata;
        char w[MS_DURATION_BUF], avail[MS_SIZE_BUF], req[MS_SIZE_BUF];

        log_release(g);
        if (g->held && g->config.verbose >= 2)
                ms_log(g->logfd, "memstop: %s[%d] let in after %s: %s available, %s required", program_name(),
                       (int)getpid(), ms_duration_format(waited_usec, w, sizeof(w)),
                       ms_size_format(s->available, avail, sizeof(avail)),
                       ms_size_format(st->required, req, sizeof(req)));
}

/* Why the head of the queue let a waiter in ahead of itself (queue.h). */
static const char *grant_name(enum ms_grant grant)
{
        switch (grant) {
        case MS_GRANT_BACKFILL:
                return "it fits now without delaying the jobs ahead of it in line";
        case MS_GRANT_BIG_FIRST:
                return "a big job starts before smaller ones";
        case MS_GRANT_LONG_FIRST:
                return "a long job takes a CPU before shorter ones";
        case MS_GRANT_NONE:
                break;
        }
        return "let in by the head of the queue";
}

/* Why the head of the queue let itself in (admit.h). */
static const char *let_in_why(const struct ms_admit_result *r)
{
        if (r->timed)
                return "it fits in time: running jobs are due to end before it needs the room";
        /* Needing more than is free: an unknown job, let in alone. */
        if (r->need > r->free)
                return "nothing else runs, and a job of unknown size needs only the threshold alone";
        return "it fits now";
}

/* -vv: why a process held in the queue was let in, beside the hold line's
 * why it waited. The figures are its own last look's; a waiter let in by the
 * head of the queue has none. */
static void log_let_in(struct gate *g, const struct ms_queue_result *q)
{
        char w[MS_DURATION_BUF], a[MS_SIZE_BUF], res[MS_SIZE_BUF], need[MS_SIZE_BUF];

        log_release(g);
        if (!g->held || g->config.verbose < 2)
                return;
        ms_duration_format(q->waited_ns / 1000, w, sizeof(w));
        if (q->granted)
                ms_log(g->logfd, "memstop: %s[%d] let in after %s: %s%s", program_name(), (int)getpid(), w,
                       grant_name(q->grant),
                       q->decision.timed ? "; it fits in time: running jobs are due to end before it needs the room"
                                         : "");
        else if (q->sampled)
                ms_log(g->logfd, "memstop: %s[%d] let in after %s: %s; %s available, %s reserved by running jobs, needs %s",
                       program_name(), (int)getpid(), w,
                       let_in_why(&q->decision),
                       ms_size_format(q->last.available, a, sizeof(a)),
                       ms_size_format(q->decision.reserved, res, sizeof(res)),
                       ms_size_format(q->decision.need, need, sizeof(need)));
        else
                ms_log(g->logfd, "memstop: %s[%d] let in after %s", program_name(), (int)getpid(), w);
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

        if (g->code_seen.pid == pid && now - g->code_seen.at_ns < MS_SNAP_FRESH_NS)
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
        req.pidns = g->ledger.pidns; /* ms_pidns_self(), read when the ledger was opened */
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

/* The slow path's root, log and cgroup (gate_begin set the host's and
 * stderr). Returns false to run ungated. */
static bool gate_open(struct gate *g)
{
        const struct ms_config *c = &g->config;
        int r;

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


/* Through the fair queue, with reservations. */
static enum outcome gate_queued(struct gate *g, int argc, char **argv)
{
        struct ms_sample first;
        struct ms_queue_result qres;
        uint64_t start;
        int r;

        if (first_case(g) && first_plenty(g))
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
        log_let_in(g, &qres);
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

/* The slow path. */
static void run_gate(struct gate *g, int argc, char **argv)
{
        enum outcome o = FALLBACK;

        if (!gate_open(g))
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

/* The entry (gate.h), called once by memstop.so's constructor. */
__attribute__((visibility("default"))) ms_gate_run_fn memstop_gate_run;
void memstop_gate_run(struct gate *g, int argc, char **argv)
{
        gate = g;
        argv0 = argc > 0 ? argv[0] : NULL;
        g->exit_hook = leave_at_exit_now;
        run_gate(g, argc, argv);
}
