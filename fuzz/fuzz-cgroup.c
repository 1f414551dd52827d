/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The memory cgroup as the gate finds and reads it: /proc/self/cgroup,
 * /proc/self/mountinfo and the cgroup's files (memory.stat,
 * memory.events, v1 memory.oom_control, the limits and usage). The input is
 * cut at NUL bytes into those files' contents; the parsers run on each, then
 * the whole is written as a fake tree (v1 and v2) and located and read
 * through the files, as the preload does.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "probe/cgroup.h"
#include "util/fileio.h"

enum { CGROUP, MOUNTINFO, STAT, EVENTS, LIMIT, USAGE, PARTS };

static char root[64];
static int rootfd = -1;

static void put(const char *rel, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "w");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

static void tree(void)
{
        static const char *const dirs[] = { "proc", "proc/self", "sys", "sys/fs", "sys/fs/cgroup",
                                            "sys/fs/cgroup/memory", "sys/fs/cgroup/memory/job",
                                            "sys/fs/cgroup/job" };
        char path[512];

        snprintf(root, sizeof(root), "%s", fuzz_dir("cgroup"));
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
                mkdir(path, 0700);
        }
        rootfd = ms_root_open(root);
        if (rootfd < 0)
                abort();
}

static void parse_all(char *part[PARTS])
{
        char a[PATH_MAX], b[PATH_MAX];
        uint64_t x, y;

        for (int v = MS_CGROUP_V1; v <= MS_CGROUP_V2; v++) {
                (void)ms_proc_cgroup_parse(part[CGROUP], (enum ms_cgroup_version)v, a, sizeof(a));
                (void)ms_mountinfo_parse(part[MOUNTINFO], (enum ms_cgroup_version)v, a, sizeof(a), b, sizeof(b));
        }
        (void)ms_cgroup_v1_stat_parse(part[STAT], &x, &y);
        (void)ms_cgroup_v2_stat_parse(part[STAT], &x);
}

static void read_tree(char *part[PARTS])
{
        static const char *const v1[] = { "memory.stat", "memory.oom_control", "memory.limit_in_bytes",
                                          "memory.usage_in_bytes" };
        static const char *const v2[] = { "memory.stat", "memory.events", "memory.max", "memory.current" };
        struct ms_cgroup cg;
        struct ms_cgroup_mem mem;
        char rel[256];

        put("proc/self/cgroup", part[CGROUP]);
        put("proc/self/mountinfo", part[MOUNTINFO]);
        for (int i = 0; i < 4; i++) {
                snprintf(rel, sizeof(rel), "sys/fs/cgroup/memory/job/%s", v1[i]);
                put(rel, part[STAT + i]);
                snprintf(rel, sizeof(rel), "sys/fs/cgroup/job/%s", v2[i]);
                put(rel, part[STAT + i]);
        }
        put("sys/fs/cgroup/job/memory.high", part[LIMIT]);
        if (ms_cgroup_locate(rootfd, &cg) == 0)
                (void)ms_cgroup_read(rootfd, &cg, &mem);
        for (int v = MS_CGROUP_V1; v <= MS_CGROUP_V2; v++) {
                cg = (struct ms_cgroup){ .version = (enum ms_cgroup_version)v };
                if (ms_cgroup_join(&cg, v == MS_CGROUP_V1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup", "/",
                                   "/job") == 0)
                        (void)ms_cgroup_read(rootfd, &cg, &mem);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size), *part[PARTS], *p;

        if (!s)
                return 0;
        if (rootfd < 0)
                tree();
        p = s;
        for (int i = 0; i < PARTS; i++) {
                part[i] = p;
                if (p < s + size)
                        p += strlen(p) + 1;
                if (p > s + size)
                        p = s + size; /* the final NUL: an empty part */
        }
        parse_all(part);
        read_tree(part);
        free(s);
        return 0;
}
