/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "supervise/freeze.h"

#define MIB (1ull << 20)

void ms_freeze_params_default(struct ms_freeze_params *p, uint64_t required)
{
        uint64_t below = required / 2;

        if (below < 64 * MIB)
                below = 64 * MIB;
        *p = (struct ms_freeze_params){
                .freeze_below = below,
                .resume_above = 2 * below + 64 * MIB,
                .margin = required,
                .horizon_ms = 300,
                .resume_interval_ns = 500ull * 1000 * 1000,
                .stall_interval_ns = 1000ull * 1000 * 1000,
        };
}

int64_t ms_freeze_rate(int64_t old_rate, uint64_t prev_rss, uint64_t rss, uint64_t dt_ns)
{
        int64_t now;

        if (dt_ns == 0)
                return old_rate;
        now = (int64_t)(((double)rss - (double)prev_rss) * 1e9 / (double)dt_ns);
        /* A job that stopped growing must not look like one that grows: a
         * slower rate is believed at once, a faster one half way. */
        if (now < old_rate)
                return now;
        return old_rate / 2 + now / 2;
}

/* Neither frozen nor waiting in the gate. */
static bool runs(const struct ms_job_view *j)
{
        return !j->frozen && !j->held;
}

static bool growing(const struct ms_job_view *j)
{
        return runs(j) && j->rate >= (int64_t)MS_FREEZE_GROWING_RATE;
}

/* Past its predicted peak and 1/8: it broke the promise the gate admitted
 * the others on; their growth is reserved, its is not. */
static bool surprise(const struct ms_job_view *j)
{
        return j->peak && j->rss > j->peak + j->peak / 8;
}

/* It reached its predicted peak (within an eighth) and has let go of more
 * than half of it since: the big process of its tree has ended (a compiler
 * driver's cc1plus, and `as` runs on), and what is left is its tail, not
 * growth the gate counted on. Measured: after tu9's cc1plus ended at
 * 805 MiB, its `as` grew to 107 MiB past tu9's predicted end; counted as
 * a late job with 698 MiB still to grow, it was frozen for 3.3 s, and
 * another for 4.5 s, in a warm 1 GiB build that had memory to spare. */
static bool past_peak(const struct ms_job_view *j)
{
        return j->peak && j->most_rss >= j->peak - j->peak / 8 && j->rss < j->most_rss / 2;
}

/* Let in under MS_FREEZE_FRESH_MS ago, under half its predicted peak, and
 * never frozen: it has not shown a rate yet, but its growth is ahead of it.
 * One frozen as fresh and soon resumed is not fresh again: at no rate, it
 * waits to show one like any other job. */
static bool fresh(const struct ms_job_view *j, uint64_t now_ns)
{
        return runs(j) && !j->freezes && j->start && now_ns < j->start + MS_FREEZE_FRESH_MS * 1000000 &&
               j->peak && j->rss < j->peak / 2;
}

/* A job that may be frozen: growing, or fresh, and it has not used up its
 * freezes. */
static bool freezable(const struct ms_job_view *j, uint64_t now_ns)
{
        return (growing(j) || fresh(j, now_ns)) && j->freezes < MS_FREEZE_MAX_PER_JOB;
}

/* The growth a job with a predicted peak has still ahead of it: within the
 * prediction, up to the peak and 1/8; past it, as much again as it has
 * outgrown the peak by; none once past its peak. */
static uint64_t ahead(const struct ms_job_view *j)
{
        if (past_peak(j))
                return 0;
        if (surprise(j))
                return j->rss - j->peak;
        return j->peak + j->peak / 8 - j->rss;
}

/* Growth over the horizon that nobody expected: for a job with a predicted
 * peak, growth up to the peak (and 1/8 more) was reserved by the gate and
 * subtracted from what admission considered free; only a job past that
 * limit grows into memory nobody reserved, and its size is unknown again. A
 * growing job of unknown size is expected to grow as much again as it has
 * grown (its RSS), up to
 * MS_FREEZE_UNKNOWN_MS at its rate: freezing stops growth but frees
 * nothing, so the jobs left running must have room to end. */
static uint64_t growth(const struct ms_job_view *j, uint64_t horizon_ms, bool backed)
{
        uint64_t g, again;

        if (!growing(j))
                return 0;
        g = (uint64_t)j->rate * horizon_ms / 1000;
        /* Unknown, or past its prediction and 1/8: its size is unknown again. */
        if (!j->peak || surprise(j)) {
                again = (uint64_t)j->rate * MS_FREEZE_UNKNOWN_MS / 1000;
                if (again > j->rss)
                        again = j->rss;
                return again > g ? again : g;
        }
        return backed ? 0 : g;
}

