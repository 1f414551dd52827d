/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe/cgroup.h"
#include "util/fileio.h"
#include "util/parse.h"
#include "util/macro.h"
#include "util/strutil.h"

/* v1 reports "no limit" as PAGE_COUNTER_MAX pages: anything this large is none. */
#define V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

/*
 * What the first process of a tree runs (ms_cgroup_locate's usual places,
 * ms_cgroup_limit_read, the hint) loops with util/strutil.h rather than
 * calling libc's string functions and snprintf: each is a lazy symbol lookup
 * (more for IFUNCs) and pages of libc's text touched (issue 10: 200 us).
 */

static int copy_span(char *dst, size_t size, const char *src, size_t len)
{
        if (len >= size)
                return -ENAMETOOLONG;
        for (size_t i = 0; i < len; i++)
                dst[i] = src[i];
        dst[len] = '\0';
        return 0;
}

/* Whether the comma-separated list [s, s+len) contains word. */
static bool list_has(const char *s, size_t len, const char *word)
{
        size_t wlen = ms_strlen(word);
        const char *end = s + len;

        while (s < end) {
                const char *comma = ms_memchr(s, ',', (size_t)(end - s));
                size_t n = comma ? (size_t)(comma - s) : (size_t)(end - s);
                if (n == wlen && ms_memeq(s, word, n))
                        return true;
                s += n + 1;
        }
        return false;
}

int ms_proc_cgroup_parse(const char *text, enum ms_cgroup_version version, char *path, size_t size)
{
        return ms_proc_cgroup_parse_ctl(text, version, "memory", path, size);
}

int ms_proc_cgroup_parse_ctl(const char *text, enum ms_cgroup_version version, const char *controller, char *path,
                             size_t size)
{
        for (const char *line = text; line && *line;) {
                const char *eol = ms_strchr(line, '\n');
                size_t len = eol ? (size_t)(eol - line) : ms_strlen(line);
                const char *c1 = ms_memchr(line, ':', len);
                const char *c2 = c1 ? ms_memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;

                if (!c1 || !c2)
                        return -EINVAL;
                const char *ctl = c1 + 1, *p = c2 + 1;
                size_t ctl_len = (size_t)(c2 - ctl), plen = len - (size_t)(p - line);
                bool match = version == MS_CGROUP_V2 ? (c1 - line == 1 && line[0] == '0' && ctl_len == 0)
                                                     : list_has(ctl, ctl_len, controller);
                if (match) {
                        if (plen == 0 || p[0] != '/')
                                return -EINVAL;
                        return copy_span(path, size, p, plen);
                }
                line = eol ? eol + 1 : NULL;
        }
        return -ENOENT;
}

/* Copy one mountinfo field, decoding \ooo escapes. */
static int unescape(char *dst, size_t size, const char *src, size_t len)
{
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                char c = src[i];
                if (c == '\\' && i + 3 < len &&
                    src[i + 1] >= '0' && src[i + 1] <= '3' &&
                    src[i + 2] >= '0' && src[i + 2] <= '7' &&
                    src[i + 3] >= '0' && src[i + 3] <= '7') {
                        c = (char)((src[i + 1] - '0') * 64 + (src[i + 2] - '0') * 8 + (src[i + 3] - '0'));
                        i += 3;
                }
                if (o + 1 >= size)
                        return -ENAMETOOLONG;
                dst[o++] = c;
        }
        dst[o] = '\0';
        return 0;
}

int ms_mountinfo_parse(const char *text, enum ms_cgroup_version version,
                       char *root, size_t root_size, char *mnt, size_t mnt_size)
{
        return ms_mountinfo_parse_ctl(text, version, "memory", root, root_size, mnt, mnt_size);
}

