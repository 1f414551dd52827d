/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <unistd.h>

#include "cli/sv-status.h"

#define STATUS_EVERY_NS (250ull * 1000 * 1000)
#define POINT_EVERY_NS (200ull * 1000 * 1000)

static void draw(struct sv_status *st, const struct sv_figures *f, const struct sv_counts *c, double psi_frac)
{
        char text[160], line[200];
        int n;

        sv_status_format(c->running, c->held, c->frozen, f->used, f->limit, psi_frac * 100, text, sizeof(text));
        n = snprintf(line, sizeof(line), "\r%s\033[K", text);
        if (n > 0)
                (void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        st->drawn = true;
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
        if (st->line && now_ns >= st->last_draw_ns + STATUS_EVERY_NS && !done) {
                draw(st, f, c, psi_frac);
                st->last_draw_ns = now_ns;
        }
}

void sv_status_clear(struct sv_status *st)
{
        if (st->drawn)
                (void)!write(STDERR_FILENO, "\r\033[K", 4);
        st->drawn = false;
}
