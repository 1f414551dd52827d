/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `memstop -- BUILD` stays the build's parent and watches its memory:
 *
 * - in a memory cgroup of its own (buildcg.h) where the hierarchy allows,
 *   else through the process tree; memstop is the child subreaper, so every
 *   process of the build stays below it;
 * - every tick (40 ms while jobs admitted by the gate grow, 100 ms when
 *   memory is short, jobs are frozen or the gate has admitted jobs of the
 *   build, else 250 ms) it walks the tree, groups processes into jobs (a job is a child
 *   of a build driver or of the command, with its whole subtree), and lets
 *   freeze.h decide which job to stop (SIGSTOP of the subtree) or resume;
 *   it notes the RSS of the gate's admitted processes in the ledger, for
 *   the growth curves they learn (curve.h);
 * - SIGINT, SIGTERM, SIGHUP: frozen jobs are resumed, then the signal is
 *   passed to the build: to the command's process group if it has its own,
 *   else to the command and every process below it, as a terminal does to
 *   its foreground group (unless the terminal already did: si_code
 *   SI_KERNEL); a frozen job is resumed on every way out, crashes of
 *   memstop included (atexit and fatal-signal handlers);
 * - at the end: the summary line, --report JSON, --timeline SVG.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gate/protocol.h"
#include "supervise/buildcg.h"
#include "probe/cgroup.h"
#include "cli/cli.h"
#include "util/fileio.h"
#include "supervise/freeze.h"
#include "gate/ledger.h"
#include "util/macro.h"
#include "probe/memory.h"
#include "supervise/proctree.h"
#include "probe/proc.h"
#include "probe/psi.h"
#include "gate/queue.h"
#include "util/size.h"
#include "gate/statedir.h"
#include "cli/supervise.h"

#define MAX_PROCS 4096
#define TICK_FAST_NS (100ull * 1000 * 1000)
#define TICK_GROWTH_NS (40ull * 1000 * 1000) /* while admitted jobs grow: their curves */
#define IDLE_LOOK_NS (1000ull * 1000 * 1000)  /* a full look while the whole build waits */
#define TICK_SLOW_NS (250ull * 1000 * 1000)
#define STATUS_EVERY_NS (250ull * 1000 * 1000)
#define POINT_EVERY_NS (200ull * 1000 * 1000)
#define OOM_WINDOW_NS (3000ull * 1000 * 1000)
#define STALL_FRACTION 0.10 /* of time fully stalled: the build stalls */
#define CALM_FRACTION 0.02

/* --- what must be resumed on every way out ---------------------------------- */

/* Every pid we stopped and not yet continued; read by signal handlers. */
static volatile pid_t stopped[MAX_PROCS];
static volatile size_t n_stopped;

static void stopped_add(pid_t pid)
{
        for (size_t i = 0; i < n_stopped; i++)
                if (stopped[i] == pid)
                        return;
        if (n_stopped < MAX_PROCS)
                stopped[n_stopped++] = pid;
}

static void stopped_del(pid_t pid)
{
        for (size_t i = 0; i < n_stopped; i++)
                if (stopped[i] == pid) {
                        stopped[i] = stopped[--n_stopped];
                        return;
                }
}

/* Async-signal-safe: SIGCONT to everything we stopped. */
static void resume_everything(void)
{
        for (size_t i = 0; i < n_stopped; i++)
                kill(stopped[i], SIGCONT);
        n_stopped = 0;
}

static void on_fatal(int sig)
{
        resume_everything();
        signal(sig, SIG_DFL);
        raise(sig);
}

/* --- processes and jobs ---------------------------------------------------- */

struct proc {
        struct ms_proc_info info;
        int job; /* index into sv.jobs, -1 if none */
};

/* Seen processes, for their command line after they are gone (OOM names). */
struct known {
        pid_t pid;
        uint64_t start;
        uint64_t rss;       /* the largest seen */
        uint64_t gone_ns;   /* 0 while alive */
        bool sigkilled;     /* reaped by us, died of SIGKILL */
        bool named;         /* reported as OOM-killed */
        char cmd[256];
};

struct job {
        pid_t pid;      /* the job's root */
        uint64_t start;
        uint64_t rss, prev_rss;
        uint64_t prev_ns;
        int64_t rate;
        bool frozen;
        uint64_t frozen_ns;
        bool seen;
        unsigned procs, held; /* processes, and those waiting in the gate */
        uint64_t peak;        /* predicted peaks of its admitted processes, summed */
};

struct sv {
        const struct cli *cli;
        int rootfd;       /* the figures' root (--sysroot) */
        pid_t self, child;
        bool child_done;
        int child_status;
        bool stopping;
        int forwarded;
        uint64_t t0;

        struct ms_cgroup own, build;
        bool has_build;
        struct ms_freeze_params fp;
        bool freeze;

        struct proc *procs;
        size_t n_procs;
        struct known *known;
        size_t n_known, cap_known;
        struct job *jobs;
        size_t n_jobs, cap_jobs;
        unsigned running, frozen;

        uint64_t last_freeze_ns, last_resume_ns;
        uint64_t prev_psi_total, prev_psi_ns;
        double psi_frac;
        bool has_psi;
        char psi_path[PATH_MAX + 32];

