/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Budget decisions: which of the known files to hold locked.
 *
 * Pure: given each file's size, when a build last used it and its discovery
 * order, choose the files to keep so that their sum never exceeds the budget.
 * Files are taken most recently used first (ties: discovery order, the
 * configured program order); a file larger than the per-file maximum, or
 * one that no longer fits, is skipped with its reason, and smaller files
 * after it may still fit.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum lockd_verdict {
        LOCKD_KEEP = 0,
        LOCKD_SKIP_TOO_BIG = 1,     /* larger than the per-file maximum */
        LOCKD_SKIP_OVER_BUDGET = 2, /* would exceed the total budget */
        LOCKD_SKIP_UNUSED = 3,      /* not used for release_after */
        LOCKD_SKIP_ERROR = 4,       /* cannot be opened or locked */
};

struct lockd_budget_item {
        uint64_t bytes;     /* what locking it costs */
        uint64_t last_used; /* monotonic usec of the last use; 0: never seen in use */
        unsigned order;     /* discovery order, lower first */
        int pinned;         /* found at start-up from the configuration: never released as unused */
        int failed;         /* could not be locked: never kept */
        enum lockd_verdict verdict; /* out */
};

struct lockd_budget_result {
        uint64_t kept_bytes;
        size_t kept, skipped;
};

/*
 * Decide for each item. budget and max_file are bytes (0: no limit for
 * max_file). now and release_after (0: never) are in usec: an unpinned file
 * never used (last_used 0), or whose last use is older than now -
 * release_after, is released.
 * sort_buf must hold n indices (scratch space; avoids allocating).
 */
void lockd_budget_plan(struct lockd_budget_item *items, size_t n, uint64_t budget, uint64_t max_file,
                       uint64_t now, uint64_t release_after, size_t *sort_buf, struct lockd_budget_result *res);

const char *lockd_verdict_name(enum lockd_verdict v);
