/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sv-status.h"

#define STATUS_EVERY_NS (250ull * 1000 * 1000)
#define POINT_EVERY_NS (200ull * 1000 * 1000)
#define BAR_LABEL " memstop "

/* --- the escape sequences -------------------------------------------------------- */

/* DECSC / DECRC: save and restore the cursor with its attributes (colours). */
#define SAVE "\0337"
#define RESTORE "\0338"

static size_t put(char *buf, size_t size, int n)
{
        if (n < 0)
                return 0;
        return (size_t)n < size ? (size_t)n : size ? size - 1 : 0;
}

size_t sv_term_setup(char *buf, size_t size, unsigned rows)
{
        /* A line of room at the bottom first: the region ends above it; the
         * cursor goes back to where it was (the region's set-up homes it). */
        return put(buf, size, snprintf(buf, size, "\n" SAVE "\033[1;%ur" RESTORE "\033[1A", rows - 1));
}

size_t sv_term_bar(char *buf, size_t size, unsigned rows, unsigned cols, const char *text)
{
        /* The label, a blank, the text; the last column stays free (no wrap). */
        size_t room = cols > sizeof(BAR_LABEL) + 1 ? cols - sizeof(BAR_LABEL) - 1 : 0;
        int n = snprintf(buf, size, SAVE "\033[%u;1H\033[0m\033[2K", rows);

        if (room > 0)
                n += snprintf(buf + put(buf, size, n), size - put(buf, size, n), "\033[7m" BAR_LABEL "\033[0m %.*s",
                              (int)room, text);
        n += snprintf(buf + put(buf, size, n), size - put(buf, size, n), RESTORE);
        return put(buf, size, n);
}

size_t sv_term_restore(char *buf, size_t size, unsigned rows)
{
        /* The whole screen back (which homes the cursor), the bar's row cleared. */
        return put(buf, size, snprintf(buf, size, SAVE "\033[r\033[%u;1H\033[2K" RESTORE, rows));
}

static void term_write(const char *buf, size_t n)
{
        while (n > 0) {
                ssize_t w = write(STDERR_FILENO, buf, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                buf += w;
                n -= (size_t)w;
        }
}

static bool term_size(unsigned *rows, unsigned *cols)
{
        struct winsize ws;

        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row < 3 || ws.ws_col < 20)
                return false;
        *rows = ws.ws_row;
        *cols = ws.ws_col;
        return true;
}

/* The terminal's whole screen back, at its size now (the guardian's duty
 * when memstop ended without doing it). */
void sv_term_give_back(void)
{
        char buf[64];
        unsigned rows, cols;

        if (term_size(&rows, &cols))
                term_write(buf, sv_term_restore(buf, sizeof(buf), rows));
}

/* --- the bar -------------------------------------------------------------------- */

static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
        resized = 1;
}

static bool term_wanted(const struct cli *cli)
{
        const char *term = getenv("TERM");

        return !cli->quiet && isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb") != 0;
}

void sv_status_start(struct sv_status *st, const struct cli *cli)
{
        struct sigaction sa = { .sa_handler = on_winch, .sa_flags = SA_RESTART };

        st->line = term_wanted(cli);
        if (st->line) {
                sigemptyset(&sa.sa_mask);
                sigaction(SIGWINCH, &sa, NULL);
        }
}

static void draw(struct sv_status *st, const struct sv_figures *f, const struct sv_counts *c, double psi_frac)
{
        char text[160], seq[320];
        unsigned rows, cols;

        if (!term_size(&rows, &cols)) {
                sv_status_clear(st);
                return;
        }
        if (!st->drawn || resized || rows != st->rows || cols != st->cols) {
                resized = 0;
                if (st->drawn && rows > st->rows) /* the old bar's row is the build's now */
                        term_write(seq, (size_t)snprintf(seq, sizeof(seq), SAVE "\033[%u;1H\033[2K" RESTORE, st->rows));
                term_write(seq, sv_term_setup(seq, sizeof(seq), rows));
                st->rows = rows;
                st->cols = cols;
                st->drawn = true;
        }
        sv_status_format(c, f->used, f->limit, psi_frac * 100, text, sizeof(text));
        term_write(seq, sv_term_bar(seq, sizeof(seq), rows, cols, text));
}

void sv_status_tick(struct sv_status *st, struct sv_report *rep, const struct sv_figures *f,
                    const struct sv_counts *c, double psi_frac, bool done, uint64_t now_ns)
{
        if (now_ns >= st->last_point_ns + POINT_EVERY_NS && f->ok) {
                struct sv_point p = { .t_ms = (now_ns - st->t0_ns) / 1000000, .used = f->used, .limit = f->limit,
                                      .running = (uint16_t)c->running, .held = (uint16_t)c->held,
                                      .frozen = (uint16_t)c->frozen };
                (void)sv_points_add(rep, &p);
                st->last_point_ns = now_ns;
        }
        if (st->line && !done && (resized || now_ns >= st->last_draw_ns + STATUS_EVERY_NS)) {
                draw(st, f, c, psi_frac);
                st->last_draw_ns = now_ns;
        }
}

void sv_status_clear(struct sv_status *st)
{
        char seq[64];
        unsigned rows = st->rows, cols;

        if (!st->drawn)
                return;
        /* The size now if known: a shrunk screen's bottom row is elsewhere. */
        (void)term_size(&rows, &cols);
        term_write(seq, sv_term_restore(seq, sizeof(seq), rows));
        st->drawn = false;
}
