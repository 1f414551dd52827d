/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sizes, durations and percentages as users type them.
 *
 * Sizes: a decimal number (fractions allowed: "1.5G") with an optional unit.
 * No unit means bytes. K, M, G, T (and KiB, MiB, GiB, TiB) are powers of 1024;
 * KB, MB, GB, TB are powers of 1000, as in coreutils. Case-insensitive unit,
 * "B" alone means bytes. Whitespace, signs, empty strings, overflow and
 * trailing garbage are rejected.
 *
 * Durations: a number with an optional unit ms, s, m, h, d; no unit means
 * seconds as in timeout(1). "0" means zero. Fractions allowed ("1.5s"). At
 * most MS_DURATION_MAX_USEC (about 584 years), so that every duration also
 * fits in 64-bit nanoseconds: a longer one is -ERANGE, never wrapped.
 *
 * Percentages: a whole number 0..100, optionally followed by '%'.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MS_DURATION_MAX_USEC (UINT64_MAX / 1000u)

/* Returns 0 or -EINVAL (malformed), -ERANGE (does not fit in 64 bits; a
 * duration: longer than MS_DURATION_MAX_USEC). */
int ms_size_parse(const char *s, uint64_t *bytes);
int ms_duration_parse(const char *s, uint64_t *usec);
int ms_percent_parse(const char *s, unsigned *percent);

/* Human-readable size: "512M", "1.5G", "1023B"; powers of 1024. Returns buf. */
const char *ms_size_format(uint64_t bytes, char *buf, size_t size);
#define MS_SIZE_BUF 32

/* Human-readable duration: "250ms", "12.5s", "3m20s". Returns buf. */
const char *ms_duration_format(uint64_t usec, char *buf, size_t size);
#define MS_DURATION_BUF 32
