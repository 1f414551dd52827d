/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state files memstop-lockd writes and --status and memstop status read:
 * run/memstop-lockd/state and (issue 14) run/memstop-lockd/locked. What
 * parses as detail must format and parse back to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/lockdstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct ms_lockd_detail d;
        struct ms_lockd_state st;
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void)ms_lockd_state_parse(text, &st);
        if (ms_lockd_detail_parse((const char *)data, size, &d) == 0) {
                if (d.nfiles > MS_LOCKD_DETAIL_FILES || d.ntools > MS_LOCKD_DETAIL_TOOLS)
                        abort();
                for (size_t i = 0; i < d.nfiles; i++)
                        if (d.files[i].path[0] != '/' || strlen(d.files[i].path) >= sizeof(d.files[i].path))
                                abort();
        }
        free(text);
        return 0;
}
