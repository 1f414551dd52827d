/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Working-set mode (issue 14): what the daemon learns of the files builds
 * use, how it applies it, and keeping it across restarts.
 *
 * How the working set is learned, at every /proc scan, for each process of
 * a configured program (a union over samples and runs):
 *
 *  - exactly, where the daemon may read the process's /proc/PID/pagemap: the
 *    pages of its mappings of each file marked present, i.e. faulted in by
 *    the process itself (or mapped with a fault by the kernel's fault-around,
 *    64 KiB at most), whatever the daemon holds locked. pagemap is mode 0400
 *    of the process's owner: readable when the daemon runs as that user (for
 *    root's builds: user = root); the daemon keeps no CAP_DAC_READ_SEARCH to
 *    read everybody's (caps.h);
 *  - otherwise from page-cache residency, mincore(2) of the daemon's own
 *    mapping of the file, within its ELF segments. Residency says nothing
 *    while the daemon holds the whole file, and counts what readahead brought
 *    in (read_ahead_kb of the disk around each fault: 128 KiB by default,
 *    8 MiB on some virtual disks, where it learns whole segments).
 *
 * A file goes through three steps:
 *
 *   1. seen in use for the first time (or found by the first start-up
 *      search, or replaced by an upgrade): its segments are locked whole, as
 *      before: its first run is protected;
 *   2. once no process of a configured program uses it: if pagemap taught
 *      its set, that set replaces the segments; if not, the file is unlocked
 *      and its cached pages that no process maps are dropped
 *      (lockd_set_learn_anew()), so that only builds bring pages in again;
 *   3. while builds use it, what is learned is added to its set and locked at
 *      once, within the budget ("lock on fault"); after a restart the set is
 *      locked at once, before the first build.
 *
 * MLOCK_ONFAULT alone is no way to learn: it locks only what faults in the
 * daemon's own mapping, never what the compiler touches in its own.
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
#include "probe/lockdstate.h"
#include "util/fileio.h"

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

static void grew(struct daemon *d, struct lockd_file *f)
{
        f->learned_dirty = true;
        f->learned_exact = true;
        d->learned_dirty = true;
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

                if (pages > PAGEMAP_CHUNK)
                        pages = PAGEMAP_CHUNK;
                got = pread(c->pagemap, entries, pages * sizeof(entries[0]), (off_t)(a / s->page * 8));
                if (got <= 0)
                        return 1; /* gone: nothing more from this process */
                pages = (uint64_t)got / sizeof(entries[0]);
                for (uint64_t k = 0; k < pages; k++)
                        vec[k] = (entries[k] & PAGEMAP_PRESENT) != 0;
                if (lockd_wset_add_vector(&f->learned, m->offset + (a - m->start), vec, pages, s->page) > 0)
                        grew(c->d, f);
        }
        lockd_wset_clip(&f->learned, f->size, s->page);
        return 0;
}

/* pagemap of pid, if the daemon may read it. Returns 0 if it was read. */
static int sample_pagemap(struct daemon *d, pid_t pid, const uint32_t *ids, uint32_t n)
{
        struct sample c = { .d = d, .ids = ids, .n = n };
        char path[48], abs[64];

        if (!d->sample_buf && !(d->sample_buf = malloc(SAMPLE_BUFSIZE)))
                return -ENOMEM;
        snprintf(path, sizeof(path), "proc/%d/pagemap", (int)pid);
        c.pagemap = openat(d->rootfd, ms_at_path(d->rootfd, path, abs, sizeof(abs)), O_RDONLY | O_CLOEXEC);
        if (c.pagemap < 0)
                return -errno;
        (void)lockd_maps_read(d->rootfd, pid, d->sample_buf, SAMPLE_BUFSIZE, sample_mapping, &c, NULL);
        close(c.pagemap);
        return 0;
}