        struct ms_ledger ledger;
        bool has_ledger;
        bool holding;            /* our hold entry is in the ledger (jobs frozen) */
        uint64_t self_starttime;
        unsigned held;
        /* The whole build waits in the gate: these slots (index, pid) are
         * watched instead of the tree until one of them changes. */
        unsigned waiting_slot[64];
        pid_t waiting_pid[64];
        unsigned n_waiting; /* 0: not idle */
        uint64_t idle_since_ns;

        uint64_t oom_base, oom_pending, oom_seen_ns;
        uint64_t last_point_ns, last_status_ns;
        bool status_line;
        size_t status_len;

        char tmpdir[PATH_MAX];
        char holdfile[PATH_MAX + 16];
        struct sv_report rep;
};

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_proc_pid(const void *a, const void *b)
{
        pid_t x = ((const struct proc *)a)->info.pid, y = ((const struct proc *)b)->info.pid;

        return (x > y) - (x < y);
}

static struct proc *proc_find(struct sv *s, pid_t pid)
{
        struct proc key = { .info.pid = pid };

        return bsearch(&key, s->procs, s->n_procs, sizeof(*s->procs), cmp_proc_pid);
}

static struct known *known_find(struct sv *s, pid_t pid, uint64_t start)
{
        for (size_t i = 0; i < s->n_known; i++)
                if (s->known[i].pid == pid && (start == UINT64_MAX || s->known[i].start == start) &&
                    (start != UINT64_MAX || !s->known[i].gone_ns))
                        return &s->known[i];
        return NULL;
}

static struct known *known_add(struct sv *s, const struct ms_proc_info *pi)
{
        struct known *k;

        if (s->n_known == s->cap_known) {
                size_t cap = s->cap_known ? s->cap_known * 2 : 256;
                struct known *n = realloc(s->known, cap * sizeof(*n));
                if (!n)
                        return NULL;
                s->known = n;
                s->cap_known = cap;
        }
        k = &s->known[s->n_known++];
        *k = (struct known){ .pid = pi->pid, .start = pi->starttime };
        if (ms_proc_cmdline_read(MS_ROOT_HOST, pi->pid, k->cmd, sizeof(k->cmd)) < 0 || !k->cmd[0])
                snprintf(k->cmd, sizeof(k->cmd), "%s", pi->comm);
        return k;
}

/* Forget processes gone long ago (their OOM window is over). */
static void known_prune(struct sv *s, uint64_t now)
{
        size_t j = 0;

        for (size_t i = 0; i < s->n_known; i++)
                if (!s->known[i].gone_ns || now < s->known[i].gone_ns + 2 * OOM_WINDOW_NS)
                        s->known[j++] = s->known[i];
        s->n_known = j;
}

/* Processes that start jobs rather than being one. */
static bool structural(const struct sv *s, const struct proc *p)
{
        return p->info.pid == s->self || p->info.pid == s->child || ms_build_driver(p->info.comm);
}

static struct job *job_get(struct sv *s, pid_t pid, uint64_t start, uint64_t now)
{
        for (size_t i = 0; i < s->n_jobs; i++)
                if (s->jobs[i].pid == pid && s->jobs[i].start == start)
                        return &s->jobs[i];
        if (s->n_jobs == s->cap_jobs) {
                size_t cap = s->cap_jobs ? s->cap_jobs * 2 : 64;
                struct job *n = realloc(s->jobs, cap * sizeof(*n));
                if (!n)
                        return NULL;
                s->jobs = n;
                s->cap_jobs = cap;
        }
        s->jobs[s->n_jobs] = (struct job){ .pid = pid, .start = start, .prev_ns = now };
        return &s->jobs[s->n_jobs++];
}

static void signal_job(struct sv *s, size_t j, int sig)
{
        for (size_t i = 0; i < s->n_procs; i++) {
                if (s->procs[i].job != (int)j)
                        continue;
                kill(s->procs[i].info.pid, sig);
                if (sig == SIGSTOP)
                        stopped_add(s->procs[i].info.pid);
                else
                        stopped_del(s->procs[i].info.pid);
        }
}

