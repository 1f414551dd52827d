/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop-lockd: keep the code of make, the compilers and the linkers in
 * memory, so that a build near its memory limit fails fast instead of
 * thrashing on its own code. See memstop-lockd(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockd/budget.h"
#include "lockd/caps.h"
#include "lockd/conf.h"
#include "lockd/libpath.h"
#include "probe/lockdstate.h"
#include "lockd/lockset.h"
#include "util/log.h"
#include "util/macro.h"
#include "probe/meminfo.h"
#include "ms-build.h"
#include "lockd/notify.h"
#include "lockd/proactive.h"
#include "lockd/procscan.h"
#include "probe/psi.h"
#include "util/fileio.h"
#include "lockd/report.h"
#include "util/size.h"
#include "lockd/clock.h"
#include "lockd/watch.h"

#define PROGRAM "memstop-lockd"
#define MAINTENANCE_USEC (60ull * 1000000) /* re-check files, refresh the state file */
#define EXIT_NOT_RUNNING 3                  /* LSB: program is not running */

enum level { L_ERR, L_WARN, L_INFO, L_DEBUG, L_TRACE };

struct options {
        const char *config;
        bool config_given;
        char **overrides;
        size_t noverrides;
        bool dry_run, status, foreground;
        unsigned verbose;
        const char *state_root;
};

struct daemon {
        struct options opt;
        struct lockd_conf conf;
        int logfd;
        int rootfd;       /* "/" for proc/meminfo, proc/pressure */
        int state_rootfd; /* below which run/memstop-lockd/state lives */
        struct lockd_set set;
        struct lockd_scanner scanner;
        bool scanner_ok;
        struct lockd_list libdirs;
        struct lockd_watch watch;
        int sigfd, timerfd, psifd;
        uint64_t mem_total, budget;
        uint64_t started;    /* unix seconds */
        uint64_t now;        /* monotonic usec of the current step */
        bool need_plan, state_dirty;
        bool lock_while_searching; /* not in --dry-run */
        size_t skipped;
        size_t *sortbuf;
        struct lockd_budget_item *items;
        size_t items_cap;
        uint64_t last_maintenance, last_report, last_state;
        pid_t report_child;
        uint64_t report_deadline;
        unsigned scan_errors_logged;
};

static void logmsg(struct daemon *d, enum level l, const char *fmt, ...) MS_PRINTF(3, 4);

static void logmsg(struct daemon *d, enum level l, const char *fmt, ...)
{
        static const char *const prefix[] = { "error: ", "warning: ", "", "", "" };
        char line[1024];
        unsigned verbose = d->conf.verbose > d->opt.verbose ? d->conf.verbose : d->opt.verbose;
        va_list ap;

        if ((l == L_DEBUG && verbose < 1) || (l == L_TRACE && verbose < 2))
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        ms_log(d->logfd, "%s%s", prefix[l], line);
}

static const char *fmt_size(uint64_t b, char *buf)
{
        return ms_size_format(b, buf, MS_SIZE_BUF);
}

/* ---- configuration ---- */

static void conf_error(const char *file, unsigned line, const char *msg, void *userdata)
{
        struct daemon *d = userdata;

        if (line)
                ms_log(d->logfd, "%s:%u: %s", file, line, msg);
        else
                ms_log(d->logfd, "%s: %s", file, msg);
}

/* Load file and overrides into c. Returns 0 or the number of errors / -errno. */
static int load_conf(struct daemon *d, struct lockd_conf *c)
{
        int r, bad = 0;

        r = lockd_conf_init(c);
        if (r < 0)
                return r;
        r = lockd_conf_load(c, d->opt.config, !d->opt.config_given, conf_error, d);
        if (r < 0) {
                lockd_conf_free(c);
                return r;
        }
        bad += r;
        for (size_t i = 0; i < d->opt.noverrides; i++)
                if (lockd_conf_override(c, d->opt.overrides[i], conf_error, d) < 0)
                        bad++;
        if (bad) {
                lockd_conf_free(c);
                return bad;
        }
        return 0;
}

/* ---- the lock set ---- */

static void watch_file(struct daemon *d, size_t i)
{
        int r = lockd_watch_file_dir(&d->watch, "", d->set.files[i].path);

        if (r < 0 && r != -ENOENT)
                logmsg(d, L_DEBUG, "cannot watch the directory of %s: %s", d->set.files[i].path, strerror(-r));
}

static void found_proactive(const char *path, void *userdata)
{
        struct daemon *d = userdata;
        long i = lockd_set_add(&d->set, path, true, 0);
        struct lockd_file *f;

        if (i < 0) {
                logmsg(d, L_DEBUG, "%s: %s", path, strerror((int)-i));
                return;
        }
        d->need_plan = true;
        /* Files come in priority order: lock each at once while it fits, so
         * that the first tools (GCC) are held before the search is over. The
         * plan that follows has the last word (and the same result when
         * everything fits). */
        f = &d->set.files[i];
        if (!d->lock_while_searching || f->locked)
                return;
        if ((d->conf.max_file_size && f->bytes > d->conf.max_file_size) || f->bytes > d->budget - d->set.locked_bytes)
                return;
        if (lockd_set_lock(&d->set, (size_t)i, d->budget - d->set.locked_bytes) == 0) {
                watch_file(d, (size_t)i);
                d->state_dirty = true;
                logmsg(d, L_DEBUG, "locked %s (%s) in %" PRIu64 " ms", f->path,
                       ms_size_format(f->bytes, (char[MS_SIZE_BUF]){}, MS_SIZE_BUF), f->locked_usec / 1000);
        }
}

static int proactive(struct daemon *d)
{
        uint64_t start = lockd_now_usec();
        int n;

        if (!d->conf.proactive)
                return 0;
        n = lockd_proactive_find("", &d->conf, &d->libdirs, found_proactive, d);
        if (n < 0) {
                logmsg(d, L_ERR, "start-up search: %s", strerror(-n));
                return n;
        }
        logmsg(d, L_DEBUG, "start-up search: %d files in %" PRIu64 " ms", n, (lockd_now_usec() - start) / 1000);
        return 0;
}

static int ensure_scratch(struct daemon *d)
{
        if (d->items_cap >= d->set.n)
                return 0;
        {
                size_t cap = d->set.n * 2;
                struct lockd_budget_item *items = realloc(d->items, cap * sizeof(*items));
                size_t *sortbuf;

                if (!items)
                        return -ENOMEM;
                d->items = items;
                sortbuf = realloc(d->sortbuf, cap * sizeof(*sortbuf));
                if (!sortbuf)
                        return -ENOMEM;
                d->sortbuf = sortbuf;
                d->items_cap = cap;
        }
        return 0;
}

/* Decide what to hold, release what is no longer chosen, then lock in priority order. */
static void plan(struct daemon *d, bool dry_run)
{
        struct lockd_budget_result res;
        uint64_t start = lockd_now_usec();
        size_t newly = 0, released = 0;
        uint64_t newly_bytes = 0, released_bytes = 0;
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF];

        d->need_plan = false;
        if (ensure_scratch(d) < 0) {
                logmsg(d, L_ERR, "out of memory planning the budget");
                return;
        }
        for (size_t i = 0; i < d->set.n; i++) {
                const struct lockd_file *f = &d->set.files[i];
                d->items[i] = (struct lockd_budget_item){
                        .bytes = f->bytes,
                        .last_used = f->last_used,
                        .order = f->order,
                        .pinned = f->pinned,
                        .failed = f->error != 0 && f->error != -EFBIG,
                };
        }
        lockd_budget_plan(d->items, d->set.n, d->budget, d->conf.max_file_size, d->now ? d->now : lockd_now_usec(),
                          d->conf.release_after_usec, d->sortbuf, &res);
        d->skipped = res.skipped;
        if (dry_run) {
                for (size_t i = 0; i < d->set.n; i++)
                        d->set.files[i].verdict = d->items[i].verdict;
                return;
        }
        for (size_t i = 0; i < d->set.n; i++) {
                struct lockd_file *f = &d->set.files[i];
                enum lockd_verdict v = d->items[i].verdict;

                if (v != LOCKD_KEEP && f->locked) {
                        lockd_set_unlock(&d->set, i);
                        d->state_dirty = true;
                        released++;
                        released_bytes += f->bytes;
                        /* Files that go unused are news; budget swaps only in detail. */
                        logmsg(d, v == LOCKD_SKIP_OVER_BUDGET ? L_DEBUG : L_INFO, "released %s (%s): %s", f->path,
                               fmt_size(f->bytes, a), lockd_verdict_name(v));
                } else if (v != LOCKD_KEEP && v != f->verdict && v != LOCKD_SKIP_UNUSED) {
                        logmsg(d, L_INFO, "skipped %s (%s): %s", f->path, fmt_size(f->bytes, a), lockd_verdict_name(v));
                }
        }
        for (size_t k = 0; k < d->set.n; k++) {
                size_t i = d->sortbuf[k];
                struct lockd_file *f = &d->set.files[i];
                enum lockd_verdict v = d->items[i].verdict;
                int r;

                if (v == LOCKD_KEEP && !f->locked) {
                        r = lockd_set_lock(&d->set, i, d->budget - d->set.locked_bytes);
                        if (r < 0) {
                                v = LOCKD_SKIP_ERROR;
                                logmsg(d, L_WARN, "cannot lock %s: %s", f->path, strerror(-r));
                                d->skipped++;
                        } else {
                                newly++;
                                newly_bytes += f->bytes;
                                d->state_dirty = true;
                                watch_file(d, i);
                                logmsg(d, L_DEBUG, "locked %s (%s) in %" PRIu64 " ms", f->path, fmt_size(f->bytes, a),
                                       f->locked_usec / 1000);
                        }
                }
                f->verdict = v;
        }
        if (newly || released) {
                char c[MS_SIZE_BUF], e[MS_SIZE_BUF];

                logmsg(d, L_INFO,
                       "locked %zu files (%s) in %" PRIu64 " ms, released %zu (%s); holding %zu files, %s of %s; %zu skipped",
                       newly, fmt_size(newly_bytes, a), (lockd_now_usec() - start) / 1000, released,
                       fmt_size(released_bytes, e), d->set.locked_files, fmt_size(d->set.locked_bytes, b),
                       fmt_size(d->budget, c), d->skipped);
        }
}

