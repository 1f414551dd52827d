/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What memory shows: /proc/meminfo as the kernel (or a fake tree, or a
 * container's lxcfs) might write it, and the PSI lines of
 * /proc/pressure/memory ("some avg10=... total=...", "full ..."). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "probe/meminfo.h"
#include "probe/psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        struct ms_meminfo m;
        struct ms_psi p;

        if (!s)
                return 0;
        (void)ms_meminfo_parse(s, &m);
        (void)ms_psi_parse(s, &p);
        free(s);
        return 0;
}
