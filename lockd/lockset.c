/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lockd/lockset.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "lockd/clock.h"
#include "lockd/maps.h"
#include "lockd/match.h"

/* mlock(2) and munlock(2) by their system calls: sanitizer runtimes (ASan)
 * replace the libc functions by no-ops, which would make every lock silently
 * ineffective. */
static int lock_range(void *addr, size_t len)
{
        return syscall(SYS_mlock, addr, len) < 0 ? -errno : 0;
}

static void unlock_range(void *addr, size_t len)
{
        if (len > 0)
                (void)syscall(SYS_munlock, addr, len);
}

uint64_t lockd_round_pages(uint64_t bytes, uint64_t page)
{
        return (bytes + page - 1) / page * page;
}

void lockd_set_init(struct lockd_set *s, int rootfd, enum lockd_lock_mode mode)
{
        long page = sysconf(_SC_PAGESIZE);

        *s = (struct lockd_set){
                .page = page > 0 ? (uint64_t)page : 4096,
                .mode = mode,
                .rootfd = rootfd,
                .max_files = SIZE_MAX,
        };
}

void lockd_set_clear(struct lockd_set *s)
{
        for (size_t i = 0; i < s->n; i++) {
                lockd_set_unlock(s, i);
                free(s->files[i].path);
                free(s->files[i].ranges);
                free(s->files[i].segs);
                lockd_wset_free(&s->files[i].learned);
        }
        free(s->files);
        free(s->index);
        s->files = NULL;
        s->index = NULL;
        s->n = s->cap = s->index_size = 0;
        s->next_order = 0;
}

