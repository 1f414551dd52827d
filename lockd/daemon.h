/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The running memstop-lockd: its state, and the steps main.c and the loop
 * take with it. daemon.c holds the loop, the scan, the state file and the
 * reload; plan.c what to lock (the start-up search, the budget plan);
 * lowmem.c the low-memory report.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockd/budget.h"
#include "lockd/conf.h"
#include "lockd/lockset.h"
#include "lockd/match.h"
#include "lockd/procscan.h"
#include "lockd/watch.h"
#include "util/macro.h"
#include "util/size.h"

#define PROGRAM "memstop-lockd"
#define MAINTENANCE_USEC (60ull * 1000000) /* re-check files, refresh the state file */

/* Levels, and the sd-daemon(3) priority each line carries when standard
 * error goes to the journal: <3> errors, <4> warnings, <6> info, <7> debug. */
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
        bool journal;     /* logfd is standard error and that is the journal */
        int rootfd;       /* MS_ROOT_HOST: proc/, etc/ld.so.conf, the files to lock */
        int state_rootfd; /* below which run/memstop-lockd/state lives */
        struct lockd_set set;
        struct lockd_scanner scanner;
        bool scanner_ok;
        struct lockd_list libdirs;
        struct lockd_watch watch;
        int sigfd, timerfd, psifd;
        uint64_t mem_total, budget;
        uint64_t own_locked; /* the daemon's own locked memory (heap, stack, code) */
        uint64_t started;    /* unix seconds */
        uint64_t now;        /* monotonic usec of the current step */
        bool need_plan, state_dirty;
        bool lock_while_searching; /* not in --dry-run */
        size_t skipped;
        size_t *sortbuf;
        struct lockd_budget_item *items;
        bool *drop;          /* scratch of items_cap: files to forget */
        uint32_t *renumber;  /* scratch of items_cap: where each file went */
        size_t items_cap;
        unsigned full_logged; /* "max_files reached" lines so far */
        uint64_t last_maintenance, last_report, last_state;
        pid_t report_child;
        uint64_t report_deadline;
        unsigned scan_errors_logged;
        char *sample_buf;     /* maps of a sampled process (learn.c) */
        bool learned_dirty;   /* what was learned changed since it was saved */
        size_t learned_loaded; /* files read from the learned state at start-up */
        struct ms_lockd_detail *detail; /* scratch of daemon_write_state() */
};

static inline const char *fmt_size(uint64_t b, char *buf)
{
        return ms_size_format(b, buf, MS_SIZE_BUF);
}

/* daemon.c */
/* One line "memstop-lockd: [error: |warning: ]TEXT" to the log, control
 * characters of TEXT written as \ooo (a path cannot add lines), with a <N>
 * priority prefix when d->journal. */
void daemon_log(struct daemon *d, enum level l, const char *fmt, ...) MS_PRINTF(3, 4);
/* An error on standard error before the daemon is set up (usage errors):
 * "memstop-lockd: TEXT", <3> under the journal. */
void lockd_error(const char *fmt, ...) MS_PRINTF(1, 2);
/* Whether standard error is the journal (JOURNAL_STREAM names its device and inode). */
bool lockd_stderr_is_journal(void);
/* Measure the daemon's own locked memory (VmLck less its files). */
void daemon_measure_own(struct daemon *d);
/* The budget left for files once the daemon's own locked memory is counted. */
uint64_t daemon_files_budget(const struct daemon *d);
/* Load file and overrides into c. Returns 0 or the number of errors / -errno. */
int daemon_load_conf(struct daemon *d, struct lockd_conf *c);
extern const struct lockd_scan_ops daemon_scan_ops;
void daemon_scan(struct daemon *d);
void daemon_write_state(struct daemon *d);
int daemon_compute_budget(struct daemon *d);
/* The loop until SIGTERM/SIGINT. Returns 0 or -errno. */
int daemon_run(struct daemon *d);
void daemon_free(struct daemon *d);

/* plan.c */
int daemon_proactive(struct daemon *d);
/* Decide what to hold, release what is no longer chosen, then lock in priority order. */
void daemon_plan(struct daemon *d, bool dry_run);
void daemon_print_dry_run(struct daemon *d);
/* Let go of every inotify watch (before the set is cleared). */
void daemon_unwatch_all(struct daemon *d);

/* learn.c: the working sets (workingset mode) */
/* The scanner's sample op: learn what process pid (program comm) uses of its files ids. */
void daemon_sample(pid_t pid, const char *comm, const uint32_t *ids, uint32_t n, void *userdata);
/* Lock what was newly learned, within the budget. */
void daemon_apply_learned(struct daemon *d);
/* Read the learned state: its files are added as found at start-up, with
 * their working sets. Returns how many, 0 when nothing (warned if corrupt). */
int daemon_load_learned(struct daemon *d);
/* Write the learned state if it changed. */
void daemon_save_learned(struct daemon *d);
struct ms_lockd_detail;
/* What is locked, file by file and program by program, for the state. */
void daemon_fill_detail(const struct daemon *d, struct ms_lockd_detail *out);

/* lowmem.c */
void daemon_open_psi(struct daemon *d);
void daemon_low_memory_report(struct daemon *d);
void daemon_reap(struct daemon *d);
