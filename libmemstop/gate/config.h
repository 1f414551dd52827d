/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The gate's configuration, read once from the environment: the settings
 * table (gate/settings.h) names every variable, its parser and its field
 * here. What the gate does with it: which programs it holds, how much memory
 * must be available.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/parse.h"

#define MS_DEFAULT_PERCENT 10u

/*
 * System-wide use (/etc/ld.so.preload, or a bare LD_PRELOAD): a process that
 * did not opt in (ms_env_opted_in() in protocol.h) is held at most this long,
 * and never if it runs as root or is a child of PID 1 (services, getty).
 */
#define MS_IMPLICIT_TIMEOUT_USEC (5ull * 1000 * 1000)

/*
 * The kill switch: while either file exists (below MEMSTOP_SYSROOT when it is
 * set), nothing is held and held processes run at their next look. An admin
 * creates it from any shell, as root: mkdir -p /run/memstop && : >/run/memstop/off
 * (until reboot), or /etc/memstop/disable (until removed).
 */
#define MS_KILL_SWITCH_RUN "run/memstop/off"
#define MS_KILL_SWITCH_ETC "etc/memstop/disable"

/* Whether the kill switch is on below rootfd (MS_ROOT_HOST: /). */
bool ms_gate_switched_off(int rootfd);

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

void ms_config_init(struct ms_config *c);

/* Single-value parsers (settings.c uses them). Each returns 0 or -EINVAL. */
int ms_verbose_parse(const char *s, unsigned *level);
int ms_on_timeout_parse(const char *s, enum ms_timeout_action *action);

/* Whether a program with this base name is gated. */
bool ms_config_gates(const struct ms_config *c, const char *program);

/* Bytes that must be available: max(total * percent / 100, min_available). */
uint64_t ms_config_required(const struct ms_config *c, uint64_t total);

