/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The memory cgroup of the calling process, cgroup v1 or v2.
 *
 * Located from proc/self/cgroup and proc/self/mountinfo below a root fd:
 * directory = mount point + (cgroup path minus mount root). On v1 the memory
 * controller's hierarchy is used; on v2 the unified hierarchy, if the memory
 * controller is enabled for the cgroup. Figures are in bytes; "no limit" is
 * UINT64_MAX.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define MS_UNLIMITED UINT64_MAX

enum ms_cgroup_version {
        MS_CGROUP_NONE = 0, /* no memory cgroup found: host figures only */
        MS_CGROUP_V1 = 1,
        MS_CGROUP_V2 = 2,
};

struct ms_cgroup {
        /* The scalars first: with the start of path, one page (the first
         * process of a tree pays a fault for each page it writes). */
        enum ms_cgroup_version version;
        size_t mount_len;    /* strlen of the mount point part of dir */
        char path[PATH_MAX]; /* as in proc/self/cgroup: "/build" */
        char dir[PATH_MAX];  /* below the root: "sys/fs/cgroup/memory/build" */
};

struct ms_cgroup_mem {
        uint64_t limit;         /* effective: ancestors included; v2: min of max and high */
        uint64_t max;           /* effective hard limit (v1 limit_in_bytes, v2 memory.max) */
        uint64_t high;          /* v2 effective memory.high, MS_UNLIMITED on v1 */
        uint64_t usage;         /* v1 usage_in_bytes, v2 memory.current */
        uint64_t inactive_file; /* v1 total_inactive_file, v2 inactive_file */
        uint64_t available;     /* limit - (usage - inactive_file), MS_UNLIMITED without limit */
        uint64_t oom_kills;     /* v1 memory.oom_control, v2 memory.events; 0 if unknown */
        char limit_dir[PATH_MAX]; /* the cgroup whose limit binds, "" without limit */
};

/* Parse proc/self/cgroup text: the memory line on v1, "0::" on v2.
 * Returns 0, -ENOENT if there is no such line, -EINVAL if malformed. */
int ms_proc_cgroup_parse(const char *text, enum ms_cgroup_version version, char *path, size_t size);
/* The same for the v1 line that lists `controller` (v2: the "0::" line). */
int ms_proc_cgroup_parse_ctl(const char *text, enum ms_cgroup_version version, const char *controller, char *path,
                             size_t size);

/* Parse proc/self/mountinfo text for the v1 memory hierarchy or the cgroup2
 * mount; octal escapes (\040) are decoded. Returns 0, -ENOENT or -EINVAL. */
int ms_mountinfo_parse(const char *text, enum ms_cgroup_version version,
                       char *root, size_t root_size, char *mnt, size_t mnt_size);
/* The same for the v1 hierarchy that has `controller` in its options. */
int ms_mountinfo_parse_ctl(const char *text, enum ms_cgroup_version version, const char *controller,
                           char *root, size_t root_size, char *mnt, size_t mnt_size);

/* Join mount point, mount root and cgroup path into cg->dir (no leading '/').
 * Returns 0, -ENOENT if path is not below root, -ENAMETOOLONG. */
int ms_cgroup_join(struct ms_cgroup *cg, const char *mnt, const char *root, const char *path);

/* Locate the calling process's memory cgroup. cg->version is MS_CGROUP_NONE
 * when none is found (not an error). Returns 0 or -errno on unreadable
 * proc files. */
int ms_cgroup_locate(int rootfd, struct ms_cgroup *cg);

/* The calling process's cgroup in the hierarchy of `version` (v1: the
 * memory controller's; v2: the unified one, whatever its controllers: its
 * memory.pressure counts its tasks' stalls even on a v1 host's hybrid
 * hierarchy). Returns 0, -ENOENT when there is none, or -errno. */
int ms_cgroup_locate_in(int rootfd, enum ms_cgroup_version version, struct ms_cgroup *cg);

/* The calling process's cgroup in the v1 hierarchy of `controller` (such as
 * "freezer"), version MS_CGROUP_V1. Returns 0, -ENOENT when that hierarchy
 * is not mounted or the process is outside its mount's root, or -errno. */
int ms_cgroup_locate_v1(int rootfd, const char *controller, struct ms_cgroup *cg);

/* memory.stat parsers. Missing keys are -ENOENT. */
int ms_cgroup_v1_stat_parse(const char *text, uint64_t *hierarchical_limit, uint64_t *total_inactive_file);
int ms_cgroup_v2_stat_parse(const char *text, uint64_t *inactive_file);

/* The smallest limit (v1 memory.limit_in_bytes; v2 memory.max and
 * memory.high) of the cgroup and its ancestors, from those files alone: no
 * memory.stat, whose rendering costs most of a sample (the first process of
 * a tree asks whether a limit binds at all). MS_UNLIMITED: none. Returns 0,
 * -EINVAL (no cgroup located) or -errno. */
int ms_cgroup_limit_read(int rootfd, const struct ms_cgroup *cg, uint64_t *limit);

/* Read the figures of a located cgroup. Returns 0 or -errno. */
int ms_cgroup_read(int rootfd, const struct ms_cgroup *cg, struct ms_cgroup_mem *mem);

/* available = limit - (usage - inactive_file), clamped at 0; pure. */
uint64_t ms_cgroup_available(uint64_t limit, uint64_t usage, uint64_t inactive_file);

/*
 * The cgroup hint: a process that has located its cgroup exports it to its
 * children (MS_ENV_CGROUP, gate/protocol.h) so that their fast path needs at
 * most one read. Format: "none", or "v1:LIMIT:DIR" / "v2:LIMIT:DIR" with
 * LIMIT in bytes.
 */

struct ms_cgroup_hint {
        enum ms_cgroup_version version;
        uint64_t limit;
        const char *dir; /* points into the parsed string */
};

int ms_cgroup_hint_format(const struct ms_cgroup *cg, uint64_t limit, char *buf, size_t size);
/* Returns 0 or -EINVAL. */
int ms_cgroup_hint_parse(const char *s, struct ms_cgroup_hint *hint);

/* The file holding current usage: "memory.usage_in_bytes" or "memory.current". */
const char *ms_cgroup_usage_file(enum ms_cgroup_version version);
