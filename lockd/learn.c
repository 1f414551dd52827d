/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Working-set mode (issue 14): what the daemon learns of the files builds
 * use, how it applies it, and keeping it across restarts.
 *
 * How the working set is learned: at every /proc scan, for each process of
 * a configured program, the daemon reads /proc/PID/pagemap over that
 * process's mappings of its files and adds the pages marked present to each
 * file's set. A page is present in a process when that process faulted it in
 * (or the kernel's fault-around mapped it with a neighbour, 64 KiB at most):
 * it is what the build itself used, whatever the daemon holds locked. The
 * alternatives see less: mincore(2) reports page-cache residency, which the
 * daemon's own lock of a tool running for the first time (whole segments,
 * as before) makes total, and readahead inflates; MLOCK_ONFAULT locks only
 * what faults in the daemon's own mapping, never what the compiler touches
 * in its. Reading another user's pagemap needs CAP_SYS_PTRACE, which the
 * daemon keeps for maps already. Sets only grow (union); a file replaced on
 * disk starts anew.
 *
 * A file's set is locked instead of its segments once no process uses the
 * file (until then the whole segments stay locked: its first run is
 * protected as before); later growth is locked at once, in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockd/clock.h"
#include "lockd/daemon.h"
#include "lockd/learned.h"
#include "lockd/maps.h"
#include "util/fileio.h"
#include "util/macro.h"

#define PAGEMAP_CHUNK 512         /* entries read at once */
#define PAGEMAP_PRESENT (1ull << 63)
#define SAMPLE_BUFSIZE 8192

struct sample {
        struct daemon *d;
        int pagemap;
        const uint32_t *ids;
        uint32_t n;
};

static bool has_id(const struct sample *c, long i)
{
        for (uint32_t k = 0; k < c->n; k++)
                if (c->ids[k] == (uint32_t)i)
                        return true;
        return false;
}

/* The present pages of one mapping of a file of the process, added to its set. */
static int sample_mapping(const struct lockd_mapping *m, void *userdata)
{
        struct sample *c = userdata;
        struct lockd_set *s = &c->d->set;
        uint64_t entries[PAGEMAP_CHUNK];
        unsigned char vec[PAGEMAP_CHUNK];
        struct lockd_file *f;
        long i;

        if (m->kind != LOCKD_MAP_FILE || m->deleted || m->end <= m->start)
                return 0;
        i = lockd_set_find(s, m->path);
        if (i < 0 || !has_id(c, i))
                return 0;
        f = &s->files[i];
        if (!f->ident_known || f->ident.ino != m->inode || f->ident.major != m->dev_major ||
            f->ident.minor != m->dev_minor || m->offset >= f->size)
                return 0;
        for (uint64_t a = m->start; a < m->end; a += PAGEMAP_CHUNK * s->page) {
                uint64_t pages = (m->end - a) / s->page;
                ssize_t got;
                int r;

                if (pages > PAGEMAP_CHUNK)
                        pages = PAGEMAP_CHUNK;
                got = pread(c->pagemap, entries, pages * sizeof(entries[0]), (off_t)(a / s->page * 8));
                if (got <= 0)
                        return 1; /* gone, or not allowed: nothing more from this process */
                pages = (uint64_t)got / sizeof(entries[0]);
                for (uint64_t k = 0; k < pages; k++)
                        vec[k] = (entries[k] & PAGEMAP_PRESENT) != 0;
                r = lockd_wset_add_vector(&f->learned, m->offset + (a - m->start), vec, pages, s->page);
                if (r > 0) {
                        f->learned_dirty = true;
                        c->d->learned_dirty = true;
                }
        }
        return 0;
}

void daemon_sample(pid_t pid, const char *comm, const uint32_t *ids, uint32_t n, void *userdata)
{
        struct daemon *d = userdata;
        struct sample c = { .d = d, .ids = ids, .n = n };
        char path[48], abs[64];

        if (d->conf.lock_mode != LOCKD_LOCK_WORKINGSET || n == 0)
                return;
        for (uint32_t k = 0; k < n; k++)
                if (ids[k] < d->set.n && lockd_tools_add(&d->set.files[ids[k]].tools, comm) > 0)
                        d->learned_dirty = true;
        if (!d->sample_buf && !(d->sample_buf = malloc(SAMPLE_BUFSIZE)))
                return;
        snprintf(path, sizeof(path), "proc/%d/pagemap", (int)pid);
        c.pagemap = openat(d->rootfd, ms_at_path(d->rootfd, path, abs, sizeof(abs)), O_RDONLY | O_CLOEXEC);
        if (c.pagemap < 0)
                return;
        (void)lockd_maps_read(d->rootfd, pid, d->sample_buf, SAMPLE_BUFSIZE, sample_mapping, &c, NULL);
        close(c.pagemap);
}