/* Walk the tree, update known processes and jobs. */
static void scan(struct sv *s, uint64_t now)
{
        static pid_t pids[MAX_PROCS];
        int n = ms_proc_tree_read(MS_ROOT_HOST, s->self, pids, MAX_PROCS);
        size_t m = 0;

        for (int i = 1; i < n; i++) {
                struct proc *p = &s->procs[m];
                if (ms_proc_info_read(MS_ROOT_HOST, pids[i], &p->info) < 0)
                        continue;
                p->job = -1;
                m++;
        }
        s->n_procs = m;
        qsort(s->procs, m, sizeof(*s->procs), cmp_proc_pid);

        for (size_t i = 0; i < s->n_known; i++)
                if (!s->known[i].gone_ns && !proc_find(s, s->known[i].pid))
                        s->known[i].gone_ns = now;
        for (size_t i = 0; i < m; i++) {
                struct proc *p = &s->procs[i];
                struct known *k = known_find(s, p->info.pid, p->info.starttime);
                if (!k)
                        k = known_add(s, &p->info);
                if (k && p->info.state == 'Z' && !k->gone_ns)
                        k->gone_ns = now;
                if (k && p->info.rss > k->rss)
                        k->rss = p->info.rss;
        }

        for (size_t j = 0; j < s->n_jobs; j++) {
                s->jobs[j].seen = false;
                s->jobs[j].rss = 0;
                s->jobs[j].procs = s->jobs[j].held = 0;
                s->jobs[j].peak = 0;
        }
        for (size_t i = 0; i < m; i++) {
                struct proc *p = &s->procs[i], *q = p, *parent;
                struct job *job;

                if (structural(s, p) || p->info.state == 'Z')
                        continue;
                /* Up to the highest ancestor below a structural process. */
                while ((parent = proc_find(s, q->info.ppid)) && !structural(s, parent))
                        q = parent;
                job = job_get(s, q->info.pid, q->info.starttime, now);
                if (!job)
                        continue;
                p->job = (int)(job - s->jobs);
                job->seen = true;
                job->rss += p->info.rss;
                job->procs++;
        }

        /* Jobs that ended; rates of the others; frozen ones stay stopped. */
        s->running = s->frozen = 0;
        for (size_t j = 0; j < s->n_jobs;) {
                struct job *job = &s->jobs[j];
                if (!job->seen) {
                        if (job->frozen)
                                s->rep.frozen_ns += now - job->frozen_ns;
                        /* Its stopped pids are gone with it (or reused: nothing to continue). */
                        *job = s->jobs[--s->n_jobs];
                        for (size_t i = 0; i < m; i++)
                                if (s->procs[i].job == (int)s->n_jobs)
                                        s->procs[i].job = (int)j;
                        continue;
                }
                /* Rates over 90 ms at least: shorter ones are page-fault bursts. */
                if (now >= job->prev_ns + TICK_FAST_NS * 9 / 10) {
                        job->rate = ms_freeze_rate(job->rate, job->prev_rss, job->rss, now - job->prev_ns);
                        job->prev_rss = job->rss;
                        job->prev_ns = now;
                }
                if (job->frozen) {
                        s->frozen++;
                        for (size_t i = 0; i < m; i++)
                                if (s->procs[i].job == (int)j && s->procs[i].info.state != 'T' &&
                                    s->procs[i].info.state != 't') {
                                        /* Continued behind our back (the shell's fg), or new. */
                                        kill(s->procs[i].info.pid, SIGSTOP);
                                        stopped_add(s->procs[i].info.pid);
                                }
                } else {
                        s->running++;
                }
                j++;
        }
}

/* Processes of job j that are not shells waiting for their children: in
 * practice, a job is held when its youngest process is (sh -> held cc1). */
static unsigned running_procs(const struct sv *s, size_t j)
{
        unsigned n = 0;

        for (size_t i = 0; i < s->n_procs; i++) {
                const struct proc *p = &s->procs[i];
                bool leaf = true;
                if (p->job != (int)j)
                        continue;
                for (size_t k = 0; k < s->n_procs && leaf; k++)
                        if (s->procs[k].info.ppid == p->info.pid && s->procs[k].info.state != 'Z')
                                leaf = false;
                n += leaf;
        }
        return n;
}

/* -vv: say which job was frozen or resumed, and why, as the gate says why it holds. */
static void log_job(const struct sv *s, size_t j, const char *what, const char *why)
{
        char cmd[120], rss[MS_SIZE_BUF], rate[MS_SIZE_BUF];

        if (s->cli->verbose_flags < 2)
                return;
        if (ms_proc_cmdline_read(MS_ROOT_HOST, s->jobs[j].pid, cmd, sizeof(cmd)) < 0 || !cmd[0])
                snprintf(cmd, sizeof(cmd), "?");
        cli_error("%s job %d (%s): %s, growing %s/s; %s", what, (int)s->jobs[j].pid, cmd,
                  ms_size_format(s->jobs[j].rss, rss, sizeof(rss)),
                  ms_size_format(s->jobs[j].rate > 0 ? (uint64_t)s->jobs[j].rate : 0, rate, sizeof(rate)), why);
}

/* The process of ours an admitted slot belongs to, or NULL. Caller holds
 * the ledger's lock. */
static struct proc *admitted_proc(struct sv *s, const struct ms_slot *slot)
{
        struct proc *p;

        if (!ms_slot_admitted(slot))
                return NULL;
        p = proc_find(s, slot->pid);
        return p && p->info.starttime == slot->starttime ? p : NULL;
}

/* Frozen time is not the job's own: its admitted processes' slots say when
 * it stopped and how long it stood, so that their curves leave it out. */
static void pause_slots(struct sv *s, size_t j, uint64_t now, bool stop)
{
        if (!s->has_ledger || ms_ledger_lock(&s->ledger) < 0)
                return;
        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                struct ms_slot *slot = &s->ledger.map->slot[i];
                struct proc *p = admitted_proc(s, slot);
                if (p && p->job == (int)j)
                        ms_ledger_pause(slot, now, stop);
        }
        ms_ledger_unlock(&s->ledger);
}

static void freeze_job(struct sv *s, size_t j, uint64_t now)
{
        log_job(s, j, "froze", "memory is about to run short");
        pause_slots(s, j, now, true);
        s->jobs[j].frozen = true;
        s->jobs[j].frozen_ns = now;
        signal_job(s, j, SIGSTOP);
        s->rep.freezes++;
        s->last_freeze_ns = now;
        s->frozen++;
        s->running--;
        if (s->frozen > s->rep.max_frozen)
                s->rep.max_frozen = s->frozen;
}

