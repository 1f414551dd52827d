/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The state file memstop-lockd keeps up to date for `memstop status` and
 * `memstop-lockd --status`: run/memstop-lockd/state below the root, replaced
 * atomically (write to a temporary file, rename). One "key value" per line:
 *
 *   pid 1234
 *   started 1732230000         (unix seconds)
 *   updated 1732230042
 *   locked_bytes 123456789
 *   locked_files 42
 *   budget_bytes 536870912
 *   skipped_files 3
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#define MS_LOCKD_STATE_PATH "run/memstop-lockd/state"

struct ms_lockd_state {
        pid_t pid;
        uint64_t started;
        uint64_t updated;
        uint64_t locked_bytes;
        uint64_t locked_files;
        uint64_t budget_bytes;
        uint64_t skipped_files;
};

/* Returns 0 or -EINVAL naming nothing (a corrupt file is reported by the caller). */
int ms_lockd_state_parse(const char *text, struct ms_lockd_state *out);

/* Returns 0, -ENOENT when lockd has never run, or -errno. */
int ms_lockd_state_read(int rootfd, struct ms_lockd_state *out);

/* Write the state atomically below rootfd. Returns 0 or -errno. */
int ms_lockd_state_write(int rootfd, const struct ms_lockd_state *st);
