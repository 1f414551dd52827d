/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/proc.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"
#include "lockd/maps.h"
#include "lockd/match.h"
#include "lockd/procscan.h"

#define PF_KTHREAD_FLAG 0x00200000u
#define SCAN_BUFSIZE 8192

int lockd_scanner_init(struct lockd_scanner *s, int rootfd, const struct lockd_scan_ops *ops, void *userdata)
{
        int r;

        *s = (struct lockd_scanner){ .rootfd = rootfd, .ops = ops, .userdata = userdata, .self = getpid() };
        r = ms_pid_dir_open(rootfd, "proc", &s->listing);
        if (r < 0)
                return r;
        s->buf = malloc(SCAN_BUFSIZE);
        if (!s->buf) {
                lockd_scanner_free(s);
                return -ENOMEM;
        }
        s->bufsize = SCAN_BUFSIZE;
        return 0;
}

/* Let go of a process image's files and their references. */
static void drop_files(struct lockd_scanner *s, struct lockd_proc *p)
{
        for (uint32_t k = 0; k < p->nfiles; k++)
                s->ops->release(p->files[k], s->userdata);
        free(p->files);
        p->files = NULL;
        p->nfiles = 0;
}

static void procs_free(struct lockd_scanner *s, struct lockd_proc *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                drop_files(s, &p[i]);
}

void lockd_scanner_reset(struct lockd_scanner *s)
{
        procs_free(s, s->procs, s->n);
        s->n = 0;
}

void lockd_scanner_remap(struct lockd_scanner *s, const uint32_t *map)
{
        for (size_t i = 0; i < s->n; i++) {
                struct lockd_proc *p = &s->procs[i];
                uint32_t m = 0;

                for (uint32_t k = 0; k < p->nfiles; k++)
                        if (map[p->files[k]] != UINT32_MAX)
                                p->files[m++] = map[p->files[k]];
                p->nfiles = m;
        }
}

