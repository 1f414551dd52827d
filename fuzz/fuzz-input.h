/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every harness does first: the input as a NUL-terminated string. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of data with a NUL after it (and one more: parts cut at NULs end
 * there), or NULL. free() it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 2);

        if (s) {
                memcpy(s, data, size);
                s[size] = s[size + 1] = '\0';
        }
        return s;
}
