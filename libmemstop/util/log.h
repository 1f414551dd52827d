/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Log lines for the front ends: one write(2) per line, so lines of parallel
 * processes never interleave. The library itself never logs.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/macro.h"

/*
 * Open a log destination: NULL or "" is stderr (returns STDERR_FILENO, not
 * to be closed). A path ending in '-' gets the pid appended ("/tmp/ms-" ->
 * "/tmp/ms-1234"). Opened O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, mode 0644.
 * Returns the fd or -errno.
 */
int ms_log_open(const char *spec, pid_t pid);

/*
 * Open a file named by the environment for appending, which a process may
 * have inherited from another, less privileged user (su without '-'): never
 * through a symbolic link (for euid 0 in no component of the path, else not
 * in the last), never blocking (O_NONBLOCK: a FIFO planted there does not
 * hang the process), and only a regular file owned by the effective uid.
 * With create, a missing file is made (mode 0644). Returns the fd, -ELOOP
 * (a symbolic link), -EINVAL (not a regular file), -EPERM (someone else's)
 * or -errno.
 */
int ms_open_append_checked(const char *path, bool create);

/* ms_log_open() through ms_open_append_checked(): for MEMSTOP_LOG. */
int ms_log_open_checked(const char *spec, pid_t pid);

/* The path ms_log_open() would open; returns 0 or -ENAMETOOLONG. */
int ms_log_path(const char *spec, pid_t pid, char *buf, size_t size);

/* Format one line (a '\n' is added if missing, long lines are cut) and write
 * it with a single write(2). Errors are ignored: logging never fails a program. */
void ms_log(int fd, const char *fmt, ...) MS_PRINTF(2, 3);
void ms_logv(int fd, const char *fmt, va_list ap) MS_PRINTF(2, 0);
