/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "gate/history.h"
#include "gate/ledger.h"
#include "util/macro.h"

#define HISTORY_FILE "peaks"
#define HISTORY_LOCK "peaks.lock"
/* Largest peak taken as real: 1 PiB, in KiB. */
#define PEAK_MAX_KIB (UINT64_C(1) << 40)
/* The shortest valid line: "v1 " + 2 hashes + 1-digit peak and time + 1-byte name + '\n'. */
#define LINE_MIN (3 + 17 + 17 + 2 + 2 + 1 + 1)

_Static_assert(MS_HISTORY_LINE_MAX < PIPE_BUF, "a record must be appended by one atomic write");

/* ---- one line ---- */

/* Value + 1 of a hex digit, 0 for other bytes (a table: this is the hot loop
 * of a scan, 32 digits a line). */
static const unsigned char hexval1[256] = {
        ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9,
        ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11,
        ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Exactly 16 hex digits and a blank. */
static bool take_hash(const char **p, const char *end, uint64_t *out)
{
        const char *s = *p;
        uint64_t v = 0;
        bool ok = true;

        if (end - s < 17)
                return false;
        for (int i = 0; i < 16; i++) {
                unsigned d = hexval1[(unsigned char)s[i]];
                ok &= d != 0;
                v = v << 4 | ((d - 1) & 0xf);
        }
        if (!ok)
                return false;
        if (s[16] != ' ')
                return false;
        *p = s + 17;
        *out = v;
        return true;
}

/* An unsigned decimal number and a blank. */
static bool take_number(const char **p, const char *end, uint64_t *out)
{
        const char *s = *p;
        uint64_t v = 0;

        if (s >= end || *s < '0' || *s > '9')
                return false;
        for (; s < end && *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        if (s >= end || *s != ' ')
                return false;
        *p = s + 1;
        *out = v;
        return true;
}

/* Bytes allowed in a program name on disk: no blanks, no control characters. */
static bool name_byte_ok(unsigned char c)
{
        return c > ' ' && c != 0x7f;
}

int ms_history_parse_line(const char *line, size_t len, struct ms_history_record *rec)
{
        struct ms_history_record r = {};
        const char *p = line, *end = line + len;
        uint64_t kib;
        size_t n;

        bool v2;

        if (len > MS_HISTORY_LINE_MAX || len < 3 || (memcmp(line, "v1 ", 3) != 0 && memcmp(line, "v2 ", 3) != 0))
                return -EINVAL;
        v2 = line[1] == '2';
        p += 3;
        if (!take_hash(&p, end, &r.job_hash) || !take_hash(&p, end, &r.program_hash) ||
            !take_number(&p, end, &kib) || !take_number(&p, end, &r.when))
                return -EINVAL;
        if (kib == 0 || kib > PEAK_MAX_KIB)
                return -EINVAL;
        if (v2) {
                uint64_t v[1 + MS_CURVE_STEPS];
                for (unsigned i = 0; i < 1 + MS_CURVE_STEPS; i++)
                        if (!take_number(&p, end, &v[i]) || v[i] > UINT32_MAX)
                                return -EINVAL;
                r.curve.duration_ms = (uint32_t)v[0];
                for (unsigned k = 0; k < MS_CURVE_STEPS; k++)
                        r.curve.reach_ms[k] = (uint32_t)v[1 + k];
                if (!ms_curve_valid(&r.curve))
                        return -EINVAL;
        }
        r.peak = kib * 1024;
        n = (size_t)(end - p);
        if (n == 0 || n > MS_PROGRAM_MAX - 1)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!name_byte_ok((unsigned char)p[i]))
                        return -EINVAL;
                r.program[i] = p[i];
        }
        r.program[n] = '\0';
        *rec = r;
        return 0;
}

