/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fake filesystem roots for the unit tests.
 *
 * Every core function of libmemstop takes a root under which it finds
 * proc/... and sys/...; a test makes a temporary directory with mkdtemp(),
 * writes the files it needs at relative paths ("proc/meminfo"), opens it with
 * ms_root_open() and hands that fd to the code under test. Teardown removes
 * the whole tree.
 *
 * Failures inside the helpers are test failures (cmocka's fail_msg), so a
 * test never runs on a half-built tree.
 *
 * Unreadable files: the tests run as root, and root ignores permission bits,
 * so chmod 000 (fake_chmod) does NOT make a file unreadable there. To make a
 * read fail, fake_make_unreadable() puts a directory where the file was:
 * open(O_RDONLY) then succeeds but read() fails with EISDIR, for root as for
 * everyone. A missing file (fake_remove) gives ENOENT.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* A fake root: its path and an O_PATH fd from ms_root_open(). */
struct fake {
        char *root;
        int fd;
};

/* cmocka setup/teardown making *state a struct fake. */
int fake_setup(void **state);
int fake_teardown(void **state);

/* Make an empty root (mkdtemp below $TMPDIR or /tmp); returns a malloc'd path. */
char *fake_mkroot(void);
/* Remove the whole tree (nftw, depth first, symlinks not followed) and free root. */
void fake_rmroot(char *root);
/* ms_root_open() of the root; fails the test if it cannot. */
int fake_open(const char *root);

/* Write text at root/rel, creating parent directories; replaces the file. */
void fake_write(const char *root, const char *rel, const char *text);
void fake_writef(const char *root, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* mkdir -p root/rel. */
void fake_mkdir(const char *root, const char *rel);
/* Remove the file (or empty directory) root/rel; it must exist. */
void fake_remove(const char *root, const char *rel);
/* chmod root/rel. Note: has no effect on reads by root (see above). */
void fake_chmod(const char *root, const char *rel, mode_t mode);
/* Replace root/rel by a directory: reads of it then fail with EISDIR, even as root. */
void fake_make_unreadable(const char *root, const char *rel);
/* Read root/rel into a malloc'd, NUL-terminated string (for checking output). */
char *fake_read(const char *root, const char *rel);

/* proc/meminfo of a modern kernel (with MemAvailable); figures in kB. */
void fake_meminfo(const char *root, uint64_t total_kb, uint64_t free_kb, uint64_t available_kb);

/*
 * cgroup v1: the memory hierarchy mounted at FAKE_V1_MNT (also a cpu,cpuacct
 * hierarchy and a cgroup2 mount without the memory controller, as on the
 * project's machines). fake_v1_tree() writes proc/self/cgroup (the process in
 * `path`, e.g. "/build/job") and proc/self/mountinfo, and one cgroup
 * directory per level from the mount root down to path, each unlimited and
 * empty: memory.limit_in_bytes, memory.usage_in_bytes, memory.stat and
 * memory.oom_control. fake_v1_set() then gives one level its figures.
 */
#define FAKE_V1_MNT "sys/fs/cgroup/memory"
/* What v1 reports for "no limit" (PAGE_COUNTER_MAX pages on x86-64). */
#define FAKE_V1_UNLIMITED UINT64_C(9223372036854771712)

void fake_v1_tree(const char *root, const char *path);
/* dir is relative to the mount ("" for its root, "build/job"). */
void fake_v1_set(const char *root, const char *dir, uint64_t limit_in_bytes, uint64_t usage,
                 uint64_t hierarchical_limit, uint64_t total_inactive_file, uint64_t oom_kill);

/*
 * cgroup v2: the unified hierarchy at FAKE_V2_MNT. fake_v2_tree() writes
 * proc/self/cgroup ("0::path"), proc/self/mountinfo (a cgroup2 mount) and the
 * levels from the mount root down: the root has memory.stat only (no
 * memory.max, memory.high or memory.current, as on a real host); each other
 * level memory.max and memory.high "max", memory.current 0, memory.stat and
 * memory.events. fake_v2_set() gives one level its figures; max/high are
 * written as given ("max", "209715200"); NULL leaves that file as it is.
 */
#define FAKE_V2_MNT "sys/fs/cgroup"

void fake_v2_tree(const char *root, const char *path);
void fake_v2_set(const char *root, const char *dir, const char *max, const char *high, uint64_t current,
                 uint64_t inactive_file, uint64_t oom_kill);

/* root/FAKE_Vn_MNT/dir/file, for tests that change a single file. */
void fake_cg_write(const char *root, const char *mnt, const char *dir, const char *file, const char *text);

#define MiB(n) ((uint64_t)(n) * 1024 * 1024)
#define GiB(n) ((uint64_t)(n) * 1024 * 1024 * 1024)
