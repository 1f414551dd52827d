/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Budget decisions: which of the known files to hold locked.
 *
 * Pure: given each file's cost, how it was found, who uses it, when a build
 * last used it and its discovery order, choose the files to keep so that
 * their sum never exceeds the budget. Files rank in three classes (issue 12:
 * no user's own program may push the toolchain out):
 *
 *   1. files of the start-up search (pinned): the configured toolchain;
 *   2. files in use by processes of two users or more (shared);
 *   3. files only one user's processes use, each user's together at most
 *      user_share percent of the budget.
 *
 * Within a class the most recently used come first, then discovery order
 * (the configured program order). A file larger than the per-file maximum,
 * or one that no longer fits, is skipped with its reason; smaller files after
 * it may still fit. A budget of 0 keeps nothing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum lockd_verdict {
        LOCKD_KEEP = 0,
        LOCKD_SKIP_TOO_BIG = 1,     /* larger than the per-file maximum */
        LOCKD_SKIP_OVER_BUDGET = 2, /* would exceed the total budget */
        LOCKD_SKIP_UNUSED = 3,      /* not used for release_after */
        LOCKD_SKIP_ERROR = 4,       /* cannot be opened or locked */
        LOCKD_SKIP_USER_SHARE = 5,  /* would exceed its user's share of the budget */
};

/* Distinct users whose own files are counted against their share in one
 * plan; the files of further users are skipped (as over their share). */
#define LOCKD_BUDGET_MAX_USERS 256

struct lockd_budget_item {
        uint64_t bytes;     /* what locking it costs */
        uint64_t last_used; /* monotonic usec of the last use; 0: never seen in use */
        unsigned order;     /* discovery order, lower first */
        int pinned;         /* found at start-up from the configuration: never released as unused */
        int shared;         /* used by processes of two users or more */
        uid_t user;         /* the one user using it (when neither pinned nor shared) */
        int failed;         /* could not be locked: never kept */
        enum lockd_verdict verdict; /* out */
};

struct lockd_budget_params {
        uint64_t budget;        /* bytes; 0 keeps nothing */
        uint64_t max_file;      /* bytes; 0: no per-file limit */
        uint64_t now;           /* usec, the clock of last_used */
        uint64_t release_after; /* usec; 0: never released for being unused */
        unsigned user_share;    /* percent of budget one user's own files may take (100: all) */
};

struct lockd_budget_result {
        uint64_t kept_bytes;
        size_t kept, skipped;
};

/*
 * Decide for each item. An unpinned file never used (last_used 0), or whose
 * last use is older than now - release_after, is released. sort_buf must
 * hold n indices (scratch space; avoids allocating); on return it lists the
 * items in rank order.
 */
void lockd_budget_plan(struct lockd_budget_item *items, size_t n, const struct lockd_budget_params *p,
                       size_t *sort_buf, struct lockd_budget_result *res);

const char *lockd_verdict_name(enum lockd_verdict v);