/* Growth over ms of a job within its prediction, up to its peak and 1/8:
 * what the gate reserved for it. */
static uint64_t reserved_growth(const struct ms_job_view *j, uint64_t ms)
{
        uint64_t g, left;

        if (!growing(j) || !j->peak || surprise(j))
                return 0;
        g = (uint64_t)j->rate * ms / 1000;
        left = j->peak + j->peak / 8 - j->rss;
        return g < left ? g : left;
}

/* Order of youth: the job that started running later (a job make forked
 * first may have waited in the gate longest), then the one forked later,
 * then the higher index. */
static bool younger(const struct ms_job_view *jobs, size_t a, size_t b)
{
        if (jobs[a].start != jobs[b].start)
                return jobs[a].start > jobs[b].start;
        if (jobs[a].born != jobs[b].born)
                return jobs[a].born > jobs[b].born;
        return a > b;
}

/* Whether job a is frozen before job b. A frozen job keeps what it holds
 * and stops what it would still grow by. While what the jobs within their
 * predictions still grow by fits in what is available (`room`), a job past
 * its prediction goes first: the others can end beside it. When it does
 * not fit (the gate let a job in counting on the end of one that outlived
 * its prediction), freezing a job near its end would free nothing while
 * another grew into what it holds: of two jobs with predicted peaks, the
 * one with more growth ahead of it goes first. Else, or if they are even,
 * the younger. */
static bool first(const struct ms_job_view *jobs, size_t a, size_t b, bool room)
{
        if (room && surprise(&jobs[a]) != surprise(&jobs[b]))
                return surprise(&jobs[a]);
        if (jobs[a].peak && jobs[b].peak && ahead(&jobs[a]) != ahead(&jobs[b]))
                return ahead(&jobs[a]) > ahead(&jobs[b]);
        return younger(jobs, a, b);
}

/* A running job with growth still ahead of it within its prediction, which
 * the gate reserved for it. */
static bool owes(const struct ms_job_view *j)
{
        return runs(j) && j->peak > j->rss && !surprise(j) && !past_peak(j);
}

/* ... past its predicted end, which the gate may have counted on. */
static bool overdue(const struct ms_job_view *j, uint64_t now_ns)
{
        return owes(j) && j->end_ns && now_ns > j->end_ns;
}

/* The running job with a predicted peak and most growth ahead of it, or n:
 * the only one worth freezing for a late job. One near its end would free
 * nothing, and, frozen, leave the other as the last running job, which is
 * never frozen: measured, a unit frozen 17 MiB below its peak beside one
 * in a pause, which then grew on to an OOM kill. */
static size_t most_ahead(const struct ms_job_view *jobs, size_t n)
{
        size_t best = n;

        for (size_t i = 0; i < n; i++)
                if (runs(&jobs[i]) && jobs[i].peak &&
                    (best == n || ahead(&jobs[i]) > ahead(&jobs[best]) ||
                     (ahead(&jobs[i]) == ahead(&jobs[best]) && younger(jobs, i, best))))
                        best = i;
        return best;
}

static bool chosen(const struct ms_freeze_action *out, size_t k, size_t i)
{
        for (size_t c = 0; c < k; c++)
                if (out[c].job == i)
                        return true;
        return false;
}

/* The next job to freeze, none of the k chosen before (out), or n. */
static size_t next_to_freeze(const struct ms_job_view *jobs, size_t n, uint64_t now_ns, bool room,
                             const struct ms_freeze_action *out, size_t k)
{
        size_t best = n;

        for (size_t i = 0; i < n; i++)
                if (freezable(&jobs[i], now_ns) && !chosen(out, k, i) &&
                    (best == n || first(jobs, i, best, room)))
                        best = i;
        return best;
}

static size_t oldest_frozen(const struct ms_job_view *jobs, size_t n)
{
        size_t best = n;

        for (size_t i = 0; i < n; i++)
                if (jobs[i].frozen && (best == n || younger(jobs, best, i)))
                        best = i;
        return best;
}

