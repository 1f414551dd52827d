/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "gate/curve.h"

static uint32_t clamp32(uint64_t v)
{
        return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint64_t merge_cost(const struct ms_curve_trace *t, uint32_t i)
{
        uint64_t dt = t->point[i + 1].age_ms - t->point[i].age_ms, dr = t->point[i + 1].rss_kib - t->point[i].rss_kib;

        /* Both below 2^32: the product fits. */
        return dt * dr;
}

void ms_curve_note(struct ms_curve_trace *t, uint64_t age_ms, uint64_t rss)
{
        uint32_t age = clamp32(age_ms), kib = clamp32(rss / 1024 + (rss % 1024 != 0));

        if (t->n > MS_CURVE_POINTS)
                memset(t, 0, sizeof(*t));
        if (age < t->seen_ms)
                age = t->seen_ms;
        if (t->n == 0 || kib > t->point[t->n - 1].rss_kib) {
                if (t->n == MS_CURVE_POINTS) {
                        /* Merge two neighbours into the earlier time with
                         * the larger RSS: "maybe reached sooner", never
                         * later. The pair whose time apart times RSS apart
                         * is the least loses the least: the levels between
                         * them move earlier by that time. */
                        uint32_t best = 0;
                        for (uint32_t i = 1; i + 1 < t->n; i++)
                                if (merge_cost(t, i) < merge_cost(t, best))
                                        best = i;
                        t->point[best].rss_kib = t->point[best + 1].rss_kib;
                        memmove(&t->point[best + 1], &t->point[best + 2],
                                (t->n - best - 2) * sizeof(t->point[0]));
                        t->n--;
                }
                /* Reached some time after the look before. */
                t->point[t->n++] = (struct ms_curve_point){ t->seen_ms, kib };
        }
        t->seen_ms = age;
}

void ms_curve_from_trace(const struct ms_curve_trace *t, uint64_t peak, uint64_t duration_ms, struct ms_curve *out)
{
        uint64_t peak_kib = (peak + 1023) / 1024;
        uint32_t n = t->n <= MS_CURVE_POINTS ? t->n : 0, seen = n ? t->seen_ms : 0, i = 0;

        memset(out, 0, sizeof(*out));
        out->duration_ms = duration_ms ? clamp32(duration_ms) : 1;
        for (uint32_t k = 0; k < MS_CURVE_STEPS; k++) {
                uint64_t level = peak_kib * (k + 1) / MS_CURVE_STEPS;
                uint32_t at;
                while (i < n && t->point[i].rss_kib < level)
                        i++;
                /* Not seen that high: reached after the last look. */
                at = i < n ? t->point[i].age_ms : seen;
                if (k > 0 && at < out->reach_ms[k - 1])
                        at = out->reach_ms[k - 1];
                out->reach_ms[k] = at < out->duration_ms ? at : out->duration_ms;
        }
}

uint64_t ms_curve_alone_ms(uint64_t wall_ms, uint64_t cpu_ms)
{
        if (wall_ms == 0)
                return 1;
        if (cpu_ms > 0 && cpu_ms < wall_ms && cpu_ms >= wall_ms - wall_ms / 2)
                return cpu_ms;
        return wall_ms;
}

void ms_curve_shrink(struct ms_curve *c, uint64_t alone_ms)
{
        uint64_t was = c->duration_ms;

        if (!ms_curve_valid(c) || alone_ms == 0 || alone_ms >= was)
                return;
        for (uint32_t k = 0; k < MS_CURVE_STEPS; k++)
                c->reach_ms[k] = (uint32_t)((uint64_t)c->reach_ms[k] * alone_ms / was);
        c->duration_ms = (uint32_t)alone_ms;
}

void ms_curve_keep_worst(struct ms_curve *c, const struct ms_curve *before)
{
        uint32_t longest;

        if (!ms_curve_valid(c) || !ms_curve_valid(before))
                return;
        for (uint32_t k = 0; k < MS_CURVE_STEPS; k++)
                if (before->reach_ms[k] < c->reach_ms[k])
                        c->reach_ms[k] = before->reach_ms[k];
        /* A slow run is forgotten by 1/8 a run. */
        longest = before->duration_ms - before->duration_ms / 8;
        if (longest > c->duration_ms)
                c->duration_ms = longest;
}

bool ms_curve_valid(const struct ms_curve *c)
{
        if (c->duration_ms == 0)
                return false;
        for (uint32_t k = 0; k < MS_CURVE_STEPS; k++)
                if (c->reach_ms[k] > c->duration_ms || (k > 0 && c->reach_ms[k] < c->reach_ms[k - 1]))
                        return false;
        return true;
}

uint64_t ms_curve_bound(const struct ms_curve *c, uint64_t peak, uint64_t age_ms)
{
        if (!ms_curve_valid(c))
                return peak;
        for (uint32_t k = 0; k < MS_CURVE_STEPS; k++)
                if (age_ms <= c->reach_ms[k])
                        return peak / MS_CURVE_STEPS * (k + 1) + peak % MS_CURVE_STEPS * (k + 1) / MS_CURVE_STEPS;
        return peak;
}