/* ---- scanning ---- */

static bool scan_match(const char *name, void *userdata)
{
        struct daemon *d = userdata;

        return lockd_patterns_match(&d->conf.programs, name) >= 0;
}

static long scan_file(const char *path, void *userdata)
{
        struct daemon *d = userdata;
        long i;

        if (!lockd_path_allowed(&d->conf.allowed_paths, path))
                return -1;
        i = lockd_set_find(&d->set, path);
        if (i >= 0)
                return i;
        i = lockd_set_add(&d->set, path, false, d->now);
        if (i >= 0) {
                d->need_plan = true;
                logmsg(d, L_DEBUG, "in use by a build: %s", path);
        }
        return i;
}

static void scan_use(uint32_t id, void *userdata)
{
        struct daemon *d = userdata;
        struct lockd_file *f = &d->set.files[id];

        lockd_set_touch(&d->set, id, d->now);
        if (!f->locked && f->verdict != LOCKD_SKIP_TOO_BIG && f->verdict != LOCKD_SKIP_ERROR)
                d->need_plan = true;
}

static const struct lockd_scan_ops scan_ops = {
        .match = scan_match,
        .file = scan_file,
        .use = scan_use,
};

static void scan(struct daemon *d)
{
        uint64_t cpu = lockd_thread_cpu_usec();
        const struct lockd_scan_stats *st = &d->scanner.last;
        int r;

        if (!d->scanner_ok)
                return;
        d->now = lockd_now_usec();
        r = lockd_scan(&d->scanner);
        if (r < 0) {
                if (d->scan_errors_logged++ < 3)
                        logmsg(d, L_WARN, "cannot list /proc: %s", strerror(-r));
                return;
        }
        logmsg(d, L_TRACE,
               "scan: %u processes, %u matched, %u stat reads, %u maps reads, %u vanished, %u errors, %" PRIu64
               " us CPU",
               st->processes, st->matched, st->stat_reads, st->maps_reads, st->vanished, st->errors,
               lockd_thread_cpu_usec() - cpu);
        if (st->errors && d->scan_errors_logged++ < 3)
                logmsg(d, L_WARN, "scan: %u unexpected read errors in /proc", st->errors);
}

