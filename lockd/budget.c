/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>

#include "lockd/budget.h"

static int rank(const struct lockd_budget_item *it)
{
        return it->pinned ? 0 : it->shared ? 1 : 2;
}

/* qsort_r keeps the comparison free of globals. */
static int by_priority(const void *a, const void *b, void *userdata)
{
        const struct lockd_budget_item *items = userdata;
        const struct lockd_budget_item *x = &items[*(const size_t *)a];
        const struct lockd_budget_item *y = &items[*(const size_t *)b];

        if (rank(x) != rank(y))
                return rank(x) < rank(y) ? -1 : 1;
        if (x->last_used != y->last_used)
                return x->last_used > y->last_used ? -1 : 1;
        if (x->order != y->order)
                return x->order < y->order ? -1 : 1;
        return 0;
}

struct user_total {
        uid_t user;
        uint64_t bytes;
};

/* What user's own files already hold; NULL when the table is full. */
static uint64_t *user_bytes(struct user_total *t, size_t *n, uid_t user)
{
        for (size_t i = 0; i < *n; i++)
                if (t[i].user == user)
                        return &t[i].bytes;
        if (*n == LOCKD_BUDGET_MAX_USERS)
                return NULL;
        t[*n] = (struct user_total){ user, 0 };
        return &t[(*n)++].bytes;
}

static enum lockd_verdict judge(const struct lockd_budget_item *it, const struct lockd_budget_params *p,
                                uint64_t kept, uint64_t *user_kept)
{
        uint64_t share = p->budget / 100 * p->user_share + p->budget % 100 * p->user_share / 100;

        if (it->failed)
                return LOCKD_SKIP_ERROR;
        if (!it->pinned && (it->last_used == 0 || (p->release_after && p->now > p->release_after &&
                                                    it->last_used < p->now - p->release_after)))
                return LOCKD_SKIP_UNUSED;
        if (p->max_file && it->bytes > p->max_file)
                return LOCKD_SKIP_TOO_BIG;
        if (it->bytes > p->budget - kept)
                return LOCKD_SKIP_OVER_BUDGET;
        if (rank(it) == 2 && (!user_kept || it->bytes > share || *user_kept > share - it->bytes))
                return LOCKD_SKIP_USER_SHARE;
        return LOCKD_KEEP;
}

void lockd_budget_plan(struct lockd_budget_item *items, size_t n, const struct lockd_budget_params *p,
                       size_t *sort_buf, struct lockd_budget_result *res)
{
        struct user_total users[LOCKD_BUDGET_MAX_USERS];
        struct lockd_budget_result r = {};
        size_t nusers = 0;

        *res = r;
        if (n == 0)
                return;
        for (size_t i = 0; i < n; i++)
                sort_buf[i] = i;
        qsort_r(sort_buf, n, sizeof(size_t), by_priority, items);
        for (size_t k = 0; k < n; k++) {
                struct lockd_budget_item *it = &items[sort_buf[k]];
                uint64_t *user_kept = rank(it) == 2 ? user_bytes(users, &nusers, it->user) : NULL;

                it->verdict = judge(it, p, r.kept_bytes, user_kept);
                if (it->verdict == LOCKD_KEEP) {
                        r.kept_bytes += it->bytes;
                        r.kept++;
                        if (user_kept)
                                *user_kept += it->bytes;
                } else {
                        r.skipped++;
                }
        }
        *res = r;
}

const char *lockd_verdict_name(enum lockd_verdict v)
{
        switch (v) {
        case LOCKD_KEEP:
                return "kept";
        case LOCKD_SKIP_TOO_BIG:
                return "larger than max_file_size";
        case LOCKD_SKIP_OVER_BUDGET:
                return "over budget";
        case LOCKD_SKIP_UNUSED:
                return "unused for release_after";
        case LOCKD_SKIP_ERROR:
                return "cannot be locked";
        case LOCKD_SKIP_USER_SHARE:
                return "over its user's share (max_user_share)";
        }
        return "?";
}