int ms_history_format_line(const struct ms_history_record *rec, char *buf, size_t size)
{
        char name[MS_PROGRAM_MAX];
        uint64_t kib;
        size_t n = 0;
        int len;

        if (rec->peak == 0 || rec->peak > PEAK_MAX_KIB * 1024)
                return -EINVAL;
        kib = (rec->peak + 1023) / 1024;
        for (; n < MS_PROGRAM_MAX - 1 && rec->program[n]; n++)
                name[n] = name_byte_ok((unsigned char)rec->program[n]) ? rec->program[n] : '?';
        name[n] = '\0';
        if (n == 0)
                return -EINVAL;
        if (ms_curve_valid(&rec->curve)) {
                const struct ms_curve *c = &rec->curve;
                len = snprintf(buf, size,
                               "v2 %016llx %016llx %llu %llu %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32
                               " %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32 " %s\n",
                               (unsigned long long)rec->job_hash, (unsigned long long)rec->program_hash,
                               (unsigned long long)kib, (unsigned long long)rec->when, c->duration_ms,
                               c->reach_ms[0], c->reach_ms[1], c->reach_ms[2], c->reach_ms[3], c->reach_ms[4],
                               c->reach_ms[5], c->reach_ms[6], c->reach_ms[7], name);
        } else {
                len = snprintf(buf, size, "v1 %016llx %016llx %llu %llu %s\n", (unsigned long long)rec->job_hash,
                               (unsigned long long)rec->program_hash, (unsigned long long)kib,
                               (unsigned long long)rec->when, name);
        }
        if (len < 0 || (size_t)len >= size)
                return -ENAMETOOLONG;
        return len;
}

/* ---- scanning text ---- */

struct line {
        const char *s;
        size_t n;
        bool complete; /* ended by '\n' */
};

static bool next_line(const char *text, size_t len, size_t *pos, struct line *l)
{
        const char *nl;

        if (*pos >= len)
                return false;
        l->s = text + *pos;
        nl = memchr(l->s, '\n', len - *pos);
        l->complete = nl != NULL;
        l->n = nl ? (size_t)(nl - l->s) : len - *pos;
        *pos += l->n + 1;
        return true;
}

/*
 * The next record of text; bad lines are counted in *bad. Empty lines are
 * skipped silently (a writer may add one to end a truncated line); a last line
 * without '\n' is a truncated record and counts as bad.
 */
static bool next_record(const char *text, size_t len, size_t *pos, struct ms_history_record *rec, unsigned *bad)
{
        struct line l;

        while (next_line(text, len, pos, &l)) {
                if (l.complete && l.n == 0)
                        continue;
                if (l.complete && ms_history_parse_line(l.s, l.n, rec) == 0)
                        return true;
                if (bad)
                        (*bad)++;
        }
        return false;
}

void ms_history_predict(const char *text, size_t len, const struct ms_key *key, struct ms_prediction *out)
{
        struct ms_prediction p = {};
        struct ms_history_record rec;
        uint64_t window[MS_HISTORY_PROGRAM_WINDOW];
        size_t pos = 0;
        unsigned n;

        while (next_record(text, len, &pos, &rec, &p.bad_lines)) {
                if (rec.program_hash != key->program_hash)
                        continue;
                window[p.program_runs % MS_HISTORY_PROGRAM_WINDOW] = rec.peak;
                if (p.program_runs < UINT_MAX)
                        p.program_runs++;
                if (ms_curve_valid(&rec.curve))
                        p.program_curve = rec.curve;
                if (rec.job_hash == key->job_hash) {
                        p.job_peak = rec.peak;
                        p.job_curve = rec.curve;
                }
        }
        /* Sort the window (at most 64 values): its top is the peak, its
         * middle (the upper one for an even count) the typical run. */
        n = p.program_runs < MS_HISTORY_PROGRAM_WINDOW ? p.program_runs : MS_HISTORY_PROGRAM_WINDOW;
        for (unsigned i = 1; i < n; i++) {
                uint64_t v = window[i];
                unsigned j = i;
                for (; j > 0 && window[j - 1] > v; j--)
                        window[j] = window[j - 1];
                window[j] = v;
        }
        if (n > 0) {
                p.program_peak = window[n - 1];
                p.program_typical = window[n / 2];
                p.program_least = window[0];
        }
        *out = p;
}