/* ---- state ---- */

static void write_state(struct daemon *d)
{
        struct ms_lockd_state st = {
                .pid = getpid(),
                .started = d->started,
                .updated = (uint64_t)time(NULL),
                .locked_bytes = d->set.locked_bytes,
                .locked_files = d->set.locked_files,
                .budget_bytes = d->budget,
                .skipped_files = d->skipped,
        };
        int r = ms_lockd_state_write(d->state_rootfd, &st);

        if (r < 0)
                logmsg(d, L_WARN, "cannot write %s: %s", MS_LOCKD_STATE_PATH, strerror(-r));
        d->state_dirty = false;
        d->last_state = d->now;
}

/* ---- file changes ---- */

static void file_changed(const char *path, void *userdata)
{
        struct daemon *d = userdata;
        long i = lockd_set_find(&d->set, path);
        enum lockd_change c;

        if (i < 0)
                return;
        c = lockd_set_check(&d->set, (size_t)i);
        if (c == LOCKD_REPLACED) {
                logmsg(d, L_INFO, "%s was replaced on disk: released the old file, locking the new one", path);
                d->need_plan = true;
                d->state_dirty = true;
        } else if (c == LOCKD_GONE) {
                logmsg(d, L_INFO, "%s was removed: released", path);
                d->need_plan = true;
                d->state_dirty = true;
        }
}

