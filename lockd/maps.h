/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * /proc/PID/maps: which files a process has mapped.
 *
 * A line is "START-END PERMS OFFSET MAJ:MIN INODE [PATH]". The path is the
 * rest of the line after the padding: it may contain spaces, the kernel
 * escapes only '\n' (as "\012") and not '\\', and appends " (deleted)" to
 * files that were unlinked or replaced. Anonymous mappings have no path,
 * special ones a bracketed name ("[heap]", "[vdso]", "[anon:...]"); neither
 * is a file.
 *
 * The path is kept exactly as printed, escapes and all: a directory may be
 * named "\056\056" literally, so decoding cannot tell a name from an escape.
 * A path is only a name to look up; the file found there is the mapped one
 * only if its identity matches the line's device and inode (lockset.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum lockd_map_kind {
        LOCKD_MAP_FILE = 0,      /* path names a file (maybe deleted) */
        LOCKD_MAP_ANONYMOUS = 1, /* no path */
        LOCKD_MAP_SPECIAL = 2,   /* "[heap]", "[stack]", "[vdso]", "[anon:x]"... */
        LOCKD_MAP_OTHER = 3,     /* not a path we lock: "/memfd:x", "/dev/...", "/SYSV..." */
};

struct lockd_mapping {
        uint64_t start, end, offset;
        unsigned dev_major, dev_minor;
        uint64_t inode;
        bool read, write, exec, shared;
        bool deleted;            /* " (deleted)" was stripped from path */
        enum lockd_map_kind kind;
        const char *path;        /* as printed (not decoded), NUL-terminated; points into the line */
};

/*
 * Parse one line (without its '\n'), which is modified in place (" (deleted)"
 * is cut off the path). Returns 0 or -EINVAL.
 */
int lockd_maps_parse_line(char *line, struct lockd_mapping *m);

typedef int (*lockd_mapping_fn)(const struct lockd_mapping *m, void *userdata);

/*
 * Parse a whole maps text (modified in place), calling fn for every valid
 * line. Malformed lines are counted in *bad (optional) and skipped. fn
 * returning non-zero stops the walk and is returned.
 */
int lockd_maps_parse(char *text, lockd_mapping_fn fn, void *userdata, unsigned *bad);

/*
 * Read proc/PID/maps below rootfd (ms_root_open() or MS_ROOT_HOST) in pieces
 * with a buffer of bufsize bytes (ms_read_lines_at(): lines longer than it
 * are skipped as bad) and call fn for each mapping. Returns fn's non-zero
 * value, 0, or -errno (-ESRCH/-ENOENT when the process is gone).
 */
int lockd_maps_read(int rootfd, pid_t pid, char *buf, size_t bufsize, lockd_mapping_fn fn, void *userdata,
                    unsigned *bad);