static void resume_job(struct sv *s, size_t j, uint64_t now)
{
        log_job(s, j, "resumed", "memory is back");
        signal_job(s, j, SIGCONT);
        pause_slots(s, j, now, false);
        s->jobs[j].frozen = false;
        s->rep.frozen_ns += now - s->jobs[j].frozen_ns;
        s->rep.resumes++;
        s->last_resume_ns = now;
        s->frozen--;
        s->running++;
}

/*
 * While jobs are frozen, the gate admits nothing new: the frozen ones would
 * grow into the memory a newcomer takes. The hold is an entry of ours in the
 * ledger, so it vanishes with us if we die.
 */
static void sync_hold(struct sv *s)
{
        struct ms_proc_stat st;

        if (!s->has_ledger || (s->frozen > 0) == s->holding)
                return;
        if (!s->self_starttime && ms_proc_stat_read(MS_ROOT_HOST, 0, &st) == 0)
                s->self_starttime = st.starttime;
        if (s->frozen > 0)
                s->holding = ms_queue_hold(&s->ledger, s->self, s->self_starttime) == 0;
        else {
                ms_queue_unhold(&s->ledger, s->self, s->self_starttime);
                s->holding = false;
        }
}

/* Resume every frozen job (the build is stopping or over). */
static void resume_all(struct sv *s, uint64_t now)
{
        for (size_t j = 0; j < s->n_jobs; j++)
                if (s->jobs[j].frozen)
                        resume_job(s, j, now);
        resume_everything();
        sync_hold(s);
}

/* --- memory, pressure, the queue ------------------------------------------- */

struct figures {
        uint64_t available, used, limit, oom_kills;
        bool ok;
};

static void read_figures(struct sv *s, struct figures *f)
{
        struct ms_sample own, build;

        *f = (struct figures){ .limit = MS_UNLIMITED };
        if (ms_sample_read(s->rootfd, &s->own, &own) < 0)
                return;
        f->ok = true;
        f->available = own.available;
        f->limit = own.total;
        if (s->has_build && ms_sample_read(s->rootfd, &s->build, &build) == 0) {
                if (build.available < f->available)
                        f->available = build.available;
                f->used = build.cgroup.usage > build.cgroup.inactive_file ?
                                  build.cgroup.usage - build.cgroup.inactive_file : 0;
                f->oom_kills = build.cgroup.oom_kills;
        } else {
                for (size_t i = 0; i < s->n_procs; i++)
                        f->used += s->procs[i].info.rss;
                f->oom_kills = own.has_cgroup ? own.cgroup.oom_kills : 0;
        }
}

static void read_pressure(struct sv *s, uint64_t now)
{
        struct ms_psi psi;
        double frac;

        if (!s->has_psi || ms_psi_read(s->rootfd, s->psi_path, &psi) < 0 || !psi.has_full) {
                s->has_psi = false;
                return;
        }
        if (s->prev_psi_ns && now > s->prev_psi_ns && psi.full.total >= s->prev_psi_total) {
                frac = (double)(psi.full.total - s->prev_psi_total) * 1000.0 / (double)(now - s->prev_psi_ns);
                if (frac > 1.0)
                        frac = 1.0;
                s->psi_frac = s->psi_frac / 2 + frac / 2;
                if (s->psi_frac * 100 > s->rep.psi_full_max)
                        s->rep.psi_full_max = s->psi_frac * 100;
        }
        s->prev_psi_total = psi.full.total;
        s->prev_psi_ns = now;
}

/* The queue the build's processes join: that of the cgroup whose limit binds them. */
static void open_ledger(struct sv *s, const struct ms_sample *first)
{
        char dir[PATH_MAX], name[64];
        int dirfd;

        if (ms_statedir_path(getenv("XDG_RUNTIME_DIR"), getuid(), dir, sizeof(dir)) < 0)
                return;
        dirfd = ms_statedir_open(dir, getuid());
        if (dirfd < 0)
                return;
        ms_ledger_name(first ? ms_sample_scope(first) : NULL, name, sizeof(name));
        s->has_ledger = ms_ledger_open(dirfd, name, &s->ledger) == 0;
        close(dirfd);
}

/* Note the RSS of our admitted processes in their ledger slots: the
 * growth curves they record at exit are made of these looks (curve.h).
 * Returns how many there are; *growing how many grew since the last look. */
static unsigned observe_ledger(struct sv *s, uint64_t now, unsigned *growing)
{
        unsigned n = 0;

        *growing = 0;

        if (!s->has_ledger || ms_ledger_lock(&s->ledger) < 0)
                return 0;
        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                struct ms_slot *slot = &s->ledger.map->slot[i];
                struct proc *p = admitted_proc(s, slot);
                if (!p)
                        continue;
                *growing += ms_ledger_observe(slot, p->info.rss, now);
                n++;
        }
        ms_ledger_unlock(&s->ledger);
        return n;
}

/*
 * Whether the whole build waits in the gate: every process of the tree
 * without children is a waiter of ours (and nothing is frozen). Nothing can
 * grow then until one of them is admitted or dies; their slots are noted,
 * for still_waiting().
 */
