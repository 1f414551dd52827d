/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Program and path matching for memstop-lockd.
 *
 * A pattern list is written as glob patterns separated by commas and/or
 * blanks ("gcc, gcc-[0-9]*, cc1", split by ms_list_next()). Each program
 * pattern is one of the core's pattern lists (util/parse.h: no '/', matched
 * against a base name by ms_pattern_list_match()); brackets must close. A prefix list holds absolute
 * directory names ("/usr, /opt"); a path is below a prefix when it continues
 * with '/' after it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct lockd_list {
        char **items;
        size_t n;
};

void lockd_list_free(struct lockd_list *l);
int lockd_list_copy(const struct lockd_list *src, struct lockd_list *dst);

/*
 * Split s into items. Returns 0, -ENOMEM, or -EINVAL with *bad pointing to a
 * static reason (an empty list, a pattern with '/', a bad bracket). s may not
 * be empty unless allow_empty.
 */
int lockd_patterns_parse(const char *s, bool allow_empty, struct lockd_list *out, const char **bad);

/* Absolute directory prefixes: each item starts with '/'; trailing '/' removed. */
int lockd_prefixes_parse(const char *s, bool allow_empty, struct lockd_list *out, const char **bad);

/* Whether one pattern matches name; a leading '.' of name only matches a '.'. */
bool lockd_pattern_match(const char *pattern, const char *name);

/* Index of the first pattern matching name, or -1. */
int lockd_patterns_match(const struct lockd_list *l, const char *name);

/* Whether a pattern has glob characters (else it names one program). */
bool lockd_pattern_is_literal(const char *pattern);

/*
 * Whether path is normal: absolute, without empty ("//"), "." or ".."
 * components, without a trailing '/' ("/" itself is normal). Paths from
 * /proc/PID/maps are taken literally (a directory may be named "\056\056"),
 * and a path that is not normal is never one to lock.
 */
bool lockd_path_normal(const char *path);
bool lockd_path_normal_n(const char *path, size_t len);

/*
 * The prefix (directory) that normal path lies strictly below, compared
 * component by component ("/usr" is not an ancestor of "/usrx/a"), with its
 * length in *prefix_len; NULL when path is not normal or below none. An
 * empty list allows every path below "/".
 */
const char *lockd_path_below(const struct lockd_list *prefixes, const char *path, size_t *prefix_len);

/* Whether lockd_path_below() finds a prefix for path. */
bool lockd_path_allowed(const struct lockd_list *prefixes, const char *path);

/* The base name of a path ("/usr/bin/gcc" -> "gcc"). */
const char *lockd_basename(const char *path);
