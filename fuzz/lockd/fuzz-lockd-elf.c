/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ELF headers: the daemon reads every file a build maps, written by anyone. */
#include <stdint.h>
#include <string.h>

#include "lockd/elfinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct lockd_range r[LOCKD_ELF_MAX_LOAD];
        struct lockd_elf e = {};

        if (lockd_elf_parse_mem(data, size, &e) == 0) {
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
