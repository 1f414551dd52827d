/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The running daemon: configuration, scans, file changes, state, reload, the loop. */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "lockd/clock.h"
#include "lockd/daemon.h"
#include "lockd/notify.h"
#include "probe/lockdstate.h"
#include "probe/meminfo.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/parse.h"

bool lockd_stderr_is_journal(void)
{
        const char *js = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void emit(int fd, bool journal, enum level l, bool label, const char *text)
{
        static const char *const what[] = { "error: ", "warning: ", "", "", "" };
        static const int priority[] = { 3, 4, 6, 7, 7 };
        char clean[1024];
        size_t o = 0;

        /* Paths and command lines come from users: a newline in one must
         * not start a line of its own in the log. */
        for (const unsigned char *p = (const unsigned char *)text; *p && o + 5 < sizeof(clean); p++) {
                if (*p < 0x20 || *p == 0x7f)
                        o += (size_t)snprintf(clean + o, 5, "\\%03o", *p);
                else
                        clean[o++] = (char)*p;
        }
        clean[o] = '\0';
        if (journal)
                ms_log(fd, "<%d>%s: %s%s", priority[l], PROGRAM, label ? what[l] : "", clean);
        else
                ms_log(fd, "%s: %s%s", PROGRAM, label ? what[l] : "", clean);
}

void daemon_log(struct daemon *d, enum level l, const char *fmt, ...)
{
        char line[1024];
        unsigned verbose = d->conf.verbose > d->opt.verbose ? d->conf.verbose : d->opt.verbose;
        va_list ap;

        if ((l == L_DEBUG && verbose < 1) || (l == L_TRACE && verbose < 2))
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        emit(d->logfd, d->journal, l, true, line);
}

void lockd_error(const char *fmt, ...)
{
        char line[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        emit(STDERR_FILENO, lockd_stderr_is_journal(), L_ERR, false, line);
}

static void conf_error(const char *file, unsigned line, const char *msg, void *userdata)
{
        struct daemon *d = userdata;

        if (line)
                daemon_log(d, L_ERR, "%s:%u: %s", file, line, msg);
        else
                daemon_log(d, L_ERR, "%s: %s", file, msg);
}

/* Load file and overrides into c. Returns 0 or the number of errors / -errno. */
int daemon_load_conf(struct daemon *d, struct lockd_conf *c)
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
        if (!bad) {
                const char *reason;
                if (lockd_conf_check(c, &reason) < 0) {
                        daemon_log(d, L_ERR, "configuration: %s", reason);
                        bad++;
                }
        }
        if (bad) {
                lockd_conf_free(c);
                return bad;
        }
        return 0;
}

static bool scan_match(const char *name, void *userdata)
{
        struct daemon *d = userdata;

        return lockd_patterns_match(&d->conf.programs, name) >= 0;
}

static long scan_file(const char *path, const struct lockd_ident *ident, uid_t uid, void *userdata)
{
        struct daemon *d = userdata;
        size_t known = d->set.n;
        long i;

        if (!lockd_path_allowed(&d->conf.allowed_paths, path))
                return -1;
        i = lockd_set_add(&d->set, path, false, d->now, ident);
        if (i == -ENOSPC && d->full_logged++ < 3)
                daemon_log(d, L_WARN, "max_files (%u) reached: %s and further files are not looked at",
                           d->conf.max_files, path);
        else if (i == -ESTALE)
                daemon_log(d, L_DEBUG, "%s: another file than the one mapped (%u:%u inode %" PRIu64 "): ignored",
                           path, ident->major, ident->minor, ident->ino);
        if (i < 0)
                return -1;
        lockd_set_ref(&d->set, (size_t)i, uid);
        if (d->set.n > known) {
                d->need_plan = true;
                daemon_log(d, L_DEBUG, "in use by a build: %s", path);
        }
        return i;
}

static void scan_release(uint32_t id, void *userdata)
{
        struct daemon *d = userdata;

        if (id < d->set.n)
                lockd_set_unref(&d->set, id);
}

static void scan_use(uint32_t id, void *userdata)
{
        struct daemon *d = userdata;
        struct lockd_file *f = &d->set.files[id];

        lockd_set_touch(&d->set, id, d->now);
        if (!f->locked && f->verdict != LOCKD_SKIP_TOO_BIG && f->verdict != LOCKD_SKIP_ERROR)
                d->need_plan = true;
}

const struct lockd_scan_ops daemon_scan_ops = {
        .match = scan_match,
        .file = scan_file,
        .use = scan_use,
        .release = scan_release,
        .sample = daemon_sample,
};

void daemon_scan(struct daemon *d)
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
                        daemon_log(d, L_WARN, "cannot list /proc: %s", strerror(-r));
                return;
        }
        daemon_log(d, L_TRACE,
               "scan: %u processes, %u matched, %u stat reads, %u maps reads, %u vanished, %u errors, %" PRIu64
               " us CPU",
               st->processes, st->matched, st->stat_reads, st->maps_reads, st->vanished, st->errors,
               lockd_thread_cpu_usec() - cpu);
        if (st->errors && d->scan_errors_logged++ < 3)
                daemon_log(d, L_WARN, "scan: %u unexpected read errors in /proc", st->errors);
        daemon_apply_learned(d);
}

