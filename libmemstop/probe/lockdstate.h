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
 *
 * What is held, file by file and tool by tool (issue 14), is in a second
 * file next to it, run/memstop-lockd/locked, replaced the same way, so that
 * the state file keeps its size and every earlier reader keeps reading it:
 *
 *   memstop-lockd-locked 1
 *   mode workingset             (the lock_mode: workingset, segments, whole)
 *   file LOCKED LEARNED HOW PATH
 *                               (bytes locked now; bytes of its learned
 *                               working set; HOW: "set" its working set,
 *                               "learning" its working set while it is
 *                               learned, "segments" its ELF segments,
 *                               "whole" all of it, "none" not locked; PATH
 *                               the rest of the line)
 *   tool NAME LOCKED FILES      (a program seen using files: the bytes locked
 *                               of those files, a file shared by several
 *                               programs counted for each, and their number)
 *   more N                      (files left out: too many, or path too long)
 *   end
 *
 * Both are read by unprivileged commands and may be planted by anyone who
 * can write the directory: the parsers are strict and bounded (at most
 * MS_LOCKD_DETAIL_FILES files and MS_LOCKD_DETAIL_TOOLS tools, paths without
 * control characters); anything else is refused whole.
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

#define MS_LOCKD_DETAIL_PATH "run/memstop-lockd/locked"
#define MS_LOCKD_DETAIL_FILES 256
#define MS_LOCKD_DETAIL_TOOLS 64
#define MS_LOCKD_DETAIL_PATH_MAX 256 /* with its NUL */
#define MS_LOCKD_DETAIL_NAME_MAX 16  /* a program name, as comm: 15 and the NUL */
#define MS_LOCKD_DETAIL_MAX_SIZE (128u << 10)

enum ms_lockd_how {
        MS_LOCKD_HOW_NONE = 0,
        MS_LOCKD_HOW_SET = 1,
        MS_LOCKD_HOW_LEARNING = 2,
        MS_LOCKD_HOW_SEGMENTS = 3,
        MS_LOCKD_HOW_WHOLE = 4,
};

struct ms_lockd_file_detail {
        uint64_t locked_bytes, learned_bytes;
        enum ms_lockd_how how;
        char path[MS_LOCKD_DETAIL_PATH_MAX];
};

struct ms_lockd_tool_detail {
        uint64_t locked_bytes;
        uint64_t files;
        char name[MS_LOCKD_DETAIL_NAME_MAX];
};

struct ms_lockd_detail {
        char mode[16];
        size_t nfiles, ntools;
        uint64_t more;
        struct ms_lockd_file_detail files[MS_LOCKD_DETAIL_FILES];
        struct ms_lockd_tool_detail tools[MS_LOCKD_DETAIL_TOOLS];
};

/* "set", "learning", "segments", "whole", "none". */
const char *ms_lockd_how_name(enum ms_lockd_how how);

/* Parse text[0..len). Returns 0 or -EINVAL (out is then empty). */
int ms_lockd_detail_parse(const char *text, size_t len, struct ms_lockd_detail *out);

/* Returns 0, -ENOENT (none: an older daemon, or not running), -EINVAL, or -errno. */
int ms_lockd_detail_read(int rootfd, struct ms_lockd_detail *out);

/* Write d atomically below rootfd. Returns 0 or -errno (-EINVAL for an
 * entry that would not read back). */
int ms_lockd_detail_write(int rootfd, const struct ms_lockd_detail *d);