static void check_all(struct daemon *d)
{
        for (size_t i = 0; i < d->set.n; i++)
                if (d->set.files[i].locked || d->set.files[i].error == -ENOENT)
                        file_changed(d->set.files[i].path, d);
}

/* ---- budget ---- */

static int compute_budget(struct daemon *d)
{
        struct ms_meminfo mi;
        int r = ms_meminfo_read(d->rootfd, &mi);

        if (r < 0) {
                logmsg(d, L_ERR, "cannot read /proc/meminfo: %s", strerror(-r));
                return r;
        }
        d->mem_total = mi.total;
        d->budget = lockd_conf_budget(&d->conf, mi.total);
        return 0;
}

/* ---- low-memory report ---- */

static void report_line(const char *line, void *userdata)
{
        logmsg(userdata, L_INFO, "low memory:   %s", line);
}

static void run_report_command(struct daemon *d, const struct ms_meminfo *mi, const struct ms_psi *psi)
{
        char avail[32], avg[32];
        pid_t pid;

        if (!d->conf.report_command || d->report_child > 0)
                return;
        snprintf(avail, sizeof(avail), "%" PRIu64, mi ? mi->available : 0);
        snprintf(avg, sizeof(avg), "%.2f", psi ? psi->some.avg10 : 0.0);
        pid = fork();
        if (pid < 0) {
                logmsg(d, L_WARN, "cannot run report_command: %s", strerror(errno));
                return;
        }
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                setpgid(0, 0);
                setenv("MEMSTOP_AVAILABLE", avail, 1);
                setenv("MEMSTOP_PSI_SOME_AVG10", avg, 1);
                execl("/bin/sh", "sh", "-c", d->conf.report_command, (char *)NULL);
                _exit(127);
        }
        setpgid(pid, pid);
        d->report_child = pid;
        d->report_deadline = lockd_now_usec() + d->conf.report_timeout_usec;
        logmsg(d, L_INFO, "low memory: running report_command (pid %d)", (int)pid);
}

static void low_memory_report(struct daemon *d)
{
        struct ms_meminfo mi;
        struct ms_psi psi;
        bool have_mi, have_psi;
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF];

        d->now = lockd_now_usec();
        if (d->last_report && d->now - d->last_report < d->conf.report_interval_usec)
                return; /* rate-limited */
        d->last_report = d->now;
        have_mi = ms_meminfo_read(d->rootfd, &mi) == 0;
        have_psi = ms_psi_read(d->rootfd, "proc/pressure/memory", &psi) == 0;
        if (have_mi)
                logmsg(d, L_INFO, "low memory: available %s of %s (%.1f%%)", fmt_size(mi.available, a),
                       fmt_size(mi.total, b), mi.total ? 100.0 * (double)mi.available / (double)mi.total : 0.0);
        if (have_psi)
                logmsg(d, L_INFO,
                       "low memory: PSI some avg10=%.2f avg60=%.2f avg300=%.2f; full avg10=%.2f avg60=%.2f avg300=%.2f",
                       psi.some.avg10, psi.some.avg60, psi.some.avg300, psi.full.avg10, psi.full.avg60,
                       psi.full.avg300);
        logmsg(d, L_INFO, "low memory: top %u processes by RSS (pid RSS cgroup: command line):",
               d->conf.report_processes);
        lockd_report_top("/proc", d->conf.report_processes, report_line, d);
        logmsg(d, L_INFO, "low memory: memstop-lockd holds %zu files, %s locked of a %s budget, %zu skipped",
               d->set.locked_files, fmt_size(d->set.locked_bytes, a), fmt_size(d->budget, b), d->skipped);
        run_report_command(d, have_mi ? &mi : NULL, have_psi ? &psi : NULL);
}

static void reap(struct daemon *d)
{
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid != d->report_child)
                        continue;
                d->report_child = 0;
                if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
                        logmsg(d, L_WARN, "report_command exited with status %d", WEXITSTATUS(status));
                else if (WIFSIGNALED(status))
                        logmsg(d, L_WARN, "report_command killed by signal %d", WTERMSIG(status));
        }
}

static void open_psi(struct daemon *d)
{
        if (d->psifd >= 0)
                d->psifd = ms_close(d->psifd);
        if (d->conf.psi_kind == LOCKD_PSI_OFF)
                return;
        d->psifd = lockd_psi_trigger_open("/proc/pressure/memory", d->conf.psi_kind, d->conf.psi_threshold_usec,
                                          d->conf.psi_window_usec);
        if (d->psifd < 0) {
                logmsg(d, L_WARN, "no low-memory report: cannot set a PSI trigger on /proc/pressure/memory: %s",
                       strerror(-d->psifd));
                d->psifd = -1;
        }
}