/* All valid records of text, in file order (malloc'd). Returns count or -ENOMEM. */
static long parse_all(const char *text, size_t len, struct ms_history_record **out)
{
        struct ms_history_record *recs;
        size_t pos = 0, n = 0, max = len / LINE_MIN + 1;

        recs = malloc(max * sizeof(*recs));
        if (!recs)
                return -ENOMEM;
        while (n < max && next_record(text, len, &pos, &recs[n], NULL))
                n++;
        *out = recs;
        return (long)n;
}

/*
 * An open-addressing set of record indexes (stored + 1, 0 = empty), for
 * finding the last record of each job or the first of each name.
 */
struct table {
        uint32_t *slot;
        size_t mask;
};

static int table_init(struct table *t, size_t entries)
{
        size_t size = 16;

        while (size < entries * 2)
                size *= 2;
        t->slot = calloc(size, sizeof(*t->slot));
        t->mask = size - 1;
        return t->slot ? 0 : -ENOMEM;
}

static uint64_t mix(uint64_t h)
{
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
        return h;
}

static bool same_job(const struct ms_history_record *a, const struct ms_history_record *b)
{
        return a->job_hash == b->job_hash && a->program_hash == b->program_hash;
}

/* The slot holding a record of rec's job, or the empty slot where it goes. */
static uint32_t *table_job(struct table *t, const struct ms_history_record *recs, const struct ms_history_record *rec)
{
        size_t i = mix(rec->job_hash ^ mix(rec->program_hash)) & t->mask;

        while (t->slot[i] && !same_job(&recs[t->slot[i] - 1], rec))
                i = (i + 1) & t->mask;
        return &t->slot[i];
}

static uint32_t *table_name(struct table *t, const struct ms_history_record *recs, const char *name)
{
        size_t i = mix(ms_fnv1a(name, strlen(name), MS_FNV1A_SEED)) & t->mask;

        while (t->slot[i] && strcmp(recs[t->slot[i] - 1].program, name) != 0)
                i = (i + 1) & t->mask;
        return &t->slot[i];
}

long ms_history_compact_text(const char *text, size_t len, unsigned max_jobs, char *out, size_t size)
{
        _cleanup_free_ struct ms_history_record *recs = NULL;
        _cleanup_free_ bool *keep = NULL;
        struct table t = {};
        unsigned kept = 0;
        size_t have = 0;
        long n;

        n = parse_all(text, len, &recs);
        if (n < 0)
                return n;
        keep = calloc((size_t)n + 1, sizeof(*keep));
        if (!keep || table_init(&t, (size_t)n) < 0) {
                free(t.slot);
                return -ENOMEM;
        }
        /* Each job's last record, then the max_jobs jobs seen last. */
        for (long i = 0; i < n; i++)
                *table_job(&t, recs, &recs[i]) = (uint32_t)i + 1;
        for (long i = n - 1; i >= 0 && kept < max_jobs; i--)
                if (*table_job(&t, recs, &recs[i]) == (uint32_t)i + 1) {
                        keep[i] = true;
                        kept++;
                }
        free(t.slot);
        /* File order, so that later lines stay the newer ones. */
        for (long i = 0; i < n; i++) {
                int m;
                if (!keep[i])
                        continue;
                m = ms_history_format_line(&recs[i], out + have, size - have);
                if (m < 0)
                        return -ENOSPC;
                have += (size_t)m;
        }
        if (have >= size)
                return -ENOSPC;
        out[have] = '\0';
        return (long)have;
}

/* Names that are safe in a MEMSTOP_SMALL list. */
static bool name_listable(const char *name)
{
        for (; *name; name++)
                if ((unsigned char)*name <= ' ' || (unsigned char)*name >= 0x7f || *name == ',' || *name == '=')
                        return false;
        return true;
}

