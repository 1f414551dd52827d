/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `memstop -- BUILD` stays the build's parent and watches its memory:
 *
 * - in a memory cgroup of its own (buildcg.h) where the hierarchy allows,
 *   else through the process tree (sv-memory.c); memstop is the child
 *   subreaper, so every process of the build stays below it;
 * - every tick (40 ms while admitted jobs grow, 100 ms when memory is short,
 *   jobs are frozen or the gate has admitted jobs of the build, else 250 ms)
 *   it walks the tree, groups processes into jobs (a child of a build driver
 *   or of the command, with its subtree: jobs.h), lets freeze.h decide which
 *   job to freeze (cgroup freezer, sv-freezer.h, or SIGSTOP) or resume; it
 *   notes the RSS of the gate's admitted processes in the ledger, for their
 *   growth curves (watch.h, curve.h); while the whole build waits in the
 *   gate, a glance at its slots replaces the walk;
 * - SIGINT, SIGTERM, SIGHUP: frozen jobs are resumed, then the signal is
 *   passed to the build: to the command's process group if it has its own,
 *   else to the command and every process below it, as a terminal does to
 *   its foreground group (unless the terminal already did: si_code
 *   SI_KERNEL); a frozen job is resumed on every way out, crashes of
 *   memstop included (atexit and fatal-signal handlers);
 * - at the end: OOM kills named (sv-oom.c), the summary line, --report
 *   JSON, --timeline SVG (report.c); the status line meanwhile (sv-status.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gate/ledger.h"
#include "gate/protocol.h"
#include "gate/statedir.h"
#include "probe/memory.h"
#include "probe/proc.h"
#include "supervise/buildcg.h"
#include "supervise/watch.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "cli/cli.h"
#include "cli/supervise.h"
#include "cli/sv-freezer.h"
#include "cli/sv-guard.h"
#include "cli/sv-jobs.h"
#include "cli/sv-memory.h"
#include "cli/sv-oom.h"
#include "cli/sv-status.h"

#define TICK_FAST_NS (100ull * 1000 * 1000)
#define TICK_GROWTH_NS (40ull * 1000 * 1000) /* while admitted jobs grow: their curves */
#define IDLE_LOOK_NS (1000ull * 1000 * 1000)  /* a full look while the whole build waits */
#define TICK_SLOW_NS (250ull * 1000 * 1000)

/* The command the build runs. */
struct sv_child {
        pid_t pid;
        bool done;
        int status;    /* its wait status, once done */
        bool stopping; /* a signal came or the command is over: resume, freeze no more */
        int forwarded; /* the signal passed to the build, 0 if none */
};

struct sv {
        struct cli *cli;
        struct sv_child child;
        struct sv_memory mem;  /* cgroups, figures, pressure */
        struct sv_tree tree;   /* processes, jobs, freezing */
        struct ms_watch watch; /* the gate's ledger */
        struct sv_ooms ooms;
        struct sv_status status;
        struct sv_holdfile hold;
        struct sv_report rep;
        uint64_t idle_since_ns; /* the whole build waits in the gate since, 0: not */
};

/* --- one tick -------------------------------------------------------------- */

static void reap(struct sv *s)
{
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid == s->child.pid) {
                        s->child.done = true;
                        s->child.status = status;
                        continue;
                }
                /* An orphan of the build, reparented to us (subreaper). */
                sv_ooms_reaped(&s->ooms, pid, status);
                sv_joblog_reaped(&s->rep.jobs, pid, status); /* its job's exit status */
        }
}

static void scan(struct sv *s, uint64_t now)
{
        sv_tree_scan(&s->tree, &s->rep, now);
        sv_ooms_note(&s->ooms, &s->tree.procs, now);
}

/* The build's memory as the report sees it: peak, limit, OOM kills. */
static void account(struct sv *s, const struct sv_figures *f, uint64_t now)
{
        if (f->ok) {
                if (f->used > s->rep.peak)
                        s->rep.peak = f->used;
                s->rep.limit = f->limit;
                sv_ooms_count(&s->ooms, &s->rep, f->oom_kills, now);
        }
        sv_ooms_name(&s->ooms, &s->rep, now);
        sv_ooms_prune(&s->ooms, now);
}

