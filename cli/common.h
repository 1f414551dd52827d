/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What every part of the `memstop` command shares: its exit statuses, the
 * settings as given on the command line, errors on stderr, the root the
 * figures are read from, and the environment a command is run with. Depends
 * on libmemstop only: every other CLI file may include it, it includes none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate/config.h"
#include "gate/settings.h"
#include "probe/cgroup.h"

/* Exit statuses, following env(1) and timeout(1). */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,   /* memstop could not do its job (figures unreadable) */
        EXIT_USAGE = 2,      /* bad option or value: nothing was started */
        EXIT_TIMEDOUT = 124, /* `memstop wait` ran out of time */
        EXIT_INTERNAL = 125, /* memstop itself failed before running the command */
        EXIT_CANNOT_RUN = 126,
        EXIT_NOT_FOUND = 127,
};

struct cli {
        struct ms_config config;
        /* The settings given as options (checked already), by enum
         * ms_setting_id; NULL: not given. They are exported to the command. */
        const char *setting[MS_SETTING_COUNT];
        char verbose[4]; /* the value of setting[MS_SETTING_VERBOSE]: -v's count */
        int log_fd; /* cli_verbose()'s lines: STDERR_FILENO, or the log cli_log_open() opened */
        unsigned verbose_flags;
        bool json;
        bool quiet;
        /* Running a command: exec it (--exec), or supervise it (the default). */
        bool exec;
        bool no_freeze;
        const char *report;   /* --report FILE: JSON */
        const char *timeline; /* --timeline FILE: SVG */
        const char *trace;    /* --trace FILE: Chrome trace-event JSON */
        const char *forget;   /* history --forget PATTERN */
        uint64_t freeze_below_bytes; /* --freeze-below SIZE, 0: the default */
};

/* "memstop: " + message on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A -v line of memstop's own ("memstop: " + message, one write) when the
 * verbosity (-v, -vv or MEMSTOP_VERBOSE) is at least level: to the log
 * file of --log or MEMSTOP_LOG once cli_log_open() opened it, else stderr,
 * as the gate's lines. */
void cli_verbose(const struct cli *cli, unsigned level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Open the log of --log or MEMSTOP_LOG for cli_verbose(), as the gate opens
 * it (ms_log_open_checked: a trailing '-' appends memstop's pid; never a
 * symbolic link, FIFO or another user's file), when there is a log and
 * anything is to be logged. Returns 0, or EXIT_USAGE when it cannot be
 * opened (said why, naming the file). */
int cli_log_open(struct cli *cli);

/* Whether process pid exists (kill(pid, 0), EPERM counting as alive). */
bool cli_pid_alive(pid_t pid, void *userdata);

/* The root the figures are read from: MEMSTOP_SYSROOT opened, or MS_ROOT_HOST.
 * Returns 0 or -errno (reported). */
int cli_root(const struct cli *cli, int *root);

/* The memstop.so to preload: the configured one (MS_PRELOAD_PATH), or the
 * build tree's when memstop runs from a meson build tree (cli/memstop with
 * build.ninja in the directory above it and preload/memstop.so beside). */
int cli_preload_path(char *buf, size_t size);

/* Programs whose recorded peaks all stay under MS_SMALL_PROGRAM, for MEMSTOP_SMALL. */
int cli_small_programs(char *buf, size_t size);

/* The command's environment, for both ways of running it: memstop.so in
 * front of LD_PRELOAD, the settings given as options, the small programs.
 * Returns 0 or an exit status (reported). */
int cli_prepare_env(struct cli *cli);

/* Tell the command's processes where the memory cgroup is (MEMSTOP_CGROUP,
 * ms_cgroup_hint_make), so that they take the fast path at once: cg, or the
 * cgroup memstop runs in when NULL. Nothing under a sysroot. */
void cli_export_hint(const struct cli *cli, const struct ms_cgroup *cg);
