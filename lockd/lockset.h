/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The files memstop-lockd knows, and the locking of them.
 *
 * A file is locked by opening it read-only, mapping it PROT_READ|MAP_SHARED
 * (a private writable mapping would lock copies, not the page cache) and
 * mlock()ing either the whole mapping or only the ranges the loader maps
 * (ELF PT_LOAD). While one lock holds, the pages stay resident for every
 * process that maps the file. Unlocking unmaps, which also lets go of the
 * inode: a file replaced on disk is released, not pinned.
 *
 * Files are addressed by index; indices stay valid until lockd_set_clear().
 * Paths are absolute and looked up below a root fd (ms_root_open() or
 * MS_ROOT_HOST).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockd/budget.h"
#include "lockd/conf.h"
#include "lockd/elfinfo.h"

struct lockd_file {
        char *path;
        uint64_t dev, ino;       /* of the file as last opened */
        uint64_t size;           /* file size */
        uint64_t bytes;          /* what locking it costs (page-rounded) */
        struct lockd_range *ranges; /* segments mode: what to lock; NULL: whole file */
        unsigned nranges;
        void *map;               /* while locked */
        size_t map_len;
        uint64_t last_used;      /* monotonic usec; 0: not seen in use */
        uint64_t locked_usec;    /* how long the last lock took */
        unsigned order;
        bool pinned;             /* found at start-up */
        bool locked;
        int error;               /* last -errno of open/map/lock, 0 */
        enum lockd_verdict verdict;
};

struct lockd_set {
        struct lockd_file *files;
        size_t n, cap;
        size_t *index;           /* open addressing by path: file index + 1, 0 empty */
        size_t index_size;
        unsigned next_order;
        uint64_t locked_bytes;
        size_t locked_files;
        uint64_t page;
        enum lockd_lock_mode mode;
        int rootfd;              /* not owned */
};

void lockd_set_init(struct lockd_set *s, int rootfd, enum lockd_lock_mode mode);
/* Unlock everything and forget all files. */
void lockd_set_clear(struct lockd_set *s);

/* Index of path, or -1. */
long lockd_set_find(const struct lockd_set *s, const char *path);

/*
 * Add path (absolute, below the root) or find it. A new file is examined
 * (stat, and the ELF segments in segments mode) but not locked. pinned is
 * OR-ed in; last_used raised to used (0 leaves it). Returns the index, or
 * -errno (-EINVAL: not a regular file).
 */
long lockd_set_add(struct lockd_set *s, const char *path, bool pinned, uint64_t used);

/* Mark a file as used now by a build. */
void lockd_set_touch(struct lockd_set *s, size_t i, uint64_t now);

/*
 * Lock file i if at most limit bytes are needed (the caller's remaining
 * budget): the file is opened again, so a file that grew is not locked
 * beyond limit (-EFBIG). Returns 0, -EFBIG or -errno (also kept in error).
 */
int lockd_set_lock(struct lockd_set *s, size_t i, uint64_t limit);
void lockd_set_unlock(struct lockd_set *s, size_t i);

enum lockd_change {
        LOCKD_UNCHANGED = 0,
        LOCKD_REPLACED = 1, /* the path now names another inode, or the size changed */
        LOCKD_GONE = 2,     /* the path no longer exists */
};

/*
 * Compare the path on disk with what is known (dev, ino, size). On a change
 * the file is unlocked and re-examined (a gone file keeps its entry with
 * error -ENOENT). Returns the change.
 */
enum lockd_change lockd_set_check(struct lockd_set *s, size_t i);

/* The whole-file cost of a size: rounded up to pages. */
uint64_t lockd_round_pages(uint64_t bytes, uint64_t page);
