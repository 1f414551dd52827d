/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>

#include "lockd/budget.h"

/* qsort_r keeps the comparison free of globals. */
static int by_priority(const void *a, const void *b, void *userdata)
{
        const struct lockd_budget_item *items = userdata;
        const struct lockd_budget_item *x = &items[*(const size_t *)a];
        const struct lockd_budget_item *y = &items[*(const size_t *)b];

        if (x->last_used != y->last_used)
                return x->last_used > y->last_used ? -1 : 1;
        if (x->order != y->order)
                return x->order < y->order ? -1 : 1;
        return 0;
}

void lockd_budget_plan(struct lockd_budget_item *items, size_t n, uint64_t budget, uint64_t max_file,
                       uint64_t now, uint64_t release_after, size_t *sort_buf, struct lockd_budget_result *res)
{
        struct lockd_budget_result r = {};

        *res = r;
        if (n == 0)
                return;
        for (size_t i = 0; i < n; i++)
                sort_buf[i] = i;
        qsort_r(sort_buf, n, sizeof(size_t), by_priority, items);
        for (size_t k = 0; k < n; k++) {
                struct lockd_budget_item *it = &items[sort_buf[k]];

                if (it->failed)
                        it->verdict = LOCKD_SKIP_ERROR;
                else if (!it->pinned && (it->last_used == 0 ||
                                           (release_after && now > release_after && it->last_used < now - release_after)))
                        it->verdict = LOCKD_SKIP_UNUSED;
                else if (max_file && it->bytes > max_file)
                        it->verdict = LOCKD_SKIP_TOO_BIG;
                else if (it->bytes > budget - r.kept_bytes)
                        it->verdict = LOCKD_SKIP_OVER_BUDGET;
                else
                        it->verdict = LOCKD_KEEP;
                if (it->verdict == LOCKD_KEEP) {
                        r.kept_bytes += it->bytes;
                        r.kept++;
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
        }
        return "?";
}
