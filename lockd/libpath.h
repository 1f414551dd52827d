/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Finding shared libraries as the dynamic loader would, without running it
 * (memstop-lockd runs as root: it never execs ldd on a binary).
 *
 * Search order for a DT_NEEDED name without '/': the needing object's
 * DT_RPATH (only if it has no DT_RUNPATH) and the executable's DT_RPATH, then
 * DT_RUNPATH, then the directories of etc/ld.so.conf (with its "include"
 * globs), then the default directories. $ORIGIN is expanded; entries using
 * $LIB or $PLATFORM are skipped. Each candidate must be an ELF file of the
 * same class and machine. All paths are looked up below a root fd
 * (ms_root_open() of a fake tree, or MS_ROOT_HOST).
 */
#pragma once

#include <stddef.h>

#include "lockd/elfinfo.h"
#include "lockd/match.h"

/*
 * Parse the text of an ld.so.conf: directories are appended to dirs,
 * "include PATTERN" arguments to includes (relative patterns are made
 * relative to the directory of the file, conf_dir). Comments ('#' to the end
 * of line) and "hwcap" lines are ignored. Returns 0 or -ENOMEM.
 */
int lockd_ldconf_parse(const char *text, const char *conf_dir, struct lockd_list *dirs,
                       struct lockd_list *includes);

/*
 * Read root/etc/ld.so.conf and what it includes (at most 8 levels deep), then
 * append the default directories. A missing ld.so.conf leaves the defaults.
 * Returns 0 or -ENOMEM.
 */
int lockd_libdirs_load(int rootfd, struct lockd_list *dirs);

/* Append dir to list unless it is there already. Returns 0 or -ENOMEM. */
int lockd_list_add_unique(struct lockd_list *l, const char *dir);

/*
 * Expand one rpath entry: "$ORIGIN" and "${ORIGIN}" become origin (the
 * directory of the needing object). Returns 0, -EINVAL for $LIB, $PLATFORM
 * and other variables, -ENAMETOOLONG.
 */
int lockd_rpath_expand(const char *entry, const char *origin, char *out, size_t size);

/*
 * Find the library name needed by obj (located in origin; exe is the
 * executable, may be obj or NULL). out receives the path below root (starting
 * with '/'). Returns 0 or -ENOENT.
 */
int lockd_lib_resolve(int rootfd, const char *name, const struct lockd_elf *obj, const char *origin,
                      const struct lockd_elf *exe, const char *exe_origin, const struct lockd_list *dirs,
                      char *out, size_t size);
