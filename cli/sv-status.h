/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a supervised build shows as it runs: the status line on a terminal
 * (redrawn every 250 ms on stderr, cleared at the end) and the timeline's
 * points (every 200 ms, for --timeline and the report).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cli/supervise.h"
#include "cli/sv-memory.h"

struct sv_status {
        bool line;  /* draw the status line (stderr is a terminal, not -q) */
        bool drawn; /* it is on the screen */
        uint64_t t0_ns; /* the build's start */
        uint64_t last_draw_ns, last_point_ns;
};

/* The counts of a look. */
struct sv_counts {
        unsigned running, held, frozen;
};

/* A look at now_ns: a timeline point and the status line when due (no
 * line once the command is done). */
void sv_status_tick(struct sv_status *st, struct sv_report *rep, const struct sv_figures *f,
                    const struct sv_counts *c, double psi_frac, bool done, uint64_t now_ns);
void sv_status_clear(struct sv_status *st);
