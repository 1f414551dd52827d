/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The start-up search, so that the first build is already protected: the
 * configured programs found in search_path and in the compilers' program
 * directories (compiler_dirs, glob patterns such as /usr/lib/gcc/ * / *, where
 * GCC keeps cc1, cc1plus, lto1, collect2, lto-wrapper and the linker plugin
 * liblto_plugin.so), each followed by its program interpreter and shared
 * libraries, resolved as the loader would (libpath.h) without running
 * anything.
 *
 * Files are reported once each, by canonical path (symbolic links resolved),
 * in priority order: programs in the order of the programs list, each with
 * its libraries right after it.
 */
#pragma once

#include "lockd/conf.h"
#include "lockd/match.h"

typedef void (*lockd_found_fn)(const char *path, void *userdata);

/*
 * rootfd: MS_ROOT_HOST, or ms_root_open() of a fake tree. libdirs: from
 * lockd_libdirs_load(). Returns the number of files found, or -ENOMEM.
 */
int lockd_proactive_find(int rootfd, const struct lockd_conf *c, const struct lockd_list *libdirs,
                         lockd_found_fn found, void *userdata);

/*
 * Canonical path of path below rootfd: symbolic links resolved, the root's
 * own path stripped. Returns 0 or -errno (-EXDEV when it resolves outside root).
 */
int lockd_canonical(int rootfd, const char *path, char *out, size_t size);