static bool build_waits(struct sv *s)
{
        unsigned leaves = 0, n = 0;

        s->n_waiting = 0;
        if (!s->has_ledger || s->frozen || s->held == 0 || s->held > MS_ARRAY_SIZE(s->waiting_slot))
                return false;
        for (size_t i = 0; i < s->n_procs; i++) {
                bool leaf = true;
                for (size_t k = 0; k < s->n_procs && leaf; k++)
                        if (s->procs[k].info.ppid == s->procs[i].info.pid && s->procs[k].info.state != 'Z')
                                leaf = false;
                leaves += leaf;
        }
        if (leaves != s->held)
                return false;
        for (unsigned i = 0; i < MS_LEDGER_SLOTS && n < MS_ARRAY_SIZE(s->waiting_slot); i++) {
                const struct ms_slot *slot = &s->ledger.map->slot[i];
                if (__atomic_load_n(&slot->state, __ATOMIC_RELAXED) == MS_SLOT_WAITING && proc_find(s, slot->pid)) {
                        s->waiting_slot[n] = i;
                        s->waiting_pid[n++] = slot->pid;
                }
        }
        s->n_waiting = n == s->held ? n : 0;
        return s->n_waiting > 0;
}

/* Whether every slot build_waits() noted still waits (read without the lock:
 * a change shows at the next look). */
static bool still_waiting(const struct sv *s)
{
        for (unsigned i = 0; i < s->n_waiting; i++) {
                const struct ms_slot *slot = &s->ledger.map->slot[s->waiting_slot[i]];
                if (__atomic_load_n(&slot->state, __ATOMIC_RELAXED) != MS_SLOT_WAITING ||
                    slot->pid != s->waiting_pid[i])
                        return false;
        }
        return s->n_waiting > 0;
}

/* Processes of ours waiting in the queue (read without the lock: a count
 * for display). */
static unsigned count_held(struct sv *s)
{
        unsigned held = 0;

        if (!s->has_ledger)
                return 0;
        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                const struct ms_slot *slot = &s->ledger.map->slot[i];
                struct proc *p;
                uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_RELAXED);
                if ((state != MS_SLOT_WAITING && state != MS_SLOT_ADMITTED && state != MS_SLOT_GRANTED) ||
                    !(p = proc_find(s, slot->pid)))
                        continue;
                if (state != MS_SLOT_WAITING) {
                        /* Admitted: growth up to its predicted peak is reserved, not a surprise. */
                        if (p->job >= 0)
                                s->jobs[p->job].peak += slot->predicted;
                        continue;
                }
                held++;
                if (p->job >= 0)
                        s->jobs[p->job].held++;
        }
        return held;
}

/* Name the processes the OOM killer took: gone while the count rose, the
 * largest first (the killer's choice), those we reaped dead of SIGKILL
 * before all. */
static void attribute_ooms(struct sv *s, uint64_t now)
{
        while (s->oom_pending > 0) {
                struct known *best = NULL, unknown = { .pid = 0 };
                for (size_t i = 0; i < s->n_known; i++) {
                        struct known *k = &s->known[i];
                        if (!k->gone_ns || k->named || k->gone_ns + OOM_WINDOW_NS < s->oom_seen_ns)
                                continue;
                        if (!best || (k->sigkilled && !best->sigkilled) ||
                            (k->sigkilled == best->sigkilled && k->rss > best->rss))
                                best = k;
                }
                if (!best) {
                        /* Not gone yet: wait, but not forever. */
                        if (now < s->oom_seen_ns + OOM_WINDOW_NS)
                                return;
                        best = &unknown;
                        snprintf(best->cmd, sizeof(best->cmd), "an unidentified process");
                }
                best->named = true;
                struct sv_oom *n = realloc(s->rep.ooms, (s->rep.n_ooms + 1) * sizeof(*n));
                if (n) {
                        s->rep.ooms = n;
                        n[s->rep.n_ooms].pid = best->pid;
                        snprintf(n[s->rep.n_ooms].cmd, sizeof(n[0].cmd), "%s", best->cmd);
                        s->rep.n_ooms++;
                }
                s->oom_pending--;
        }
}

/* --- the status line ------------------------------------------------------- */

static void status_draw(struct sv *s, const struct figures *f)
{
        char text[160], line[200];
        int n;

        sv_status_format(s->running, s->held, s->frozen, f->used, f->limit, s->psi_frac * 100, text, sizeof(text));
        n = snprintf(line, sizeof(line), "\r%s\033[K", text);
        if (n > 0)
                (void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        s->status_len = 1;
}

static void status_clear(struct sv *s)
{
        if (s->status_len)
                (void)!write(STDERR_FILENO, "\r\033[K", 4);
        s->status_len = 0;
}

/* --- one tick -------------------------------------------------------------- */

static void reap(struct sv *s)
{
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid == s->child) {
                        s->child_done = true;
                        s->child_status = status;
                        continue;
                }
                /* An orphan of the build, reparented to us (subreaper). */
                struct known *k = known_find(s, pid, UINT64_MAX);
                if (k && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                        k->sigkilled = true;
        }
}

