/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/fileio.h"
#include "fixture.h"

static void join(char *buf, size_t size, const char *root, const char *rel)
{
        while (*rel == '/')
                rel++;
        if ((size_t)snprintf(buf, size, "%s/%s", root, rel) >= size)
                fail_msg("fixture: path too long: %s/%s", root, rel);
}

char *fake_mkroot(void)
{
        const char *tmp = getenv("TMPDIR");
        char *root;

        if (!tmp || !*tmp)
                tmp = "/tmp";
        if (asprintf(&root, "%s/memstop-unit-XXXXXX", tmp) < 0)
                fail_msg("fixture: out of memory");
        if (!mkdtemp(root))
                fail_msg("fixture: mkdtemp %s: %s", root, strerror(errno));
        return root;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        if (remove(path) < 0 && errno != ENOENT)
                fprintf(stderr, "# fixture: cannot remove %s: %s\n", path, strerror(errno));
        return 0;
}

void fake_rmroot(char *root)
{
        if (!root)
                return;
        /* Depth first so directories are empty when removed; never follow links. */
        (void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}

int fake_open(const char *root)
{
        int fd = ms_root_open(root);

        if (fd < 0)
                fail_msg("fixture: ms_root_open %s: %s", root, strerror(-fd));
        return fd;
}

int fake_setup(void **state)
{
        struct fake *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        f->root = fake_mkroot();
        f->fd = fake_open(f->root);
        *state = f;
        return 0;
}

int fake_teardown(void **state)
{
        struct fake *f = *state;

        if (!f)
                return 0;
        if (f->fd >= 0)
                close(f->fd);
        fake_rmroot(f->root);
        free(f);
        *state = NULL;
        return 0;
}

static void mkdir_p(char *path)
{
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        fail_msg("fixture: mkdir %s: %s", path, strerror(errno));
                *p = '/';
        }
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                fail_msg("fixture: mkdir %s: %s", path, strerror(errno));
}

void fake_mkdir(const char *root, const char *rel)
{
        char path[PATH_MAX];

        join(path, sizeof(path), root, rel);
        mkdir_p(path);
}

void fake_write(const char *root, const char *rel, const char *text)
{
        char path[PATH_MAX];
        char *slash;
        size_t len = strlen(text);
        int fd;

        join(path, sizeof(path), root, rel);
        slash = strrchr(path, '/');
        *slash = '\0';
        mkdir_p(path);
        *slash = '/';
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                fail_msg("fixture: open %s: %s", path, strerror(errno));
        if (write(fd, text, len) != (ssize_t)len)
                fail_msg("fixture: write %s: %s", path, strerror(errno));
        close(fd);
}

void fake_writef(const char *root, const char *rel, const char *fmt, ...)
{
        va_list ap;
        char *text;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                fail_msg("fixture: out of memory");
        fake_write(root, rel, text);
        free(text);
}

void fake_remove(const char *root, const char *rel)
{
        char path[PATH_MAX];

        join(path, sizeof(path), root, rel);
        if (remove(path) < 0)
                fail_msg("fixture: remove %s: %s", path, strerror(errno));
}

void fake_chmod(const char *root, const char *rel, mode_t mode)
{
        char path[PATH_MAX];

        join(path, sizeof(path), root, rel);
        if (chmod(path, mode) < 0)
                fail_msg("fixture: chmod %s: %s", path, strerror(errno));
}

void fake_make_unreadable(const char *root, const char *rel)
{
        char path[PATH_MAX];

        join(path, sizeof(path), root, rel);
        if (remove(path) < 0 && errno != ENOENT)
                fail_msg("fixture: remove %s: %s", path, strerror(errno));
        mkdir_p(path);
}

char *fake_read(const char *root, const char *rel)
{
        char path[PATH_MAX];
        char *text = NULL;
        size_t cap = 0;
        FILE *f;

        join(path, sizeof(path), root, rel);
        f = fopen(path, "re");
        if (!f)
                fail_msg("fixture: fopen %s: %s", path, strerror(errno));
        if (getdelim(&text, &cap, '\0', f) < 0) {
                free(text);
                text = strdup("");
        }
        fclose(f);
        return text;
}

void fake_meminfo(const char *root, uint64_t total_kb, uint64_t free_kb, uint64_t available_kb)
{
        fake_writef(root, "proc/meminfo",
                    "MemTotal:       %8" PRIu64 " kB\n"
                    "MemFree:        %8" PRIu64 " kB\n"
                    "MemAvailable:   %8" PRIu64 " kB\n"
                    "Buffers:           12345 kB\n"
                    "Cached:          2345678 kB\n"
                    "SwapCached:            0 kB\n"
                    "Active:          3456789 kB\n"
                    "Inactive:        1234567 kB\n"
                    "SwapTotal:             0 kB\n"
                    "SwapFree:              0 kB\n"
                    "Shmem:             45678 kB\n"
                    "SReclaimable:     123456 kB\n"
                    "SUnreclaim:        65432 kB\n"
                    "CommitLimit:    12345678 kB\n"
                    "Committed_AS:    9876543 kB\n",
                    total_kb, free_kb, available_kb);
}

void fake_cg_write(const char *root, const char *mnt, const char *dir, const char *file, const char *text)
{
        char rel[PATH_MAX];

        if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s/%s", mnt, *dir ? "/" : "", dir, file) >= sizeof(rel))
                fail_msg("fixture: path too long");
        fake_write(root, rel, text);
}

