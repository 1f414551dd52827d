/* SPDX-License-Identifier: GPL-3.0-or-later */
/* /proc/meminfo as the kernel (or a fake tree, or a container's lxcfs) might write it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        struct ms_meminfo m;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        (void)ms_meminfo_parse(s, &m);
        free(s);
        return 0;
}
