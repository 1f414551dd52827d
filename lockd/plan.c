/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What to lock: the start-up search and the plan within the budget. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockd/clock.h"
#include "lockd/daemon.h"
#include "lockd/proactive.h"
#include "util/macro.h"

static void watch_file(struct daemon *d, size_t i)
{
        struct lockd_file *f = &d->set.files[i];
        int r;

        if (f->wd >= 0 || d->watch.fd < 0)
                return;
        r = lockd_watch_file_dir(&d->watch, d->rootfd, f->path);
        if (r < 0 && r != -ENOENT)
                daemon_log(d, L_DEBUG, "cannot watch the directory of %s: %s", f->path, strerror(-r));
        f->wd = r < 0 ? -1 : r;
}

static void unwatch_file(struct daemon *d, size_t i)
{
        struct lockd_file *f = &d->set.files[i];

        if (f->wd >= 0)
                lockd_watch_put(&d->watch, f->wd);
        f->wd = -1;
}

void daemon_unwatch_all(struct daemon *d)
{
        for (size_t i = 0; i < d->set.n; i++)
                unwatch_file(d, i);
}

static void found_proactive(const char *path, void *userdata)
{
        struct daemon *d = userdata;
        long i = lockd_set_add(&d->set, path, true, 0, NULL);
        uint64_t budget = daemon_files_budget(d);
        struct lockd_file *f;

        if (i == -ENOSPC && d->full_logged++ < 3)
                daemon_log(d, L_WARN, "max_files (%u) reached in the start-up search at %s", d->conf.max_files, path);
        if (i < 0) {
                daemon_log(d, L_DEBUG, "%s: %s", path, strerror((int)-i));
                return;
        }
        d->need_plan = true;
        /* Files come in priority order: lock each at once while it fits, so
         * that the first tools (GCC) are held before the search is over. The
         * plan that follows has the last word (and the same result when
         * everything fits). */
        f = &d->set.files[i];
        if (!d->lock_while_searching || f->locked)
                return;
        if ((d->conf.max_file_size && f->bytes > d->conf.max_file_size) || budget < d->set.locked_bytes ||
            f->bytes > budget - d->set.locked_bytes)
                return;
        if (lockd_set_lock(&d->set, (size_t)i, budget - d->set.locked_bytes) == 0) {
                watch_file(d, (size_t)i);
                d->state_dirty = true;
                daemon_log(d, L_DEBUG, "locked %s (%s) in %" PRIu64 " ms", f->path,
                       ms_size_format(f->bytes, (char[MS_SIZE_BUF]){}, MS_SIZE_BUF), f->locked_usec / 1000);
        }
}

/* Until anything is learned (workingset mode), the start-up search looks
 * only for the system's default compiler driver, make and linker and the
 * GCC programs they run, as far as programs = matches them. */
static const char *const first_programs[] = { "cc", "c++", "make", "ld", "as",
                                              "cc1", "cc1plus", "collect2", "lto-wrapper" };

/* What the start-up search looks for: programs, or the first programs.
 * Returns 0 (*list filled, to free), or -ENOMEM. */
static int startup_programs(struct daemon *d, struct lockd_list *list)
{
        const char *reason;
        char text[256] = "";

        if (d->conf.lock_mode != LOCKD_LOCK_WORKINGSET)
                return lockd_patterns_parse("", true, list, &reason) < 0 ? -ENOMEM : 1;
        for (size_t k = 0; k < MS_ARRAY_SIZE(first_programs); k++) {
                if (lockd_patterns_match(&d->conf.programs, first_programs[k]) < 0)
                        continue;
                strcat(text, text[0] ? ", " : "");
                strcat(text, first_programs[k]);
        }
        return lockd_patterns_parse(text, true, list, &reason) < 0 ? -ENOMEM : 0;
}

/* Workingset mode: the files builds were seen using stay found at start-up. */
static size_t pin_used(struct daemon *d)
{
        size_t n = 0;

        for (size_t i = 0; i < d->set.n; i++) {
                struct lockd_file *f = &d->set.files[i];
                if (f->tools.n > 0 || f->learned.n > 0) {
                        f->pinned = true;
                        n++;
                }
        }
        return n;
}

