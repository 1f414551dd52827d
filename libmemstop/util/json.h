/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one JSON writer of memstop (status --json, --report, --trace, history
 * --json), and the UTF-8 check it shares with the SVG's XML text.
 *
 * Strings are written as valid UTF-8 whatever they hold: command lines and
 * program names are bytes, and a byte that does not start or continue a
 * valid UTF-8 sequence (overlong forms, surrogates and code points above
 * U+10FFFF included) becomes U+FFFD, the replacement character. Control
 * characters, '"' and '\' are escaped.
 *
 * Layout: containers opened at a depth below `pretty_depth` put each member
 * on a line of its own, indented by two spaces a level; deeper ones stay on
 * one line. 0 writes everything on one line; 2 writes a report's top-level
 * members one a line and each element of its arrays on one line.
 *
 * Members take a key (NULL inside arrays). Errors of the stream are checked
 * once, by ms_json_end(): 0 or -EIO.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MS_JSON_MAX_DEPTH 16

struct ms_json {
        FILE *f;
        unsigned depth;
        unsigned pretty_depth;
        bool has_members[MS_JSON_MAX_DEPTH]; /* the open container at each depth has a member already */
};

void ms_json_init(struct ms_json *j, FILE *f, unsigned pretty_depth);

void ms_json_object_begin(struct ms_json *j, const char *key);
void ms_json_object_end(struct ms_json *j);
void ms_json_array_begin(struct ms_json *j, const char *key);
void ms_json_array_end(struct ms_json *j);

/* s NULL writes null. */
void ms_json_string(struct ms_json *j, const char *key, const char *s);
void ms_json_uint(struct ms_json *j, const char *key, uint64_t v);
void ms_json_int(struct ms_json *j, const char *key, int64_t v);
/* With `decimals` digits after the point; NaN and infinities write null. */
void ms_json_double(struct ms_json *j, const char *key, double v, int decimals);
void ms_json_bool(struct ms_json *j, const char *key, bool v);
void ms_json_null(struct ms_json *j, const char *key);

/* A newline after the value, then whether the stream failed: 0 or -EIO. */
int ms_json_end(struct ms_json *j);

/* The length of the valid UTF-8 sequence at s (n bytes left, n >= 1), its
 * code point in *cp; 0 when s[0] starts none (the byte is to be replaced). */
size_t ms_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* s as a JSON string literal, quotes included. */
void ms_json_write_string(FILE *f, const char *s);
