/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lockd.conf text and -o KEY=VALUE overrides, then the dump of the result. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockd/conf.h"

static void ignore(const char *file, unsigned line, const char *msg, void *userdata)
{
        (void)file;
        (void)line;
        (void)msg;
        (void)userdata;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int devnull = -1;
        struct lockd_conf c;
        const char *reason;
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        if (devnull < 0)
                devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        memcpy(text, data, size);
        text[size] = '\0';
        if (lockd_conf_init(&c) == 0) {
                if (lockd_conf_parse(&c, text, "fuzz", ignore, NULL) >= 0) {
                        (void)lockd_conf_check(&c, &reason);
                        (void)lockd_conf_budget(&c, 1ull << 34);
                        (void)lockd_conf_dump(&c, devnull);
                }
                (void)lockd_conf_override(&c, text, ignore, NULL);
                lockd_conf_free(&c);
        }
        free(text);
        return 0;
}
