/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The settings: one table, MS_SETTINGS, row per MEMSTOP_* setting. Its
 * columns are the setting's variable, the field of struct ms_config it is
 * parsed into, its type (which names the parser and what a bad value reads
 * like), then how the CLI offers it and its help. Everything that reads,
 * checks, documents or passes a setting on walks this table:
 *
 *   ms_config_load()         the preload and the CLI read the environment
 *   ms_setting_parse()       the CLI checks an option's value
 *   ms_setting_docs[]        the CLI's options and --help (settings-doc.c)
 *   the CLI's export         options become the command's environment
 *   tests/unit/test-settings every row is documented, man pages included
 *
 * A new setting is a new row (and its field, and its man page entries); the
 * unit test fails until all of them exist.
 *
 * The preload walks the table in every process of a build, so what it sees
 * (settings.c) holds no pointer: no relocation at load time. The help lives
 * in settings-doc.c, an object the preload never links.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/config.h"
#include "gate/protocol.h"

#define MS_ENV_PERCENT "MEMSTOP_PERCENT"
#define MS_ENV_MIN_AVAILABLE "MEMSTOP_MIN_AVAILABLE"
#define MS_ENV_TIMEOUT "MEMSTOP_TIMEOUT"
#define MS_ENV_ON_TIMEOUT "MEMSTOP_ON_TIMEOUT"
#define MS_ENV_GATE "MEMSTOP_GATE"
#define MS_ENV_EXEMPT "MEMSTOP_EXEMPT"
#define MS_ENV_VERBOSE "MEMSTOP_VERBOSE"
#define MS_ENV_LOG "MEMSTOP_LOG"
#define MS_ENV_SYSROOT "MEMSTOP_SYSROOT"
#define MS_ENV_RESERVE "MEMSTOP_RESERVE"
#define MS_ENV_LEARN "MEMSTOP_LEARN"
/* MS_ENV_SMALL is set by memstop itself: gate/protocol.h names it. */

/* A value's type: its parser, its field's C type, and its complaint. */
enum ms_setting_type {
        MS_TYPE_PERCENT,    /* unsigned, 0..100 */
        MS_TYPE_SIZE,       /* uint64_t bytes: "512M", "2G", "1.5GiB" */
        MS_TYPE_DURATION,   /* uint64_t microseconds: "90", "30s", "10m" */
        MS_TYPE_ON_TIMEOUT, /* enum ms_timeout_action: "run", "fail" */
        MS_TYPE_VERBOSE,    /* unsigned 0..2 */
        MS_TYPE_FILE,       /* const char *, not empty */
        MS_TYPE_PATTERNS,   /* const char *, a pattern list (util/parse.h) */
        MS_TYPE_DIR,        /* const char *, absolute */
        MS_TYPE_BOOL,       /* bool */
        MS_TYPE_NAMES,      /* const char *, a pattern list or empty */
        MS_TYPE_COUNT_
};

/* How the CLI offers a setting. */
enum ms_option_kind {
        MS_OPTION_VALUE = 0, /* --name=ARG */
        MS_OPTION_OFF,       /* --name (e.g. --no-learn) sets the variable to "0" */
        MS_OPTION_COUNT,     /* -v, -vv: the variable is how often it was given, at most 2 */
        MS_OPTION_NONE,      /* none: .no_option says why */
};

/*
 * X(ID, VARIABLE, FIELD, TYPE, documentation...): the documentation is a
 * designated initializer of struct ms_setting_doc. The rows come in the
 * order of --help.
 */
