/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The per-user runtime state directory of the queue and ledger:
 * $XDG_RUNTIME_DIR/memstop if XDG_RUNTIME_DIR is set, absolute and a
 * directory of ours with mode 0700; else /dev/shm/memstop-UID.
 *
 * Created mode 0700. An existing one is accepted only if it is a real
 * directory (no symlink), owned by the user and not accessible to group or
 * others: a shared or planted directory would let another user stall ours.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The path to use, from the environment values given. Returns 0 or -ENAMETOOLONG. */
int ms_statedir_path(const char *xdg_runtime_dir, uid_t uid, char *buf, size_t size);

/* Create or validate the directory at path; returns an O_DIRECTORY fd or
 * -errno: -EPERM for a directory with the wrong owner or mode, -ELOOP for a
 * symlink, -ENOTDIR for something else. */
int ms_statedir_open(const char *path, uid_t uid);
