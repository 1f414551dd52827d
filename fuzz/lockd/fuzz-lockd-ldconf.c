/* SPDX-License-Identifier: GPL-3.0-or-later */
/* /etc/ld.so.conf and what it includes, and rpath entries with $ORIGIN. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockd/libpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct lockd_list dirs = {}, includes = {};
        char out[PATH_MAX];
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void)lockd_ldconf_parse(text, "/etc/ld.so.conf.d", &dirs, &includes);
        (void)lockd_rpath_expand(text, "/usr/lib/x86_64-linux-gnu", out, sizeof(out));
        lockd_list_free(&dirs);
        lockd_list_free(&includes);
        free(text);
        return 0;
}