/* ---- reload ---- */

static void reload(struct daemon *d)
{
        struct lockd_conf c;
        bool psi_changed, mode_changed;
        char a[MS_SIZE_BUF];
        int r;

        lockd_notify("RELOADING=1");
        r = load_conf(d, &c);
        if (r != 0) {
                logmsg(d, L_ERR, "reload: %s; keeping the running configuration",
                       r < 0 ? strerror(-r) : "errors in the configuration");
                lockd_notify("READY=1");
                return;
        }
        psi_changed = c.psi_kind != d->conf.psi_kind || c.psi_threshold_usec != d->conf.psi_threshold_usec ||
                      c.psi_window_usec != d->conf.psi_window_usec;
        mode_changed = c.lock_mode != d->conf.lock_mode;
        if (c.user && (!d->conf.user || strcmp(c.user, d->conf.user) != 0))
                logmsg(d, L_WARN, "reload: a new user = takes effect at the next start");
        lockd_conf_free(&d->conf);
        d->conf = c;
        compute_budget(d);
        if (mode_changed) {
                lockd_set_clear(&d->set);
                lockd_set_init(&d->set, "", d->conf.lock_mode);
        }
        /* Forget what was found and seen: the new lists decide. */
        for (size_t i = 0; i < d->set.n; i++) {
                d->set.files[i].pinned = false;
                d->set.files[i].last_used = 0;
                if (d->set.files[i].error != -ENOENT)
                        d->set.files[i].error = 0; /* retry what failed */
        }
        lockd_scanner_reset(&d->scanner);
        proactive(d);
        scan(d);
        d->now = lockd_now_usec();
        plan(d, false);
        if (psi_changed)
                open_psi(d);
        write_state(d);
        logmsg(d, L_INFO, "reloaded %s: holding %zu files, %s", d->opt.config, d->set.locked_files,
               fmt_size(d->set.locked_bytes, a));
        lockd_notify("READY=1");
}

/* ---- setup ---- */

static int setup_timer(struct daemon *d)
{
        uint64_t usec = d->conf.scan_interval_usec ? d->conf.scan_interval_usec : MAINTENANCE_USEC;
        struct itimerspec its = {
                .it_interval = { (time_t)(usec / 1000000), (long)(usec % 1000000) * 1000 },
        };

        its.it_value = its.it_interval;
        if (timerfd_settime(d->timerfd, 0, &its, NULL) < 0)
                return -errno;
        return 0;
}

static void print_dry_run(struct daemon *d)
{
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF];
        uint64_t total = 0;
        size_t kept = 0;

        printf("budget %s = min(max_locked %s, %u%% of %s RAM); max_file_size %s; lock_mode %s\n",
               fmt_size(d->budget, a), d->conf.max_locked ? fmt_size(d->conf.max_locked, b) : "none",
               d->conf.max_locked_percent, fmt_size(d->mem_total, c),
               d->conf.max_file_size ? ms_size_format(d->conf.max_file_size, (char[MS_SIZE_BUF]){}, MS_SIZE_BUF)
                                     : "none",
               d->conf.lock_mode == LOCKD_LOCK_WHOLE ? "whole" : "segments");
        for (size_t k = 0; k < d->set.n; k++) {
                const struct lockd_file *f = &d->set.files[d->sortbuf[k]];
                bool keep = f->verdict == LOCKD_KEEP;

                printf("%-5s %8s  %s  (%s%s%s)\n", keep ? "lock" : "skip", fmt_size(f->bytes, a), f->path,
                       f->pinned ? "start-up" : "in use", keep ? "" : ": ", keep ? "" : lockd_verdict_name(f->verdict));
                if (keep) {
                        total += f->bytes;
                        kept++;
                }
        }
        printf("would lock %zu files, %s of a %s budget; %zu skipped\n", kept, fmt_size(total, a),
               fmt_size(d->budget, b), d->set.n - kept);
}

