/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop-lockd's configuration: lockd.conf and command-line overrides.
 *
 * The file holds "key = value" lines; '#' starts a comment line, blank lines
 * are ignored, blanks around key and value are not significant. Every key,
 * its default and its meaning are documented in memstop-lockd.conf(5). An
 * unknown key, a repeated key or a bad value is an error naming the file, the
 * line and the value; the caller decides what to do with it (the daemon
 * refuses to start, a reload keeps the old configuration).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lockd/match.h"

enum lockd_lock_mode {
        LOCKD_LOCK_WHOLE = 0,    /* the whole file */
        LOCKD_LOCK_SEGMENTS = 1, /* only what the loader maps: ELF PT_LOAD ranges */
        LOCKD_LOCK_WORKINGSET = 2, /* the pages builds were seen using (wset.h); segments until learned */
};

enum lockd_psi_kind {
        LOCKD_PSI_OFF = 0,
        LOCKD_PSI_SOME = 1,
        LOCKD_PSI_FULL = 2,
};

struct lockd_conf {
        struct lockd_list programs;      /* glob patterns of program base names */
        struct lockd_list allowed_paths; /* only files below these are locked */
        struct lockd_list search_path;   /* where the tools are looked for at start-up */
        struct lockd_list compiler_dirs; /* glob patterns of the compilers' program dirs */
        uint64_t max_locked;             /* bytes; 0: no size cap (percent still applies) */
        unsigned max_locked_percent;     /* of MemTotal; 0: no percent cap */
        uint64_t min_locked;             /* bytes: the percent budget's floor (at most MemTotal / 4) */
        uint64_t max_file_size;          /* bytes; 0: no per-file cap */
        unsigned max_files;              /* files known at most (found, in use, locked) */
        unsigned max_user_share;         /* percent of the budget one user's own files may take */
        enum lockd_lock_mode lock_mode;
        bool proactive;
        uint64_t scan_interval_usec;     /* 0: no /proc scanning */
        uint64_t release_after_usec;     /* 0: never release unused files */
        enum lockd_psi_kind psi_kind;
        uint64_t psi_threshold_usec;
        uint64_t psi_window_usec;
        uint64_t report_interval_usec;
        unsigned report_processes;
        char *report_command;            /* NULL: none */
        uint64_t report_timeout_usec;
        char *user;                      /* NULL: stay root */
        char *log;                       /* NULL: stderr */
        unsigned verbose;
};

/* Defaults. Returns 0 or -ENOMEM. */
int lockd_conf_init(struct lockd_conf *c);
void lockd_conf_free(struct lockd_conf *c);

/* The default program list, as written in lockd.conf. */
extern const char lockd_default_programs[];

/*
 * Set one key. Returns 0, -ENOENT for an unknown key, -ENOMEM, or -EINVAL
 * with *reason set to a static description of what was wrong.
 */
int lockd_conf_set(struct lockd_conf *c, const char *key, const char *value, const char **reason);

/* Called once per bad line; line is 0 for errors not tied to a line. */
typedef void (*lockd_conf_error_fn)(const char *file, unsigned line, const char *msg, void *userdata);

/*
 * Parse the text of a configuration file into c (which holds defaults or
 * earlier values). Every bad line is reported; parsing goes on to find them
 * all. Returns the number of bad lines (0: c is complete), or -ENOMEM.
 */
int lockd_conf_parse(struct lockd_conf *c, const char *text, const char *file, lockd_conf_error_fn err,
                     void *userdata);

/*
 * Read and parse file. A missing file is not an error when missing_ok (the
 * built-in defaults apply). Returns the number of bad lines, or -errno (the
 * error also goes to err).
 */
int lockd_conf_load(struct lockd_conf *c, const char *file, bool missing_ok, lockd_conf_error_fn err,
                    void *userdata);

/* "KEY=VALUE" from the command line; errors go to err with file "command line". */
int lockd_conf_override(struct lockd_conf *c, const char *assignment, lockd_conf_error_fn err, void *userdata);

/*
 * Checks across keys, after parsing: max_locked and max_locked_percent may
 * not both be 0 (no bound on locked memory). Returns 0, or -EINVAL with
 * *reason set to a static description.
 */
int lockd_conf_check(const struct lockd_conf *c, const char **reason);

/* The budget in bytes for a machine with mem_total bytes of RAM:
 * min(max_locked, mem_total * max_locked_percent / 100), ignoring a zero cap;
 * when the percent applies, at least min(min_locked, mem_total / 4,
 * max_locked if set); 0 when both caps are 0 (lockd_conf_check() refuses
 * that). Defaults: 5% of MemTotal, at least 64 MiB, at most 1 GiB. */
uint64_t lockd_conf_budget(const struct lockd_conf *c, uint64_t mem_total);

/* "workingset", "segments" or "whole". */
const char *lockd_lock_mode_name(enum lockd_lock_mode m);

/* Write the effective configuration as a lockd.conf would hold it. */
int lockd_conf_dump(const struct lockd_conf *c, int fd);
