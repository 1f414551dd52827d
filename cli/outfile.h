/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The files a supervised build's reports go to (--report, --timeline,
 * --trace), written safely whoever runs memstop:
 *
 * - "-" is standard output (written to, never closed), and so is a path
 *   naming the file standard output or error is open on (/dev/stdout to a
 *   log opened for appending: written to, not reopened nor truncated);
 * - a regular file, or a path that does not exist yet, is replaced
 *   atomically: a temporary file made with O_EXCL in the same directory
 *   (mkostemp: an unpredictable name, no symlink followed), renamed over it
 *   once complete; it gets mode 0666 less the umask;
 * - anything else is written in place, never renamed over: a character
 *   device (/dev/stdout on a terminal, /dev/null), a FIFO, and a symlink
 *   (/dev/stdout redirected to a file: the file is truncated and written,
 *   the symlink stays);
 * - a directory is refused.
 *
 * Returns 0 or -errno, as libmemstop does.
 */
#pragma once

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

/* Whether path can be written as above (a check before the build starts). */
int cli_out_check(const char *path);

typedef int (*cli_out_writer_fn)(const void *ctx, FILE *f);

/* Write path with writer(ctx, f), which returns 0 or -errno. */
int cli_out_write(const char *path, cli_out_writer_fn writer, const void *ctx);
/* The same with a file made or replaced getting mode (less the umask). */
int cli_out_write_mode(const char *path, mode_t mode, cli_out_writer_fn writer, const void *ctx);