/* One look at the build; returns when to look again (ns). */
static uint64_t tick(struct sv *s)
{
        uint64_t now = now_ns();
        struct figures f;
        struct ms_freeze_action act[64];
        size_t n;
        bool alert;

        reap(s);
        scan(s, now);
        /* The growth curves are as fine as the looks: often while admitted
         * jobs grow, every fast tick while there are admitted jobs. */
        unsigned growing;
        bool watched = observe_ledger(s, now, &growing) > 0;
        read_figures(s, &f);
        read_pressure(s, now);
        s->held = count_held(s);

        if (f.ok) {
                if (f.used > s->rep.peak)
                        s->rep.peak = f.used;
                s->rep.limit = f.limit;
                if (f.oom_kills > s->oom_base + s->rep.oom_kills) {
                        uint64_t d = f.oom_kills - s->oom_base - s->rep.oom_kills;
                        s->rep.oom_kills += d;
                        s->oom_pending += d;
                        s->oom_seen_ns = now;
                }
        }
        attribute_ooms(s, now);
        known_prune(s, now);

        if (s->freeze || s->frozen) {
                static struct ms_job_view v[MAX_PROCS];
                struct ms_freeze_input in = {
                        .now_ns = now,
                        .available = f.ok ? f.available : UINT64_MAX,
                        .stalling = s->psi_frac >= STALL_FRACTION && f.available < 4 * s->fp.freeze_below,
                        .calm = s->psi_frac < CALM_FRACTION,
                        .stopping = s->stopping || s->child_done || !s->freeze || !f.ok,
                        .last_freeze_ns = s->last_freeze_ns,
                        .last_resume_ns = s->last_resume_ns,
                };
                for (size_t j = 0; j < s->n_jobs && j < MAX_PROCS; j++)
                        v[j] = (struct ms_job_view){ .start = s->jobs[j].start, .rss = s->jobs[j].rss,
                                                     .rate = s->jobs[j].rate, .frozen = s->jobs[j].frozen,
                                                     /* Every process of it that runs is waiting in the gate. */
                                                     .held = s->jobs[j].held > 0 &&
                                                             s->jobs[j].held >= running_procs(s, j),
                                                     .peak = s->jobs[j].peak };
                n = ms_freeze_decide(&s->fp, &in, v, s->n_jobs < MAX_PROCS ? s->n_jobs : MAX_PROCS, act, MS_ARRAY_SIZE(act));
                for (size_t i = 0; i < n; i++) {
                        if (act[i].verb == MS_FREEZE_STOP)
                                freeze_job(s, act[i].job, now);
                        else
                                resume_job(s, act[i].job, now);
                }
        }
        sync_hold(s);

        if (now >= s->last_point_ns + POINT_EVERY_NS && f.ok) {
                struct sv_point p = { .t_ms = (now - s->t0) / 1000000, .used = f.used, .limit = f.limit,
                                      .running = (uint16_t)s->running, .held = (uint16_t)s->held,
                                      .frozen = (uint16_t)s->frozen };
                (void)sv_points_add(&s->rep, &p);
                s->last_point_ns = now;
        }
        if (s->status_line && now >= s->last_status_ns + STATUS_EVERY_NS && !s->child_done) {
                status_draw(s, &f);
                s->last_status_ns = now;
        }
        if (!build_waits(s))
                s->idle_since_ns = 0;
        else if (!s->idle_since_ns)
                s->idle_since_ns = now;
        alert = watched || s->frozen > 0 || (f.ok && f.available < 4 * s->fp.freeze_below);
        return growing ? TICK_GROWTH_NS : alert ? TICK_FAST_NS : TICK_SLOW_NS;
}

/* --- signals ---------------------------------------------------------------- */

static void forward(struct sv *s, const struct signalfd_siginfo *si)
{
        int sig = (int)si->ssi_signo;
        pid_t pgid;

        s->stopping = true;
        resume_all(s, now_ns());
        if (s->child_done)
                return;
        pgid = getpgid(s->child);
        /* The terminal sent it to our whole process group, the build's included. */
        if (si->ssi_code == SI_KERNEL && pgid == getpgrp())
                return;
        if (pgid == s->child) {
                kill(-s->child, sig);
        } else {
                /* As the terminal would: to every process of the build, not
                 * to make alone (make waits for its jobs to get it too). */
                kill(s->child, sig);
                scan(s, now_ns());
                for (size_t i = 0; i < s->n_procs; i++)
                        if (s->procs[i].info.pid != s->child)
                                kill(s->procs[i].info.pid, sig);
        }
        s->forwarded = sig;
}

/* --- setup and the end ------------------------------------------------------ */

static void read_holds(struct sv *s)
{
        char line[256];
        FILE *f = fopen(s->holdfile, "re");

        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                struct ms_hold_line h;
                uint64_t us;
                if (ms_hold_line_parse(line, &h) < 0)
                        continue;
                us = h.held_usec;
                s->rep.gated++;
                s->rep.hold_total_us += us;
                if (us > s->rep.hold_max_us || s->rep.gated == 1) {
                        s->rep.hold_max_us = us;
                        snprintf(s->rep.hold_max_program, sizeof(s->rep.hold_max_program), "%s", h.program);
                }
        }
        fclose(f);
}

