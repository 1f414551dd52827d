/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a supervised build shows as it runs, and what it leaves behind:
 *
 * - The status bar, on a terminal only (stderr a tty, TERM not "dumb",
 *   at least 3 rows, not -q): the bottom line of the screen, kept out of
 *   the build's way by a scroll region (DECSTBM) over the rows above it, so
 *   that the build's lines scroll above the bar, whole, in order, and in
 *   their colours (the cursor and its attributes are saved and restored
 *   around each drawing, one write(2) each); a build tool's own status line
 *   drawn with '\r' (ninja) stays on its row. The region is set up at the
 *   first drawing, again when the terminal's size changes (SIGWINCH, and a
 *   size check at each drawing), and given back at the end.
 * - If memstop ends without giving the screen back (SIGKILL, a crash), its
 *   guardian does (sv-guard.h, sv_term_give_back).
 * - The timeline's points, every 200 ms, for --timeline and the report.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cli/supervise.h"
#include "cli/sv-memory.h"

struct sv_status {
        bool line;      /* draw the status bar */
        bool drawn;     /* the scroll region is set up */
        unsigned rows, cols; /* the terminal's size it was set up for */
        uint64_t t0_ns; /* the build's start */
        uint64_t last_draw_ns, last_point_ns;
};

/* Before the build starts: whether to draw the bar (cli -q, stderr). */
void sv_status_start(struct sv_status *st, const struct cli *cli);

/* A look at now_ns: a timeline point and the status bar when due (no bar
 * once the command is done). c: the counts in jobs. */
void sv_status_tick(struct sv_status *st, struct sv_report *rep, const struct sv_figures *f,
                    const struct sv_counts *c, double psi_frac, bool done, uint64_t now_ns);

/* The bar cleared and the whole screen given back. */
void sv_status_clear(struct sv_status *st);

/* The whole screen back at the terminal's present size (async-signal-safe:
 * ioctl and write only). */
void sv_term_give_back(void);

/* The escape sequences, pure, for tests: the set-up of a scroll region over
 * rows 1..rows-1, the bar's drawing (text cut to cols - 1 columns), and the
 * restoring of the whole screen. Each returns the length written to buf
 * (NUL-terminated, cut to size). */
size_t sv_term_setup(char *buf, size_t size, unsigned rows);
size_t sv_term_bar(char *buf, size_t size, unsigned rows, unsigned cols, const char *text);
size_t sv_term_restore(char *buf, size_t size, unsigned rows);
