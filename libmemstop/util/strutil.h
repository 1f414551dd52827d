/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tiny string helpers for the preload's fast path.
 *
 * Each libc function a preloaded library calls for the first time costs a
 * lazy symbol lookup in every process (about 2 us here, more for IFUNCs such
 * as strlen), which is more than the work itself. Code on the fast path uses
 * these inline loops instead; elsewhere libc is fine.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

static inline bool ms_isdigit(char c)
{
        return c >= '0' && c <= '9';
}

static inline char ms_tolower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static inline size_t ms_strlen(const char *s)
{
        size_t n = 0;

        while (s[n])
                n++;
        return n;
}

static inline bool ms_streq(const char *a, const char *b)
{
        while (*a && *a == *b)
                a++, b++;
        return *a == *b;
}

/* The n bytes at a and b are the same. */
static inline bool ms_memeq(const char *a, const char *b, size_t n)
{
        while (n && *a == *b)
                a++, b++, n--;
        return n == 0;
}

static inline bool ms_strcaseeq(const char *a, const char *b)
{
        while (*a && ms_tolower(*a) == ms_tolower(*b))
                a++, b++;
        return ms_tolower(*a) == ms_tolower(*b);
}

/* If s starts with prefix, the rest of s; else NULL. */
static inline const char *ms_startswith(const char *s, const char *prefix)
{
        while (*prefix)
                if (*s++ != *prefix++)
                        return NULL;
        return s;
}

static inline const char *ms_strchr(const char *s, char c)
{
        for (; *s; s++)
                if (*s == c)
                        return s;
        return NULL;
}

static inline const char *ms_strrchr(const char *s, char c)
{
        const char *last = NULL;

        for (; *s; s++)
                if (*s == c)
                        last = s;
        return last;
}

static inline const char *ms_memchr(const char *s, char c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] == c)
                        return s + i;
        return NULL;
}

/* buf = a b c (paths: "dir" "/" "file"). Returns 0, or -ENAMETOOLONG if it
 * does not fit (buf then holds an empty string). */
static inline int ms_join3(char *buf, size_t size, const char *a, const char *b, const char *c)
{
        const char *parts[3] = { a, b, c };
        size_t n = 0;

        if (size == 0)
                return -ENAMETOOLONG;
        for (size_t i = 0; i < 3; i++)
                for (const char *p = parts[i]; *p; p++) {
                        if (n + 1 >= size) {
                                buf[0] = '\0';
                                return -ENAMETOOLONG;
                        }
                        buf[n++] = *p;
                }
        buf[n] = '\0';
        return 0;
}
