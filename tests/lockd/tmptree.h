/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Temporary trees for the lockd unit tests: a mkdtemp() directory holding
 * fake proc/ and usr/ files, removed whole at teardown. A failing helper is
 * a failing test.
 */
#pragma once

#include <stddef.h>

char *tree_make(void);
void tree_remove(char *root);
/* The root as a root fd (ms_root_open()), opened once, closed by tree_remove(). */
int tree_fd(const char *root);
/* Write text to root/rel, creating the directories on the way. */
void tree_write(const char *root, const char *rel, const char *text);
/* Copy a file (mode 0755) to root/rel. */
void tree_copy(const char *root, const char *rel, const char *from);
void tree_mkdir(const char *root, const char *rel);
void tree_symlink(const char *root, const char *rel, const char *target);
/* rename(2) of root/from to root/to. */
void tree_rename(const char *root, const char *from, const char *to);
/* Path of root/rel in a static buffer (one at a time). */
const char *tree_path(const char *root, const char *rel);