static int make_holdfile(struct sv *s)
{
        const char *tmp = getenv("TMPDIR");
        int fd;

        snprintf(s->tmpdir, sizeof(s->tmpdir), "%s/memstop-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (!mkdtemp(s->tmpdir)) {
                s->tmpdir[0] = '\0';
                return -errno;
        }
        snprintf(s->holdfile, sizeof(s->holdfile), "%s/held", s->tmpdir);
        fd = open(s->holdfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

static void remove_holdfile(struct sv *s)
{
        if (!s->tmpdir[0])
                return;
        unlink(s->holdfile);
        rmdir(s->tmpdir);
        s->tmpdir[0] = '\0';
}

static void setup_cgroup(struct sv *s)
{
        int r;

        s->rep.watch = "process tree";
        if (ms_cgroup_locate(s->rootfd, &s->own) < 0)
                memset(&s->own, 0, sizeof(s->own));
        /* A fake root is for reading figures: the build's cgroup is real. */
        if (s->cli->config.sysroot || s->own.version == MS_CGROUP_NONE)
                return;
        /*
         * Under a limit, the build's processes would judge their memory by the
         * child's usage against the ancestors' limit, blind to what the rest of
         * our cgroup uses: keep them where they are and watch the tree. (Once
         * libmemstop reads the usage of the cgroup whose limit binds, this goes.)
         */
        struct ms_sample own;
        if (ms_sample_read(MS_ROOT_HOST, &s->own, &own) < 0 ||
            (own.has_cgroup && own.cgroup.limit != MS_UNLIMITED && own.cgroup.limit < own.host.total)) {
                if (s->cli->verbose_flags)
                        cli_error("memory cgroup /%s has a limit: watching the build's process tree", s->own.dir);
                return;
        }
        r = ms_build_cgroup_create(MS_ROOT_HOST, &s->own, s->self, &s->build);
        if (r == -EEXIST) {
                /* Left by an earlier memstop with our pid: empty, or not ours to take. */
                struct ms_cgroup stale;
                char abs[PATH_MAX + 2];
                if (ms_build_cgroup_name(&s->own, s->self, &stale) == 0 &&
                    (size_t)snprintf(abs, sizeof(abs), "/%s", stale.dir) < sizeof(abs) && rmdir(abs) == 0)
                        r = ms_build_cgroup_create(MS_ROOT_HOST, &s->own, s->self, &s->build);
        }
        if (r < 0) {
                if (s->cli->verbose_flags)
                        cli_error("no memory cgroup for the build (%s): watching the process tree", strerror(-r));
                return;
        }
        s->has_build = true;
        s->rep.watch = s->build.version == MS_CGROUP_V2 ? "cgroup v2" : "cgroup v1";
        snprintf(s->rep.cgroup, sizeof(s->rep.cgroup), "/%s", s->build.dir);
        /* Its counters start at 0, but a reused directory may not. */
        struct ms_cgroup_mem m;
        if (ms_cgroup_read(MS_ROOT_HOST, &s->build, &m) == 0)
                s->oom_base = m.oom_kills;
}

static void remove_cgroup(struct sv *s)
{
        int r = -EBUSY;

        if (!s->has_build)
                return;
        for (int i = 0; i < 40 && r == -EBUSY; i++) {
                r = ms_build_cgroup_remove(MS_ROOT_HOST, &s->build, &s->own);
                if (r == -EBUSY)
                        usleep(25000);
        }
        if (r < 0)
                cli_error("cannot remove the build's cgroup /%s: %s", s->build.dir, strerror(-r));
        s->has_build = false;
}

/* The peak the kernel recorded, which a sampler may miss. */
static void read_peak(struct sv *s)
{
        char p[PATH_MAX + 32];
        uint64_t v;

        if (!s->has_build)
                return;
        snprintf(p, sizeof(p), "%s/%s", s->build.dir,
                 s->build.version == MS_CGROUP_V2 ? "memory.peak" : "memory.max_usage_in_bytes");
        if (ms_read_u64_at(MS_ROOT_HOST, p, &v) == 0 && v > s->rep.peak)
                s->rep.peak = v;
}

static void export_hint(struct sv *s)
{
        struct ms_sample smp;
        char hint[PATH_MAX + 64];
        const struct ms_cgroup *cg = s->has_build ? &s->build : &s->own;

        if (s->cli->config.sysroot)
                return;
        if (ms_sample_read(MS_ROOT_HOST, cg, &smp) == 0 &&
            ms_cgroup_hint_format(cg, smp.has_cgroup ? smp.cgroup.limit : MS_UNLIMITED, hint, sizeof(hint)) == 0)
                setenv(MS_ENV_CGROUP, hint, 1);
}

static int start_child(struct sv *s, char **argv, const sigset_t *oldmask)
{
        int pfd[2], err = 0;
        ssize_t n;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        s->child = fork();
        if (s->child < 0) {
                int r = -errno;
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (s->child == 0) {
                close(pfd[0]);
                sigprocmask(SIG_SETMASK, oldmask, NULL);
                if (s->has_build)
                        (void)ms_build_cgroup_enter(MS_ROOT_HOST, &s->build, 0);
                execvp(argv[0], argv);
                err = errno;
                cli_error("%s: %s", argv[0], strerror(err));
                (void)!write(pfd[1], &err, sizeof(err));
                _exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
        }
        close(pfd[1]);
        do
                n = read(pfd[0], &err, sizeof(err));
        while (n < 0 && errno == EINTR);
        close(pfd[0]);
        return n == (ssize_t)sizeof(err) ? 1 : 0;
}

static void finish_report(struct sv *s)
{
        const struct cli *c = s->cli;
        char line[512];

        read_holds(s);
        read_peak(s);
        if (c->report && sv_write_file(c->report, sv_report_json_write, &s->rep) < 0)
                cli_error("cannot write the report %s: %s", c->report, strerror(errno));
        if (c->timeline && sv_write_file(c->timeline, sv_report_svg_write, &s->rep) < 0)
                cli_error("cannot write the timeline %s: %s", c->timeline, strerror(errno));
        if (c->quiet)
                return;
        for (size_t i = 0; i < s->rep.n_ooms; i++)
                cli_error("job %d (%s) was OOM-killed", (int)s->rep.ooms[i].pid, s->rep.ooms[i].cmd);
        /* On a terminal, always; in logs, when jobs were frozen or killed (holds
         * alone are the gate's business: -v tells of them). */
        if (s->status_line || s->rep.freezes || s->rep.oom_kills) {
                sv_summary_format(&s->rep, line, sizeof(line));
                cli_error("%s", line);
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

int cli_supervise(struct cli *cli, char **argv)
{
        static struct proc procs[MAX_PROCS];
        struct sv s = { .cli = cli, .rootfd = MS_ROOT_HOST };
        sigset_t mask, oldmask;
        _cleanup_close_ int sfd = -1;
        struct ms_sample first;
        int r, status;
        const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };

        s.procs = procs;
        s.rep.argv = argv;
        s.self = getpid();
        s.freeze = !cli->no_freeze;
        s.status_line = !cli->quiet && isatty(STDERR_FILENO);
        if (cli_root(cli, &s.rootfd) < 0)
                return EXIT_INTERNAL;

        r = cli_prepare_env(cli);
        if (r != 0)
                return r;
        setup_cgroup(&s);
        export_hint(&s);
        if (make_holdfile(&s) == 0)
                (void)setenv(MS_ENV_REPORT, s.holdfile, 1);
        /* Jobs that outlive their predictions get frozen: the gate may count on time. */
        if (s.freeze) {
                char pid[24];
                snprintf(pid, sizeof(pid), "%d", (int)s.self);
                (void)setenv(MS_ENV_SUPERVISOR, pid, 1);
        } else {
                (void)unsetenv(MS_ENV_SUPERVISOR);
        }

        /* The critical level: half the gate's threshold, at least 64 MiB, or the option's. */
        bool sampled = ms_sample_read(s.rootfd, &s.own, &first) == 0;
        if (sampled)
                ms_freeze_params_default(&s.fp, ms_config_required(&cli->config, first.total));
        else
                ms_freeze_params_default(&s.fp, 0);
        if (cli->freeze_below_bytes) {
                s.fp.freeze_below = cli->freeze_below_bytes;
                s.fp.resume_above = 2 * cli->freeze_below_bytes + (64ull << 20);
        }
        if (s.has_build && s.build.version == MS_CGROUP_V2)
                snprintf(s.psi_path, sizeof(s.psi_path), "%s/memory.pressure", s.build.dir);
        else
                snprintf(s.psi_path, sizeof(s.psi_path), "proc/pressure/memory");
        s.has_psi = true;
        open_ledger(&s, sampled ? &first : NULL);

        /* Orphans of the build become ours: the tree stays whole, nothing escapes the sweep. */
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, &oldmask);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        for (size_t i = 0; i < MS_ARRAY_SIZE(fatal); i++)
                signal(fatal[i], on_fatal);
        atexit(resume_everything);

        s.t0 = now_ns();
        r = start_child(&s, argv, &oldmask);
        if (r != 0) {
                status = 0;
                if (r > 0) {
                        /* It could not be run: it said why; no report of a build that never was. */
                        waitpid(s.child, &status, 0);
                } else {
                        cli_error("cannot start %s: %s", argv[0], strerror(-r));
                        status = EXIT_INTERNAL << 8;
                }
                remove_cgroup(&s);
                remove_holdfile(&s);
                return exit_status_of(status);
        }
        s.rep.started = true;

        uint64_t next = tick(&s);
        while (!s.child_done) {
                struct pollfd pfd = { .fd = sfd, .events = POLLIN };
                int timeout = (int)(next / 1000000);

                r = poll(&pfd, 1, sfd >= 0 ? timeout : -1);
                if (r > 0) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                                if (si.ssi_signo != SIGCHLD)
                                        forward(&s, &si);
                }
                /* While the whole build waits in the gate, a glance at its
                 * slots replaces walking the tree, but for one look a second. */
                if (r == 0 && still_waiting(&s) && now_ns() < s.idle_since_ns + IDLE_LOOK_NS) {
                        next = TICK_FAST_NS;
                        continue;
                }
                s.idle_since_ns = 0;
                next = tick(&s);
        }

        /* The command is over: nothing stays stopped behind us. */
        s.stopping = true;
        resume_all(&s, now_ns());
        s.rep.wall_ns = now_ns() - s.t0;
        /* A last look for the OOM count and names, then the sweep. */
        tick(&s);
        s.oom_seen_ns = 0;
        attribute_ooms(&s, UINT64_MAX);
        resume_everything();
        reap(&s);
        status_clear(&s);
        remove_cgroup(&s);

        s.rep.exit_status = exit_status_of(s.child_status);
        s.rep.term_signal = WIFSIGNALED(s.child_status) ? WTERMSIG(s.child_status) : 0;
        s.rep.forwarded = s.forwarded;
        finish_report(&s);
        remove_holdfile(&s);
        if (s.has_ledger)
                ms_ledger_close(&s.ledger);
        free(s.known);
        free(s.jobs);
        free(s.rep.ooms);
        free(s.rep.points);
        if (s.rootfd >= 0)
                close(s.rootfd);
        return s.rep.exit_status;
}