/* Lock the learned sets that grew, and switch the files no process uses
 * any more from their segments to their sets. */
void daemon_apply_learned(struct daemon *d)
{
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF];

        for (size_t i = 0; i < d->set.n; i++) {
                struct lockd_file *f = &d->set.files[i];
                uint64_t before = f->bytes, budget = daemon_files_budget(d), limit;
                int r;

                if (!f->learned_dirty || (!f->use_learned && f->refs > 0))
                        continue;
                limit = budget > d->set.locked_bytes ? budget - d->set.locked_bytes : 0;
                limit += f->locked ? f->bytes : 0;
                r = lockd_set_apply_learned(&d->set, i, limit);
                if (r == -EFBIG) {
                        f->learned_dirty = true; /* the plan may make room */
                        d->need_plan = true;
                } else if (r < 0) {
                        daemon_log(d, L_WARN, "cannot lock the working set of %s: %s", f->path, strerror(-r));
                } else if (r > 0) {
                        d->state_dirty = true;
                        d->need_plan = true;
                        daemon_log(d, L_DEBUG, "%s: working set %s in %u ranges (was %s)", f->path,
                                   fmt_size(f->bytes, a), f->nranges, fmt_size(before, b));
                }
        }
}

static void load_entry(struct daemon *d, const struct lockd_learned_file *e)
{
        long i = lockd_set_add(&d->set, e->path, true, 0, NULL);

        if (i < 0) {
                daemon_log(d, L_INFO, "learned file %s: %s; forgotten", e->path, strerror((int)-i));
                d->learned_dirty = true;
                return;
        }
        if (lockd_learned_adopt(&d->set, (size_t)i, e) == 0) {
                daemon_log(d, L_WARN, "%s changed since it was learned (an upgrade?): its segments are locked "
                           "until builds teach its working set again", e->path);
                d->learned_dirty = true;
        }
}

int daemon_load_learned(struct daemon *d)
{
        struct lockd_learned l;
        const char *reason;
        unsigned line;
        int r;

        d->learned_loaded = 0;
        if (d->conf.lock_mode != LOCKD_LOCK_WORKINGSET)
                return 0;
        r = lockd_learned_read(d->state_rootfd, d->set.page, d->conf.max_files, &l, &reason, &line);
        if (r == -ENOENT) {
                daemon_log(d, L_INFO, "nothing learned yet (%s/%s)", d->opt.state_root, LOCKD_LEARNED_PATH);
                return 0;
        }
        if (r < 0) {
                daemon_log(d, L_WARN, "%s/%s: %s%s (line %u): ignored, learning anew", d->opt.state_root,
                           LOCKD_LEARNED_PATH, reason ? reason : "", reason ? "" : strerror(-r), line);
                d->learned_dirty = true;
                return 0;
        }
        for (size_t k = 0; k < l.n; k++)
                load_entry(d, &l.f[k]);
        d->learned_loaded = l.n;
        lockd_learned_free(&l);
        return (int)d->learned_loaded;
}

/* Files builds were seen using: learned, or used by a program. */
static bool worth_keeping(const struct lockd_file *f)
{
        return f->tools.n > 0 || f->learned.n > 0;
}

void daemon_save_learned(struct daemon *d)
{
        struct lockd_learned_file *v;
        size_t n = 0;
        int r;

        if (d->conf.lock_mode != LOCKD_LOCK_WORKINGSET || !d->learned_dirty)
                return;
        v = calloc(d->set.n ? d->set.n : 1, sizeof(*v));
        if (!v)
                return;
        for (size_t i = 0; i < d->set.n; i++) {
                const struct lockd_file *f = &d->set.files[i];
                if (!worth_keeping(f) || f->error == -ENOENT)
                        continue;
                /* Views: nothing is copied. */
                v[n++] = (struct lockd_learned_file){ .path = f->path, .dev = f->dev, .ino = f->ino,
                                                      .size = f->size, .mtime_sec = f->mtime_sec,
                                                      .mtime_nsec = f->mtime_nsec, .tools = f->tools,
                                                      .ws = f->learned };
        }
        r = lockd_learned_write(d->state_rootfd, v, n, d->set.page);
        free(v);
        if (r < 0) {
                daemon_log(d, L_WARN, "cannot write %s/%s: %s", d->opt.state_root, LOCKD_LEARNED_PATH,
                           strerror(-r));
                return;
        }
        d->learned_dirty = false;
        daemon_log(d, L_DEBUG, "saved what was learned of %zu files", n);
}