int ms_history_small_programs(const char *text, size_t len, uint64_t small, char *buf, size_t size)
{
        _cleanup_free_ struct ms_history_record *recs = NULL;
        _cleanup_free_ bool *big = NULL;
        struct table t = {};
        size_t have = 0;
        int r = 0;
        long n;

        if (size == 0)
                return -ENOSPC;
        buf[0] = '\0';
        n = parse_all(text, len, &recs);
        if (n < 0)
                return (int)n;
        big = calloc((size_t)n + 1, sizeof(*big));
        if (!big || table_init(&t, (size_t)n) < 0) {
                free(t.slot);
                return -ENOMEM;
        }
        /* Per name, the first record stands for it: big[first] if any is big. */
        for (long i = 0; i < n; i++) {
                uint32_t *s = table_name(&t, recs, recs[i].program);
                if (!*s)
                        *s = (uint32_t)i + 1;
                if (recs[i].peak > small)
                        big[*s - 1] = true;
        }
        for (long i = 0; i < n; i++) {
                size_t m;
                if (*table_name(&t, recs, recs[i].program) != (uint32_t)i + 1 || big[i] ||
                    !name_listable(recs[i].program))
                        continue;
                m = strlen(recs[i].program);
                if (have + (have > 0) + m + 1 > size) {
                        r = -ENOSPC;
                        continue;
                }
                if (have > 0)
                        buf[have++] = ',';
                memcpy(buf + have, recs[i].program, m + 1);
                have += m;
        }
        free(t.slot);
        return r;
}

/* ---- the files ---- */

int ms_history_dir(const char *xdg_cache_home, const char *home, char *buf, size_t size)
{
        const char *base, *sub;
        size_t n;
        int len;

        if (xdg_cache_home && xdg_cache_home[0] == '/') {
                base = xdg_cache_home;
                sub = "/memstop";
        } else if (home && home[0] == '/') {
                base = home;
                sub = "/.cache/memstop";
        } else {
                return -ENOENT;
        }
        n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
                n--;
        len = snprintf(buf, size, "%.*s%s", (int)n, base, sub);
        return len < 0 || (size_t)len >= size ? -ENAMETOOLONG : 0;
}

/* Cut path at its last '/' (in place). Returns false if there is none to cut. */
static bool cut_last(char *path)
{
        char *slash = strrchr(path, '/');

        if (!slash || slash == path)
                return false;
        *slash = '\0';
        return true;
}

/*
 * Make dir (and its parent, ~/.cache, if missing) 0700, but only below a
 * directory of the effective uid: a root process with a user's HOME (sudo
 * -E, su without '-') must not leave root's directories in the user's home.
 * Returns 0 or -errno (-EPERM: the directory to create in is someone else's).
 */
static int dir_make(const char *dir)
{
        char parent[PATH_MAX], grand[PATH_MAX];
        struct stat st;

        /* No allocation: _exit() comes here (ms_history_append). */
        if (strlen(dir) >= sizeof(parent))
                return -ENAMETOOLONG;
        memcpy(parent, dir, strlen(dir) + 1);
        memcpy(grand, dir, strlen(dir) + 1);
        if (!cut_last(parent))
                return -ENOENT;
        if (stat(parent, &st) < 0) {
                if (errno != ENOENT || !cut_last(grand) || !cut_last(grand))
                        return -errno;
                if (stat(grand, &st) < 0)
                        return -errno;
                if (st.st_uid != geteuid())
                        return -EPERM;
                if (mkdir(parent, 0700) < 0 && errno != EEXIST)
                        return -errno;
        } else if (st.st_uid != geteuid()) {
                return -EPERM;
        }
        return mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/*
 * Open the history directory: not a symlink, owned by us, writable by nobody
 * else. With create, make it (and its parent, ~/.cache) 0700 if missing,
 * below a directory of ours only (dir_make).
 */
static int dir_open(const char *dir, bool create)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (!dir || !*dir)
                return -EINVAL;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
                int r = dir_make(dir);
                if (r < 0)
                        return r;
                fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid() || (st.st_mode & 022))
                return -EPERM;
        return MS_TAKE_FD(fd);
}