void daemon_sample(pid_t pid, const char *comm, const uint32_t *ids, uint32_t n, void *userdata)
{
        struct daemon *d = userdata;
        bool exact;

        if (d->conf.lock_mode != LOCKD_LOCK_WORKINGSET || n == 0)
                return;
        exact = sample_pagemap(d, pid, ids, n) == 0;
        for (uint32_t k = 0; k < n; k++) {
                struct lockd_file *f;
                if (ids[k] >= d->set.n)
                        continue;
                f = &d->set.files[ids[k]];
                if (lockd_tools_add(&f->tools, comm) > 0)
                        d->learned_dirty = true;
                if (!exact && lockd_set_sample(&d->set, ids[k]) > 0) {
                        f->learned_dirty = true;
                        d->learned_dirty = true;
                }
        }
}

/* Step 2 for the files locked whole that builds used and no longer use. */
static void start_learning(struct daemon *d, size_t i)
{
        struct lockd_file *f = &d->set.files[i];
        char a[MS_SIZE_BUF];
        uint64_t before = f->bytes;
        int r;

        if (f->use_learned || !f->locked || f->refs > 0 || f->tools.n == 0 || f->learned_exact)
                return;
        r = lockd_set_learn_anew(&d->set, i);
        if (r < 0) {
                daemon_log(d, L_DEBUG, "cannot start learning %s: %s", f->path, strerror(-r));
                return;
        }
        d->state_dirty = true;
        daemon_log(d, L_DEBUG, "%s: released its segments (%s) to learn its working set from the next builds",
                   f->path, fmt_size(before, a));
}

/* Lock the learned sets that grew, and start learning the files builds
 * used and no longer use. */
void daemon_apply_learned(struct daemon *d)
{
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF];

        if (d->conf.lock_mode != LOCKD_LOCK_WORKINGSET)
                return;
        for (size_t i = 0; i < d->set.n; i++) {
                struct lockd_file *f = &d->set.files[i];
                uint64_t before = f->bytes, budget = daemon_files_budget(d), limit;
                int r;

                start_learning(d, i);
                /* Segments are not traded for a set while the file is in use. */
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
                        daemon_log(d, L_TRACE, "%s: working set %s in %u ranges (was %s)", f->path,
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

static bool printable(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static enum ms_lockd_how how_locked(const struct lockd_file *f)
{
        if (!f->locked)
                return MS_LOCKD_HOW_NONE;
        if (f->use_learned)
                return f->learned.n ? MS_LOCKD_HOW_SET : MS_LOCKD_HOW_LEARNING;
        return f->ranges ? MS_LOCKD_HOW_SEGMENTS : MS_LOCKD_HOW_WHOLE;
}

/* Count file f's locked bytes for each of its programs. */
static void add_tools(struct ms_lockd_detail *out, const struct lockd_file *f)
{
        for (unsigned k = 0; k < f->tools.n; k++) {
                size_t t;
                for (t = 0; t < out->ntools && strcmp(out->tools[t].name, f->tools.name[k]) != 0; t++)
                        ;
                if (t == out->ntools) {
                        if (t == MS_LOCKD_DETAIL_TOOLS)
                                continue;
                        memcpy(out->tools[t].name, f->tools.name[k], strlen(f->tools.name[k]) + 1);
                        out->ntools++;
                }
                out->tools[t].locked_bytes += f->bytes;
                out->tools[t].files++;
        }
}

void daemon_fill_detail(const struct daemon *d, struct ms_lockd_detail *out)
{
        memset(out, 0, sizeof(*out));
        snprintf(out->mode, sizeof(out->mode), "%s", lockd_lock_mode_name(d->conf.lock_mode));
        for (size_t k = 0; k < d->set.n; k++) {
                const struct lockd_file *f = &d->set.files[k];
                struct ms_lockd_file_detail *e;

                if (!f->locked)
                        continue;
                add_tools(out, f);
                if (out->nfiles == MS_LOCKD_DETAIL_FILES || strlen(f->path) >= sizeof(e->path) ||
                    !printable(f->path)) {
                        out->more++;
                        continue;
                }
                e = &out->files[out->nfiles++];
                *e = (struct ms_lockd_file_detail){ .locked_bytes = f->bytes,
                                                    .learned_bytes = lockd_wset_bytes(&f->learned),
                                                    .how = how_locked(f) };
                memcpy(e->path, f->path, strlen(f->path) + 1);
        }
}
