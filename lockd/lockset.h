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
 * Files are addressed by index; indices stay valid until lockd_set_drop()
 * (which says where each one went) or lockd_set_clear(). Paths are absolute
 * and looked up below a root fd (ms_root_open() or MS_ROOT_HOST).
 *
 * Which file is opened (issue 12): a path must be normal (no ".", ".." or
 * empty component) and lie below one of the allowed directories; the
 * directory is opened as configured, the rest of the path below it without
 * following any symbolic link (ms_open_beneath()), and only a regular file is
 * taken. A path read from a process's /proc/PID/maps only names a candidate:
 * it is added only if the file found is the very file mapped, its identity
 * equal to the maps line's device and inode (lockd_ident).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockd/budget.h"
#include "lockd/conf.h"
#include "lockd/elfinfo.h"
#include "lockd/wset.h"

/*
 * A file as /proc/PID/maps names it: the device (major:minor) and inode the
 * kernel prints for a mapping. On most file systems it equals stat()'s
 * st_dev and st_ino; where it does not (btrfs subvolumes, overlayfs), the
 * daemon maps the candidate itself and reads its own maps line.
 */
struct lockd_ident {
        unsigned major, minor;
        uint64_t ino;
};

#define LOCKD_FILE_NO_USER ((uid_t)-1)

struct lockd_file {
        char *path;
        uint64_t dev, ino;       /* of the file as last opened */
        uint64_t size;           /* file size */
        uint64_t bytes;          /* what locking it costs (page-rounded) */
        struct lockd_range *ranges; /* segments mode: what to lock; NULL: whole file */
        unsigned nranges;
        struct lockd_range *segs; /* its ELF segments (NULL: not ELF, or whole mode) */
        unsigned nsegs;
        int64_t mtime_sec;       /* of the file as last opened */
        long mtime_nsec;
        struct lockd_wset learned; /* workingset mode: the pages builds were seen using */
        bool use_learned;        /* ranges is the learned set, maybe empty (else the ELF segments) */
        bool learned_dirty;      /* learned grew since it was last applied */
        bool learned_exact;      /* learned from the processes' pagemap (not residency) */
        struct lockd_tools tools; /* the programs seen using it */
        void *map;               /* while locked */
        size_t map_len;
        uint64_t last_used;      /* monotonic usec; 0: not seen in use */
        uint64_t locked_usec;    /* how long the last lock took */
        unsigned order;
        struct lockd_ident ident; /* what maps lines show for it, when ident_known */
        bool ident_known;
        uint32_t refs;           /* processes that map it now (lockd_set_ref) */
        uid_t user;              /* the first user seen using it, LOCKD_FILE_NO_USER */
        bool shared;             /* used by processes of two users or more */
        int wd;                  /* the daemon's inotify watch of its directory, or -1 */
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
        const struct lockd_list *allowed; /* not owned; NULL: everything below the root */
        size_t max_files;        /* lockd_set_add() refuses more (-ENOSPC) */
};

/* An empty set: no limit on files, every path below the root allowed until
 * the caller sets allowed and max_files. */
void lockd_set_init(struct lockd_set *s, int rootfd, enum lockd_lock_mode mode);
/* Unlock everything and forget all files. */
void lockd_set_clear(struct lockd_set *s);

/* Index of path, or -1. */
long lockd_set_find(const struct lockd_set *s, const char *path);

/*
 * Add path (absolute, normal, below an allowed directory) or find it. A new
 * file is opened as described above and examined (fstat, and the ELF
 * segments in segments mode) but not locked. With ident (a maps line's), the
 * file found must be that one, for a known path as for a new one. pinned is
 * OR-ed in; last_used raised to used (0 leaves it). Returns the index, or
 * -errno: -EPERM (not normal or not allowed), -ELOOP/-ENOTDIR (a symbolic
 * link on the way), -EINVAL (not a regular file), -ESTALE (another file
 * than the one mapped), -ENOSPC (max_files reached).
 */
long lockd_set_add(struct lockd_set *s, const char *path, bool pinned, uint64_t used,
                   const struct lockd_ident *ident);

/* A process of user uid maps file i now / no longer (reference counts). */
void lockd_set_ref(struct lockd_set *s, size_t i, uid_t uid);
void lockd_set_unref(struct lockd_set *s, size_t i);

/*
 * Forget the files with drop[i] set (unlocking them) and close the gaps:
 * map[old index] receives the new index, or UINT32_MAX for a dropped file.
 * Returns how many were dropped.
 */
size_t lockd_set_drop(struct lockd_set *s, const bool *drop, uint32_t *map);

/*
 * The identity /proc/self/maps shows for a mapping of the open file fd: the
 * file is mapped for a moment and the line of that mapping read. Returns 0
 * or -errno.
 */
int lockd_file_ident(int fd, struct lockd_ident *out);

/* Mark a file as used now by a build. */
void lockd_set_touch(struct lockd_set *s, size_t i, uint64_t now);

/*
 * Lock file i if at most limit bytes are needed (the caller's remaining
 * budget): the file is opened again, so a file that grew is not locked
 * beyond limit (-EFBIG). Returns 0, -EFBIG or -errno (also kept in error).
 */
int lockd_set_lock(struct lockd_set *s, size_t i, uint64_t limit);
void lockd_set_unlock(struct lockd_set *s, size_t i);

/*
 * Workingset mode: make file i's learned set what is locked (ranges and
 * bytes), if it has one. A locked file is locked again in place: the new
 * ranges first, then the pages no longer in them let go, so that what stays
 * chosen is never unlocked. limit is what the file may cost in all (the
 * remaining budget plus what it holds now): a set that grew beyond it is not
 * applied (-EFBIG). Returns 1 if applied, 0 if nothing to do, or -errno.
 */
int lockd_set_apply_learned(struct lockd_set *s, size_t i, uint64_t limit);

/*
 * Workingset mode: start learning file i, locked whole (its segments) and
 * no longer in use. Its residency must say what builds use, not what the
 * daemon held: the file is unlocked, the daemon's mapping of it emptied and
 * its cached pages no process maps dropped (POSIX_FADV_DONTNEED). It stays
 * mapped, locking only its learned set (empty so far). Returns 0 or -errno.
 */
int lockd_set_learn_anew(struct lockd_set *s, size_t i);

/*
 * Workingset mode: add the pages of file i (locked, learning) that are in
 * the page cache now (mincore(2) of the daemon's mapping, within the file's
 * segments) to its learned set. Returns 1 if it grew, 0 if not, -errno.
 */
int lockd_set_sample(struct lockd_set *s, size_t i);

enum lockd_change {
        LOCKD_UNCHANGED = 0,
        LOCKD_REPLACED = 1, /* the path now names another inode, or the size changed */
        LOCKD_GONE = 2,     /* the path no longer exists */
};

/*
 * Compare the path on disk with what is known (dev, ino, size), opening it
 * as lockd_set_add() does: a symbolic link put in its place counts as gone,
 * never followed. On a change the file is unlocked and re-examined (a gone
 * file keeps its entry with error -ENOENT), and what was learned of the old
 * file is forgotten (relearned from the next builds). Returns the change.
 */
enum lockd_change lockd_set_check(struct lockd_set *s, size_t i);

/* The whole-file cost of a size: rounded up to pages. */
uint64_t lockd_round_pages(uint64_t bytes, uint64_t page);