/*
 * Read the history file below dirfd: all of it, or if it is larger than
 * 2 x MS_HISTORY_MAX_BYTES its end from the first whole line. A missing file
 * reads as empty. *text is malloc'd and NUL-terminated; *size (may be NULL)
 * is the file's size, which may be much more than what was read.
 */
static int read_text(int dirfd, char **text, size_t *len, uint64_t *size)
{
        const size_t cap = 2 * (size_t)MS_HISTORY_MAX_BYTES;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t have = 0, want = 0;
        off_t off = 0;

        fd = openat(dirfd, HISTORY_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 && errno != ENOENT)
                return -errno;
        if (fd >= 0) {
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (S_ISDIR(st.st_mode))
                        return -EISDIR;
                if (!S_ISREG(st.st_mode))
                        return -EINVAL;
                /* What is there now, at most its last `cap` bytes (later appends wait). */
                want = (uint64_t)st.st_size > cap ? cap : (size_t)st.st_size;
                off = st.st_size - (off_t)want;
                if (size)
                        *size = (uint64_t)st.st_size;
        } else if (size) {
                *size = 0;
        }
        buf = malloc(want + 1);
        if (!buf)
                return -ENOMEM;
        if (want > 0) {
                long n = ms_pread_full(fd, buf, want, (uint64_t)off);
                if (n < 0)
                        return (int)n;
                have = (size_t)n;
        }
        if (off > 0) {
                /* Started inside a line: drop it. */
                char *nl = memchr(buf, '\n', have);
                size_t skip = nl ? (size_t)(nl - buf) + 1 : have;
                memmove(buf, buf + skip, have - skip);
                have -= skip;
        }
        buf[have] = '\0';
        *text = buf;
        buf = NULL;
        *len = have;
        return 0;
}

int ms_history_read(const char *dir, char **text, size_t *len)
{
        _cleanup_close_ int dfd = dir_open(dir, false);

        if (dfd == -ENOENT) {
                dfd = -1;
                *text = calloc(1, 1);
                *len = 0;
                return *text ? 0 : -ENOMEM;
        }
        if (dfd < 0)
                return dfd;
        return read_text(dfd, text, len, NULL);
}

int ms_history_lookup(const char *dir, const struct ms_key *key, struct ms_prediction *out)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        *out = (struct ms_prediction){};
        r = ms_history_read(dir, &text, &len);
        if (r < 0)
                return r;
        ms_history_predict(text, len, key, out);
        return 0;
}

static int lock_open(int dirfd)
{
        int fd = openat(dirfd, HISTORY_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                        0600);

        return fd < 0 ? -errno : fd;
}

/* A process stopped while it holds the lock must not hang the others:
 * at most MS_HISTORY_LOCK_NS, then the record is given up (-ETIMEDOUT). */
static int lock(int fd, int op)
{
        if (op == LOCK_UN)
                return flock(fd, op) < 0 ? -errno : 0;
        return ms_flock_within(fd, op, MS_HISTORY_LOCK_NS);
}

/*
 * Compact under LOCK_EX on the lock file. Appends hold LOCK_SH from before
 * they open the file until after their write, so none can go to the old file
 * between our read and our rename. Unless force, only if still too large
 * (another writer may have compacted meanwhile).
 */