int daemon_proactive(struct daemon *d)
{
        uint64_t start = lockd_now_usec();
        struct lockd_conf c = d->conf;
        struct lockd_list first;
        int n, r;

        if (!d->conf.proactive)
                return 0;
        if (d->conf.lock_mode == LOCKD_LOCK_WORKINGSET && pin_used(d) > 0) {
                daemon_log(d, L_DEBUG, "start-up: the files builds used, no search");
                return 0;
        }
        r = startup_programs(d, &first);
        if (r < 0)
                return r;
        if (r == 0) {
                c.programs = first;
                daemon_log(d, L_INFO, "nothing learned yet: the start-up search covers %zu programs only "
                           "(cc, c++, make, ld and the GCC programs they run)", first.n);
        }
        n = lockd_proactive_find(d->rootfd, &c, &d->libdirs, found_proactive, d);
        lockd_list_free(&first);
        if (n < 0) {
                daemon_log(d, L_ERR, "start-up search: %s", strerror(-n));
                return n;
        }
        daemon_log(d, L_DEBUG, "start-up search: %d files in %" PRIu64 " ms", n, (lockd_now_usec() - start) / 1000);
        return 0;
}

/* realloc() *p to n elements of size bytes; *p is kept on failure. */
static int grow(void *p, size_t n, size_t size)
{
        void *q = realloc(*(void **)p, n * size);

        if (!q)
                return -ENOMEM;
        *(void **)p = q;
        return 0;
}

static int ensure_scratch(struct daemon *d)
{
        size_t cap = d->set.n * 2;

        if (d->items_cap >= d->set.n)
                return 0;
        if (grow(&d->items, cap, sizeof(*d->items)) < 0 || grow(&d->sortbuf, cap, sizeof(*d->sortbuf)) < 0 ||
            grow(&d->drop, cap, sizeof(*d->drop)) < 0 || grow(&d->renumber, cap, sizeof(*d->renumber)) < 0)
                return -ENOMEM;
        d->items_cap = cap;
        return 0;
}

struct plan_counts {
        size_t newly, released;
        uint64_t newly_bytes, released_bytes;
};

/* The budget's verdict for every file, in d->items and d->sortbuf. */
static void decide(struct daemon *d)
{
        struct lockd_budget_params p = {
                .budget = daemon_files_budget(d),
                .max_file = d->conf.max_file_size,
                .now = d->now ? d->now : lockd_now_usec(),
                .release_after = d->conf.release_after_usec,
                .user_share = d->conf.max_user_share,
        };
        struct lockd_budget_result res;

        for (size_t i = 0; i < d->set.n; i++) {
                const struct lockd_file *f = &d->set.files[i];
                d->items[i] = (struct lockd_budget_item){
                        .bytes = f->bytes,
                        .last_used = f->last_used,
                        .order = f->order,
                        .pinned = f->pinned,
                        .shared = f->shared,
                        .user = f->user,
                        .failed = f->error != 0 && f->error != -EFBIG,
                };
        }
        lockd_budget_plan(d->items, d->set.n, &p, d->sortbuf, &res);
        d->skipped = res.skipped;
}

static void release_unchosen(struct daemon *d, struct plan_counts *n)
{
        char a[MS_SIZE_BUF];

        for (size_t i = 0; i < d->set.n; i++) {
                struct lockd_file *f = &d->set.files[i];
                enum lockd_verdict v = d->items[i].verdict;

                if (v != LOCKD_KEEP && f->locked) {
                        lockd_set_unlock(&d->set, i);
                        unwatch_file(d, i);
                        d->state_dirty = true;
                        n->released++;
                        n->released_bytes += f->bytes;
                        /* Files that go unused are news; budget swaps only in detail. */
                        daemon_log(d, v == LOCKD_SKIP_OVER_BUDGET ? L_DEBUG : L_INFO, "released %s (%s): %s", f->path,
                                   fmt_size(f->bytes, a), lockd_verdict_name(v));
                } else if (v != LOCKD_KEEP && v != f->verdict && v != LOCKD_SKIP_UNUSED) {
                        daemon_log(d, L_INFO, "skipped %s (%s): %s", f->path, fmt_size(f->bytes, a),
                                   lockd_verdict_name(v));
                }
        }
}