static int status(struct daemon *d)
{
        struct ms_lockd_state st;
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF], path[64], comm[64];
        bool alive;
        int r;

        r = ms_lockd_state_read(d->state_rootfd, &st);
        if (r == -ENOENT) {
                printf("memstop-lockd is not running (no state file)\n");
                return EXIT_NOT_RUNNING;
        }
        if (r < 0) {
                fprintf(stderr, "%s: cannot read the state file %s: %s\n", PROGRAM, MS_LOCKD_STATE_PATH,
                        strerror(-r));
                return EXIT_FAILURE;
        }
        snprintf(path, sizeof(path), "/proc/%d/comm", (int)st.pid);
        alive = ms_read_at(d->rootfd, path, comm, sizeof(comm), NULL) == 0 && strncmp(comm, PROGRAM, 13) == 0;
        if (!alive) {
                printf("memstop-lockd is not running (stale state file of pid %d)\n", (int)st.pid);
                return EXIT_NOT_RUNNING;
        }
        printf("memstop-lockd is running (pid %d) since %" PRIu64 "s, state updated %" PRIu64 "s ago\n",
               (int)st.pid, (uint64_t)time(NULL) - st.started, (uint64_t)time(NULL) - st.updated);
        printf("locked: %" PRIu64 " files, %s of a %s budget; %" PRIu64 " files skipped\n", st.locked_files,
               fmt_size(st.locked_bytes, a), fmt_size(st.budget_bytes, b), st.skipped_files);
        return EXIT_SUCCESS;
}

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: %s [OPTION]...\n"
                "Keep the code of make, the compilers and the linkers in memory.\n\n"
                "  -c, --config FILE       configuration file (default %s)\n"
                "  -o, --option KEY=VALUE  override one configuration key (repeatable)\n"
                "  -n, --dry-run           print what would be locked and the budget decisions, then exit\n"
                "  -s, --status            show what the running daemon holds, from its state file\n"
                "  -f, --foreground        log to standard error even if the configuration sets log\n"
                "  -v, --verbose           log more (twice: every scan)\n"
                "      --state-root DIR    keep the state file below DIR instead of /\n"
                "  -h, --help              show this help\n"
                "  -V, --version           show the version\n\n"
                "Signals: SIGHUP reloads the configuration, SIGTERM unlocks and exits.\n"
                "See memstop-lockd(8) and memstop-lockd.conf(5).\n",
                PROGRAM, MS_LOCKD_CONF);
}