static size_t hash(const char *s)
{
        size_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

long lockd_set_find(const struct lockd_set *s, const char *path)
{
        if (s->index_size == 0)
                return -1;
        for (size_t h = hash(path) & (s->index_size - 1);; h = (h + 1) & (s->index_size - 1)) {
                size_t v = s->index[h];
                if (v == 0)
                        return -1;
                if (strcmp(s->files[v - 1].path, path) == 0)
                        return (long)(v - 1);
        }
}

static void index_put(size_t *index, size_t size, const char *path, size_t i)
{
        size_t h = hash(path) & (size - 1);

        while (index[h])
                h = (h + 1) & (size - 1);
        index[h] = i + 1;
}

/* Make the index anew with size slots (a power of 2). */
static int index_grow_to(struct lockd_set *s, size_t size)
{
        size_t *index = calloc(size, sizeof(size_t));

        if (!index)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                index_put(index, size, s->files[i].path, i);
        free(s->index);
        s->index = index;
        s->index_size = size;
        return 0;
}

static int index_grow(struct lockd_set *s)
{
        return index_grow_to(s, s->index_size ? s->index_size * 2 : 64);
}

/* Open path as the header says: normal, below an allowed directory, no
 * symbolic link below it, a regular file. Returns the fd or -errno. */
static int open_checked(const struct lockd_set *s, const char *path, struct stat *st)
{
        static const struct lockd_list everything = {};
        char abs[4096];
        const char *prefix, *at;
        _cleanup_close_ int dirfd = -1;
        size_t len;

        prefix = lockd_path_below(s->allowed ? s->allowed : &everything, path, &len);
        if (!prefix)
                return -EPERM;
        at = ms_at_path(s->rootfd, prefix, abs, sizeof(abs));
        if (!at)
                return -ENAMETOOLONG;
        /* The configured directory itself may be a symbolic link (/lib -> usr/lib). */
        dirfd = openat(s->rootfd, at, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        return ms_open_beneath(dirfd, path + len, st);
}

struct find_mapping {
        uint64_t start;
        struct lockd_ident *out;
        bool found;
};

static int find_mapping(const struct lockd_mapping *m, void *userdata)
{
        struct find_mapping *f = userdata;

        if (m->start != f->start)
                return 0;
        *f->out = (struct lockd_ident){ m->dev_major, m->dev_minor, m->inode };
        f->found = true;
        return 1;
}

int lockd_file_ident(int fd, struct lockd_ident *out)
{
        long page = sysconf(_SC_PAGESIZE);
        struct find_mapping f = { .out = out };
        char buf[8192];
        void *map;
        int r;

        map = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
                return -errno;
        f.start = (uint64_t)(uintptr_t)map;
        /* Our own mapping, whatever root the daemon looks at. */
        r = lockd_maps_read(MS_ROOT_HOST, getpid(), buf, sizeof(buf), find_mapping, &f, NULL);
        munmap(map, (size_t)page);
        if (r < 0)
                return r;
        return f.found ? 0 : -ENOENT;
}

static bool ident_equal(const struct lockd_ident *a, const struct lockd_ident *b)
{
        return a->major == b->major && a->minor == b->minor && a->ino == b->ino;
}

/* Whether the open file fd (fstat st) is the one a maps line named ident. */
static bool is_mapped_file(int fd, const struct stat *st, const struct lockd_ident *ident)
{
        struct lockd_ident mine;

        if (major(st->st_dev) == ident->major && minor(st->st_dev) == ident->minor &&
            (uint64_t)st->st_ino == ident->ino)
                return true;
        /* stat() and maps may disagree on the device (btrfs, overlayfs):
         * ask the kernel what a mapping of this file shows. */
        return lockd_file_ident(fd, &mine) == 0 && ident_equal(&mine, ident);
}

/* A known file named again by a maps line: is it the one we hold? */
static bool known_is(struct lockd_set *s, struct lockd_file *f, const struct lockd_ident *ident)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (f->ident_known)
                return ident_equal(&f->ident, ident);
        fd = open_checked(s, f->path, &st);
        if (fd < 0 || (uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino ||
            !is_mapped_file(fd, &st, ident))
                return false;
        f->ident = *ident;
        f->ident_known = true;
        return true;
}

/* Size, identity and cost of a file from an open fd. */
static int examine(struct lockd_set *s, struct lockd_file *f, int fd, const struct stat *st)
{
        struct lockd_range r[LOCKD_ELF_MAX_LOAD];
        struct lockd_elf e;
        unsigned n;

        f->dev = st->st_dev;
        f->ino = st->st_ino;
        f->size = (uint64_t)st->st_size;
        f->mtime_sec = (int64_t)st->st_mtim.tv_sec;
        f->mtime_nsec = st->st_mtim.tv_nsec;
        f->bytes = lockd_round_pages(f->size, s->page);
        free(f->ranges);
        free(f->segs);
        f->ranges = f->segs = NULL;
        f->nranges = f->nsegs = 0;
        /* Another file (or a new one): what was learned is of the old one. */
        lockd_wset_free(&f->learned);
        f->use_learned = false;
        f->learned_dirty = false;
        f->learned_exact = false;
        if (s->mode == LOCKD_LOCK_WHOLE || lockd_elf_parse_fd(fd, f->size, &e) < 0)
                return 0; /* not ELF (or whole mode): the whole file */
        n = lockd_elf_segments(&e, f->size, s->page, r, LOCKD_ELF_MAX_LOAD);
        lockd_elf_free(&e);
        if (n == 0)
                return 0;
        f->ranges = malloc(n * sizeof(r[0]));
        f->segs = malloc(n * sizeof(r[0]));
        if (!f->ranges || !f->segs)
                return -ENOMEM;
        memcpy(f->ranges, r, n * sizeof(r[0]));
        memcpy(f->segs, r, n * sizeof(r[0]));
        f->nranges = f->nsegs = n;
        f->bytes = 0;
        for (unsigned i = 0; i < n; i++)
                f->bytes += r[i].length;
        return 0;
}

static int append(struct lockd_set *s, struct lockd_file *f)
{
        int r;

        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                struct lockd_file *files = realloc(s->files, cap * sizeof(*files));
                if (!files)
                        return -ENOMEM;
                s->files = files;
                s->cap = cap;
        }
        if ((s->n + 1) * 2 > s->index_size && (r = index_grow(s)) < 0)
                return r;
        f->order = s->next_order++;
        s->files[s->n] = *f;
        index_put(s->index, s->index_size, f->path, s->n);
        s->n++;
        return 0;
}

long lockd_set_add(struct lockd_set *s, const char *path, bool pinned, uint64_t used,
                   const struct lockd_ident *ident)
{
        _cleanup_close_ int fd = -1;
        struct lockd_file f = { .user = LOCKD_FILE_NO_USER, .wd = -1 };
        long i = lockd_set_find(s, path);
        struct stat st;
        int r;

        if (i >= 0) {
                if (ident && !known_is(s, &s->files[i], ident))
                        return -ESTALE;
                s->files[i].pinned |= pinned;
                if (used > s->files[i].last_used)
                        s->files[i].last_used = used;
                return i;
        }
        if (s->n >= s->max_files)
                return -ENOSPC;
        fd = open_checked(s, path, &st);
        if (fd < 0)
                return fd;
        if (ident && !is_mapped_file(fd, &st, ident))
                return -ESTALE;
        f.path = strdup(path);
        if (!f.path)
                return -ENOMEM;
        r = examine(s, &f, fd, &st);
        if (r == 0)
                r = append(s, &f);
        if (r < 0) {
                free(f.path);
                free(f.ranges);
                free(f.segs);
                return r;
        }
        if (ident) {
                s->files[s->n - 1].ident = *ident;
                s->files[s->n - 1].ident_known = true;
        }
        s->files[s->n - 1].pinned = pinned;
        s->files[s->n - 1].last_used = used;
        return (long)(s->n - 1);
}

void lockd_set_ref(struct lockd_set *s, size_t i, uid_t uid)
{
        struct lockd_file *f = &s->files[i];

        f->refs++;
        if (f->user == LOCKD_FILE_NO_USER)
                f->user = uid;
        else if (f->user != uid)
                f->shared = true;
}

void lockd_set_unref(struct lockd_set *s, size_t i)
{
        if (s->files[i].refs > 0)
                s->files[i].refs--;
}

size_t lockd_set_drop(struct lockd_set *s, const bool *drop, uint32_t *map)
{
        size_t kept = 0, dropped;

        for (size_t i = 0; i < s->n; i++) {
                if (drop[i]) {
                        lockd_set_unlock(s, i);
                        free(s->files[i].path);
                        free(s->files[i].ranges);
                        free(s->files[i].segs);
                        lockd_wset_free(&s->files[i].learned);
                        map[i] = UINT32_MAX;
                        continue;
                }
                map[i] = (uint32_t)kept;
                s->files[kept++] = s->files[i];
        }
        dropped = s->n - kept;
        s->n = kept;
        if (dropped > 0) {
                /* The same slots for fewer files: no allocation, no failure. */
                memset(s->index, 0, s->index_size * sizeof(size_t));
                for (size_t i = 0; i < s->n; i++)
                        index_put(s->index, s->index_size, s->files[i].path, i);
        }
        return dropped;
}

void lockd_set_touch(struct lockd_set *s, size_t i, uint64_t now)
{
        if (now > s->files[i].last_used)
                s->files[i].last_used = now;
}

/*
 * Lock f's ranges (or all of it) in its mapping map, reading ahead first
 * (through fd, or the mapping when fd < 0): mlock() alone would fault the
 * file in synchronously, one readahead window at a time. The daemon's
 * mlockall(MCL_FUTURE) made the whole mapping lock-on-fault: the parts
 * between and after the ranges are explicitly not locked (nor counted in
 * VmLck). A range already locked stays locked throughout.
 */
static int lock_map(struct lockd_set *s, const struct lockd_file *f, char *map, int fd)
{
        uint64_t end = 0, maplen = lockd_round_pages(f->size, s->page);
        int r = 0;

        if (!f->ranges && !f->use_learned) {
                if (fd >= 0)
                        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
                return lock_range(map, (size_t)f->size);
        }
        for (unsigned k = 0; k < f->nranges; k++) {
                if (fd >= 0)
                        (void)posix_fadvise(fd, (off_t)f->ranges[k].offset, (off_t)f->ranges[k].length,
                                            POSIX_FADV_WILLNEED);
                else if (f->ranges[k].offset < maplen)
                        (void)madvise(map + f->ranges[k].offset, (size_t)f->ranges[k].length, MADV_WILLNEED);
        }
        for (unsigned k = 0; k < f->nranges && r == 0; k++) {
                uint64_t len = f->ranges[k].length;
                if (f->ranges[k].offset >= maplen)
                        break;
                if (f->ranges[k].offset + len > maplen)
                        len = maplen - f->ranges[k].offset;
                r = lock_range(map + f->ranges[k].offset, (size_t)len);
                unlock_range(map + end, (size_t)(f->ranges[k].offset - end));
                end = f->ranges[k].offset + len;
        }
        if (r == 0)
                unlock_range(map + end, (size_t)(maplen - end));
        return r;
}

int lockd_set_lock(struct lockd_set *s, size_t i, uint64_t limit)
{
        struct lockd_file *f = &s->files[i];
        _cleanup_close_ int fd = -1;
        uint64_t start = lockd_now_usec();
        struct stat st;
        void *map;
        int r;

        if (f->locked)
                return 0;
        fd = open_checked(s, f->path, &st);
        if (fd < 0) {
                f->error = fd;
                return fd;
        }
        if ((uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino || (uint64_t)st.st_size != f->size) {
                f->ident_known = false; /* another file now: seen mapped no more */
                r = examine(s, f, fd, &st);
                if (r < 0)
                        return r;
        }
        if (f->bytes > limit) {
                f->error = -EFBIG;
                return -EFBIG;
        }
        if (f->size == 0) {
                /* Nothing to hold; counts as locked at no cost. */
                f->locked = true;
                f->error = 0;
                s->locked_files++;
                return 0;
        }
        map = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
                f->error = -errno;
                return f->error;
        }
        r = lock_map(s, f, map, fd);
        if (r < 0) {
                munmap(map, (size_t)f->size);
                f->error = r;
                return r;
        }
        f->map = map;
        f->map_len = (size_t)f->size;
        f->locked = true;
        f->error = 0;
        f->locked_usec = lockd_now_usec() - start;
        s->locked_bytes += f->bytes;
        s->locked_files++;
        return 0;
}

int lockd_set_apply_learned(struct lockd_set *s, size_t i, uint64_t limit)
{
        struct lockd_file *f = &s->files[i];
        struct lockd_range *ranges;
        uint64_t bytes;
        int r;

        f->learned_dirty = false;
        lockd_wset_clip(&f->learned, f->size, s->page);
        if (s->mode != LOCKD_LOCK_WORKINGSET || f->learned.n == 0)
                return 0;
        bytes = lockd_wset_bytes(&f->learned);
        if (f->use_learned && bytes == f->bytes && f->nranges == f->learned.n)
                return 0;
        if (bytes > limit)
                return -EFBIG;
        ranges = malloc(f->learned.n * sizeof(*ranges));
        if (!ranges)
                return -ENOMEM;
        memcpy(ranges, f->learned.r, f->learned.n * sizeof(*ranges));
        free(f->ranges);
        f->ranges = ranges;
        f->nranges = f->learned.n;
        f->use_learned = true;
        if (f->locked && f->map) {
                r = lock_map(s, f, f->map, -1);
                if (r < 0) {
                        lockd_set_unlock(s, i);
                        f->bytes = bytes;
                        f->error = r;
                        return r;
                }
                s->locked_bytes = s->locked_bytes - f->bytes + bytes;
        }
        f->bytes = bytes;
        return 1;
}

void lockd_set_unlock(struct lockd_set *s, size_t i)
{
        struct lockd_file *f = &s->files[i];

        if (!f->locked)
                return;
        if (f->map) {
                /* munmap() also unlocks. */
                munmap(f->map, f->map_len);
                s->locked_bytes -= f->bytes;
        }
        f->map = NULL;
        f->map_len = 0;
        f->locked = false;
        s->locked_files--;
}

enum lockd_change lockd_set_check(struct lockd_set *s, size_t i)
{
        struct lockd_file *f = &s->files[i];
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = open_checked(s, f->path, &st);
        if (fd < 0) {
                if (fd == -ENOMEM || fd == -EMFILE || fd == -ENFILE || fd == -EACCES)
                        return LOCKD_UNCHANGED;
                /* Gone, or no longer a regular file reached without symbolic links. */
                lockd_set_unlock(s, i);
                f->error = -ENOENT;
                return LOCKD_GONE;
        }
        if ((uint64_t)st.st_dev == f->dev && (uint64_t)st.st_ino == f->ino && (uint64_t)st.st_size == f->size) {
                if (f->error == -ENOENT)
                        f->error = 0;
                return LOCKD_UNCHANGED;
        }
        lockd_set_unlock(s, i);
        f->ident_known = false;
        f->error = examine(s, f, fd, &st);
        return LOCKD_REPLACED;
}

int lockd_set_learn_anew(struct lockd_set *s, size_t i)
{
        struct lockd_file *f = &s->files[i];
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (s->mode != LOCKD_LOCK_WORKINGSET || f->use_learned || !f->locked || !f->map)
                return 0;
        fd = open_checked(s, f->path, &st);
        if (fd < 0)
                return fd;
        if ((uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino)
                return -ESTALE; /* replaced: the check will see to it */
        unlock_range(f->map, f->map_len);
        /* Our own page table entries would keep every page "mapped". */
        (void)madvise(f->map, f->map_len, MADV_DONTNEED);
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        free(f->ranges);
        f->ranges = NULL;
        f->nranges = 0;
        lockd_wset_free(&f->learned);
        f->use_learned = true;
        f->learned_dirty = false;
        s->locked_bytes -= f->bytes;
        f->bytes = 0;
        return 0;
}

/* Add the resident pages of [off, off + len) of f's mapping to its set. */
static int sample_range(struct lockd_set *s, struct lockd_file *f, uint64_t off, uint64_t len)
{
        size_t pages = (size_t)((len + s->page - 1) / s->page);
        unsigned char *vec;
        int r;

        if (off >= f->map_len || pages == 0)
                return 0;
        if (off + len > f->map_len)
                pages = (size_t)((f->map_len - off + s->page - 1) / s->page);
        vec = malloc(pages);
        if (!vec)
                return -ENOMEM;
        r = mincore((char *)f->map + off, pages * s->page, vec) < 0 ? -errno : 0;
        if (r == 0)
                r = lockd_wset_add_vector(&f->learned, off, vec, pages, s->page);
        free(vec);
        return r;
}

int lockd_set_sample(struct lockd_set *s, size_t i)
{
        struct lockd_file *f = &s->files[i];
        int grew = 0, r;

        if (s->mode != LOCKD_LOCK_WORKINGSET || !f->use_learned || !f->locked || !f->map)
                return 0;
        if (!f->segs)
                return sample_range(s, f, 0, f->map_len);
        for (unsigned k = 0; k < f->nsegs; k++) {
                r = sample_range(s, f, f->segs[k].offset, f->segs[k].length);
                if (r < 0)
                        return r;
                grew |= r;
        }
        if (grew)
                lockd_wset_clip(&f->learned, f->size, s->page);
        return grew;
}
