/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The per-user runtime state directory of the queue and ledger:
 * $XDG_RUNTIME_DIR/memstop if XDG_RUNTIME_DIR is set, absolute and a
 * directory of ours with mode 0700; else /dev/shm/memstop-UID.
 *
 * Created mode 0700. An existing one is accepted only if it is a real
 * directory (no symlink), owned by the user and not accessible to group or
 * others: a shared or planted directory would let another user stall ours.
 *
 * Any user can create /dev/shm/memstop-UID before UID does. Then the queue
 * lives in /dev/shm/memstop-UID.XXXXXX (mkdtemp) instead: every process of
 * UID picks the same one, the first by name among those that are UID's own
 * with mode 0700 (ms_statedir_fallback), so no other user can take it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The path to use, from the environment values given. Returns 0 or -ENAMETOOLONG. */
int ms_statedir_path(const char *xdg_runtime_dir, uid_t uid, char *buf, size_t size);

/* Create or validate the directory at path; returns an O_DIRECTORY fd or
 * -errno: -EPERM for a directory with the wrong owner or mode, -ELOOP for a
 * symlink, -ENOTDIR for something else. The default path in /dev/shm that
 * fails so is replaced by the fallback. */
int ms_statedir_open(const char *path, uid_t uid);

/* The same; the directory used is written to used (may be NULL), and
 * *fallback (may be NULL) says whether it is the fallback. */
int ms_statedir_open_used(const char *path, uid_t uid, char *used, size_t size, bool *fallback);

/* The fallback for base/memstop-UID (base: /dev/shm): the first by name of
 * base/memstop-UID.XXXXXX that is uid's own with mode 0700, made with
 * mkdtemp if there is none. Returns an O_DIRECTORY fd (its path in used,
 * may be NULL) or -errno. */
int ms_statedir_fallback(const char *base, uid_t uid, char *used, size_t size);