static int parse_options(int argc, char **argv, struct options *o)
{
        enum { OPT_STATE_ROOT = 256 };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "option", required_argument, NULL, 'o' },
                { "dry-run", no_argument, NULL, 'n' },
                { "status", no_argument, NULL, 's' },
                { "foreground", no_argument, NULL, 'f' },
                { "verbose", no_argument, NULL, 'v' },
                { "state-root", required_argument, NULL, OPT_STATE_ROOT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        *o = (struct options){ .config = MS_LOCKD_CONF, .state_root = "/" };
        while ((c = getopt_long(argc, argv, "c:o:nsfvhV", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        o->config = optarg;
                        o->config_given = true;
                        break;
                case 'o': {
                        char **ov = realloc(o->overrides, (o->noverrides + 1) * sizeof(char *));
                        if (!ov)
                                return -ENOMEM;
                        o->overrides = ov;
                        o->overrides[o->noverrides++] = optarg;
                        break;
                }
                case 'n':
                        o->dry_run = true;
                        break;
                case 's':
                        o->status = true;
                        break;
                case 'f':
                        o->foreground = true;
                        break;
                case 'v':
                        o->verbose++;
                        break;
                case OPT_STATE_ROOT:
                        o->state_root = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_SUCCESS);
                case 'V':
                        printf("%s %s\n", PROGRAM, MS_VERSION);
                        exit(EXIT_SUCCESS);
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "%s: unexpected argument \"%s\"\n", PROGRAM, argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static int prepare_state_dir(struct daemon *d, bool switch_user, uid_t uid, gid_t gid)
{
        if (mkdirat(d->state_rootfd, "run", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(d->state_rootfd, "run/memstop-lockd", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (switch_user && fchownat(d->state_rootfd, "run/memstop-lockd", uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int setup_signals(struct daemon *d)
{
        sigset_t mask;

        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return d->sigfd < 0 ? -errno : 0;
}

/* Returns 1 to go on, 0 to stop. */
static int handle_signals(struct daemon *d)
{
        struct signalfd_siginfo si;

        while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                switch (si.ssi_signo) {
                case SIGHUP:
                        logmsg(d, L_INFO, "SIGHUP: reloading %s", d->opt.config);
                        reload(d);
                        break;
                case SIGTERM:
                case SIGINT:
                        logmsg(d, L_INFO, "%s: unlocking and exiting", strsignal((int)si.ssi_signo));
                        return 0;
                case SIGCHLD:
                        reap(d);
                        break;
                default:
                        break;
                }
        }
        return 1;
}

/* Plan again when a locked file has gone unused for release_after. */
static void check_release(struct daemon *d)
{
        for (size_t i = 0; i < d->set.n && !d->need_plan; i++) {
                const struct lockd_file *f = &d->set.files[i];
                if (f->locked && !f->pinned && f->last_used + d->conf.release_after_usec < d->now)
                        d->need_plan = true;
        }
}

static void maintenance(struct daemon *d)
{
        d->last_maintenance = d->now;
        check_all(d);
        compute_budget(d);
        d->need_plan = true; /* release_after */
}

static int run(struct daemon *d)
{
        for (;;) {
                struct pollfd p[4] = {
                        { .fd = d->sigfd, .events = POLLIN },
                        { .fd = d->timerfd, .events = POLLIN },
                        { .fd = d->watch.fd, .events = POLLIN },
                        { .fd = d->psifd, .events = POLLPRI },
                };
                int timeout = -1;

                if (d->report_child > 0) {
                        uint64_t now = lockd_now_usec();
                        timeout = now >= d->report_deadline ? 0 : (int)((d->report_deadline - now) / 1000 + 1);
                }
                if (poll(p, d->psifd >= 0 ? 4 : 3, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        logmsg(d, L_ERR, "poll: %s", strerror(errno));
                        return -errno;
                }
                d->now = lockd_now_usec();
                if (p[0].revents & POLLIN && !handle_signals(d))
                        return 0;
                if (p[1].revents & POLLIN) {
                        uint64_t ticks;
                        if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                                logmsg(d, L_WARN, "timer: %s", strerror(errno));
                        if (d->conf.scan_interval_usec)
                                scan(d);
                        if (d->conf.release_after_usec)
                                check_release(d);
                        if (d->now - d->last_maintenance >= MAINTENANCE_USEC)
                                maintenance(d);
                }
                if (p[2].revents & POLLIN)
                        lockd_watch_read(&d->watch, file_changed, d);
                if (d->psifd >= 0 && p[3].revents & POLLPRI)
                        low_memory_report(d);
                if (p[3].revents & (POLLERR | POLLNVAL) && d->psifd >= 0) {
                        logmsg(d, L_WARN, "PSI trigger failed; no more low-memory reports");
                        d->psifd = ms_close(d->psifd);
                }
                if (d->report_child > 0 && lockd_now_usec() >= d->report_deadline) {
                        logmsg(d, L_WARN, "report_command timed out: killing it");
                        kill(-d->report_child, SIGKILL);
                        d->report_deadline = UINT64_MAX;
                }
                if (d->need_plan)
                        plan(d, false);
                if (d->state_dirty || d->now - d->last_state >= MAINTENANCE_USEC) {
                        d->now = lockd_now_usec();
                        write_state(d);
                }
        }
}

static void daemon_free(struct daemon *d)
{
        lockd_set_clear(&d->set);
        if (d->scanner_ok)
                lockd_scanner_free(&d->scanner);
        lockd_watch_free(&d->watch);
        lockd_list_free(&d->libdirs);
        lockd_conf_free(&d->conf);
        free(d->items);
        free(d->sortbuf);
        free(d->opt.overrides);
        ms_close(d->sigfd);
        ms_close(d->timerfd);
        ms_close(d->psifd);
        ms_close(d->rootfd);
        ms_close(d->state_rootfd);
        if (d->logfd > STDERR_FILENO)
                close(d->logfd);
}

int main(int argc, char **argv)
{
        uint64_t t_start = lockd_now_usec();
        struct daemon d = { .logfd = STDERR_FILENO, .sigfd = -1, .timerfd = -1, .psifd = -1, .rootfd = -1,
                            .state_rootfd = -1, .watch = { .fd = -1 } };
        bool switch_user = false;
        uid_t uid = 0;
        gid_t gid = 0;
        const char *step;
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
        int r, ret = EXIT_FAILURE;

        if (parse_options(argc, argv, &d.opt) < 0)
                return EXIT_FAILURE;
        d.rootfd = ms_root_open("/");
        d.state_rootfd = ms_root_open(d.opt.state_root);
        if (d.rootfd < 0 || d.state_rootfd < 0) {
                fprintf(stderr, "%s: cannot open %s: %s\n", PROGRAM, d.rootfd < 0 ? "/" : d.opt.state_root,
                        strerror(-(d.rootfd < 0 ? d.rootfd : d.state_rootfd)));
                goto out;
        }
        if (d.opt.status) {
                ret = status(&d);
                goto out;
        }
        r = load_conf(&d, &d.conf);
        if (r != 0) {
                if (r > 0)
                        fprintf(stderr, "%s: %d error%s in the configuration\n", PROGRAM, r, r > 1 ? "s" : "");
                ret = EXIT_FAILURE;
                goto out;
        }
        if (d.conf.log && !d.opt.foreground && !d.opt.dry_run) {
                d.logfd = ms_log_open(d.conf.log, getpid());
                if (d.logfd < 0) {
                        fprintf(stderr, "%s: cannot open log %s: %s\n", PROGRAM, d.conf.log, strerror(-d.logfd));
                        d.logfd = STDERR_FILENO;
                        goto out;
                }
        }
        if (compute_budget(&d) < 0)
                goto out;
        lockd_set_init(&d.set, "", d.conf.lock_mode);
        if (lockd_libdirs_load("", &d.libdirs) < 0) {
                logmsg(&d, L_ERR, "out of memory");
                goto out;
        }
        r = lockd_scanner_init(&d.scanner, "/proc", &scan_ops, &d);
        if (r < 0)
                logmsg(&d, L_WARN, "cannot open /proc: %s; only the start-up search will be used", strerror(-r));
        d.scanner_ok = r == 0;

        if (d.opt.dry_run) {
                proactive(&d);
                scan(&d);
                d.now = lockd_now_usec();
                plan(&d, true);
                print_dry_run(&d);
                ret = EXIT_SUCCESS;
                goto out;
        }

        d.started = (uint64_t)time(NULL);
        if (lockd_caps_check() < 0) {
                logmsg(&d, L_ERR, "needs CAP_IPC_LOCK to lock files (run it as root)");
                goto out;
        }
        if (d.conf.user) {
                r = lockd_user_lookup(d.conf.user, &uid, &gid);
                if (r < 0) {
                        logmsg(&d, L_ERR, "user %s: %s", d.conf.user, r == -ENOENT ? "no such user" : strerror(-r));
                        goto out;
                }
                switch_user = true;
        }
        r = prepare_state_dir(&d, switch_user, uid, gid);
        if (r < 0) {
                logmsg(&d, L_ERR, "cannot create %s/run/memstop-lockd: %s", d.opt.state_root, strerror(-r));
                goto out;
        }
        open_psi(&d);
        r = lockd_caps_drop(switch_user, uid, gid, &step);
        if (r < 0) {
                logmsg(&d, L_ERR, "dropping privileges failed, %s: %s", step, strerror(-r));
                goto out;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0) {
                logmsg(&d, L_ERR, "mlockall: %s", strerror(errno));
                goto out;
        }
        if (setup_signals(&d) < 0 || lockd_watch_init(&d.watch) < 0) {
                logmsg(&d, L_ERR, "cannot set up signals or inotify: %s", strerror(errno));
                goto out;
        }
        d.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (d.timerfd < 0 || setup_timer(&d) < 0) {
                logmsg(&d, L_ERR, "cannot set up the scan timer: %s", strerror(errno));
                goto out;
        }

        logmsg(&d, L_INFO, "memstop-lockd %s: budget %s, max_file_size %s, keeping %s%s%s", MS_VERSION,
               fmt_size(d.budget, a), d.conf.max_file_size ? fmt_size(d.conf.max_file_size, b) : "none",
               lockd_caps_kept_text(), switch_user ? ", user " : "", switch_user ? d.conf.user : "");
        d.lock_while_searching = true;
        proactive(&d);
        d.now = lockd_now_usec();
        plan(&d, false);
        scan(&d);
        if (d.need_plan)
                plan(&d, false);
        logmsg(&d, L_INFO, "start-up: holding %zu files, %s of %s, in %" PRIu64 " ms; %zu skipped",
               d.set.locked_files, fmt_size(d.set.locked_bytes, a), fmt_size(d.budget, b),
               (lockd_now_usec() - t_start) / 1000, d.skipped);
        d.last_maintenance = d.now;
        /* The start-up search allocated and freed a lot (directory listings):
         * give it back, the rest of the heap is locked for good. */
        malloc_trim(0);
        write_state(&d);
        {
                char status_msg[128];
                snprintf(status_msg, sizeof(status_msg), "READY=1\nSTATUS=holding %zu files, %s",
                         d.set.locked_files, fmt_size(d.set.locked_bytes, a));
                lockd_notify(status_msg);
        }
        r = run(&d);
        lockd_notify("STOPPING=1");
        if (d.report_child > 0)
                kill(-d.report_child, SIGKILL);
        lockd_set_clear(&d.set);
        (void)unlinkat(d.state_rootfd, MS_LOCKD_STATE_PATH, 0);
        ret = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
        daemon_free(&d);
        return ret;
}