static int64_t clamp_i64(uint64_t v)
{
        return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static bool since(uint64_t now, uint64_t then, uint64_t interval)
{
        return then == 0 || now >= then + interval;
}

size_t ms_freeze_decide(const struct ms_freeze_params *p, const struct ms_freeze_input *in,
                        const struct ms_job_view *jobs, size_t n, struct ms_freeze_action *out, size_t max)
{
        size_t running = 0, frozen = 0, k = 0, i;
        uint64_t grow = 0;
        int64_t projected; /* may be short: below 0 */

        uint64_t pending = 0, soon = 0, to_end = 0, owed = 0;
        bool backed, room, late = false;

        for (i = 0; i < n; i++) {
                if (jobs[i].peak > jobs[i].rss)
                        pending += jobs[i].peak - jobs[i].rss;
                if (owes(&jobs[i]))
                        owed += jobs[i].peak - jobs[i].rss;
                late |= overdue(&jobs[i], in->now_ns);
                soon += reserved_growth(&jobs[i], MS_FREEZE_REACT_MS);
                if (runs(&jobs[i]) && jobs[i].peak && !surprise(&jobs[i]))
                        to_end += ahead(&jobs[i]);
        }
        room = in->available >= to_end;
        backed = in->available >= pending || (in->available >= p->margin && in->available - p->margin >= soon);
        for (i = 0; i < n; i++) {
                if (jobs[i].frozen)
                        frozen++;
                else if (!jobs[i].held)
                        running++;
                grow += growth(&jobs[i], p->horizon_ms, backed);
        }

        if (in->stopping) {
                for (i = 0; i < n && k < max; i++)
                        if (jobs[i].frozen)
                                out[k++] = (struct ms_freeze_action){ MS_FREEZE_RESUME, i };
                return k;
        }
        if (running == 0 || in->stuck) {
                i = oldest_frozen(jobs, n);
                if (i < n && k < max)
                        out[k++] = (struct ms_freeze_action){ MS_FREEZE_RESUME, i };
                return k;
        }

        projected = clamp_i64(in->available) - clamp_i64(grow);
        /* A job the gate counted on to end is late, and what the running
         * jobs still grow by to their predictions no longer fits: freeze
         * now, not when memory is short: by then the job let in on time has
         * grown into what the late one needs to end, and a frozen job
         * frees nothing. One a step, the running job with most growth
         * ahead, once it grows (or is fresh); and none resumes meanwhile.
         * Short already: as below. */
        if (late && in->available < owed + p->freeze_below && projected >= clamp_i64(p->freeze_below)) {
                i = most_ahead(jobs, n);
                if (running > 1 && k < max && i < n && freezable(&jobs[i], in->now_ns))
                        out[k++] = (struct ms_freeze_action){ MS_FREEZE_STOP, i };
                return k;
        }
        if (projected < clamp_i64(p->freeze_below)) {
                while (running > 1 && projected < clamp_i64(p->freeze_below) && k < max) {
                        i = next_to_freeze(jobs, n, in->now_ns, room, out, k);
                        if (i == n)
                                break;
                        running--;
                        projected += clamp_i64(growth(&jobs[i], p->horizon_ms, backed));
                        out[k++] = (struct ms_freeze_action){ MS_FREEZE_STOP, i };
                }
                return k;
        }
        if (in->stalling) {
                if (running > 1 && k < max && since(in->now_ns, in->last_freeze_ns, p->stall_interval_ns)) {
                        i = next_to_freeze(jobs, n, in->now_ns, room, out, k);
                        if (i < n)
                                out[k++] = (struct ms_freeze_action){ MS_FREEZE_STOP, i };
                }
                return k;
        }
        i = oldest_frozen(jobs, n);
        /* A job of unknown peak, or past it, resumes into growth: as much
         * again as its RSS. */
        if (i < n && (!jobs[i].peak || surprise(&jobs[i])))
                projected -= clamp_i64(jobs[i].rss);
        /* What it waits for has gone: a job ended since it was frozen. */
        if (i < n && in->last_end_ns <= jobs[i].frozen_ns)
                return k;
        /* Not while a late job still needs the room it would grow into. */
        if (i < n && late && jobs[i].peak > jobs[i].rss &&
            in->available < owed + (jobs[i].peak - jobs[i].rss) + p->freeze_below)
                return k;
        if (frozen > 0 && in->calm && projected >= clamp_i64(p->resume_above) &&
            since(in->now_ns, in->last_resume_ns, p->resume_interval_ns) &&
            since(in->now_ns, in->last_freeze_ns, p->resume_interval_ns) && k < max)
                out[k++] = (struct ms_freeze_action){ MS_FREEZE_RESUME, i };
        return k;
}
