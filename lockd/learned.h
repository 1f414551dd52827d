/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What memstop-lockd learned, kept across restarts (issue 14): the files
 * builds used, each with its working set (wset.h) and the programs seen using
 * it, in var/lib/memstop-lockd/learned below the state root. After a reboot
 * the daemon locks these at once, before the first build.
 *
 * The file is read by a daemon started as root and written by the same
 * daemon after it gave up its privileges: it is never trusted. It is opened
 * without following a symbolic link (its directory may be one, as systemd's
 * DynamicUser= makes it, and must be writable by its owner only: the
 * daemon's user, or root), must be a regular file of the directory's owner
 * writable by nobody else, at most LOCKD_LEARNED_MAX_SIZE
 * bytes, and is parsed strictly; any fault rejects the whole file (the
 * caller warns and learns anew). Each entry only names a candidate: the path
 * is opened as every other (lockset.h) and its working set believed only if
 * the file's device, inode, size and modification time are the ones learned;
 * a file replaced since (an upgrade) is learned again.
 *
 * Format, version 1, one record per line, numbers in decimal:
 *
 *   memstop-lockd-learned 1 PAGESIZE
 *   file DEV INO SIZE MTIME_SEC MTIME_NSEC NTOOLS NRANGES PATH
 *   tool NAME                       (NTOOLS lines)
 *   range OFFSET LENGTH             (NRANGES lines; 0: not learned yet,
 *                                    the file's ELF segments are locked)
 *   end                             (the last line)
 *
 * PATH is the rest of the line: absolute, without control characters.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lockd/lockset.h"
#include "lockd/wset.h"

#define LOCKD_LEARNED_DIR "var/lib/memstop-lockd"
#define LOCKD_LEARNED_PATH "var/lib/memstop-lockd/learned"
#define LOCKD_LEARNED_MAX_SIZE (16u << 20)
#define LOCKD_LEARNED_MAX_PATH 4096u

struct lockd_learned_file {
        char *path;
        uint64_t dev, ino, size;
        int64_t mtime_sec;
        long mtime_nsec;
        struct lockd_tools tools;
        struct lockd_wset ws;
};

struct lockd_learned {
        struct lockd_learned_file *f;
        size_t n, cap;
};

void lockd_learned_free(struct lockd_learned *l);

/*
 * Parse text[0..len) (need not end in NUL) written for pages of size page.
 * At most max_files entries. Returns 0, -EINVAL with *reason and *line set
 * (a corrupt file, or one of another page size or version), -E2BIG (more
 * than max_files) or -ENOMEM. On error out is empty.
 */
int lockd_learned_parse(const char *text, size_t len, uint64_t page, size_t max_files,
                        struct lockd_learned *out, const char **reason, unsigned *line);

/*
 * Format files[0..n) as the file holds them into a new buffer *text (free()
 * it) of *len bytes. Entries with an invalid path, tool name or working set
 * are left out. Returns 0 or -ENOMEM.
 */
int lockd_learned_format(const struct lockd_learned_file *files, size_t n, uint64_t page, char **text,
                         size_t *len);

/*
 * Read and parse LOCKD_LEARNED_PATH below rootfd, opened as the header says.
 * Returns 0, -ENOENT (nothing learned yet), -EPERM (wrong owner, type or
 * mode), -EFBIG, or lockd_learned_parse()'s errors; *reason says why.
 */
int lockd_learned_read(int rootfd, uint64_t page, size_t max_files, struct lockd_learned *out,
                       const char **reason, unsigned *line);

/* Write files atomically below rootfd (the directory made if missing, mode
 * 0700; the file 0600). Returns 0 or -errno. */
int lockd_learned_write(int rootfd, const struct lockd_learned_file *files, size_t n, uint64_t page);

/*
 * Take what entry e says of file i of s (found at e's path): its programs
 * always, its working set only if the file is still the one learned (device,
 * inode, size, modification time; then it is applied, lockset.h). Returns 1
 * if the set was taken, 0 if the file changed since (stale: learn it anew),
 * or -ENOMEM.
 */
int lockd_learned_adopt(struct lockd_set *s, size_t i, const struct lockd_learned_file *e);
