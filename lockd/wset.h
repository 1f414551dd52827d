/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A file's working set (issue 14): the page ranges of the file that builds
 * were seen using, learned over many runs and locked instead of whole ELF
 * segments.
 *
 * Pure: a set is a list of byte ranges of the file, page-aligned, sorted,
 * disjoint and never adjacent (touching ranges are coalesced into one). It
 * grows by union: lockd_wset_add() adds a range, lockd_wset_add_vector() the
 * pages marked present in a residency vector (one byte per page, bit 0 set:
 * present, as mincore(2) fills it; the daemon makes the same vector from
 * /proc/PID/pagemap, see wsample.h). At most LOCKD_WSET_MAX_RANGES ranges are
 * kept: beyond that the two ranges with the smallest gap between them are
 * merged, so a set is bounded in memory and never loses a learned page.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockd/elfinfo.h"

#define LOCKD_WSET_MAX_RANGES 4096u

struct lockd_wset {
        struct lockd_range *r;
        unsigned n, cap;
};

void lockd_wset_free(struct lockd_wset *w);

/*
 * Add [offset, offset + length), widened to whole pages of size page (a
 * power of two). Returns 1 if the set grew, 0 if it already held the range,
 * -EINVAL (length 0, page not a power of two, overflow) or -ENOMEM.
 */
int lockd_wset_add(struct lockd_wset *w, uint64_t offset, uint64_t length, uint64_t page);

/*
 * Add the pages of vec[0..npages) with bit 0 set; vec[k] stands for the page
 * at file offset base + k * page (base page-aligned). Returns 1 if the set
 * grew, 0 if not, or -errno.
 */
int lockd_wset_add_vector(struct lockd_wset *w, uint64_t base, const unsigned char *vec, size_t npages,
                          uint64_t page);

/* Bytes the set covers. */
uint64_t lockd_wset_bytes(const struct lockd_wset *w);

/* Drop what lies at or beyond end (rounded up to a page): a file that shrank. */
void lockd_wset_clip(struct lockd_wset *w, uint64_t end, uint64_t page);

/*
 * Whether ranges r[0..n) form a valid set for a file of size bytes: each
 * page-aligned, non-empty, within the file's pages, sorted, disjoint and not
 * adjacent, n at most LOCKD_WSET_MAX_RANGES. What a state file says is
 * checked with it before it is believed.
 */
bool lockd_wset_valid(const struct lockd_range *r, unsigned n, uint64_t size, uint64_t page);

/* Replace dst by a copy of src. Returns 0 or -ENOMEM (dst unchanged). */
int lockd_wset_copy(struct lockd_wset *dst, const struct lockd_wset *src);

/* The programs seen using a file (process names, as comm shows them),
 * at most LOCKD_TOOLS_MAX per file: what `--status` shows per tool. */
#define LOCKD_TOOLS_MAX 8u
#define LOCKD_TOOL_NAME 16u

struct lockd_tools {
        char name[LOCKD_TOOLS_MAX][LOCKD_TOOL_NAME];
        unsigned n;
};

/* A name of 1..15 characters of [A-Za-z0-9._+-]: safe on a line of its own. */
bool lockd_tool_name_valid(const char *name);

/* Add name (valid) if not there and there is room. Returns 1 if added, 0 if not. */
int lockd_tools_add(struct lockd_tools *t, const char *name);
