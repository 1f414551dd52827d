/* SPDX-License-Identifier: GPL-3.0-or-later */
/* /proc/PID/maps text: any process chooses the paths of its mappings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockd/maps.h"

static int each(const struct lockd_mapping *m, void *userdata)
{
        size_t *n = userdata;

        /* Touch what a caller reads: the path up to its NUL. */
        *n += strlen(m->path) + (m->kind == LOCKD_MAP_FILE) + m->deleted;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        unsigned bad = 0;
        size_t n = 0;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void)lockd_maps_parse(text, each, &n, &bad);
        free(text);
        return 0;
}
