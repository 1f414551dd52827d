/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What memory shows: /proc/meminfo as the kernel (or a fake tree, or a
 * container's lxcfs) might write it, combined into a sample under each
 * overcommit mode (mode 2: CommitLimit - Committed_AS bounds available), and
 * the PSI lines of /proc/pressure/memory ("some avg10=... total=...",
 * "full ..."). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "probe/meminfo.h"
#include "probe/memory.h"
#include "probe/psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        struct ms_meminfo m;
        struct ms_psi p;

        if (!s)
                return 0;
        if (ms_meminfo_parse(s, &m) == 0) {
                static const int modes[] = { MS_OVERCOMMIT_UNKNOWN, 0, 1, MS_OVERCOMMIT_NEVER };
                struct ms_sample sample;
                for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                        ms_sample_combine(&m, NULL, modes[i], &sample);
                        if (sample.available > sample.total || (sample.commit_bound && !m.has_commit))
                                abort();
                }
        }
        (void)ms_psi_parse(s, &p);
        free(s);
        return 0;
}
