/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The learned working sets (issue 14), read by a daemon started as root:
 * whatever parses holds only valid sets, and formats and parses back to the
 * same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockd/learned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct lockd_learned l, back;
        const char *reason;
        unsigned line;
        char *text;
        size_t len;

        if (lockd_learned_parse((const char *)data, size, 4096, 64, &l, &reason, &line) != 0)
                return 0;
        for (size_t i = 0; i < l.n; i++)
                if (!lockd_wset_valid(l.f[i].ws.r, l.f[i].ws.n, l.f[i].size, 4096) || l.f[i].path[0] != '/')
                        abort();
        if (lockd_learned_format(l.f, l.n, 4096, &text, &len) == 0) {
                if (lockd_learned_parse(text, len, 4096, 64, &back, &reason, &line) != 0 || back.n != l.n)
                        abort();
                lockd_learned_free(&back);
                free(text);
        }
        lockd_learned_free(&l);
        return 0;
}