int ms_mountinfo_parse_ctl(const char *text, enum ms_cgroup_version version, const char *controller,
                           char *root, size_t root_size, char *mnt, size_t mnt_size)
{
        for (const char *line = text; line && *line;) {
                const char *eol = strchr(line, '\n');
                const char *end = eol ? eol : line + strlen(line);
                const char *field[6] = {};
                size_t flen[6] = {};
                const char *p = line, *sep;
                int n = 0;

                /* Fields 1-5: id, parent, dev, root, mount point. */
                while (n < 5 && p < end) {
                        const char *sp = memchr(p, ' ', (size_t)(end - p));
                        field[n] = p;
                        flen[n] = sp ? (size_t)(sp - p) : (size_t)(end - p);
                        n++;
                        p = sp ? sp + 1 : end;
                }
                sep = n == 5 ? strstr(p, " - ") : NULL;
                if (!sep || sep >= end)
                        return -EINVAL;
                /* After " - ": fstype, source, super options. */
                const char *fs = sep + 3;
                const char *fs_end = memchr(fs, ' ', (size_t)(end - fs));
                if (!fs_end)
                        return -EINVAL;
                const char *src = fs_end + 1;
                const char *src_end = memchr(src, ' ', (size_t)(end - src));
                const char *opts = src_end ? src_end + 1 : end;
                size_t fs_len = (size_t)(fs_end - fs);
                bool match;

                if (version == MS_CGROUP_V2)
                        match = fs_len == 7 && memcmp(fs, "cgroup2", 7) == 0;
                else
                        match = fs_len == 6 && memcmp(fs, "cgroup", 6) == 0 &&
                                list_has(opts, (size_t)(end - opts), controller);
                if (match) {
                        int r = unescape(root, root_size, field[3], flen[3]);
                        if (r < 0)
                                return r;
                        return unescape(mnt, mnt_size, field[4], flen[4]);
                }
                line = eol ? eol + 1 : NULL;
        }
        return -ENOENT;
}

int ms_cgroup_join(struct ms_cgroup *cg, const char *mnt, const char *root, const char *path)
{
        size_t rlen = ms_strlen(root);
        const char *rest;

        while (rlen > 1 && root[rlen - 1] == '/')
                rlen--;
        if (ms_streq(root, "/"))
                rest = path;
        else if (strncmp(path, root, rlen) == 0 && (path[rlen] == '/' || path[rlen] == '\0'))
                rest = path + rlen;
        else
                return -ENOENT;
        while (*mnt == '/')
                mnt++;
        while (*rest == '/')
                rest++;
        if (ms_join3(cg->dir, sizeof(cg->dir), mnt, *mnt && *rest ? "/" : "", rest) < 0)
                return -ENAMETOOLONG;
        cg->mount_len = ms_strlen(mnt);
        if (copy_span(cg->path, sizeof(cg->path), path, ms_strlen(path)) < 0)
                return -ENAMETOOLONG;
        return 0;
}

/* dir/file is built in MS_SHORT_PATH, in PATH_MAX out of line when longer. */
__attribute__((cold, noinline)) static bool exists_at_long(int rootfd, const char *dir, const char *file)
{
        char p[PATH_MAX];

        return ms_join3(p, sizeof(p), dir, "/", file) == 0 && ms_access_at(rootfd, p) == 0;
}

static bool exists_at(int rootfd, const char *dir, const char *file)
{
        char p[MS_SHORT_PATH];

        if (ms_join3(p, sizeof(p), dir, "/", file) < 0)
                return exists_at_long(rootfd, dir, file);
        return ms_access_at(rootfd, p) == 0;
}

/* The cgroup of version `version` in proc/self/cgroup and mountinfo text. */
static int locate_ctl(const char *self, const char *mounts, enum ms_cgroup_version version, const char *controller,
                      struct ms_cgroup *out)
{
        char path[PATH_MAX], root[PATH_MAX], mnt[PATH_MAX];
        struct ms_cgroup c = { .version = version };
        int r;

        r = ms_proc_cgroup_parse_ctl(self, version, controller, path, sizeof(path));
        if (r == 0)
                r = ms_mountinfo_parse_ctl(mounts, version, controller, root, sizeof(root), mnt, sizeof(mnt));
        if (r == 0)
                r = ms_cgroup_join(&c, mnt, root, path);
        if (r == 0)
                *out = c;
        return r;
}

static int locate_text(const char *self, const char *mounts, enum ms_cgroup_version version, struct ms_cgroup *out)
{
        return locate_ctl(self, mounts, version, "memory", out);
}

