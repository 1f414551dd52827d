/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/macro.h"
#include "lockd/maps.h"
#include "lockd/match.h"
#include "lockd/procscan.h"

#define PF_KTHREAD_FLAG 0x00200000u
#define SCAN_BUFSIZE 8192

int lockd_stat_parse(const char *text, char *comm, size_t comm_size, unsigned *flags, uint64_t *starttime)
{
        const char *open = strchr(text, '('), *close = strrchr(text, ')');
        unsigned long long fields[20];
        const char *p;
        size_t len;
        char state;

        if (!open || !close || close < open || comm_size == 0)
                return -EINVAL;
        len = (size_t)(close - open - 1);
        if (len >= comm_size)
                len = comm_size - 1;
        memcpy(comm, open + 1, len);
        comm[len] = '\0';
        p = close + 1;
        /* Field 3 is the state letter, then numbers: 4 ppid ... 22 starttime. */
        if (sscanf(p, " %c", &state) != 1)
                return -EINVAL;
        p += 2;
        for (int i = 0; i < 19; i++) {
                char *end;
                while (*p == ' ')
                        p++;
                if (*p == '-')
                        p++; /* negative fields (nice, priority) only matter as separators */
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                fields[i] = strtoull(p, &end, 10);
                if (errno)
                        return -EINVAL;
                p = end;
        }
        /* fields[0] is field 4 (ppid): flags is field 9, starttime field 22. */
        *flags = (unsigned)fields[9 - 4];
        *starttime = fields[22 - 4];
        return 0;
}

int lockd_scanner_init(struct lockd_scanner *s, const char *procdir, const struct lockd_scan_ops *ops,
                       void *userdata)
{
        *s = (struct lockd_scanner){ .procfd = -1, .ops = ops, .userdata = userdata, .self = getpid() };
        s->procfd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->procfd < 0)
                return -errno;
        s->buf = malloc(SCAN_BUFSIZE);
        if (!s->buf) {
                lockd_scanner_free(s);
                return -ENOMEM;
        }
        s->bufsize = SCAN_BUFSIZE;
        return 0;
}

static void procs_free(struct lockd_proc *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(p[i].files);
}

void lockd_scanner_reset(struct lockd_scanner *s)
{
        procs_free(s->procs, s->n);
        s->n = 0;
}

void lockd_scanner_free(struct lockd_scanner *s)
{
        lockd_scanner_reset(s);
        free(s->procs);
        free(s->next);
        free(s->buf);
        if (s->dir)
                closedir(s->dir);
        else if (s->procfd >= 0)
                close(s->procfd);
        *s = (struct lockd_scanner){ .procfd = -1 };
}