void lockd_scanner_free(struct lockd_scanner *s)
{
        lockd_scanner_reset(s);
        free(s->procs);
        free(s->next);
        free(s->buf);
        ms_pid_dir_close(&s->listing);
        *s = (struct lockd_scanner){};
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

/* Read proc/PID/stat. Returns 0, -ESRCH when the process is gone, -EINVAL, -errno. */
static int read_stat(struct lockd_scanner *s, pid_t pid, struct ms_proc_stat *st)
{
        s->last.stat_reads++;
        return ms_proc_stat_read(s->rootfd, pid, st);
}

static bool matches(struct lockd_scanner *s, pid_t pid, const char *comm)
{
        char path[32], abs[40], exe[4096];
        ssize_t n;

        if (s->ops->match(comm, s->userdata))
                return true;
        if (strlen(comm) < TASK_COMM_LEN - 1)
                return false;
        /* comm may have been cut at 15 characters: ask for the executable. */
        snprintf(path, sizeof(path), "proc/%d/exe", (int)pid);
        n = readlinkat(s->rootfd, ms_at_path(s->rootfd, path, abs, sizeof(abs)), exe, sizeof(exe) - 1);
        if (n <= 0)
                return false;
        exe[n] = '\0';
        return s->ops->match(lockd_basename(exe), s->userdata);
}

struct collect {
        struct lockd_scanner *s;
        uid_t uid;
        uint32_t *files;
        uint32_t n, cap;
        int error;
};

static int collect_mapping(const struct lockd_mapping *m, void *userdata)
{
        struct collect *c = userdata;
        struct lockd_ident ident;
        long id;

        if (m->kind != LOCKD_MAP_FILE || m->deleted || !m->exec)
                return 0;
        ident = (struct lockd_ident){ m->dev_major, m->dev_minor, m->inode };
        id = c->s->ops->file(m->path, &ident, c->uid, c->s->userdata);
        if (id < 0)
                return 0;
        for (uint32_t i = 0; i < c->n; i++) {
                if (c->files[i] == (uint32_t)id) {
                        c->s->ops->release((uint32_t)id, c->s->userdata);
                        return 0;
                }
        }
        if (c->n == c->cap) {
                uint32_t cap = c->cap ? c->cap * 2 : 16;
                uint32_t *f = realloc(c->files, cap * sizeof(uint32_t));
                if (!f) {
                        c->s->ops->release((uint32_t)id, c->s->userdata);
                        c->error = -ENOMEM;
                        return 1;
                }
                c->files = f;
                c->cap = cap;
        }
        c->files[c->n++] = (uint32_t)id;
        return 0;
}

/* The owner of proc/PID: the process's user. */
static uid_t proc_uid(struct lockd_scanner *s, pid_t pid)
{
        char path[32];
        struct stat st;

        snprintf(path, sizeof(path), "proc/%d", (int)pid);
        return ms_stat_at(s->rootfd, path, &st) == 0 ? st.st_uid : (uid_t)-1;
}

/* A process image seen for the first time (new pid, or exec'd). */
static void examine(struct lockd_scanner *s, struct lockd_proc *p, const char *comm, unsigned flags)
{
        struct collect c = { .s = s };
        int r;

        drop_files(s, p);
        p->matched = false;
        snprintf(p->comm, sizeof(p->comm), "%s", comm);
        if (flags & PF_KTHREAD_FLAG || p->pid == s->self)
                return;
        if (!matches(s, p->pid, comm))
                return;
        p->matched = true;
        p->uid = c.uid = proc_uid(s, p->pid);
        s->last.maps_reads++;
        r = lockd_maps_read(s->rootfd, p->pid, s->buf, s->bufsize, collect_mapping, &c, NULL);
        if (r < 0 && r != -ESRCH && r != -ENOENT)
                s->last.errors++;
        else if (r < 0)
                s->last.vanished++;
        p->files = c.files;
        p->nfiles = c.n;
}

static void count_failure(struct lockd_scanner *s, int r)
{
        if (r == -ESRCH)
                s->last.vanished++;
        else
                s->last.errors++;
}

/* A process listed before with the same /proc inode: the same process,
 * looked at again only if it matched or is young. Returns false if it is gone. */
static bool scan_known(struct lockd_scanner *s, struct lockd_proc *p, const struct lockd_proc *old, ino_t ino)
{
        bool young = s->scan - old->first_scan <= 1;
        struct ms_proc_stat st;
        int r;

        if (!p->matched && !young)
                return true;
        /* An exec changes comm (and the image). */
        r = read_stat(s, p->pid, &st);
        if (r < 0) {
                count_failure(s, r);
                drop_files(s, p);
                return false;
        }
        if (st.starttime != p->starttime) {
                *p = (struct lockd_proc){ .pid = p->pid, .ino = ino, .starttime = st.starttime,
                                          .first_scan = s->scan, .files = p->files,
                                          .nfiles = p->nfiles };
                examine(s, p, st.comm, st.flags);
        } else if (strcmp(st.comm, p->comm) != 0 || (p->matched && young)) {
                /* exec'd, or just started: libraries may be loaded late (dlopen) */
                examine(s, p, st.comm, st.flags);
        }
        return true;
}

/* A pid not listed before, or whose /proc inode changed. Returns false if it is gone. */
static bool scan_new(struct lockd_scanner *s, struct lockd_proc *p, struct lockd_proc *old, pid_t pid, ino_t ino)
{
        struct ms_proc_stat st;
        int r = read_stat(s, pid, &st);

        if (r < 0) {
                count_failure(s, r);
                return false;
        }
        if (old && old->starttime == st.starttime) {
                /* Same process, its /proc inode was only re-made. */
                *p = *old;
                old->files = NULL;
                old->nfiles = 0;
                p->ino = ino;
                if (strcmp(st.comm, p->comm) != 0)
                        examine(s, p, st.comm, st.flags);
        } else {
                *p = (struct lockd_proc){ .pid = pid, .ino = ino, .starttime = st.starttime, .first_scan = s->scan };
                examine(s, p, st.comm, st.flags);
        }
        return true;
}

static bool grow_next(struct lockd_scanner *s, size_t m)
{
        size_t cap;
        struct lockd_proc *next;

        if (m < s->next_cap)
                return true;
        cap = s->next_cap ? s->next_cap * 2 : 256;
        next = realloc(s->next, cap * sizeof(*next));
        if (!next)
                return false;
        s->next = next;
        s->next_cap = cap;
        return true;
}

/* One directory entry of proc/ into s->next[*m]. Returns false to stop. */
static bool scan_entry(struct lockd_scanner *s, pid_t pid, uint64_t ino, size_t *m)
{
        struct lockd_proc *old, *p;

        s->last.processes++;
        if (!grow_next(s, *m))
                return false; /* a partial scan; the rest next time */
        old = find_old(s, (pid_t)pid);
        p = &s->next[*m];
        if (old && old->ino == ino) {
                *p = *old;
                old->files = NULL; /* moved */
                old->nfiles = 0;
                if (!scan_known(s, p, old, ino))
                        return true;
        } else if (!scan_new(s, p, old, pid, ino)) {
                return true;
        }
        (*m)++;
        return true;
}

/* What was not listed is gone: the new list replaces the old. */
static void swap_lists(struct lockd_scanner *s, size_t m)
{
        struct lockd_proc *t = s->procs;
        size_t tcap = s->cap;
        bool sorted = true;

        procs_free(s, s->procs, s->n);
        s->procs = s->next;
        s->cap = s->next_cap;
        s->n = m;
        s->next = t;
        s->next_cap = tcap;
        for (size_t i = 1; i < s->n; i++)
                if (s->procs[i - 1].pid >= s->procs[i].pid)
                        sorted = false;
        if (sorted)
                return;
        /* procfs lists pids in ascending order; be safe if it ever does not. */
        for (size_t i = 1; i < s->n; i++)
                for (size_t j = i; j > 0 && s->procs[j - 1].pid > s->procs[j].pid; j--) {
                        struct lockd_proc x = s->procs[j];
                        s->procs[j] = s->procs[j - 1];
                        s->procs[j - 1] = x;
                }
}

int lockd_scan(struct lockd_scanner *s)
{
        uint64_t ino;
        size_t m = 0;
        pid_t pid;

        s->last = (struct lockd_scan_stats){};
        s->scan++;
        ms_pid_dir_rewind(&s->listing);
        while ((pid = ms_pid_dir_next(&s->listing, &ino)) > 0)
                if (!scan_entry(s, pid, ino, &m))
                        break;
        swap_lists(s, m);
        for (size_t i = 0; i < s->n; i++) {
                struct lockd_proc *p = &s->procs[i];
                if (!p->matched)
                        continue;
                s->last.matched++;
                for (uint32_t k = 0; k < p->nfiles; k++)
                        s->ops->use(p->files[k], s->userdata);
                if (s->ops->sample)
                        s->ops->sample(p->pid, p->comm, p->files, p->nfiles, s->userdata);
        }
        return 0;
}