static void lock_chosen(struct daemon *d, struct plan_counts *n)
{
        char a[MS_SIZE_BUF];

        for (size_t k = 0; k < d->set.n; k++) {
                size_t i = d->sortbuf[k];
                struct lockd_file *f = &d->set.files[i];
                enum lockd_verdict v = d->items[i].verdict;
                int r;

                if (v == LOCKD_KEEP && !f->locked) {
                        uint64_t budget = daemon_files_budget(d);
                        r = budget < d->set.locked_bytes ? -EFBIG
                                                         : lockd_set_lock(&d->set, i, budget - d->set.locked_bytes);
                        if (r < 0) {
                                v = LOCKD_SKIP_ERROR;
                                daemon_log(d, L_WARN, "cannot lock %s: %s", f->path, strerror(-r));
                                d->skipped++;
                        } else {
                                n->newly++;
                                n->newly_bytes += f->bytes;
                                d->state_dirty = true;
                                watch_file(d, i);
                                daemon_log(d, L_DEBUG, "locked %s (%s) in %" PRIu64 " ms", f->path,
                                           fmt_size(f->bytes, a), f->locked_usec / 1000);
                        }
                }
                f->verdict = v;
        }
}

/*
 * Forget what is neither found at start-up, nor locked, nor mapped by a
 * running process (issue 12: entries were never freed, and the heap is
 * locked). Their ids change: the scanner is told.
 */
static void forget_unused(struct daemon *d)
{
        size_t n = 0;

        for (size_t i = 0; i < d->set.n; i++) {
                const struct lockd_file *f = &d->set.files[i];
                d->drop[i] = !f->pinned && !f->locked && f->refs == 0;
                if (d->drop[i]) {
                        unwatch_file(d, i);
                        n++;
                }
        }
        if (n == 0)
                return;
        lockd_set_drop(&d->set, d->drop, d->renumber);
        if (d->scanner_ok)
                lockd_scanner_remap(&d->scanner, d->renumber);
        d->full_logged = 0;
        daemon_log(d, L_DEBUG, "forgot %zu files no longer in use; %zu known", n, d->set.n);
}

void daemon_plan(struct daemon *d, bool dry_run)
{
        uint64_t start = lockd_now_usec();
        struct plan_counts n = {};
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], e[MS_SIZE_BUF];

        d->need_plan = false;
        if (!dry_run)
                daemon_measure_own(d);
        if (ensure_scratch(d) < 0) {
                daemon_log(d, L_ERR, "out of memory planning the budget");
                return;
        }
        decide(d);
        if (dry_run) {
                for (size_t i = 0; i < d->set.n; i++)
                        d->set.files[i].verdict = d->items[i].verdict;
                return;
        }
        release_unchosen(d, &n);
        lock_chosen(d, &n);
        forget_unused(d);
        if (n.newly || n.released)
                daemon_log(d, L_INFO,
                           "locked %zu files (%s) in %" PRIu64
                           " ms, released %zu (%s); holding %zu files, %s of %s; %zu skipped",
                           n.newly, fmt_size(n.newly_bytes, a), (lockd_now_usec() - start) / 1000, n.released,
                           fmt_size(n.released_bytes, e), d->set.locked_files, fmt_size(d->set.locked_bytes, b),
                           fmt_size(d->budget, c), d->skipped);
}

void daemon_print_dry_run(struct daemon *d)
{
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF];
        uint64_t total = 0;
        size_t kept = 0;

        printf("budget %s = min(max_locked %s, %u%% of %s RAM); max_file_size %s; lock_mode %s\n",
               fmt_size(d->budget, a), d->conf.max_locked ? fmt_size(d->conf.max_locked, b) : "none",
               d->conf.max_locked_percent, fmt_size(d->mem_total, c),
               d->conf.max_file_size ? ms_size_format(d->conf.max_file_size, (char[MS_SIZE_BUF]){}, MS_SIZE_BUF)
                                     : "none",
               lockd_lock_mode_name(d->conf.lock_mode));
        for (size_t k = 0; k < d->set.n; k++) {
                const struct lockd_file *f = &d->set.files[d->sortbuf[k]];
                bool keep = f->verdict == LOCKD_KEEP;

                printf("%-5s %8s  %s  (%s%s%s)\n", keep ? "lock" : "skip", fmt_size(f->bytes, a), f->path,
                       f->pinned ? "start-up" : "in use", keep ? "" : ": ", keep ? "" : lockd_verdict_name(f->verdict));
                if (keep) {
                        total += f->bytes;
                        kept++;
                }
        }
        printf("would lock %zu files, %s of a %s budget; %zu skipped\n", kept, fmt_size(total, a),
               fmt_size(d->budget, b), d->set.n - kept);
}
