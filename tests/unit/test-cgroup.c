/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cgroup: locating the process's memory cgroup (v1, v2) and reading its figures. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe/cgroup.h"
#include "fixture.h"

/* ---- ms_proc_cgroup_parse ---- */

static const char proc_v1[] = "12:pids:/build\n"
                              "11:cpu,cpuacct:/build\n"
                              "10:memory:/build/job\n"
                              "1:name=systemd:/init.scope\n"
                              "0::/\n";

static void proc_cgroup_v1_memory_line(void **state)
{
        char path[256];

        assert_int_equal(ms_proc_cgroup_parse(proc_v1, MS_CGROUP_V1, path, sizeof(path)), 0);
        assert_string_equal(path, "/build/job");
        assert_int_equal(ms_proc_cgroup_parse("4:memory:/a", MS_CGROUP_V1, path, sizeof(path)), 0);
        assert_string_equal(path, "/a");
        assert_int_equal(ms_proc_cgroup_parse("4:memory:/\n", MS_CGROUP_V1, path, sizeof(path)), 0);
        assert_string_equal(path, "/");
}

static void proc_cgroup_v1_memory_in_comma_list(void **state)
{
        char path[256];

        assert_int_equal(ms_proc_cgroup_parse("5:cpu,memory:/b\n", MS_CGROUP_V1, path, sizeof(path)), 0);
        assert_string_equal(path, "/b");
        assert_int_equal(ms_proc_cgroup_parse("5:memory,cpu:/c\n", MS_CGROUP_V1, path, sizeof(path)), 0);
        assert_string_equal(path, "/c");
        assert_int_equal(ms_proc_cgroup_parse("5:cpu,memory,pids:/d\n", MS_CGROUP_V1, path, sizeof(path)), 0);
        assert_string_equal(path, "/d");
}

