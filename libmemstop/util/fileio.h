/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reading the small text files of /proc and /sys relative to a root.
 *
 * Every core function takes a root directory fd (opened with
 * ms_root_open()) under which it finds proc/..., sys/...; production opens
 * "/", tests a fake tree made in a temporary directory. Paths passed here are
 * relative ("proc/meminfo"); a leading '/' is skipped.
 */
#pragma once

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The host's root without opening it: paths are then resolved from "/". */
#define MS_ROOT_HOST AT_FDCWD

/*
 * Code that the first process of a tree runs builds its paths on the stack
 * in a buffer this long, and in a PATH_MAX one, out of line (cold), only
 * when one does not fit: that code runs in deep frames, and each new page
 * of stack is a page fault the process pays (~11 us on a slow machine;
 * issue 10).
 */
#define MS_SHORT_PATH 256

/* The path to pass to openat() and friends with dirfd: relative below a
 * root fd ("." for the root itself), absolute (in buf) for MS_ROOT_HOST.
 * NULL if buf is too small. */
const char *ms_at_path(int dirfd, const char *path, char *buf, size_t size);

/* read() until len bytes or the end of the file, through EINTR: the one read
 * loop of memstop. Returns the bytes read or -errno. */
long ms_read_full(int fd, void *buf, size_t len);

/*
 * The root as a path prefix, for the calls that take no directory fd
 * (glob(3), realpath(3), opendir(3), inotify_add_watch(2)): "" for
 * MS_ROOT_HOST, "/proc/self/fd/N" for a root fd, so that prefix + "/usr/bin"
 * names /usr/bin below the root. Returns 0 or -ENAMETOOLONG.
 */
int ms_root_prefix(int rootfd, char *buf, size_t size);
#define MS_ROOT_PREFIX_MAX 32

/* pread() until len bytes or the end of the file, through EINTR. Returns
 * the bytes read or -errno. */
long ms_pread_full(int fd, void *buf, size_t len, uint64_t off);

/* stat() of path below dirfd (symbolic links followed). Returns 0 or -errno. */
int ms_stat_at(int dirfd, const char *path, struct stat *st);

/* Open a regular file below dirfd to read it (O_NONBLOCK: never hang on a
 * FIFO planted where a file was expected); *st receives its fstat().
 * Returns the fd, -EINVAL if it is not a regular file, or -errno. */
int ms_open_regular_at(int dirfd, const char *path, struct stat *st);

/*
 * Open the regular file at path strictly below dirfd to read it, with no
 * symbolic link in any component and no way out of dirfd: openat2(2) with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS, or, where the
 * kernel or a seccomp filter refuses openat2 (ENOSYS, EPERM), the same walk
 * one component at a time with O_NOFOLLOW (ms_open_beneath_walk()). A
 * leading '/' is skipped; "." and ".." components are refused (-EXDEV)
 * before anything is opened. Opened O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC
 * and checked with fstat() first (*st): a FIFO or device node is never read.
 * Returns the fd, -ELOOP or -ENOTDIR for a symbolic link on the way, -EXDEV,
 * -EINVAL if it is not a regular file, or -errno.
 */
int ms_open_beneath(int dirfd, const char *path, struct stat *st);
int ms_open_beneath_walk(int dirfd, const char *path, struct stat *st);

/* Whether path exists below dirfd. Returns 0 or -errno. */
int ms_access_at(int dirfd, const char *path);

/* Open a root directory (O_PATH|O_DIRECTORY|O_CLOEXEC). Returns fd or -errno. */
int ms_root_open(const char *path);

/* Write all of buf to fd, again after EINTR and short writes. Returns 0,
 * -EIO when write(2) returns 0, or -errno. */
int ms_write_all(int fd, const void *buf, size_t len);

/*
 * Read a whole file below dirfd into buf, NUL-terminated. *len (optional)
 * receives the length. Returns 0, -errno, or -EFBIG if buf was too small;
 * buf then holds the first size - 1 bytes (and *len says so).
 */
int ms_read_at(int dirfd, const char *path, char *buf, size_t size, size_t *len);

/*
 * Read a whole file of any size up to max bytes into a new NUL-terminated
 * buffer (free() it); *len (optional) receives the length. Returns 0,
 * -EFBIG when the file is longer than max, -ENOMEM or -errno.
 */
int ms_read_alloc_fd(int fd, size_t max, char **out, size_t *len);
int ms_read_alloc_at(int dirfd, const char *path, size_t max, char **out, size_t *len);

/* A line without its '\n', NUL-terminated, which the callee may modify. A
 * non-zero return stops the reading. */
typedef int (*ms_line_fn)(char *line, void *userdata);

/*
 * Read a file below dirfd line by line through buf (size bytes), however
 * long the file: files such as proc/PID/maps are larger than any fixed
 * buffer. Lines of size - 1 bytes or more are skipped and counted in
 * *overlong (optional). Returns fn's first non-zero value, 0, or -errno.
 */
int ms_read_lines_at(int dirfd, const char *path, char *buf, size_t size, ms_line_fn fn, void *userdata,
                     unsigned *overlong);

/*
 * Read a file holding one unsigned decimal number (trailing newline allowed).
 * "max" reads as UINT64_MAX (cgroup v2 limits). Returns 0, -errno, or
 * -EINVAL if the content is not a number.
 */
int ms_read_u64_at(int dirfd, const char *path, uint64_t *out);