static int read_self(int rootfd, char *self, size_t self_size, char *mounts, size_t mounts_size)
{
        int r = ms_read_at(rootfd, "proc/self/cgroup", self, self_size, NULL);

        if (r < 0)
                return r;
        /* A mount table larger than 64 KiB: the cgroup mounts come early; use what fits. */
        r = ms_read_at(rootfd, "proc/self/mountinfo", mounts, mounts_size, NULL);
        return r == -EFBIG ? 0 : r;
}

/* The calling process's cgroup in the v1 hierarchy of `controller`. */
int ms_cgroup_locate_v1(int rootfd, const char *controller, struct ms_cgroup *cg)
{
        char self[16384], mounts[65536];
        int r = read_self(rootfd, self, sizeof(self), mounts, sizeof(mounts));

        return r < 0 ? r : locate_ctl(self, mounts, MS_CGROUP_V1, controller, cg);
}

int ms_cgroup_locate_in(int rootfd, enum ms_cgroup_version version, struct ms_cgroup *cg)
{
        char self[16384], mounts[65536];
        int r = read_self(rootfd, self, sizeof(self), mounts, sizeof(mounts));

        return r < 0 ? r : locate_text(self, mounts, version, cg);
}

/* No memory cgroup (yet): the scalar fields and empty strings, without
 * zeroing both paths' pages. */
static void cgroup_none(struct ms_cgroup *cg)
{
        cg->version = MS_CGROUP_NONE;
        cg->path[0] = cg->dir[0] = '\0';
        cg->mount_len = 0;
}

/* Whether c's directory has the memory controller's files: v2 only where
 * the controller is enabled. */
static bool has_memory(int rootfd, const struct ms_cgroup *c)
{
        return exists_at(rootfd, c->dir, c->version == MS_CGROUP_V2 ? "memory.current" : "memory.usage_in_bytes");
}

/*
 * The cgroup where systemd and Debian mount the hierarchy (v1 memory at
 * /sys/fs/cgroup/memory, v2 at /sys/fs/cgroup), mounted from its root (as
 * on a host, or in a cgroup namespace), if its memory files are there: the
 * first process of a tree then needs no mountinfo, which is large on a host
 * with many mounts. Only for the first version /proc/self/cgroup has a
 * memory line for (v1 first): else mountinfo decides as before.
 */
static bool locate_usual(int rootfd, const char *self, struct ms_cgroup *out)
{
        static const char *const mnt[] = { [MS_CGROUP_V1] = "/sys/fs/cgroup/memory", [MS_CGROUP_V2] = "/sys/fs/cgroup" };
        enum ms_cgroup_version v = MS_CGROUP_V1;

        /* Parsed into out->path itself, which the join then keeps: no
         * PATH_MAX buffer on the stack. */
        if (ms_proc_cgroup_parse(self, v, out->path, sizeof(out->path)) < 0) {
                v = MS_CGROUP_V2;
                if (ms_proc_cgroup_parse(self, v, out->path, sizeof(out->path)) < 0) {
                        out->path[0] = '\0';
                        return false;
                }
        }
        out->version = v;
        if (ms_cgroup_join(out, mnt[v], "/", out->path) == 0 && has_memory(rootfd, out))
                return true;
        cgroup_none(out);
        return false;
}

/* Where the usual places do not fit: mountinfo decides (v1 first). Out of
 * line, with its large buffers: the first process of a tree rarely needs it. */
__attribute__((noinline)) static int locate_by_mounts(int rootfd, struct ms_cgroup *cg)
{
        char self[16384], mounts[65536];
        static const enum ms_cgroup_version order[] = { MS_CGROUP_V1, MS_CGROUP_V2 };
        int r = read_self(rootfd, self, sizeof(self), mounts, sizeof(mounts));

        if (r < 0)
                return r;
        for (size_t i = 0; i < MS_ARRAY_SIZE(order); i++) {
                if (locate_text(self, mounts, order[i], cg) == 0 && has_memory(rootfd, cg))
                        return 0;
                cgroup_none(cg);
        }
        return 0;
}

/*
 * The common case reads proc/self/cgroup into half a page and looks in the
 * usual places; nothing of 8 KiB is zeroed and no large frame is pushed (each
 * new stack or data page is a page fault the first process of a tree pays).
 * A longer file (a v1 host with long paths) is read whole by mountinfo's way.
 */
