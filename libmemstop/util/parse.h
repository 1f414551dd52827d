/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pure parsers of small values, shared by the gate, the CLI and lockd: decimal
 * numbers, "key value" fields of /proc and /sys files, booleans, and pattern
 * lists (one dialect everywhere: comma-separated glob patterns of program
 * names). Each returns 0 or -errno; none prints or allocates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse one unsigned decimal number, all of s. Returns 0 or -EINVAL/-ERANGE. */
int ms_parse_u64(const char *s, uint64_t *out);

/* Parse the unsigned decimal number at *p and move *p past its digits; what
 * follows is the caller's to check. Returns 0, -EINVAL (no digit) or -ERANGE. */
int ms_parse_u64_prefix(const char **p, uint64_t *out);

/*
 * Find a "key value" field in text: key must start a line and be followed by
 * blanks (key includes its ':' for /proc/meminfo style). Returns a pointer to
 * the value's first non-blank character or NULL. Does not match "SwapCached:"
 * for "Cached:".
 */
const char *ms_find_field(const char *text, const char *key);

/* Like ms_find_field() and parse the decimal number there. Returns 0,
 * -ENOENT (no such key) or -EINVAL (not a number). */
int ms_field_u64(const char *text, const char *key, uint64_t *out);

/* 0/1, no/yes, off/on, false/true. */
int ms_bool_parse(const char *s, bool *value);

/* A pattern list: comma-separated, non-empty glob patterns without '/'. */
int ms_pattern_list_check(const char *list);

/* Whether name (a program's base name) matches one pattern of list. */
bool ms_pattern_list_match(const char *list, const char *name);

/*
 * Lists written for people (lockd.conf): items separated by commas and/or
 * blanks (space, tab), empty items skipped: "gcc, gcc-[0-9]* cc1". Returns
 * the next item, its length in *len, and moves *p past it; NULL at the end.
 * Each item of a pattern list so written is a pattern list of one for
 * ms_pattern_list_check() and ms_pattern_list_match().
 */
const char *ms_list_next(const char **p, size_t *len);

/* Whether name is one of the comma-separated names of list (exact, no globs). */
bool ms_name_list_has(const char *list, const char *name);

/* Fixed-size words, not pointers: no relocations to apply at load time (the
 * preload's tables). Whether s equals one of words, ignoring case. */
typedef char ms_word_t[8];
bool ms_word_in(const char *s, const ms_word_t *words, size_t n);