void daemon_write_state(struct daemon *d)
{
        struct ms_lockd_state st = {
                .pid = getpid(),
                .started = d->started,
                .updated = (uint64_t)time(NULL),
                /* Everything it holds unswappable: the files and itself. */
                .locked_bytes = d->set.locked_bytes + d->own_locked,
                .locked_files = d->set.locked_files,
                .budget_bytes = d->budget,
                .skipped_files = d->skipped,
        };
        int r = ms_lockd_state_write(d->state_rootfd, &st);

        if (r < 0)
                daemon_log(d, L_WARN, "cannot write %s: %s", MS_LOCKD_STATE_PATH, strerror(-r));
        if (!d->detail)
                d->detail = malloc(sizeof(*d->detail));
        if (d->detail) {
                daemon_fill_detail(d, d->detail);
                r = ms_lockd_detail_write(d->state_rootfd, d->detail);
                if (r < 0)
                        daemon_log(d, L_WARN, "cannot write %s: %s", MS_LOCKD_DETAIL_PATH, strerror(-r));
        }
        d->state_dirty = false;
        d->last_state = d->now;
}

static void file_changed(const char *path, void *userdata)
{
        struct daemon *d = userdata;
        long i = lockd_set_find(&d->set, path);
        enum lockd_change c;

        if (i < 0)
                return;
        c = lockd_set_check(&d->set, (size_t)i);
        if (c == LOCKD_REPLACED) {
                daemon_log(d, L_INFO, "%s was replaced on disk: released the old file, locking the new one", path);
                d->need_plan = true;
                d->state_dirty = true;
        } else if (c == LOCKD_GONE) {
                daemon_log(d, L_INFO, "%s was removed: released", path);
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

int daemon_compute_budget(struct daemon *d)
{
        struct ms_meminfo mi;
        int r = ms_meminfo_read(d->rootfd, &mi);

        if (r < 0) {
                daemon_log(d, L_ERR, "cannot read /proc/meminfo: %s", strerror(-r));
                return r;
        }
        d->mem_total = mi.total;
        d->budget = lockd_conf_budget(&d->conf, mi.total);
        return 0;
}

/* VmLck of the daemon less its locked files: its heap, stack and code,
 * locked by mlockall(). */
void daemon_measure_own(struct daemon *d)
{
        char text[4096];
        uint64_t kb;
        int r = ms_read_at(MS_ROOT_HOST, "proc/self/status", text, sizeof(text), NULL);

        if (r < 0 && r != -EFBIG)
                return;
        if (ms_field_u64(text, "VmLck:", &kb) < 0)
                return;
        d->own_locked = kb * 1024 > d->set.locked_bytes ? kb * 1024 - d->set.locked_bytes : 0;
}

uint64_t daemon_files_budget(const struct daemon *d)
{
        return d->budget > d->own_locked ? d->budget - d->own_locked : 0;
}

static void reload(struct daemon *d)
{
        struct lockd_conf c;
        bool psi_changed, mode_changed;
        char a[MS_SIZE_BUF];
        int r;

        lockd_notify("RELOADING=1");
        r = daemon_load_conf(d, &c);
        if (r != 0) {
                daemon_log(d, L_ERR, "reload: %s; keeping the running configuration",
                       r < 0 ? strerror(-r) : "errors in the configuration");
                lockd_notify("READY=1");
                return;
        }
        psi_changed = c.psi_kind != d->conf.psi_kind || c.psi_threshold_usec != d->conf.psi_threshold_usec ||
                      c.psi_window_usec != d->conf.psi_window_usec;
        mode_changed = c.lock_mode != d->conf.lock_mode;
        if (c.user && (!d->conf.user || strcmp(c.user, d->conf.user) != 0))
                daemon_log(d, L_WARN, "reload: a new user = takes effect at the next start");
        if (mode_changed)
                daemon_save_learned(d); /* in workingset mode: read back if it comes again */
        lockd_conf_free(&d->conf);
        d->conf = c;
        daemon_compute_budget(d);
        /* The scanner's references go first: the set may be cleared. */
        lockd_scanner_reset(&d->scanner);
        if (mode_changed) {
                daemon_unwatch_all(d);
                lockd_set_clear(&d->set);
                lockd_set_init(&d->set, d->rootfd, d->conf.lock_mode);
        }
        d->set.allowed = &d->conf.allowed_paths;
        d->set.max_files = d->conf.max_files;
        d->full_logged = 0;
        /* Forget what was found and seen: the new lists decide. */
        for (size_t i = 0; i < d->set.n; i++) {
                d->set.files[i].pinned = false;
                d->set.files[i].last_used = 0;
                if (d->set.files[i].error != -ENOENT)
                        d->set.files[i].error = 0; /* retry what failed */
        }
        if (mode_changed)
                daemon_load_learned(d);
        daemon_proactive(d);
        daemon_scan(d);
        d->now = lockd_now_usec();
        daemon_plan(d, false);
        if (psi_changed)
                daemon_open_psi(d);
        daemon_write_state(d);
        daemon_log(d, L_INFO, "reloaded %s: holding %zu files, %s", d->opt.config, d->set.locked_files,
               fmt_size(d->set.locked_bytes, a));
        lockd_notify("READY=1");
}

/* Returns 1 to go on, 0 to stop. */
static int handle_signals(struct daemon *d)
{
        struct signalfd_siginfo si;

        while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                switch (si.ssi_signo) {
                case SIGHUP:
                        daemon_log(d, L_INFO, "SIGHUP: reloading %s", d->opt.config);
                        reload(d);
                        break;
                case SIGTERM:
                case SIGINT:
                        daemon_log(d, L_INFO, "%s: unlocking and exiting", strsignal((int)si.ssi_signo));
                        return 0;
                case SIGCHLD:
                        daemon_reap(d);
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
        daemon_compute_budget(d);
        /* What the start-up search and freed entries left behind goes back
         * to the system: the rest of the heap is locked. */
        malloc_trim(0);
        daemon_measure_own(d);
        daemon_save_learned(d);
        d->need_plan = true; /* release_after */
}

int daemon_run(struct daemon *d)
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
                        daemon_log(d, L_ERR, "poll: %s", strerror(errno));
                        return -errno;
                }
                d->now = lockd_now_usec();
                if (p[0].revents & POLLIN && !handle_signals(d))
                        return 0;
                if (p[1].revents & POLLIN) {
                        uint64_t ticks;
                        if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                                daemon_log(d, L_WARN, "timer: %s", strerror(errno));
                        if (d->conf.scan_interval_usec)
                                daemon_scan(d);
                        if (d->conf.release_after_usec)
                                check_release(d);
                        if (d->now - d->last_maintenance >= MAINTENANCE_USEC)
                                maintenance(d);
                }
                if (p[2].revents & POLLIN)
                        lockd_watch_read(&d->watch, file_changed, d);
                if (d->psifd >= 0 && p[3].revents & POLLPRI)
                        daemon_low_memory_report(d);
                if (p[3].revents & (POLLERR | POLLNVAL) && d->psifd >= 0) {
                        daemon_log(d, L_WARN, "PSI trigger failed; no more low-memory reports");
                        d->psifd = ms_close(d->psifd);
                }
                if (d->report_child > 0 && lockd_now_usec() >= d->report_deadline) {
                        daemon_log(d, L_WARN, "report_command timed out: killing it");
                        kill(-d->report_child, SIGKILL);
                        d->report_deadline = UINT64_MAX;
                }
                if (d->need_plan)
                        daemon_plan(d, false);
                if (d->state_dirty || d->now - d->last_state >= MAINTENANCE_USEC) {
                        d->now = lockd_now_usec();
                        daemon_write_state(d);
                }
        }
}

void daemon_free(struct daemon *d)
{
        if (d->scanner_ok)
                lockd_scanner_free(&d->scanner);
        lockd_set_clear(&d->set);
        lockd_watch_free(&d->watch);
        lockd_list_free(&d->libdirs);
        lockd_conf_free(&d->conf);
        free(d->items);
        free(d->drop);
        free(d->renumber);
        free(d->sortbuf);
        free(d->sample_buf);
        free(d->detail);
        free(d->opt.overrides);
        ms_close(d->sigfd);
        ms_close(d->timerfd);
        ms_close(d->psifd);
        ms_close(d->rootfd);
        ms_close(d->state_rootfd);
        if (d->logfd > STDERR_FILENO)
                close(d->logfd);
}
