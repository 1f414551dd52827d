/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ELF headers: the daemon reads every file a build maps, written by anyone. */
#include <stdint.h>
#include <string.h>

#include "lockd/elfinfo.h"

struct buf {
        const uint8_t *data;
        size_t size;
};

static long read_buf(void *out, size_t len, uint64_t off, void *userdata)
{
        const struct buf *b = userdata;

        if (off >= b->size)
                return 0;
        if (len > b->size - off)
                len = b->size - (size_t)off;
        memcpy(out, b->data + off, len);
        return (long)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct buf b = { data, size };
        struct lockd_range r[LOCKD_ELF_MAX_LOAD];
        struct lockd_elf e = {};

        if (lockd_elf_parse(read_buf, &b, size, &e) == 0) {
                (void)lockd_elf_segments(&e, size, 4096, r, LOCKD_ELF_MAX_LOAD);
                (void)lockd_elf_compatible(&e, &e);
                if (e.interp)
                        (void)strlen(e.interp);
                for (size_t i = 0; i < e.nneeded; i++)
                        (void)strlen(e.needed[i]);
                lockd_elf_free(&e);
        }
        return 0;
}