#define MS_SETTINGS(X)                                                                                       \
        X(PERCENT, MS_ENV_PERCENT, percent, MS_TYPE_PERCENT, .short_option = 'p', .option = "percent",       \
          .arg = "N", .shown_default = "10", .help = "N% of total memory must be available, 0-100")          \
        X(MIN_AVAILABLE, MS_ENV_MIN_AVAILABLE, min_available, MS_TYPE_SIZE, .short_option = 'm',             \
          .option = "min-available", .arg = "SIZE",                                                        \
          .help = "at least SIZE must be available, e.g. 512M, 2G")                                        \
        X(TIMEOUT, MS_ENV_TIMEOUT, timeout_usec, MS_TYPE_DURATION, .short_option = 't', .option = "timeout", \
          .arg = "DURATION", .shown_default = "no limit", .help = "hold at most this long, e.g. 90, 30s, 10m") \
        X(ON_TIMEOUT, MS_ENV_ON_TIMEOUT, on_timeout, MS_TYPE_ON_TIMEOUT, .option = "on-timeout",             \
          .arg = "ACTION", .shown_default = "run", .help = "'run' anyway or 'fail' the process")            \
        X(GATE, MS_ENV_GATE, gate, MS_TYPE_PATTERNS, .short_option = 'g', .option = "gate", .arg = "PATTERNS", \
          .shown_default = "all", .help = "gate only these programs, e.g. 'cc1*,ld*'")                       \
        X(EXEMPT, MS_ENV_EXEMPT, exempt, MS_TYPE_PATTERNS, .short_option = 'x', .option = "exempt",          \
          .arg = "PATTERNS", .help = "never gate these programs, e.g. 'sh,make'")                           \
        X(VERBOSE, MS_ENV_VERBOSE, verbose, MS_TYPE_VERBOSE, .short_option = 'v', .option = "verbose",       \
          .kind = MS_OPTION_COUNT, .help = "say when processes are held and released; twice: why")          \
        X(LOG, MS_ENV_LOG, log, MS_TYPE_FILE, .option = "log", .arg = "FILE",                                \
          .help = "log there instead of stderr; a trailing '-' adds the pid")                               \
        X(SYSROOT, MS_ENV_SYSROOT, sysroot, MS_TYPE_DIR, .option = "sysroot", .arg = "DIR",                  \
          .help = "read proc/ and sys/ below DIR instead of /")                                             \
        X(RESERVE, MS_ENV_RESERVE, reserve, MS_TYPE_BOOL, .option = "no-reserve", .kind = MS_OPTION_OFF,     \
          .help = "no queue, no reservations: the threshold alone")                                         \
        X(LEARN, MS_ENV_LEARN, learn, MS_TYPE_BOOL, .option = "no-learn", .kind = MS_OPTION_OFF,             \
          .help = "neither use nor record the history of peaks")                                            \
        X(SMALL, MS_ENV_SMALL, small, MS_TYPE_NAMES, .kind = MS_OPTION_NONE,                                 \
          .help = "programs known to stay small, comma-separated",                                          \
          .no_option = "memstop sets it from the history of peaks for the processes it starts")

enum ms_setting_id {
#define MS_SETTING_ID_(id, ...) MS_SETTING_##id,
        MS_SETTINGS(MS_SETTING_ID_)
#undef MS_SETTING_ID_
        MS_SETTING_COUNT
};

/* What the CLI and the documentation know of a setting. */
struct ms_setting_doc {
        const char *env;           /* the variable */
        char short_option;         /* 0: none */
        const char *option;        /* long option without "--", NULL with MS_OPTION_NONE */
        enum ms_option_kind kind;
        const char *arg;           /* MS_OPTION_VALUE: the value's name in --help */
        const char *shown_default; /* NULL: not shown in --help */
        const char *help;
        const char *no_option;     /* MS_OPTION_NONE: why */
};

/* Indexed by enum ms_setting_id (settings-doc.c; not in memstop.so). */
extern const struct ms_setting_doc ms_setting_docs[MS_SETTING_COUNT];

/* The variable's name of a setting. */
const char *ms_setting_env(enum ms_setting_id id);

/* The setting whose variable is name, or -1. */
int ms_setting_find(const char *name);

/* Parse value as setting id into its field of c. Returns 0, or -EINVAL with c
 * untouched and *reason (may be NULL) set to what a bad value reads like. */
int ms_setting_parse(enum ms_setting_id id, const char *value, struct ms_config *c, const char **reason);

typedef const char *(*ms_lookup_fn)(const char *name, void *userdata);
typedef void (*ms_config_error_fn)(const char *name, const char *value, const char *reason, void *userdata);

/*
 * Fill c from lookup(), row by row. Strings in c point to what lookup
 * returned. Each bad variable is reported once through on_error (may be
 * NULL) and keeps its default. Returns the number of bad variables.
 */
int ms_config_load(struct ms_config *c, ms_lookup_fn lookup, ms_config_error_fn on_error, void *userdata);