int ms_cgroup_locate(int rootfd, struct ms_cgroup *cg)
{
        char self[2048];
        int r;

        cgroup_none(cg);
        r = ms_read_at(rootfd, "proc/self/cgroup", self, sizeof(self), NULL);
        if (r < 0 && r != -EFBIG)
                return r;
        if (r == 0 && locate_usual(rootfd, self, cg))
                return 0;
        return locate_by_mounts(rootfd, cg);
}

int ms_cgroup_v1_stat_parse(const char *text, uint64_t *hierarchical_limit, uint64_t *total_inactive_file)
{
        int r = ms_field_u64(text, "hierarchical_memory_limit", hierarchical_limit);
        if (r < 0)
                return r;
        return ms_field_u64(text, "total_inactive_file", total_inactive_file);
}

int ms_cgroup_v2_stat_parse(const char *text, uint64_t *inactive_file)
{
        return ms_field_u64(text, "inactive_file", inactive_file);
}

uint64_t ms_cgroup_available(uint64_t limit, uint64_t usage, uint64_t inactive_file)
{
        uint64_t working = usage > inactive_file ? usage - inactive_file : 0;

        if (limit == MS_UNLIMITED)
                return MS_UNLIMITED;
        return limit > working ? limit - working : 0;
}

static int read_file_u64(int rootfd, const char *dir, const char *file, uint64_t *out)
{
        char p[PATH_MAX];

        if (ms_join3(p, sizeof(p), dir, "/", file) < 0)
                return -ENAMETOOLONG;
        return ms_read_u64_at(rootfd, p, out);
}

static int read_file_text(int rootfd, const char *dir, const char *file, char *buf, size_t size)
{
        char p[PATH_MAX];
        int r;

        if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, file) >= sizeof(p))
                return -ENAMETOOLONG;
        r = ms_read_at(rootfd, p, buf, size, NULL);
        return r == -EFBIG ? 0 : r;
}

/* Cut the last component of dir, not above the mount point. */
static bool parent_dir(char *dir, size_t mount_len)
{
        char *slash = (char *)ms_strrchr(dir, '/');

        if (ms_strlen(dir) <= mount_len || !slash || (size_t)(slash - dir) < mount_len)
                return false;
        *slash = '\0';
        return true;
}

/*
 * The limit binds at its own level: what the whole cgroup there uses
 * (siblings included) counts, not only ours. Each limited level's
 * limit - (usage - inactive_file) there, and at least our own working set
 * (usage is fuzzy on v1), lowers *available.
 */
static void level_bind(uint64_t limit, uint64_t usage, uint64_t inactive, uint64_t own_working, uint64_t *available)
{
        uint64_t working = usage > inactive ? usage - inactive : 0;
        uint64_t a;

        if (limit == MS_UNLIMITED)
                return;
        if (working < own_working)
                working = own_working;
        a = limit > working ? limit - working : 0;
        if (a < *available)
                *available = a;
}

/* usage and inactive_file of an ancestor level (v1: hierarchical "total_"). */
static int level_usage(int rootfd, const char *dir, enum ms_cgroup_version version, uint64_t *usage,
                       uint64_t *inactive)
{
        char stat[8192];
        int r;

        r = read_file_u64(rootfd, dir, ms_cgroup_usage_file(version), usage);
        if (r == 0)
                r = read_file_text(rootfd, dir, "memory.stat", stat, sizeof(stat));
        if (r == 0)
                r = ms_field_u64(stat, version == MS_CGROUP_V2 ? "inactive_file" : "total_inactive_file", inactive);
        return r;
}