/* One look at the build; returns when to look again (ns). */
static uint64_t tick(struct sv *s)
{
        uint64_t now = ms_monotonic_ns();
        struct sv_figures f;
        struct sv_counts c, shown;
        unsigned growing;
        bool watched, alert;

        reap(s);
        scan(s, now);
        /* The growth curves are as fine as the looks: often while admitted
         * jobs grow, every fast tick while there are admitted jobs. */
        watched = ms_watch_observe(&s->watch, &s->tree.procs, now, &growing) > 0;
        sv_memory_read(&s->mem, &s->tree.procs, &f);
        sv_memory_pressure(&s->mem, now, &s->rep);
        c.held = s->tree.held = ms_watch_count(&s->watch, &s->tree.procs, &s->tree.jobs);
        ms_jobs_note_running(&s->tree.jobs, now);
        account(s, &f, now);
        sv_tree_step(&s->tree, &s->watch, &f, s->mem.psi.frac, s->child.stopping || s->child.done, &s->rep, now);

        c.running = s->tree.jobs.running;
        c.frozen = s->tree.jobs.frozen;
        sv_report_look(&s->rep, &s->tree.jobs, &s->tree.procs, (now - s->status.t0_ns) / 1000000, &shown);
        sv_status_tick(&s->status, &s->rep, &f, &shown, s->mem.psi.frac, s->child.done, now);
        if (!ms_watch_build_waits(&s->watch, &s->tree.procs, s->tree.leaves, c.held, c.frozen))
                s->idle_since_ns = 0;
        else if (!s->idle_since_ns)
                s->idle_since_ns = now;
        alert = watched || c.frozen > 0 || sv_tree_short(&s->tree, &f);
        return growing ? TICK_GROWTH_NS : alert ? TICK_FAST_NS : TICK_SLOW_NS;
}

/* --- signals ---------------------------------------------------------------- */

static void forward(struct sv *s, const struct signalfd_siginfo *si)
{
        int sig = (int)si->ssi_signo;
        pid_t pgid;

        s->child.stopping = true;
        sv_tree_resume_all(&s->tree, &s->watch, &s->rep, ms_monotonic_ns());
        if (s->child.done)
                return;
        pgid = getpgid(s->child.pid);
        /* The terminal sent it to our whole process group, the build's included. */
        if (si->ssi_code == SI_KERNEL && pgid == getpgrp())
                return;
        if (pgid == s->child.pid) {
                kill(-s->child.pid, sig);
        } else {
                /* As the terminal would: to every process of the build, not
                 * to make alone (make waits for its jobs to get it too). */
                kill(s->child.pid, sig);
                scan(s, ms_monotonic_ns());
                for (size_t i = 0; i < s->tree.procs.n; i++)
                        if (s->tree.procs.p[i].info.pid != s->child.pid)
                                kill(s->tree.procs.p[i].info.pid, sig);
        }
        s->child.forwarded = sig;
}

/* SIGCHLD and the signals to forward come through a signalfd; crashes of
 * ours resume what we stopped. Returns the signalfd (-1: none). */
static int catch_signals(sigset_t *oldmask)
{
        sigset_t mask;

        /* Orphans of the build become ours: the tree stays whole, nothing escapes the sweep. */
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, oldmask);
        sv_guard_install();
        return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* --- setup, the child, the loop, the end ------------------------------------ */

/* The queue the build's processes join: that of the cgroup whose limit binds them. */
static void open_ledger(struct sv *s, const struct ms_sample *first)
{
        char dir[PATH_MAX], name[64];
        struct ms_proc_stat st;
        int dirfd;

        if (ms_statedir_path(getenv("XDG_RUNTIME_DIR"), getuid(), dir, sizeof(dir)) < 0)
                return;
        dirfd = ms_statedir_open(dir, getuid());
        if (dirfd < 0)
                return;
        ms_ledger_name(first ? ms_sample_scope(first) : NULL, name, sizeof(name));
        if (ms_proc_stat_read(MS_ROOT_HOST, 0, &st) < 0)
                st.starttime = 0;
        (void)ms_watch_open(&s->watch, dirfd, name, s->tree.self, st.starttime);
        close(dirfd);
}

/* Everything up to starting the command. Returns 0 or an exit status. */
static int setup(struct sv *s)
{
        struct cli *cli = s->cli;
        struct ms_sample first;
        bool sampled;
        int r;

        r = cli_log_open(cli);
        if (r != 0)
                return r;
        if (sv_tree_init(&s->tree, getpid(), !cli->no_freeze, cli) < 0) {
                cli_error("%s", strerror(ENOMEM));
                return EXIT_INTERNAL;
        }
        if (sv_memory_open(&s->mem, cli) < 0)
                return EXIT_INTERNAL;
        r = cli_prepare_env(cli);
        if (r != 0)
                return r;
        sv_memory_setup(&s->mem, cli, s->tree.self, &s->rep);
        sv_freezer_open(&s->tree, s->mem.has_build ? &s->mem.build : NULL);
        cli_export_hint(cli, s->mem.has_build ? &s->mem.build : &s->mem.own);
        /* What memstops killed with their guardians left, then ours. */
        (void)sv_holdfile_reap(NULL, ms_pidns_self(), geteuid(), cli_pid_alive, NULL);
        if (sv_holdfile_make(&s->hold) == 0)
                (void)setenv(MS_ENV_REPORT, s->hold.path, 1);
        sv_status_start(&s->status, cli);
        /* Nothing stays stopped, nor the screen taken, nor the temporary
         * directory left behind us, kill -9 included: the guardian. */
        if (sv_guard_start(s->hold.dir, s->status.line) < 0)
                cli_verbose(cli, 1, "no guardian: jobs frozen when memstop is killed stay stopped");
        /* Jobs that outlive their predictions get frozen: the gate may count on time. */
        if (s->tree.freeze) {
                char pid[MS_SUPERVISOR_BUF];
                if (ms_supervisor_format(s->tree.self, pid, sizeof(pid)) == 0)
                        (void)setenv(MS_ENV_SUPERVISOR, pid, 1);
        } else {
                (void)unsetenv(MS_ENV_SUPERVISOR);
        }
        sampled = ms_sample_read(s->mem.rootfd, &s->mem.own, &first) == 0;
        sv_tree_set_level(&s->tree, cli, sampled ? &first : NULL);
        open_ledger(s, sampled ? &first : NULL);
        return 0;
}