static void proc_cgroup_v1_similar_names_do_not_match(void **state)
{
        char path[256] = "untouched";

        assert_int_equal(ms_proc_cgroup_parse("7:memsomething:/x\n", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
        assert_int_equal(ms_proc_cgroup_parse("7:memor:/x\n", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
        assert_int_equal(ms_proc_cgroup_parse("7:xmemory:/x\n", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
        assert_int_equal(ms_proc_cgroup_parse("7:cpu,memoryx:/x\n", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
        assert_int_equal(ms_proc_cgroup_parse("7:name=memory:/x\n", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
        assert_string_equal(path, "untouched");
}

static void proc_cgroup_v1_ignores_v2_line(void **state)
{
        char path[256];

        assert_int_equal(ms_proc_cgroup_parse("0::/user.slice/x\n", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
}

static void proc_cgroup_v2_line(void **state)
{
        char path[256];

        assert_int_equal(ms_proc_cgroup_parse("0::/user.slice/x\n", MS_CGROUP_V2, path, sizeof(path)), 0);
        assert_string_equal(path, "/user.slice/x");
        /* Hybrid: the v2 line among v1 ones. */
        assert_int_equal(ms_proc_cgroup_parse(proc_v1, MS_CGROUP_V2, path, sizeof(path)), 0);
        assert_string_equal(path, "/");
        /* Without trailing newline. */
        assert_int_equal(ms_proc_cgroup_parse("0::/a b/c", MS_CGROUP_V2, path, sizeof(path)), 0);
        assert_string_equal(path, "/a b/c");
}

static void proc_cgroup_v2_ignores_v1_lines(void **state)
{
        char path[256];

        assert_int_equal(ms_proc_cgroup_parse("4:memory:/a\n", MS_CGROUP_V2, path, sizeof(path)), -ENOENT);
        /* Hierarchy 0 only when the controller list is empty. */
        assert_int_equal(ms_proc_cgroup_parse("0:memory:/a\n", MS_CGROUP_V2, path, sizeof(path)), -ENOENT);
        assert_int_equal(ms_proc_cgroup_parse("10::/a\n", MS_CGROUP_V2, path, sizeof(path)), -ENOENT);
}

static void proc_cgroup_missing_line_is_enoent(void **state)
{
        char path[256];

        assert_int_equal(ms_proc_cgroup_parse("", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
        assert_int_equal(ms_proc_cgroup_parse("", MS_CGROUP_V2, path, sizeof(path)), -ENOENT);
        assert_int_equal(ms_proc_cgroup_parse("12:pids:/\n11:cpu:/\n", MS_CGROUP_V1, path, sizeof(path)), -ENOENT);
}

static void proc_cgroup_malformed_is_einval(void **state)
{
        char path[256];

        assert_int_equal(ms_proc_cgroup_parse("4:memory\n", MS_CGROUP_V1, path, sizeof(path)), -EINVAL);
        assert_int_equal(ms_proc_cgroup_parse("garbage\n", MS_CGROUP_V1, path, sizeof(path)), -EINVAL);
        /* Empty or relative path. */
        assert_int_equal(ms_proc_cgroup_parse("4:memory:\n", MS_CGROUP_V1, path, sizeof(path)), -EINVAL);
        assert_int_equal(ms_proc_cgroup_parse("4:memory:build\n", MS_CGROUP_V1, path, sizeof(path)), -EINVAL);
        assert_int_equal(ms_proc_cgroup_parse("0::\n", MS_CGROUP_V2, path, sizeof(path)), -EINVAL);
        assert_int_equal(ms_proc_cgroup_parse("0::x\n", MS_CGROUP_V2, path, sizeof(path)), -EINVAL);
}

static void proc_cgroup_path_too_long(void **state)
{
        char path[4];

        assert_int_equal(ms_proc_cgroup_parse("0::/abcdef\n", MS_CGROUP_V2, path, sizeof(path)), -ENAMETOOLONG);
        assert_int_equal(ms_proc_cgroup_parse("0::/ab\n", MS_CGROUP_V2, path, sizeof(path)), 0);
        assert_string_equal(path, "/ab");
}

/* ---- ms_mountinfo_parse ---- */

static const char mountinfo_v1[] =
        "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw\n"
        "28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
        "30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
        "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
        "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct\n"
        "35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory\n";

static void mountinfo_v1_memory(void **state)
{
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(mountinfo_v1, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(root, "/");
        assert_string_equal(mnt, "/sys/fs/cgroup/memory");
}

static void mountinfo_v2_unified(void **state)
{
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(mountinfo_v1, MS_CGROUP_V2, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(root, "/");
        assert_string_equal(mnt, "/sys/fs/cgroup/unified");
}

static void mountinfo_optional_fields(void **state)
{
        /* Several optional fields, or none at all. */
        const char *text = "40 30 0:40 /docker/abc /sys/fs/cgroup/memory rw,nosuid shared:5 master:1 propagate_from:2 - "
                           "cgroup cgroup rw,memory\n";
        const char *none = "40 30 0:40 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(root, "/docker/abc");
        assert_string_equal(mnt, "/sys/fs/cgroup/memory");
        assert_int_equal(ms_mountinfo_parse(none, MS_CGROUP_V2, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(mnt, "/sys/fs/cgroup");
}

static void mountinfo_memory_among_super_options(void **state)
{
        const char *text = "35 30 0:31 / /cg/mem rw,relatime shared:16 - cgroup cgroup rw,memory,cpu,clone_children\n";
        const char *last = "35 30 0:31 / /cg/mem2 rw - cgroup cgroup rw,cpu,memory\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(mnt, "/cg/mem");
        assert_int_equal(ms_mountinfo_parse(last, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(mnt, "/cg/mem2");
}

static void mountinfo_memory_in_mount_options_only_is_ignored(void **state)
{
        /* "memory" as a per-mount option or part of a name is not the controller. */
        const char *text = "35 30 0:31 / /cg/x rw,memory - cgroup cgroup rw,cpu\n"
                           "36 30 0:32 / /cg/y rw - cgroup cgroup rw,memory_recursiveprot\n"
                           "37 30 0:33 / /cg/z rw - tmpfs memory rw,memory\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), -ENOENT);
}

static void mountinfo_non_memory_v1_ignored(void **state)
{
        const char *text = "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw shared:14 - cgroup cgroup rw,cpu,cpuacct\n"
                           "34 30 0:30 / /sys/fs/cgroup/pids rw shared:15 - cgroup cgroup rw,pids\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), -ENOENT);
        /* And cgroup (v1) is not cgroup2. */
        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V2, root, sizeof(root), mnt, sizeof(mnt)), -ENOENT);
}

static void mountinfo_v2_needs_cgroup2_fstype(void **state)
{
        const char *text = "35 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        const char *fake = "36 30 0:31 / /x rw - cgroup2x cgroup2 rw\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V2, root, sizeof(root), mnt, sizeof(mnt)), -ENOENT);
        assert_int_equal(ms_mountinfo_parse(fake, MS_CGROUP_V2, root, sizeof(root), mnt, sizeof(mnt)), -ENOENT);
        /* Neither is cgroup2 a v1 hierarchy. */
        assert_int_equal(ms_mountinfo_parse("1 2 0:3 / /u rw - cgroup2 cgroup2 rw,memory\n", MS_CGROUP_V1, root,
                                            sizeof(root), mnt, sizeof(mnt)),
                         -ENOENT);
}

static void mountinfo_escaped_spaces_decoded(void **state)
{
        const char *text = "40 30 0:40 /my\\040job /sys/fs/cgroup/my\\040mem\\040x rw shared:5 - cgroup cgroup rw,memory\n";
        const char *other = "41 30 0:41 /a\\134b\\011c / rw - cgroup2 cgroup2 rw\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(root, "/my job");
        assert_string_equal(mnt, "/sys/fs/cgroup/my mem x");
        /* \134 is a backslash, \011 a tab. */
        assert_int_equal(ms_mountinfo_parse(other, MS_CGROUP_V2, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(root, "/a\\b\tc");
        assert_string_equal(mnt, "/");
}

static void mountinfo_escape_at_end_of_field(void **state)
{
        const char *text = "40 30 0:40 / /mnt/x\\040 rw - cgroup2 cgroup2 rw\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V2, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(mnt, "/mnt/x ");
}

static void mountinfo_first_match_wins(void **state)
{
        const char *text = "35 30 0:31 / /first rw - cgroup cgroup rw,memory\n"
                           "36 30 0:31 / /second rw - cgroup cgroup rw,memory\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), 0);
        assert_string_equal(mnt, "/first");
}

static void mountinfo_missing_is_enoent(void **state)
{
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse("", MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), -ENOENT);
        assert_int_equal(ms_mountinfo_parse("28 1 8:1 / / rw - ext4 /dev/sda1 rw\n", MS_CGROUP_V2, root, sizeof(root),
                                            mnt, sizeof(mnt)),
                         -ENOENT);
}

static void mountinfo_malformed_is_einval(void **state)
{
        char root[256], mnt[256];

        /* No " - " separator. */
        assert_int_equal(ms_mountinfo_parse("35 30 0:31 / /sys/fs/cgroup/memory rw cgroup cgroup rw,memory\n",
                                            MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)),
                         -EINVAL);
        /* Too few fields. */
        assert_int_equal(ms_mountinfo_parse("35 30 0:31\n", MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)),
                         -EINVAL);
        /* Nothing after the fstype. */
        assert_int_equal(ms_mountinfo_parse("35 30 0:31 / /m rw - cgroup\n", MS_CGROUP_V1, root, sizeof(root), mnt,
                                            sizeof(mnt)),
                         -EINVAL);
}

static void mountinfo_separator_not_taken_from_next_line(void **state)
{
        /* A first line without " - " must not borrow the next line's separator. */
        const char *text = "35 30 0:31 / /broken rw\n"
                           "36 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        char root[256], mnt[256];

        assert_int_equal(ms_mountinfo_parse(text, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)), -EINVAL);
}

static void mountinfo_too_long(void **state)
{
        char root[256], mnt[8];

        assert_int_equal(ms_mountinfo_parse(mountinfo_v1, MS_CGROUP_V1, root, sizeof(root), mnt, sizeof(mnt)),
                         -ENAMETOOLONG);
}

/* ---- ms_cgroup_join ---- */

static void join_root_slash(void **state)
{
        struct ms_cgroup cg = {};

        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup/memory", "/", "/build/job"), 0);
        assert_string_equal(cg.dir, "sys/fs/cgroup/memory/build/job");
        assert_string_equal(cg.path, "/build/job");
        assert_int_equal(cg.mount_len, strlen("sys/fs/cgroup/memory"));
}

static void join_path_is_mount_root(void **state)
{
        struct ms_cgroup cg = {};

        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup", "/", "/"), 0);
        assert_string_equal(cg.dir, "sys/fs/cgroup");
        assert_int_equal(cg.mount_len, strlen("sys/fs/cgroup"));
}

static void join_container_mount_root(void **state)
{
        struct ms_cgroup cg = {};

        /* Docker on v1: the hierarchy's /docker/abc is mounted at /sys/fs/cgroup/memory. */
        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abc"), 0);
        assert_string_equal(cg.dir, "sys/fs/cgroup/memory");
        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abc/job"), 0);
        assert_string_equal(cg.dir, "sys/fs/cgroup/memory/job");
        assert_string_equal(cg.path, "/docker/abc/job");
        /* Trailing slash on the mount root. */
        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup/memory", "/docker/abc/", "/docker/abc/job"), 0);
        assert_string_equal(cg.dir, "sys/fs/cgroup/memory/job");
}

static void join_path_not_under_root_is_enoent(void **state)
{
        struct ms_cgroup cg = {};

        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup/memory", "/docker/abc", "/other"), -ENOENT);
        /* A prefix of a name is not a parent. */
        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abcdef"), -ENOENT);
        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup/memory", "/docker/abc", "/docker"), -ENOENT);
}

static void join_too_long(void **state)
{
        struct ms_cgroup cg = {};
        char path[PATH_MAX + 16];

        path[0] = '/';
        memset(path + 1, 'a', sizeof(path) - 2);
        path[sizeof(path) - 1] = '\0';
        assert_int_equal(ms_cgroup_join(&cg, "/sys/fs/cgroup", "/", path), -ENAMETOOLONG);
}

/* ---- ms_cgroup_locate ---- */

static void locate_v1(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_v1_tree(f->root, "/build/job");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_string_equal(cg.path, "/build/job");
        assert_string_equal(cg.dir, FAKE_V1_MNT "/build/job");
        assert_int_equal(cg.mount_len, strlen(FAKE_V1_MNT));
}

static void locate_v1_in_container(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_write(f->root, "proc/self/cgroup", "4:memory:/docker/abc\n0::/\n");
        fake_write(f->root, "proc/self/mountinfo",
                   "28 1 8:1 / / rw,relatime shared:1 - overlay overlay rw\n"
                   "40 30 0:40 /docker/abc /sys/fs/cgroup/memory ro,nosuid master:16 - cgroup cgroup rw,memory\n");
        fake_write(f->root, FAKE_V1_MNT "/memory.usage_in_bytes", "0\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_string_equal(cg.dir, FAKE_V1_MNT);
}

static void locate_v1_mount_point_with_space(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_write(f->root, "proc/self/cgroup", "4:memory:/my job\n");
        fake_write(f->root, "proc/self/mountinfo",
                   "40 30 0:40 / /sys/fs/cgroup/my\\040memory rw shared:5 - cgroup cgroup rw,memory\n");
        fake_write(f->root, "sys/fs/cgroup/my memory/my job/memory.usage_in_bytes", "0\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_string_equal(cg.dir, "sys/fs/cgroup/my memory/my job");
}

static void locate_v2(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_v2_tree(f->root, "/user.slice/x");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V2);
        assert_string_equal(cg.path, "/user.slice/x");
        assert_string_equal(cg.dir, FAKE_V2_MNT "/user.slice/x");
        assert_int_equal(cg.mount_len, strlen(FAKE_V2_MNT));
}

static void locate_v2_without_memory_controller_is_none(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_v2_tree(f->root, "/user.slice/x");
        /* Memory controller not enabled for this cgroup: no memory.* files. */
        fake_remove(f->root, FAKE_V2_MNT "/user.slice/x/memory.current");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
}

/* A proc/self/cgroup larger than the page read first (deep paths in
 * three hierarchies): read again in full, found as before. */
static void locate_v1_long_proc_self_cgroup(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        char path[1600] = "", part[256];

        memset(part, 'a', sizeof(part) - 1);
        part[sizeof(part) - 1] = '\0';
        for (int i = 0; i < 6; i++) {
                strcat(path, "/");
                strcat(path, part);
        }
        fake_v1_tree(f->root, path);
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_string_equal(cg.path, path);
}

/* Nothing found: the result says none, whatever the struct held before. */
static void locate_resets_what_it_held(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        memset(&cg, 'x', sizeof(cg));
        fake_v2_tree(f->root, "/user.slice/x");
        fake_remove(f->root, FAKE_V2_MNT "/user.slice/x/memory.current");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
        assert_string_equal(cg.dir, "");
        assert_string_equal(cg.path, "");
        assert_int_equal(cg.mount_len, 0);
}

static void locate_hybrid_without_v1_memory_is_none(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        /* As on the project's machines, minus the memory hierarchy: cgroup2 at
         * /sys/fs/cgroup/unified has no memory controller. */
        fake_write(f->root, "proc/self/cgroup", "11:cpu,cpuacct:/\n0::/\n");
        fake_write(f->root, "proc/self/mountinfo",
                   "31 30 0:27 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
                   "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw shared:14 - cgroup cgroup rw,cpu,cpuacct\n");
        fake_write(f->root, "sys/fs/cgroup/unified/cgroup.procs", "1\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
}

static void locate_v1_preferred_over_v2(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_v1_tree(f->root, "/build");
        /* Even with memory.current in the unified hierarchy. */
        fake_write(f->root, "sys/fs/cgroup/unified/memory.current", "0\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
}

static void locate_v1_dir_missing_falls_back(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_v1_tree(f->root, "/build");
        fake_remove(f->root, FAKE_V1_MNT "/build/memory.usage_in_bytes");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
}

static void locate_none(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        memset(&cg, 0x55, sizeof(cg));
        fake_write(f->root, "proc/self/cgroup", "");
        fake_write(f->root, "proc/self/mountinfo", "28 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
}

static void locate_path_outside_mount_root_is_none(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_write(f->root, "proc/self/cgroup", "4:memory:/elsewhere\n");
        fake_write(f->root, "proc/self/mountinfo", "40 30 0:40 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
        fake_write(f->root, FAKE_V1_MNT "/memory.usage_in_bytes", "0\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
}

static void locate_missing_proc_cgroup_is_enoent(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_v1_tree(f->root, "/build");
        fake_remove(f->root, "proc/self/cgroup");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), -ENOENT);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
}

static void locate_missing_mountinfo_is_enoent(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        /* Not where it usually is: mountinfo is needed. */
        fake_write(f->root, "proc/self/cgroup", "4:memory:/docker/abc\n0::/\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), -ENOENT);
}

/* Where systemd and Debian mount them, mounted from the root: found without
 * mountinfo (the first process of a tree pays for reading it). */
static void locate_usual_mounts_need_no_mountinfo(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_v2_tree(f->root, "/a");
        fake_remove(f->root, "proc/self/mountinfo");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V2);
        assert_string_equal(cg.dir, FAKE_V2_MNT "/a");
        assert_string_equal(cg.path, "/a");
        assert_int_equal(cg.mount_len, strlen(FAKE_V2_MNT));
        fake_v1_tree(f->root, "/build/job");
        fake_remove(f->root, "proc/self/mountinfo");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_string_equal(cg.dir, FAKE_V1_MNT "/build/job");
        assert_int_equal(cg.mount_len, strlen(FAKE_V1_MNT));
}

/* The usual place holds a cgroup of the same name, but the memory hierarchy
 * is mounted elsewhere: mountinfo decides. And a v1 memory line whose usual
 * directory lacks the files does not fall to the usual v2 guess. */
static void locate_usual_place_is_only_a_guess(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        fake_write(f->root, "proc/self/cgroup", "4:memory:/job\n");
        fake_write(f->root, "proc/self/mountinfo",
                   "40 30 0:40 / /cg/mem rw shared:5 - cgroup cgroup rw,memory\n");
        fake_write(f->root, "cg/mem/job/memory.usage_in_bytes", "0\n");
        fake_write(f->root, FAKE_V1_MNT "/job/cgroup.procs", "1\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_string_equal(cg.dir, "cg/mem/job");

        fake_write(f->root, "proc/self/cgroup", "4:memory:/job\n0::/job\n");
        fake_write(f->root, "proc/self/mountinfo", "28 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
        fake_write(f->root, FAKE_V2_MNT "/job/memory.current", "0\n");
        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_NONE);
}

static void locate_empty_root_is_enoent(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;

        assert_int_equal(ms_cgroup_locate(f->fd, &cg), -ENOENT);
}

/* Another v1 hierarchy (the freezer), found by its controller. */
static void locate_v1_freezer(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        char path[64];

        fake_write(f->root, "proc/self/cgroup", "6:freezerx:/no\n5:freezer:/a/b\n4:memory:/x\n0::/\n");
        fake_write(f->root, "proc/self/mountinfo",
                   "40 30 0:40 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                   "41 30 0:41 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n");
        assert_int_equal(ms_proc_cgroup_parse_ctl("6:freezerx:/no\n", MS_CGROUP_V1, "freezer", path, sizeof(path)),
                         -ENOENT);
        assert_int_equal(ms_cgroup_locate_v1(f->fd, "freezer", &cg), 0);
        assert_int_equal(cg.version, MS_CGROUP_V1);
        assert_string_equal(cg.dir, "sys/fs/cgroup/freezer/a/b");
        assert_string_equal(cg.path, "/a/b");
        fake_write(f->root, "proc/self/mountinfo", "40 30 0:40 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
        assert_int_equal(ms_cgroup_locate_v1(f->fd, "freezer", &cg), -ENOENT);
}

/* ---- ms_cgroup_read, v1 ---- */

static struct ms_cgroup located(struct fake *f, enum ms_cgroup_version want)
{
        struct ms_cgroup cg;

        assert_int_equal(ms_cgroup_locate(f->fd, &cg), 0);
        assert_int_equal(cg.version, want);
        return cg;
}

/* FACTS.md: parent limit 200 MiB, child unlimited; 100 MiB anon + 100 MiB cache. */
static void read_v1_parent_limit_binds(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/parent/child");
        fake_v1_set(f->root, "parent", MiB(200), MiB(200), MiB(200), MiB(100), 0);
        /* The child's own limit is the kernel's 2^63-ish "none"; the effective one is in memory.stat. */
        fake_v1_set(f->root, "parent/child", FAKE_V1_UNLIMITED, MiB(200), MiB(200), MiB(100), 0);
        cg = located(f, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MiB(200));
        assert_true(m.max == MiB(200));
        assert_true(m.high == MS_UNLIMITED);
        assert_true(m.usage == MiB(200));
        assert_true(m.inactive_file == MiB(100));
        assert_true(m.available == MiB(100));
        assert_string_equal(m.limit_dir, FAKE_V1_MNT "/parent");
}

/* ms_cgroup_read of the located cgroup. */
static struct ms_cgroup_mem read_located(struct fake *f, enum ms_cgroup_version want)
{
        struct ms_cgroup cg = located(f, want);
        struct ms_cgroup_mem m;

        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        return m;
}

/* A sibling's usage under the limiting parent binds too (a build cgroup
 * beside the supervisor's, two builds under one container limit):
 * 1024 - (900 - 100), not 1024 - (300 - 50). */
static void read_siblings_usage_binds(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup_mem v1, v2;

        fake_v1_tree(f->root, "/box/build");
        fake_v1_set(f->root, "box", MiB(1024), MiB(900), MiB(1024), MiB(100), 0);
        fake_v1_set(f->root, "box/build", FAKE_V1_UNLIMITED, MiB(300), MiB(1024), MiB(50), 0);
        v1 = read_located(f, MS_CGROUP_V1);
        fake_v2_tree(f->root, "/box/memstop-build-7");
        fake_v2_set(f->root, "box", "1073741824", "max", MiB(900), MiB(100), 0);
        fake_v2_set(f->root, "box/memstop-build-7", "max", "max", MiB(300), MiB(50), 0);
        v2 = read_located(f, MS_CGROUP_V2);
        assert_true(v1.available == MiB(224) && v1.usage == MiB(300));
        assert_true(v2.available == MiB(224) && v2.limit == MiB(1024));
        assert_string_equal(v2.limit_dir, FAKE_V2_MNT "/box");
}

static void read_v1_own_limit(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/build");
        fake_v1_set(f->root, "build", MiB(400), MiB(300), MiB(400), MiB(50), 3);
        cg = located(f, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MiB(400));
        /* 400 - (300 - 50) */
        assert_true(m.available == MiB(150));
        assert_string_equal(m.limit_dir, FAKE_V1_MNT "/build");
        assert_int_equal(m.oom_kills, 3);
}

static void read_v1_nested_limits_smallest_ancestor(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        /* a: 1 GiB, a/b: 300 MiB (binds), a/b/c: 2 GiB (above its parent's);
         * usage and total_inactive_file are hierarchical. */
        fake_v1_tree(f->root, "/a/b/c");
        fake_v1_set(f->root, "a", GiB(1), MiB(10), GiB(1), MiB(4), 0);
        fake_v1_set(f->root, "a/b", MiB(300), MiB(10), MiB(300), MiB(4), 0);
        fake_v1_set(f->root, "a/b/c", GiB(2), MiB(10), MiB(300), MiB(4), 0);
        cg = located(f, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MiB(300));
        assert_true(m.available == MiB(294));
        assert_string_equal(m.limit_dir, FAKE_V1_MNT "/a/b");
}

static void read_v1_unlimited(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/build");
        fake_v1_set(f->root, "build", FAKE_V1_UNLIMITED, MiB(300), FAKE_V1_UNLIMITED, MiB(50), 0);
        cg = located(f, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MS_UNLIMITED);
        assert_true(m.max == MS_UNLIMITED);
        assert_true(m.available == MS_UNLIMITED);
        assert_string_equal(m.limit_dir, "");
        assert_true(m.usage == MiB(300));
}

static void read_v1_unlimited_other_page_size(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        /* PAGE_COUNTER_MAX with 64 KiB pages: 2^63 - 65536; and plain 2^63 - 1. */
        fake_v1_tree(f->root, "/build");
        fake_v1_set(f->root, "build", UINT64_C(9223372036854710272), 0, UINT64_C(9223372036854710272), 0, 0);
        cg = located(f, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MS_UNLIMITED);
        fake_v1_set(f->root, "build", INT64_MAX, 0, INT64_MAX, 0, 0);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MS_UNLIMITED);
}

static void read_v1_at_mount_root(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/");
        fake_v1_set(f->root, "", MiB(512), MiB(100), MiB(512), 0, 0);
        cg = located(f, MS_CGROUP_V1);
        assert_string_equal(cg.dir, FAKE_V1_MNT);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MiB(512));
        assert_string_equal(m.limit_dir, FAKE_V1_MNT);
}

static void read_v1_missing_stat_keys_is_error(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/build");
        cg = located(f, MS_CGROUP_V1);
        fake_cg_write(f->root, FAKE_V1_MNT, "build", "memory.stat", "cache 0\nrss 0\n");
        assert_true(ms_cgroup_read(f->fd, &cg, &m) < 0);
        fake_cg_write(f->root, FAKE_V1_MNT, "build", "memory.stat",
                      "hierarchical_memory_limit 12x\ntotal_inactive_file 0\n");
        assert_true(ms_cgroup_read(f->fd, &cg, &m) < 0);
        /* "inactive_file" alone (the local counter) is not total_inactive_file. */
        fake_cg_write(f->root, FAKE_V1_MNT, "build", "memory.stat",
                      "inactive_file 5\nhierarchical_memory_limit 1000\n");
        assert_true(ms_cgroup_read(f->fd, &cg, &m) < 0);
}

static void read_v1_corrupt_usage_is_einval(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/build");
        cg = located(f, MS_CGROUP_V1);
        fake_cg_write(f->root, FAKE_V1_MNT, "build", "memory.usage_in_bytes", "12abc\n");
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -EINVAL);
}

static void read_v1_missing_usage_is_enoent(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/build");
        cg = located(f, MS_CGROUP_V1);
        fake_remove(f->root, FAKE_V1_MNT "/build/memory.usage_in_bytes");
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -ENOENT);
        fake_v1_tree(f->root, "/build");
        fake_remove(f->root, FAKE_V1_MNT "/build/memory.stat");
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -ENOENT);
}

static void read_v1_oom_control_missing_is_zero(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/build");
        fake_v1_set(f->root, "build", MiB(100), MiB(10), MiB(100), 0, 9);
        cg = located(f, MS_CGROUP_V1);
        fake_remove(f->root, FAKE_V1_MNT "/build/memory.oom_control");
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_int_equal(m.oom_kills, 0);
}

static void read_v1_usage_above_limit(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v1_tree(f->root, "/build");
        fake_v1_set(f->root, "build", MiB(100), MiB(120), MiB(100), MiB(5), 0);
        cg = located(f, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_int_equal(m.available, 0);
}

/* ---- ms_cgroup_read, v2 ---- */

static void read_v2_max_at_leaf(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/build");
        fake_v2_set(f->root, "build", "419430400", "max", MiB(300), MiB(50), 2);
        cg = located(f, MS_CGROUP_V2);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MiB(400));
        assert_true(m.max == MiB(400));
        assert_true(m.high == MS_UNLIMITED);
        assert_true(m.usage == MiB(300));
        assert_true(m.inactive_file == MiB(50));
        assert_true(m.available == MiB(150));
        assert_int_equal(m.oom_kills, 2);
        assert_string_equal(m.limit_dir, FAKE_V2_MNT "/build");
}

static void read_v2_max_is_unlimited(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/user.slice/x");
        fake_v2_set(f->root, "user.slice/x", "max", "max", MiB(300), MiB(50), 0);
        cg = located(f, MS_CGROUP_V2);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MS_UNLIMITED);
        assert_true(m.max == MS_UNLIMITED);
        assert_true(m.high == MS_UNLIMITED);
        assert_true(m.available == MS_UNLIMITED);
        assert_string_equal(m.limit_dir, "");
}

static void read_v2_min_over_ancestors(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        /* a: max 1 GiB; a/b: high 600 MiB (binds); a/b/c: max 800 MiB. */
        fake_v2_tree(f->root, "/a/b/c");
        fake_v2_set(f->root, "a", "1073741824", "max", 0, 0, 0);
        fake_v2_set(f->root, "a/b", "max", "629145600", 0, 0, 0);
        fake_v2_set(f->root, "a/b/c", "838860800", "max", MiB(500), MiB(100), 0);
        cg = located(f, MS_CGROUP_V2);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.max == MiB(800));
        assert_true(m.high == MiB(600));
        assert_true(m.limit == MiB(600));
        assert_true(m.available == MiB(200));
        assert_string_equal(m.limit_dir, FAKE_V2_MNT "/a/b");
}

/* The limit alone, from the limit files (no memory.stat): the same limit as a
 * full read, nested ancestors included; none at all is MS_UNLIMITED. */
static void limit_read_v1_and_v2(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        uint64_t limit;

        fake_v1_tree(f->root, "/a/b/c");
        fake_v1_set(f->root, "a", GiB(1), MiB(10), GiB(1), MiB(4), 0);
        fake_v1_set(f->root, "a/b", MiB(300), MiB(10), MiB(300), MiB(4), 0);
        fake_v1_set(f->root, "a/b/c", GiB(2), MiB(10), MiB(300), MiB(4), 0);
        cg = located(f, MS_CGROUP_V1);
        assert_int_equal(ms_cgroup_limit_read(f->fd, &cg, &limit), 0);
        assert_true(limit == MiB(300));
        fake_v1_set(f->root, "a/b", FAKE_V1_UNLIMITED, MiB(10), GiB(1), MiB(4), 0);
        fake_v1_set(f->root, "a", FAKE_V1_UNLIMITED, MiB(10), GiB(1), MiB(4), 0);
        fake_v1_set(f->root, "a/b/c", FAKE_V1_UNLIMITED, MiB(10), GiB(1), MiB(4), 0);
        assert_int_equal(ms_cgroup_limit_read(f->fd, &cg, &limit), 0);
        assert_true(limit == MS_UNLIMITED);
        cg.version = MS_CGROUP_NONE;
        assert_int_equal(ms_cgroup_limit_read(f->fd, &cg, &limit), -EINVAL);
}

/* A cgroup path too long for the short buffer of the first process of a
 * tree (256 bytes) is read the long way: the same limits, every level. */
static void limit_read_long_path(void **state)
{
        struct fake *f = *state;
        char path[1024], parent[512];
        struct ms_cgroup cg;
        uint64_t limit;

        snprintf(parent, sizeof(parent), "a/%0200d", 0);
        snprintf(path, sizeof(path), "/%s/%0100d", parent, 1);
        fake_v1_tree(f->root, path);
        fake_v1_set(f->root, parent, MiB(300), MiB(10), MiB(300), MiB(4), 0);
        fake_v1_set(f->root, path + 1, GiB(2), MiB(10), MiB(300), MiB(4), 0);
        cg = located(f, MS_CGROUP_V1);
        assert_true(strlen(cg.dir) > 256);
        assert_int_equal(ms_cgroup_limit_read(f->fd, &cg, &limit), 0);
        assert_true(limit == MiB(300));
}

static void limit_read_v2(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        uint64_t limit;

        fake_v2_tree(f->root, "/a/b/c");
        fake_v2_set(f->root, "a", "1073741824", "max", 0, 0, 0);
        fake_v2_set(f->root, "a/b", "max", "629145600", 0, 0, 0);
        fake_v2_set(f->root, "a/b/c", "838860800", "max", MiB(500), MiB(100), 0);
        cg = located(f, MS_CGROUP_V2);
        assert_int_equal(ms_cgroup_limit_read(f->fd, &cg, &limit), 0);
        assert_true(limit == MiB(600));
}

static void read_v2_parent_max_binds(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/parent/child");
        fake_v2_set(f->root, "parent", "209715200", "max", MiB(200), MiB(100), 0);
        fake_v2_set(f->root, "parent/child", "max", "max", MiB(200), MiB(100), 0);
        cg = located(f, MS_CGROUP_V2);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MiB(200));
        assert_true(m.max == MiB(200));
        assert_true(m.available == MiB(100));
        assert_string_equal(m.limit_dir, FAKE_V2_MNT "/parent");
}

static void read_v2_high_at_leaf_below_max(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/j");
        fake_v2_set(f->root, "j", "1073741824", "536870912", MiB(100), 0, 0);
        cg = located(f, MS_CGROUP_V2);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MiB(512));
        assert_true(m.max == GiB(1));
        assert_true(m.high == MiB(512));
        assert_true(m.available == MiB(412));
        assert_string_equal(m.limit_dir, FAKE_V2_MNT "/j");
}

static void read_v2_root_without_memory_max_is_fine(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        /* The process sits in the hierarchy's root (cgroup namespace): no memory.max anywhere. */
        fake_v2_tree(f->root, "/");
        fake_write(f->root, FAKE_V2_MNT "/memory.current", "12345\n");
        cg = located(f, MS_CGROUP_V2);
        assert_string_equal(cg.dir, FAKE_V2_MNT);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_true(m.limit == MS_UNLIMITED);
        assert_int_equal(m.usage, 12345);
}

static void read_v2_corrupt_max_is_error(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/a/b");
        cg = located(f, MS_CGROUP_V2);
        fake_v2_set(f->root, "a", "12abc", NULL, 0, 0, 0);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -EINVAL);
        fake_v2_set(f->root, "a", "max", "-1", 0, 0, 0);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -EINVAL);
        fake_v2_set(f->root, "a", "", "max", 0, 0, 0);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -EINVAL);
}

static void read_v2_unreadable_max_is_error(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/a/b");
        cg = located(f, MS_CGROUP_V2);
        fake_make_unreadable(f->root, FAKE_V2_MNT "/a/memory.max");
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -EISDIR);
}

static void read_v2_corrupt_current_or_stat_is_error(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/a");
        cg = located(f, MS_CGROUP_V2);
        fake_cg_write(f->root, FAKE_V2_MNT, "a", "memory.current", "lots\n");
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -EINVAL);
        fake_v2_set(f->root, "a", NULL, NULL, 0, 0, 0);
        /* v1's total_inactive_file is not v2's inactive_file. */
        fake_cg_write(f->root, FAKE_V2_MNT, "a", "memory.stat", "anon 0\ntotal_inactive_file 5\n");
        assert_true(ms_cgroup_read(f->fd, &cg, &m) < 0);
}

static void read_v2_events_missing_is_zero(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg;
        struct ms_cgroup_mem m;

        fake_v2_tree(f->root, "/a");
        fake_v2_set(f->root, "a", "max", "max", 0, 0, 4);
        cg = located(f, MS_CGROUP_V2);
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_int_equal(m.oom_kills, 4);
        fake_remove(f->root, FAKE_V2_MNT "/a/memory.events");
        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), 0);
        assert_int_equal(m.oom_kills, 0);
}

static void read_none_is_einval(void **state)
{
        struct fake *f = *state;
        struct ms_cgroup cg = { .version = MS_CGROUP_NONE };
        struct ms_cgroup_mem m;

        assert_int_equal(ms_cgroup_read(f->fd, &cg, &m), -EINVAL);
}

/* ---- memory.stat parsers ---- */

static void stat_parsers(void **state)
{
        uint64_t lim = 0, inact = 0;

        assert_int_equal(ms_cgroup_v1_stat_parse("inactive_file 1\nhierarchical_memory_limit 100\n"
                                                 "hierarchical_memsw_limit 200\ntotal_inactive_file 7\n",
                                                 &lim, &inact),
                         0);
        assert_int_equal(lim, 100);
        assert_int_equal(inact, 7);
        assert_int_equal(ms_cgroup_v1_stat_parse("total_inactive_file 7\n", &lim, &inact), -ENOENT);
        assert_int_equal(ms_cgroup_v1_stat_parse("hierarchical_memory_limit 7\n", &lim, &inact), -ENOENT);
        assert_int_equal(ms_cgroup_v2_stat_parse("anon 1\ninactive_file 42\nactive_file 3\n", &inact), 0);
        assert_int_equal(inact, 42);
        assert_int_equal(ms_cgroup_v2_stat_parse("anon 1\ntotal_inactive_file 42\n", &inact), -ENOENT);
        assert_int_equal(ms_cgroup_v2_stat_parse("inactive_file x\n", &inact), -EINVAL);
}

/* ---- ms_cgroup_available ---- */

static void available_formula(void **state)
{
        assert_true(ms_cgroup_available(MiB(200), MiB(200), MiB(100)) == MiB(100));
        assert_true(ms_cgroup_available(MiB(200), 0, 0) == MiB(200));
        assert_true(ms_cgroup_available(MiB(200), MiB(50), 0) == MiB(150));
}

static void available_inactive_above_usage(void **state)
{
        /* Fuzzy v1 usage can be below the cache counters: working set 0, not a wrap. */
        assert_true(ms_cgroup_available(MiB(200), MiB(10), MiB(50)) == MiB(200));
}

static void available_usage_above_limit_is_zero(void **state)
{
        assert_int_equal(ms_cgroup_available(MiB(100), MiB(150), MiB(10)), 0);
        assert_int_equal(ms_cgroup_available(MiB(100), MiB(100), 0), 0);
        assert_int_equal(ms_cgroup_available(0, 1, 0), 0);
}

static void available_unlimited(void **state)
{
        assert_true(ms_cgroup_available(MS_UNLIMITED, MiB(100), 0) == MS_UNLIMITED);
        assert_true(ms_cgroup_available(MS_UNLIMITED, UINT64_MAX, 0) == MS_UNLIMITED);
}

/* ---- the hint ---- */

static void hint_round_trip(void **state)
{
        struct ms_cgroup cg = { .version = MS_CGROUP_V1 };
        struct ms_cgroup_hint h;
        char buf[PATH_MAX + 64];

        snprintf(cg.dir, sizeof(cg.dir), "%s", FAKE_V1_MNT "/build/job");
        assert_int_equal(ms_cgroup_hint_format(&cg, MiB(200), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "v1:209715200:" FAKE_V1_MNT "/build/job");
        assert_int_equal(ms_cgroup_hint_parse(buf, &h), 0);
        assert_int_equal(h.version, MS_CGROUP_V1);
        assert_true(h.limit == MiB(200));
        assert_string_equal(h.dir, FAKE_V1_MNT "/build/job");

        cg.version = MS_CGROUP_V2;
        snprintf(cg.dir, sizeof(cg.dir), "%s", "sys/fs/cgroup/my job");
        assert_int_equal(ms_cgroup_hint_format(&cg, 1, buf, sizeof(buf)), 0);
        assert_int_equal(ms_cgroup_hint_parse(buf, &h), 0);
        assert_int_equal(h.version, MS_CGROUP_V2);
        assert_int_equal(h.limit, 1);
        assert_string_equal(h.dir, "sys/fs/cgroup/my job");
}

static void hint_none(void **state)
{
        struct ms_cgroup cg = { .version = MS_CGROUP_NONE };
        struct ms_cgroup_hint h = { .version = MS_CGROUP_V1, .limit = 5 };
        char buf[64];

        assert_int_equal(ms_cgroup_hint_format(&cg, MiB(1), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "none");
        /* A cgroup without limit needs no reads either. */
        cg.version = MS_CGROUP_V2;
        snprintf(cg.dir, sizeof(cg.dir), "sys/fs/cgroup/x");
        assert_int_equal(ms_cgroup_hint_format(&cg, MS_UNLIMITED, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "none");
        assert_int_equal(ms_cgroup_hint_parse("none", &h), 0);
        assert_int_equal(h.version, MS_CGROUP_NONE);
        assert_true(h.limit == MS_UNLIMITED);
}

static void hint_format_too_small(void **state)
{
        struct ms_cgroup cg = { .version = MS_CGROUP_V1 };
        char buf[8];

        snprintf(cg.dir, sizeof(cg.dir), "sys/fs/cgroup/memory");
        assert_int_equal(ms_cgroup_hint_format(&cg, 1000, buf, sizeof(buf)), -ENAMETOOLONG);
}

static void hint_bad(void **state)
{
        static const char *const bad[] = {
                "", "v", "v1", "v1:", "v3:1:x", "v0:1:x", "V1:1:x", "x1:1:x", "v1::x", "v1:12", "v1:12:",
                "v1:12:/abs", "v1:1:../x", "v1:1:a/../../x", "v1:1:a/..", "v1:abc:x", "v1:-1:x", "v1:+1:x",
                "v1: 1:x", "v1:1 :x", "v1:99999999999999999999:x", "v1:123456789012345678901234567890:x",
                "none ", "None", "nonex", "v12:1:x",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct ms_cgroup_hint h;
                int r = ms_cgroup_hint_parse(bad[i], &h);
                if (r != -EINVAL)
                        fail_msg("ms_cgroup_hint_parse(\"%s\") = %d, expected -EINVAL", bad[i], r);
        }
}

static void usage_file_names(void **state)
{
        assert_string_equal(ms_cgroup_usage_file(MS_CGROUP_V1), "memory.usage_in_bytes");
        assert_string_equal(ms_cgroup_usage_file(MS_CGROUP_V2), "memory.current");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(proc_cgroup_v1_memory_line),
                cmocka_unit_test(proc_cgroup_v1_memory_in_comma_list),
                cmocka_unit_test(proc_cgroup_v1_similar_names_do_not_match),
                cmocka_unit_test(proc_cgroup_v1_ignores_v2_line),
                cmocka_unit_test(proc_cgroup_v2_line),
                cmocka_unit_test(proc_cgroup_v2_ignores_v1_lines),
                cmocka_unit_test(proc_cgroup_missing_line_is_enoent),
                cmocka_unit_test(proc_cgroup_malformed_is_einval),
                cmocka_unit_test(proc_cgroup_path_too_long),
                cmocka_unit_test(mountinfo_v1_memory),
                cmocka_unit_test(mountinfo_v2_unified),
                cmocka_unit_test(mountinfo_optional_fields),
                cmocka_unit_test(mountinfo_memory_among_super_options),
                cmocka_unit_test(mountinfo_memory_in_mount_options_only_is_ignored),
                cmocka_unit_test(mountinfo_non_memory_v1_ignored),
                cmocka_unit_test(mountinfo_v2_needs_cgroup2_fstype),
                cmocka_unit_test(mountinfo_escaped_spaces_decoded),
                cmocka_unit_test(mountinfo_escape_at_end_of_field),
                cmocka_unit_test(mountinfo_first_match_wins),
                cmocka_unit_test(mountinfo_missing_is_enoent),
                cmocka_unit_test(mountinfo_malformed_is_einval),
                cmocka_unit_test(mountinfo_separator_not_taken_from_next_line),
                cmocka_unit_test(mountinfo_too_long),
                cmocka_unit_test(join_root_slash),
                cmocka_unit_test(join_path_is_mount_root),
                cmocka_unit_test(join_container_mount_root),
                cmocka_unit_test(join_path_not_under_root_is_enoent),
                cmocka_unit_test(join_too_long),
                T(locate_v1),
                T(locate_v1_in_container),
                T(locate_v1_mount_point_with_space),
                T(locate_v2),
                T(locate_v2_without_memory_controller_is_none),
                T(locate_v1_long_proc_self_cgroup),
                T(locate_resets_what_it_held),
                T(locate_hybrid_without_v1_memory_is_none),
                T(locate_v1_preferred_over_v2),
                T(locate_v1_dir_missing_falls_back),
                T(locate_none),
                T(locate_path_outside_mount_root_is_none),
                T(locate_missing_proc_cgroup_is_enoent),
                T(locate_usual_mounts_need_no_mountinfo),
                T(locate_usual_place_is_only_a_guess),
                T(locate_missing_mountinfo_is_enoent),
                T(locate_v1_freezer),
                T(locate_empty_root_is_enoent),
                T(read_v1_parent_limit_binds),
                T(read_v1_own_limit),
                T(read_siblings_usage_binds),
                T(read_v1_nested_limits_smallest_ancestor),
                T(read_v1_unlimited),
                T(read_v1_unlimited_other_page_size),
                T(read_v1_at_mount_root),
                T(read_v1_missing_stat_keys_is_error),
                T(read_v1_corrupt_usage_is_einval),
                T(read_v1_missing_usage_is_enoent),
                T(read_v1_oom_control_missing_is_zero),
                T(read_v1_usage_above_limit),
                T(read_v2_max_at_leaf),
                T(read_v2_max_is_unlimited),
                T(read_v2_min_over_ancestors),
                T(limit_read_v1_and_v2),
                T(limit_read_v2),
                T(limit_read_long_path),
                T(read_v2_parent_max_binds),
                T(read_v2_high_at_leaf_below_max),
                T(read_v2_root_without_memory_max_is_fine),
                T(read_v2_corrupt_max_is_error),
                T(read_v2_unreadable_max_is_error),
                T(read_v2_corrupt_current_or_stat_is_error),
                T(read_v2_events_missing_is_zero),
                T(read_none_is_einval),
                cmocka_unit_test(stat_parsers),
                cmocka_unit_test(available_formula),
                cmocka_unit_test(available_inactive_above_usage),
                cmocka_unit_test(available_usage_above_limit_is_zero),
                cmocka_unit_test(available_unlimited),
                cmocka_unit_test(hint_round_trip),
                cmocka_unit_test(hint_none),
                cmocka_unit_test(hint_format_too_small),
                cmocka_unit_test(hint_bad),
                cmocka_unit_test(usage_file_names),
        };

        return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