static struct lockd_proc *find_old(struct lockd_scanner *s, pid_t pid)
{
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->procs[mid].pid == pid)
                        return &s->procs[mid];
                if (s->procs[mid].pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* Read PID/stat. Returns 0, -ESRCH when the process is gone, -EINVAL. */
static int read_stat(struct lockd_scanner *s, pid_t pid, char *comm, unsigned *flags, uint64_t *starttime)
{
        _cleanup_close_ int fd = -1;
        char path[32];
        ssize_t n;

        s->last.stat_reads++;
        snprintf(path, sizeof(path), "%d/stat", (int)pid);
        fd = openat(s->procfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
        do
                n = read(fd, s->buf, s->bufsize - 1);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n == 0 || errno == ESRCH ? -ESRCH : -errno;
        s->buf[n] = '\0';
        return lockd_stat_parse(s->buf, comm, TASK_COMM_LEN, flags, starttime);
}

static bool matches(struct lockd_scanner *s, pid_t pid, const char *comm)
{
        char path[32], exe[4096];
        ssize_t n;

        if (s->ops->match(comm, s->userdata))
                return true;
        if (strlen(comm) < TASK_COMM_LEN - 1)
                return false;
        /* comm may have been cut at 15 characters: ask for the executable. */
        snprintf(path, sizeof(path), "%d/exe", (int)pid);
        n = readlinkat(s->procfd, path, exe, sizeof(exe) - 1);
        if (n <= 0)
                return false;
        exe[n] = '\0';
        return s->ops->match(lockd_basename(exe), s->userdata);
}

struct collect {
        struct lockd_scanner *s;
        uint32_t *files;
        uint32_t n, cap;
        int error;
};

static int collect_mapping(const struct lockd_mapping *m, void *userdata)
{
        struct collect *c = userdata;
        long id;

        if (m->kind != LOCKD_MAP_FILE || m->deleted || !m->exec)
                return 0;
        id = c->s->ops->file(m->path, c->s->userdata);
        if (id < 0)
                return 0;
        for (uint32_t i = 0; i < c->n; i++)
                if (c->files[i] == (uint32_t)id)
                        return 0;
        if (c->n == c->cap) {
                uint32_t cap = c->cap ? c->cap * 2 : 16;
                uint32_t *f = realloc(c->files, cap * sizeof(uint32_t));
                if (!f) {
                        c->error = -ENOMEM;
                        return 1;
                }
                c->files = f;
                c->cap = cap;
        }
        c->files[c->n++] = (uint32_t)id;
        return 0;
}

/* A process image seen for the first time (new pid, or exec'd). */
static void examine(struct lockd_scanner *s, struct lockd_proc *p, const char *comm, unsigned flags)
{
        struct collect c = { .s = s };
        int r;

        free(p->files);
        p->files = NULL;
        p->nfiles = 0;
        p->matched = false;
        snprintf(p->comm, sizeof(p->comm), "%s", comm);
        if (flags & PF_KTHREAD_FLAG || p->pid == s->self)
                return;
        if (!matches(s, p->pid, comm))
                return;
        p->matched = true;
        s->last.maps_reads++;
        r = lockd_maps_read(s->procfd, p->pid, s->buf, s->bufsize, collect_mapping, &c, NULL);
        if (r < 0 && r != -ESRCH && r != -ENOENT)
                s->last.errors++;
        else if (r < 0)
                s->last.vanished++;
        p->files = c.files;
        p->nfiles = c.n;
}

int lockd_scan(struct lockd_scanner *s)
{
        struct dirent *de;
        size_t m = 0;
        bool sorted = true;

        s->last = (struct lockd_scan_stats){};
        s->scan++;
        if (!s->dir) {
                int fd = dup(s->procfd);
                if (fd < 0)
                        return -errno;
                s->dir = fdopendir(fd);
                if (!s->dir) {
                        close(fd);
                        return -errno;
                }
        } else {
                rewinddir(s->dir);
        }
        errno = 0;
        while ((de = readdir(s->dir))) {
                struct lockd_proc *old, *p;
                char comm[TASK_COMM_LEN];
                unsigned flags = 0;
                uint64_t start = 0;
                char *end;
                long pid;
                int r;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0 || pid > INT32_MAX)
                        continue;
                s->last.processes++;
                if (m == s->next_cap) {
                        size_t cap = s->next_cap ? s->next_cap * 2 : 256;
                        struct lockd_proc *next = realloc(s->next, cap * sizeof(*next));
                        if (!next)
                                break; /* a partial scan; the rest next time */
                        s->next = next;
                        s->next_cap = cap;
                }
                old = find_old(s, (pid_t)pid);
                p = &s->next[m];
                if (old && old->ino == de->d_ino) {
                        bool young = s->scan - old->first_scan <= 1;

                        *p = *old;
                        old->files = NULL; /* moved */
                        if (p->matched || young) {
                                /* An exec changes comm (and the image). */
                                r = read_stat(s, p->pid, comm, &flags, &start);
                                if (r < 0) {
                                        if (r == -ESRCH)
                                                s->last.vanished++;
                                        else
                                                s->last.errors++;
                                        free(p->files);
                                        continue;
                                }
                                if (start != p->starttime) {
                                        *p = (struct lockd_proc){ .pid = p->pid, .ino = de->d_ino, .starttime = start,
                                                                  .first_scan = s->scan, .files = p->files };
                                        examine(s, p, comm, flags);
                                } else if (strcmp(comm, p->comm) != 0 || (p->matched && young)) {
                                        /* exec'd, or just started: libraries may be loaded late (dlopen) */
                                        examine(s, p, comm, flags);
                                }
                        }
                } else {
                        r = read_stat(s, (pid_t)pid, comm, &flags, &start);
                        if (r < 0) {
                                if (r == -ESRCH)
                                        s->last.vanished++;
                                else
                                        s->last.errors++;
                                continue;
                        }
                        if (old && old->starttime == start) {
                                /* Same process, its /proc inode was only re-made. */
                                *p = *old;
                                old->files = NULL;
                                p->ino = de->d_ino;
                                if (strcmp(comm, p->comm) != 0)
                                        examine(s, p, comm, flags);
                        } else {
                                *p = (struct lockd_proc){ .pid = (pid_t)pid, .ino = de->d_ino, .starttime = start,
                                                          .first_scan = s->scan };
                                examine(s, p, comm, flags);
                        }
                }
                if (m > 0 && s->next[m - 1].pid >= p->pid)
                        sorted = false;
                m++;
        }
        /* What was not listed is gone. */
        procs_free(s->procs, s->n);
        {
                struct lockd_proc *t = s->procs;
                size_t tcap = s->cap;
                s->procs = s->next;
                s->cap = s->next_cap;
                s->n = m;
                s->next = t;
                s->next_cap = tcap;
        }
        if (!sorted) {
                /* procfs lists pids in ascending order; be safe if it ever does not. */
                for (size_t i = 1; i < s->n; i++)
                        for (size_t j = i; j > 0 && s->procs[j - 1].pid > s->procs[j].pid; j--) {
                                struct lockd_proc t = s->procs[j];
                                s->procs[j] = s->procs[j - 1];
                                s->procs[j - 1] = t;
                        }
        }
        for (size_t i = 0; i < s->n; i++) {
                struct lockd_proc *p = &s->procs[i];
                if (!p->matched)
                        continue;
                s->last.matched++;
                for (uint32_t k = 0; k < p->nfiles; k++)
                        s->ops->use(p->files[k], s->userdata);
        }
        return 0;
}