static void cg_writef(const char *root, const char *mnt, const char *dir, const char *file, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static void cg_writef(const char *root, const char *mnt, const char *dir, const char *file, const char *fmt, ...)
{
        va_list ap;
        char *text;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                fail_msg("fixture: out of memory");
        fake_cg_write(root, mnt, dir, file, text);
        free(text);
}

/* Call fn for "" and each ancestor-or-self of path ("/a/b": "", "a", "a/b"). */
static void for_each_level(const char *root, const char *path, void (*fn)(const char *root, const char *dir))
{
        char dir[PATH_MAX];

        while (*path == '/')
                path++;
        if (strlen(path) >= sizeof(dir))
                fail_msg("fixture: path too long");
        fn(root, "");
        for (size_t i = 0; path[i]; i++) {
                if (path[i + 1] == '/' || path[i + 1] == '\0') {
                        memcpy(dir, path, i + 1);
                        dir[i + 1] = '\0';
                        fn(root, dir);
                }
        }
}

static const char mountinfo_head[] =
        "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw\n"
        "28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n";

void fake_v1_set(const char *root, const char *dir, uint64_t limit_in_bytes, uint64_t usage,
                 uint64_t hierarchical_limit, uint64_t total_inactive_file, uint64_t oom_kill)
{
        cg_writef(root, FAKE_V1_MNT, dir, "memory.limit_in_bytes", "%" PRIu64 "\n", limit_in_bytes);
        cg_writef(root, FAKE_V1_MNT, dir, "memory.usage_in_bytes", "%" PRIu64 "\n", usage);
        /* Real memory.stat: local counters first, then hierarchical_*, then total_*. */
        cg_writef(root, FAKE_V1_MNT, dir, "memory.stat",
                  "cache 4096\n"
                  "rss 8192\n"
                  "inactive_file 777\n"
                  "active_file 0\n"
                  "unevictable 0\n"
                  "hierarchical_memory_limit %" PRIu64 "\n"
                  "hierarchical_memsw_limit 9223372036854771712\n"
                  "total_cache 4096\n"
                  "total_rss 8192\n"
                  "total_inactive_anon 0\n"
                  "total_active_anon 8192\n"
                  "total_inactive_file %" PRIu64 "\n"
                  "total_active_file 0\n"
                  "total_unevictable 0\n",
                  hierarchical_limit, total_inactive_file);
        cg_writef(root, FAKE_V1_MNT, dir, "memory.oom_control",
                  "oom_kill_disable 0\nunder_oom 0\noom_kill %" PRIu64 "\n", oom_kill);
}

static void v1_level(const char *root, const char *dir)
{
        fake_v1_set(root, dir, FAKE_V1_UNLIMITED, 0, FAKE_V1_UNLIMITED, 0, 0);
}

void fake_v1_tree(const char *root, const char *path)
{
        fake_writef(root, "proc/self/cgroup",
                    "12:pids:%s\n"
                    "11:cpu,cpuacct:%s\n"
                    "10:memory:%s\n"
                    "9:blkio:/\n"
                    "1:name=systemd:/init.scope\n"
                    "0::/\n",
                    path, path, path);
        fake_writef(root, "proc/self/mountinfo",
                    "%s"
                    "30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
                    "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
                    "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct\n"
                    "35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory\n"
                    "36 30 0:32 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids\n",
                    mountinfo_head);
        for_each_level(root, path, v1_level);
}

void fake_v2_set(const char *root, const char *dir, const char *max, const char *high, uint64_t current,
                 uint64_t inactive_file, uint64_t oom_kill)
{
        if (max)
                cg_writef(root, FAKE_V2_MNT, dir, "memory.max", "%s\n", max);
        if (high)
                cg_writef(root, FAKE_V2_MNT, dir, "memory.high", "%s\n", high);
        cg_writef(root, FAKE_V2_MNT, dir, "memory.current", "%" PRIu64 "\n", current);
        cg_writef(root, FAKE_V2_MNT, dir, "memory.stat",
                  "anon 8192\n"
                  "file 4096\n"
                  "kernel 0\n"
                  "shmem 0\n"
                  "inactive_anon 0\n"
                  "active_anon 8192\n"
                  "inactive_file %" PRIu64 "\n"
                  "active_file 0\n"
                  "unevictable 0\n",
                  inactive_file);
        cg_writef(root, FAKE_V2_MNT, dir, "memory.events",
                  "low 0\nhigh 0\nmax 0\noom 0\noom_kill %" PRIu64 "\noom_group_kill 0\n", oom_kill);
}

static void v2_level(const char *root, const char *dir)
{
        if (*dir) {
                fake_v2_set(root, dir, "max", "max", 0, 0, 0);
        } else {
                /* The hierarchy's root: statistics only, no limits. */
                fake_cg_write(root, FAKE_V2_MNT, "", "memory.stat", "anon 0\nfile 0\ninactive_file 0\n");
        }
}

void fake_v2_tree(const char *root, const char *path)
{
        fake_writef(root, "proc/self/cgroup", "0::%s\n", path);
        fake_writef(root, "proc/self/mountinfo",
                    "%s"
                    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
                    mountinfo_head);
        for_each_level(root, path, v2_level);
}
