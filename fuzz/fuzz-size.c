/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sizes, durations and percents as users write them (settings, CLI options). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "util/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        char buf[MS_SIZE_BUF > MS_DURATION_BUF ? MS_SIZE_BUF : MS_DURATION_BUF];
        uint64_t u;
        unsigned p;

        if (!s)
                return 0;
        if (ms_size_parse(s, &u) == 0)
                ms_size_format(u, buf, sizeof(buf));
        if (ms_duration_parse(s, &u) == 0)
                ms_duration_format(u, buf, sizeof(buf));
        (void)ms_percent_parse(s, &p);
        free(s);
        return 0;
}
