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

