/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The history of peaks (~/.cache/memstop/peaks): any user-writable bytes,
 * NULs and overlong lines included. Each line parsed; the whole predicted
 * from, compacted (and the result parsed again: every line valid) and listed
 * for MEMSTOP_SMALL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "gate/history.h"
#include "gate/key.h"

static void check_compacted(const char *out, long n)
{
        const char *p = out, *end = out + n;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                struct ms_history_record rec;
                if (!nl || ms_history_parse_line(p, (size_t)(nl - p), &rec) != 0)
                        abort();
                p = nl + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data, *p = text, *end = text + size;
        char small[1024], *out;
        struct ms_prediction pred;
        struct ms_key key;
        long n;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
                struct ms_history_record rec;
                char line[MS_HISTORY_LINE_MAX + 2];
                if (ms_history_parse_line(p, len, &rec) == 0 &&
                    (ms_history_format_line(&rec, line, sizeof(line)) < 0 ||
                     ms_history_parse_line(line, strlen(line) - 1, &rec) != 0))
                        abort();
                p += len + 1;
        }
        char cc1[] = "cc1", file[] = "x.c";

        ms_key_from_argv(2, (char *[]){ cc1, file, NULL }, &key);
        ms_history_predict(text, size, &key, &pred);
        (void)ms_history_small_programs(text, size, MS_SMALL_PROGRAM, small, sizeof(small));
        out = malloc(size + 64);
        if (!out)
                return 0;
        n = ms_history_compact_text(text, size, 16, out, size + 64);
        if (n >= 0)
                check_compacted(out, n);
        free(out);
        return 0;
}