static int compact_locked(const char *dir, int dirfd, int lockfd, bool force)
{
        _cleanup_free_ char *text = NULL, *out = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -1;
        uint64_t size = 0;
        size_t len;
        long n;
        int r;

        /* Compaction after an append is no one's hurry: it waits little for
         * the appends in flight, and the next append tries again. */
        r = force ? lock(lockfd, LOCK_EX) : ms_flock_within(lockfd, LOCK_EX, MS_HISTORY_LOCK_NS / 10);
        if (r < 0)
                return r;
        r = read_text(dirfd, &text, &len, &size);
        if (r < 0)
                return r;
        /* The file's size, not what was read of it: a huge or sparse file
         * reads as little, and must be compacted all the same. */
        if (!force && size <= MS_HISTORY_MAX_BYTES)
                return 0;
        out = malloc(MS_HISTORY_MAX_BYTES);
        if (!out)
                return -ENOMEM;
        /* Fewer jobs if their lines are too long to fit: the file stays bounded. */
        for (unsigned jobs = MS_HISTORY_MAX_JOBS;; jobs /= 2) {
                n = ms_history_compact_text(text, len, jobs, out, MS_HISTORY_MAX_BYTES);
                if (n != -ENOSPC || jobs <= 1)
                        break;
        }
        if (n < 0)
                return (int)n;
        if (asprintf(&tmp, "%s/" HISTORY_FILE ".XXXXXX", dir) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = ms_write_all(fd, out, (size_t)n);
        if (r == 0 && renameat(AT_FDCWD, tmp, dirfd, HISTORY_FILE) < 0)
                r = -errno;
        if (r < 0)
                (void)unlink(tmp);
        return r;
}

int ms_history_compact(const char *dir)
{
        _cleanup_close_ int dfd = dir_open(dir, false);
        _cleanup_close_ int lockfd = -1;

        if (dfd == -ENOENT) {
                dfd = -1;
                return 0;
        }
        if (dfd < 0)
                return dfd;
        lockfd = lock_open(dfd);
        if (lockfd < 0)
                return lockfd;
        return compact_locked(dir, dfd, lockfd, true);
}

/* Append a record; light: no compaction, so no allocation. */
static int record(const char *dir, const struct ms_key *key, uint64_t peak, const struct ms_curve *curve,
                  uint64_t now, bool light)
{
        struct ms_history_record rec = {
                .job_hash = key->job_hash,
                .program_hash = key->program_hash,
                .peak = peak,
                .when = now,
        };
        _cleanup_close_ int dfd = -1, lockfd = -1, fd = -1;
        char line[1 + MS_HISTORY_LINE_MAX + 2];
        const char *start = line + 1;
        struct stat st;
        size_t len;
        int r;

        if (curve && ms_curve_valid(curve))
                rec.curve = *curve;
        memcpy(rec.program, key->program, sizeof(rec.program));
        rec.program[MS_PROGRAM_MAX - 1] = '\0';
        /* line[0] is for a '\n' ending a truncated last line. */
        r = ms_history_format_line(&rec, line + 1, sizeof(line) - 1);
        if (r < 0)
                return r == -ENAMETOOLONG ? -EINVAL : r;
        len = (size_t)r;

        dfd = dir_open(dir, true);
        if (dfd < 0)
                return dfd;
        lockfd = lock_open(dfd);
        if (lockfd < 0)
                return lockfd;
        r = lock(lockfd, LOCK_SH);
        if (r < 0)
                return r;
        fd = openat(dfd, HISTORY_FILE, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                    0600);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > 0) {
                char last;
                if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
                        line[0] = '\n';
                        start = line;
                        len++;
                }
        }
        r = ms_write_all(fd, start, len);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        fd = ms_close(fd);
        (void)lock(lockfd, LOCK_UN);
        if (light || (uint64_t)st.st_size <= MS_HISTORY_MAX_BYTES)
                return 0;
        r = compact_locked(dir, dfd, lockfd, false);
        return r == -ETIMEDOUT ? 0 : r;
}

int ms_history_record(const char *dir, const struct ms_key *key, uint64_t peak, const struct ms_curve *curve,
                      uint64_t now)
{
        return record(dir, key, peak, curve, now, false);
}

int ms_history_append(const char *dir, const struct ms_key *key, uint64_t peak, const struct ms_curve *curve,
                      uint64_t now)
{
        return record(dir, key, peak, curve, now, true);
}

int ms_history_small_list(const char *dir, char *buf, size_t size)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = ms_history_read(dir, &text, &len);
        if (r < 0)
                return r;
        r = ms_history_small_programs(text ? text : "", text ? len : 0, MS_SMALL_PROGRAM, buf, size);
        /* Too many to list: the names that fit still help. */
        return r == -ENOSPC ? 0 : r;
}
