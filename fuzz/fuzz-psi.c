/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The "some ..." and "full ..." lines of /proc/pressure/memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "probe/psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        struct ms_psi p;

        if (!s)
                return 0;
        (void)ms_psi_parse(s, &p);
        free(s);
        return 0;
}
