/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The gate's configuration, read once from the environment.
 *
 *   MEMSTOP_PERCENT        0..100: percent of total that must be available (10)
 *   MEMSTOP_MIN_AVAILABLE  size that must be available ("2G"); 0 by default
 *   MEMSTOP_TIMEOUT        longest hold ("10m"); 0 or unset: no limit
 *   MEMSTOP_ON_TIMEOUT     "run" (default) or "fail": what a process does then
 *   MEMSTOP_VERBOSE        0/1/2 (also no/yes, off/on, false/true); empty: 0
 *   MEMSTOP_LOG            log file instead of stderr; a trailing '-' appends the pid
 *   MEMSTOP_GATE           comma-separated glob patterns of programs to gate (default: all)
 *   MEMSTOP_EXEMPT         comma-separated glob patterns of programs never gated
 *   MEMSTOP_SYSROOT        read proc/ and sys/ below this directory instead of /
 *   MEMSTOP_RESERVE        0/no: no queue and no reservations, only the threshold (1)
 *   MEMSTOP_LEARN          0/no: neither read nor write the history of peaks (1)
 *   MEMSTOP_SMALL          set by memstop: programs known to stay small (internal)
 *
 * Parsing is pure: the environment is reached through a lookup function. A bad
 * value is reported through the error callback and the setting keeps its
 * default: nothing is silently ignored, nothing fails.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/parse.h"

#define MS_DEFAULT_PERCENT 10u

enum ms_timeout_action {
        MS_ON_TIMEOUT_RUN = 0,
        MS_ON_TIMEOUT_FAIL = 1,
};

struct ms_config {
        unsigned percent;
        uint64_t min_available;
        uint64_t timeout_usec; /* 0: wait as long as it takes */
        enum ms_timeout_action on_timeout;
        unsigned verbose;
        const char *log;     /* NULL: stderr */
        const char *gate;    /* NULL: every program */
        const char *exempt;  /* NULL: none */
        const char *sysroot; /* NULL: "/" */
        bool reserve;        /* queue and reservations */
        bool learn;          /* history of peaks */
        const char *small;   /* NULL: none known */
};

typedef const char *(*ms_lookup_fn)(const char *name, void *userdata);
typedef void (*ms_config_error_fn)(const char *name, const char *value, const char *reason, void *userdata);

void ms_config_init(struct ms_config *c);

/*
 * Fill c from lookup(). Strings in c point to what lookup returned. Each bad
 * variable is reported once through on_error (may be NULL) and keeps its
 * default. Returns the number of bad variables.
 */
int ms_config_load(struct ms_config *c, ms_lookup_fn lookup, ms_config_error_fn on_error, void *userdata);

/* Each single-variable parser returns 0 or -EINVAL and sets *reason. */
int ms_verbose_parse(const char *s, unsigned *level);
int ms_on_timeout_parse(const char *s, enum ms_timeout_action *action);

/* Whether a program with this base name is gated. */
bool ms_config_gates(const struct ms_config *c, const char *program);

/* Bytes that must be available: max(total * percent / 100, min_available). */
uint64_t ms_config_required(const struct ms_config *c, uint64_t total);