/* Returns 0 when it runs, 1 when it could not be run (it said why), or -errno. */
static int start_child(struct sv *s, char **argv, const sigset_t *oldmask)
{
        int pfd[2], err = 0;
        ssize_t n;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        s->child.pid = fork();
        if (s->child.pid < 0) {
                int r = -errno;
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (s->child.pid == 0) {
                close(pfd[0]);
                sigprocmask(SIG_SETMASK, oldmask, NULL);
                if (s->mem.has_build)
                        (void)ms_build_cgroup_enter(MS_ROOT_HOST, &s->mem.build, 0);
                execvp(argv[0], argv);
                err = errno;
                cli_error("%s: %s", argv[0], strerror(err));
                (void)!write(pfd[1], &err, sizeof(err));
                _exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
        }
        s->tree.child = s->child.pid;
        close(pfd[1]);
        do
                n = read(pfd[0], &err, sizeof(err));
        while (n < 0 && errno == EINTR);
        close(pfd[0]);
        return n == (ssize_t)sizeof(err) ? 1 : 0;
}

static void watch_until_done(struct sv *s, int sfd)
{
        uint64_t next = tick(s);

        while (!s->child.done) {
                struct pollfd pfd = { .fd = sfd, .events = POLLIN };
                int r = poll(&pfd, 1, sfd >= 0 ? (int)(next / 1000000) : -1);

                if (r > 0) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                                if (si.ssi_signo != SIGCHLD)
                                        forward(s, &si);
                }
                /* While the whole build waits in the gate, a glance at its
                 * slots replaces walking the tree, but for one look a second. */
                if (r == 0 && ms_watch_still_waiting(&s->watch) && ms_monotonic_ns() < s->idle_since_ns + IDLE_LOOK_NS) {
                        next = TICK_FAST_NS;
                        continue;
                }
                s->idle_since_ns = 0;
                next = tick(s);
        }
}

static int exit_status_of(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return EXIT_INTERNAL;
}

/* The command is over: nothing stays stopped behind us; a last look for the
 * OOM count and names, then the sweep and the report. */
static void finish(struct sv *s)
{
        s->child.stopping = true;
        sv_tree_resume_all(&s->tree, &s->watch, &s->rep, ms_monotonic_ns());
        s->rep.wall_ns = ms_monotonic_ns() - s->status.t0_ns;
        tick(s);
        sv_ooms_name(&s->ooms, &s->rep, UINT64_MAX);
        sv_guard_resume_all();
        reap(s);
        sv_status_clear(&s->status);
        sv_memory_remove_cgroup(&s->mem);

        s->rep.exit_status = exit_status_of(s->child.status);
        s->rep.term_signal = WIFSIGNALED(s->child.status) ? WTERMSIG(s->child.status) : 0;
        s->rep.forwarded = s->child.forwarded;
        sv_holdfile_read(&s->hold, &s->rep);
        sv_memory_peak(&s->mem, &s->rep);
        if (sv_report_finish(&s->rep, s->cli) < 0 && s->rep.exit_status == 0) /* a report not written fails */
                s->rep.exit_status = EXIT_INTERNAL;
}

int cli_supervise(struct cli *cli, char **argv)
{
        struct sv s = { .cli = cli, .mem.rootfd = MS_ROOT_HOST, .rep.argv = argv };
        sigset_t oldmask;
        int sfd = -1, status, r;

        status = setup(&s);
        if (status != 0)
                goto out;
        sfd = catch_signals(&oldmask);
        s.status.t0_ns = ms_monotonic_ns();
        r = start_child(&s, argv, &oldmask);
        if (r > 0) {
                /* It could not be run: it said why; no report of a build that never was. */
                waitpid(s.child.pid, &status, 0);
                status = exit_status_of(status);
                goto out;
        }
        if (r < 0) {
                cli_error("cannot start %s: %s", argv[0], strerror(-r));
                status = EXIT_INTERNAL;
                goto out;
        }
        s.rep.started = true;
        watch_until_done(&s, sfd);
        finish(&s);
        status = s.rep.exit_status;
out:
        sv_memory_close(&s.mem);
        sv_holdfile_remove(&s.hold);
        sv_guard_done();
        ms_watch_close(&s.watch);
        sv_tree_free(&s.tree);
        sv_ooms_free(&s.ooms);
        sv_report_free(&s.rep);
        if (sfd >= 0)
                close(sfd);
        return status;
}