static int read_v1(int rootfd, const struct ms_cgroup *cg, struct ms_cgroup_mem *m)
{
        char stat[8192], walk[PATH_MAX];
        uint64_t v, own_working, usage, inactive;
        int r;

        r = read_file_text(rootfd, cg->dir, "memory.stat", stat, sizeof(stat));
        if (r < 0)
                return r;
        r = ms_cgroup_v1_stat_parse(stat, &m->max, &m->inactive_file);
        if (r < 0)
                return -EINVAL;
        r = read_file_u64(rootfd, cg->dir, "memory.usage_in_bytes", &m->usage);
        if (r < 0)
                return r;
        if (m->max >= V1_UNLIMITED_FLOOR)
                m->max = MS_UNLIMITED;
        m->high = MS_UNLIMITED;
        m->limit = m->max;
        m->available = ms_cgroup_available(m->limit, m->usage, m->inactive_file);
        own_working = m->usage > m->inactive_file ? m->usage - m->inactive_file : 0;

        /* Which cgroup sets the effective limit: the deepest one with it;
         * every limited ancestor's usage binds too. */
        snprintf(walk, sizeof(walk), "%s", cg->dir);
        while (m->limit != MS_UNLIMITED) {
                if (read_file_u64(rootfd, walk, "memory.limit_in_bytes", &v) == 0 && v < V1_UNLIMITED_FLOOR) {
                        if (v == m->limit && !m->limit_dir[0])
                                snprintf(m->limit_dir, sizeof(m->limit_dir), "%s", walk);
                        if (strcmp(walk, cg->dir) != 0 && level_usage(rootfd, walk, MS_CGROUP_V1, &usage, &inactive) == 0)
                                level_bind(v, usage, inactive, own_working, &m->available);
                }
                if (!parent_dir(walk, cg->mount_len))
                        break;
        }
        if (read_file_text(rootfd, cg->dir, "memory.oom_control", stat, sizeof(stat)) == 0)
                (void)ms_field_u64(stat, "oom_kill", &m->oom_kills);
        return 0;
}

/* One level of a v2 walk: its memory.max and memory.high (missing: none). */
static int v2_level(int rootfd, const char *dir, struct ms_cgroup_mem *m, uint64_t *level_limit)
{
        static const char *const files[] = { "memory.max", "memory.high" };
        uint64_t v;
        int r;

        *level_limit = MS_UNLIMITED;
        for (size_t i = 0; i < MS_ARRAY_SIZE(files); i++) {
                /* The hierarchy's root has neither: missing is no limit. */
                r = read_file_u64(rootfd, dir, files[i], &v);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (i == 0 && v < m->max)
                        m->max = v;
                if (i == 1 && v < m->high)
                        m->high = v;
                if (v < *level_limit)
                        *level_limit = v;
        }
        if (*level_limit < m->limit) {
                m->limit = *level_limit;
                snprintf(m->limit_dir, sizeof(m->limit_dir), "%s", dir);
        }
        return 0;
}

static int read_v2(int rootfd, const struct ms_cgroup *cg, struct ms_cgroup_mem *m)
{
        char text[8192], walk[PATH_MAX];
        uint64_t lim, own_working, usage, inactive;
        int r;

        r = read_file_u64(rootfd, cg->dir, "memory.current", &m->usage);
        if (r < 0)
                return r;
        r = read_file_text(rootfd, cg->dir, "memory.stat", text, sizeof(text));
        if (r < 0)
                return r;
        if (ms_cgroup_v2_stat_parse(text, &m->inactive_file) < 0)
                return -EINVAL;
        own_working = m->usage > m->inactive_file ? m->usage - m->inactive_file : 0;

        m->max = m->high = m->limit = m->available = MS_UNLIMITED;
        snprintf(walk, sizeof(walk), "%s", cg->dir);
        do {
                r = v2_level(rootfd, walk, m, &lim);
                if (r < 0)
                        return r;
                if (lim == MS_UNLIMITED)
                        continue;
                if (strcmp(walk, cg->dir) == 0)
                        level_bind(lim, m->usage, m->inactive_file, own_working, &m->available);
                else if (level_usage(rootfd, walk, MS_CGROUP_V2, &usage, &inactive) == 0)
                        level_bind(lim, usage, inactive, own_working, &m->available);
                else
                        level_bind(lim, 0, 0, own_working, &m->available);
        } while (parent_dir(walk, cg->mount_len));

        /* Hierarchical: OOM victims in this cgroup and below (memory.events.local
         * would miss those of a build's sub-cgroups). */
        if (read_file_text(rootfd, cg->dir, "memory.events", text, sizeof(text)) == 0)
                (void)ms_field_u64(text, "oom_kill", &m->oom_kills);
        return 0;
}

