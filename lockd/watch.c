/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util/fileio.h"
#include "lockd/watch.h"

#define EVENTS (IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_ONLYDIR)

int lockd_watch_init(struct lockd_watch *w)
{
        *w = (struct lockd_watch){};
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        return w->fd < 0 ? -errno : 0;
}

void lockd_watch_free(struct lockd_watch *w)
{
        for (size_t i = 0; i < w->n; i++)
                free(w->dirs[i].dir);
        free(w->dirs);
        if (w->fd >= 0)
                close(w->fd);
        *w = (struct lockd_watch){ .fd = -1 };
}

int lockd_watch_file_dir(struct lockd_watch *w, int rootfd, const char *path)
{
        const char *slash = strrchr(path, '/');
        char dir[PATH_MAX], full[PATH_MAX], root[MS_ROOT_PREFIX_MAX];
        struct lockd_watch_dir *dirs;
        size_t len;
        int wd;

        if (!slash)
                return -EINVAL;
        len = slash == path ? 1 : (size_t)(slash - path);
        if (len >= sizeof(dir))
                return -ENAMETOOLONG;
        memcpy(dir, path, len);
        dir[len] = '\0';
        for (size_t i = 0; i < w->n; i++) {
                if (strcmp(w->dirs[i].dir, dir) == 0) {
                        w->dirs[i].refs++;
                        return w->dirs[i].wd;
                }
        }
        if (ms_root_prefix(rootfd, root, sizeof(root)) < 0 ||
            (size_t)snprintf(full, sizeof(full), "%s%s", root, dir) >= sizeof(full))
                return -ENAMETOOLONG;
        wd = inotify_add_watch(w->fd, full, EVENTS);
        if (wd < 0)
                return -errno;
        dirs = realloc(w->dirs, (w->n + 1) * sizeof(*dirs));
        if (dirs)
                w->dirs = dirs;
        if (!dirs || !(w->dirs[w->n].dir = strdup(dir))) {
                inotify_rm_watch(w->fd, wd);
                return -ENOMEM;
        }
        w->dirs[w->n].wd = wd;
        w->dirs[w->n].refs = 1;
        w->n++;
        return wd;
}

void lockd_watch_put(struct lockd_watch *w, int wd)
{
        for (size_t i = 0; i < w->n; i++) {
                if (w->dirs[i].wd != wd)
                        continue;
                if (--w->dirs[i].refs > 0)
                        return;
                inotify_rm_watch(w->fd, wd);
                free(w->dirs[i].dir);
                w->dirs[i] = w->dirs[--w->n];
                return;
        }
}

int lockd_watch_read(struct lockd_watch *w, lockd_watch_fn fn, void *userdata)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(w->fd, buf, sizeof(buf));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? 0 : -errno;
                }
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;

                        p += sizeof(*ev) + ev->len;
                        if (ev->len == 0 || ev->mask & IN_ISDIR)
                                continue;
                        for (size_t i = 0; i < w->n; i++) {
                                char path[PATH_MAX];

                                if (w->dirs[i].wd != ev->wd)
                                        continue;
                                if ((size_t)snprintf(path, sizeof(path), "%s/%s",
                                                     strcmp(w->dirs[i].dir, "/") == 0 ? "" : w->dirs[i].dir,
                                                     ev->name) < sizeof(path))
                                        fn(path, userdata);
                                break;
                        }
                }
        }
}
