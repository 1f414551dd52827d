/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lockd/wset.h"

void lockd_wset_free(struct lockd_wset *w)
{
        free(w->r);
        *w = (struct lockd_wset){};
}

static bool is_pow2(uint64_t x)
{
        return x && !(x & (x - 1));
}

static int reserve(struct lockd_wset *w, unsigned n)
{
        struct lockd_range *r;
        unsigned cap;

        if (n <= w->cap)
                return 0;
        cap = w->cap ? w->cap * 2 : 16;
        while (cap < n)
                cap *= 2;
        r = realloc(w->r, cap * sizeof(*r));
        if (!r)
                return -ENOMEM;
        w->r = r;
        w->cap = cap;
        return 0;
}

/* Merge the two neighbours with the smallest gap between them. */
static void merge_closest(struct lockd_wset *w)
{
        unsigned best = 0;
        uint64_t gap = UINT64_MAX;

        for (unsigned k = 0; k + 1 < w->n; k++) {
                uint64_t g = w->r[k + 1].offset - (w->r[k].offset + w->r[k].length);
                if (g < gap) {
                        gap = g;
                        best = k;
                }
        }
        w->r[best].length = w->r[best + 1].offset + w->r[best + 1].length - w->r[best].offset;
        memmove(&w->r[best + 1], &w->r[best + 2], (w->n - best - 2) * sizeof(w->r[0]));
        w->n--;
}

int lockd_wset_add(struct lockd_wset *w, uint64_t offset, uint64_t length, uint64_t page)
{
        uint64_t start, end;
        unsigned lo, hi;

        if (!is_pow2(page) || length == 0 || length > UINT64_MAX - 2 * page || offset > UINT64_MAX - 2 * page - length)
                return -EINVAL;
        start = offset & ~(page - 1);
        end = (offset + length + page - 1) & ~(page - 1);
        /* lo: first range that ends at or after start (touching counts);
         * hi: first range that begins after end. */
        for (lo = 0; lo < w->n && w->r[lo].offset + w->r[lo].length < start; lo++)
                ;
        for (hi = lo; hi < w->n && w->r[hi].offset <= end; hi++)
                ;
        if (hi > lo && w->r[lo].offset <= start && w->r[lo].offset + w->r[lo].length >= end)
                return 0; /* held already */
        if (hi == lo) {
                if (reserve(w, w->n + 1) < 0)
                        return -ENOMEM;
                memmove(&w->r[lo + 1], &w->r[lo], (w->n - lo) * sizeof(w->r[0]));
                w->r[lo] = (struct lockd_range){ start, end - start };
                w->n++;
        } else {
                uint64_t s = w->r[lo].offset < start ? w->r[lo].offset : start;
                uint64_t e = w->r[hi - 1].offset + w->r[hi - 1].length;
                if (e < end)
                        e = end;
                w->r[lo] = (struct lockd_range){ s, e - s };
                memmove(&w->r[lo + 1], &w->r[hi], (w->n - hi) * sizeof(w->r[0]));
                w->n -= hi - lo - 1;
        }
        if (w->n > LOCKD_WSET_MAX_RANGES)
                merge_closest(w);
        return 1;
}

int lockd_wset_add_vector(struct lockd_wset *w, uint64_t base, const unsigned char *vec, size_t npages,
                          uint64_t page)
{
        int grew = 0;

        if (!is_pow2(page) || base & (page - 1))
                return -EINVAL;
        for (size_t k = 0; k < npages;) {
                size_t run;
                int r;

                if (!(vec[k] & 1)) {
                        k++;
                        continue;
                }
                for (run = 1; k + run < npages && vec[k + run] & 1; run++)
                        ;
                if (k > (UINT64_MAX - base) / page - run)
                        return -EINVAL;
                r = lockd_wset_add(w, base + k * page, run * page, page);
                if (r < 0)
                        return r;
                grew |= r;
                k += run;
        }
        return grew;
}

uint64_t lockd_wset_bytes(const struct lockd_wset *w)
{
        uint64_t b = 0;

        for (unsigned k = 0; k < w->n; k++)
                b += w->r[k].length;
        return b;
}

void lockd_wset_clip(struct lockd_wset *w, uint64_t end, uint64_t page)
{
        uint64_t e = (end + page - 1) & ~(page - 1);

        while (w->n > 0 && w->r[w->n - 1].offset >= e)
                w->n--;
        if (w->n > 0 && w->r[w->n - 1].offset + w->r[w->n - 1].length > e)
                w->r[w->n - 1].length = e - w->r[w->n - 1].offset;
}

bool lockd_wset_valid(const struct lockd_range *r, unsigned n, uint64_t size, uint64_t page)
{
        uint64_t pages_end, prev_end = 0;

        if (!is_pow2(page) || n > LOCKD_WSET_MAX_RANGES || size > UINT64_MAX - page)
                return false;
        pages_end = (size + page - 1) & ~(page - 1);
        for (unsigned k = 0; k < n; k++) {
                if (r[k].length == 0 || (r[k].offset | r[k].length) & (page - 1))
                        return false;
                if (r[k].offset > pages_end || r[k].length > pages_end - r[k].offset)
                        return false;
                if (k > 0 && r[k].offset <= prev_end)
                        return false; /* unsorted, overlapping or adjacent */
                prev_end = r[k].offset + r[k].length;
        }
        return true;
}

int lockd_wset_copy(struct lockd_wset *dst, const struct lockd_wset *src)
{
        struct lockd_range *r = NULL;

        if (src->n) {
                r = malloc(src->n * sizeof(*r));
                if (!r)
                        return -ENOMEM;
                memcpy(r, src->r, src->n * sizeof(*r));
        }
        free(dst->r);
        *dst = (struct lockd_wset){ .r = r, .n = src->n, .cap = src->n };
        return 0;
}

bool lockd_tool_name_valid(const char *name)
{
        size_t len = strlen(name);

        if (len == 0 || len >= LOCKD_TOOL_NAME)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '.' || *p == '_' || *p == '+' || *p == '-'))
                        return false;
        return true;
}

int lockd_tools_add(struct lockd_tools *t, const char *name)
{
        if (!lockd_tool_name_valid(name) || t->n >= LOCKD_TOOLS_MAX)
                return 0;
        for (unsigned k = 0; k < t->n; k++)
                if (strcmp(t->name[k], name) == 0)
                        return 0;
        memcpy(t->name[t->n++], name, strlen(name) + 1);
        return 1;
}
