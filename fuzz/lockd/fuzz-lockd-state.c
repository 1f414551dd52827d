/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state file memstop-lockd writes and --status reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/lockdstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ms_lockd_state st;
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void)ms_lockd_state_parse(text, &st);
        free(text);
        return 0;
}
