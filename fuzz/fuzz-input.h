/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every harness does first: the input as a NUL-terminated string. */
#pragma once

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
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

/* A scratch directory for harnesses that write files, removed at exit. */
static char fuzz_dir_path[64];

static inline int fuzz_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        return remove(path), 0;
}

static inline void fuzz_dir_remove(void)
{
        nftw(fuzz_dir_path, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static inline const char *fuzz_dir(const char *name)
{
        if (!fuzz_dir_path[0]) {
                snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "/tmp/memstop-fuzz-%s.XXXXXX", name);
                if (!mkdtemp(fuzz_dir_path))
                        abort();
                atexit(fuzz_dir_remove);
        }
        return fuzz_dir_path;
}