/* ms_cgroup_limit_read in buf: "dir/file" at each level, cut back in place. */
static int limit_read_in(int rootfd, const struct ms_cgroup *cg, char *buf, size_t size, uint64_t *limit)
{
        static const char *const v1[] = { "memory.limit_in_bytes" };
        static const char *const v2[] = { "memory.max", "memory.high" };
        const char *const *files = cg->version == MS_CGROUP_V2 ? v2 : v1;
        size_t nfiles = cg->version == MS_CGROUP_V2 ? MS_ARRAY_SIZE(v2) : MS_ARRAY_SIZE(v1);
        uint64_t v;

        *limit = MS_UNLIMITED;
        if (ms_join3(buf, size, cg->dir, "", "") < 0)
                return -ENAMETOOLONG;
        do {
                size_t len = ms_strlen(buf);
                for (size_t i = 0; i < nfiles; i++) {
                        int r = ms_join3(buf + len, size - len, "/", files[i], "");
                        if (r == 0)
                                r = ms_read_u64_at(rootfd, buf, &v);
                        buf[len] = '\0';
                        /* The hierarchy's root has none: missing is no limit. */
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return r;
                        if (v < *limit && !(cg->version == MS_CGROUP_V1 && v >= V1_UNLIMITED_FLOOR))
                                *limit = v;
                }
        } while (parent_dir(buf, cg->mount_len));
        return 0;
}

__attribute__((cold, noinline)) static int limit_read_long(int rootfd, const struct ms_cgroup *cg, uint64_t *limit)
{
        char buf[PATH_MAX + 32];

        return limit_read_in(rootfd, cg, buf, sizeof(buf), limit);
}

/* As exists_at: a short buffer first (the first process of a tree). */
int ms_cgroup_limit_read(int rootfd, const struct ms_cgroup *cg, uint64_t *limit)
{
        char buf[MS_SHORT_PATH];
        int r;

        if (cg->version != MS_CGROUP_V1 && cg->version != MS_CGROUP_V2)
                return -EINVAL;
        r = limit_read_in(rootfd, cg, buf, sizeof(buf), limit);
        return r == -ENAMETOOLONG ? limit_read_long(rootfd, cg, limit) : r;
}

int ms_cgroup_read(int rootfd, const struct ms_cgroup *cg, struct ms_cgroup_mem *mem)
{
        struct ms_cgroup_mem m = {};
        int r;

        switch (cg->version) {
        case MS_CGROUP_V1:
                r = read_v1(rootfd, cg, &m);
                break;
        case MS_CGROUP_V2:
                r = read_v2(rootfd, cg, &m);
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        *mem = m;
        return 0;
}

MS_HOT const char *ms_cgroup_usage_file(enum ms_cgroup_version version)
{
        return version == MS_CGROUP_V2 ? "memory.current" : "memory.usage_in_bytes";
}

int ms_cgroup_hint_format(const struct ms_cgroup *cg, uint64_t limit, char *buf, size_t size)
{
        int n;

        if (cg->version == MS_CGROUP_NONE || limit == MS_UNLIMITED)
                return ms_join3(buf, size, "none", "", "");
        n = snprintf(buf, size, "v%d:%" PRIu64 ":%s", (int)cg->version, limit, cg->dir);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

MS_HOT int ms_cgroup_hint_parse(const char *s, struct ms_cgroup_hint *hint)
{
        const char *p, *dir;
        uint64_t limit;

        if (ms_streq(s, "none")) {
                *hint = (struct ms_cgroup_hint){ .version = MS_CGROUP_NONE, .limit = MS_UNLIMITED };
                return 0;
        }
        if (s[0] != 'v' || (s[1] != '1' && s[1] != '2') || s[2] != ':')
                return -EINVAL;
        p = s + 3;
        if (ms_parse_u64_prefix(&p, &limit) < 0 || *p != ':')
                return -EINVAL;
        dir = p + 1;
        if (*dir == '\0' || *dir == '/')
                return -EINVAL;
        /* No ".." component: the hint must not walk out of the cgroup tree. */
        for (p = dir; *p; p++)
                if (p[0] == '.' && p[1] == '.' && (p == dir || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
                        return -EINVAL;
        hint->version = s[1] == '1' ? MS_CGROUP_V1 : MS_CGROUP_V2;
        hint->limit = limit;
        hint->dir = dir;
        return 0;
}
