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

/* The host's root without opening it: paths are then resolved from "/". */
#define MS_ROOT_HOST AT_FDCWD

/* The path to pass to openat() and friends with dirfd: relative below a
 * root fd ("." for the root itself), absolute (in buf) for MS_ROOT_HOST.
 * NULL if buf is too small. */
const char *ms_at_path(int dirfd, const char *path, char *buf, size_t size);

/* pread() until len bytes or the end of the file, through EINTR. Returns
 * the bytes read or -errno. */
long ms_pread_full(int fd, void *buf, size_t len, uint64_t off);

/* Whether path exists below dirfd. Returns 0 or -errno. */
int ms_access_at(int dirfd, const char *path);

/* Open a root directory (O_PATH|O_DIRECTORY|O_CLOEXEC). Returns fd or -errno. */
int ms_root_open(const char *path);

/*
 * Read a whole file below dirfd into buf, NUL-terminated. *len (optional)
 * receives the length. Returns 0, -errno, or -EFBIG if buf was too small.
 */
int ms_read_at(int dirfd, const char *path, char *buf, size_t size, size_t *len);

/*
 * Read a file holding one unsigned decimal number (trailing newline allowed).
 * "max" reads as UINT64_MAX (cgroup v2 limits). Returns 0, -errno, or
 * -EINVAL if the content is not a number.
 */
int ms_read_u64_at(int dirfd, const char *path, uint64_t *out);

