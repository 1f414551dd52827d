/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Noticing files replaced on disk: inotify on the directories of the locked
 * files. Package managers write a new file and rename it over the old one
 * (IN_MOVED_TO); copying over a file rewrites it in place (IN_CLOSE_WRITE).
 * The daemon then compares the path with the inode it holds.
 */
#pragma once

#include <stddef.h>

struct lockd_watch_dir {
        int wd;
        unsigned refs;  /* files watched through it */
        char *dir;
};

struct lockd_watch {
        int fd;
        struct lockd_watch_dir *dirs;
        size_t n;
};

/* Returns 0 or -errno. */
int lockd_watch_init(struct lockd_watch *w);
void lockd_watch_free(struct lockd_watch *w);

/* Watch the directory of path below rootfd (ms_root_open() or MS_ROOT_HOST),
 * reported as dir, for one more file. Returns the watch descriptor (hand it
 * to lockd_watch_put() when the file is no longer watched) or -errno. */
int lockd_watch_file_dir(struct lockd_watch *w, int rootfd, const char *path);

/* One file less watched through wd; the directory's watch goes with the last. */
void lockd_watch_put(struct lockd_watch *w, int wd);

typedef void (*lockd_watch_fn)(const char *path, void *userdata);

/* Read pending events and call fn with the path of each file concerned.
 * Returns 0 or -errno. */
int lockd_watch_read(struct lockd_watch *w, lockd_watch_fn fn, void *userdata);
