/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Room for one more element in a growing array (the supervisor's jobs and
 * the processes it remembers): capacity doubled from `first`. Belongs in
 * util/ once more than the supervisor uses it.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* *array has *cap elements of elem_size, n of them used. Returns 0 or -ENOMEM
 * (the array stays as it was). */
static inline int ms_grow(void *array, size_t *cap, size_t n, size_t elem_size, size_t first)
{
        size_t c = *cap ? *cap * 2 : first;
        void *old, *bigger;

        if (n < *cap)
                return 0;
        /* array points to a typed pointer: copied, not accessed as void *. */
        memcpy(&old, array, sizeof(old));
        bigger = realloc(old, c * elem_size);
        if (!bigger)
                return -ENOMEM;
        memcpy(array, &bigger, sizeof(bigger));
        *cap = c;
        return 0;
}
