/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "admit.h"

/* Past its prediction (with some slack for a verified one): size unknown again. */
static bool over_prediction(const struct ms_admitted *a)
{
        uint64_t slack = 0;

        if (a->kind == MS_PREDICT_UNKNOWN)
                return true;
        if (a->kind == MS_PREDICT_VERIFIED) {
                slack = a->predicted / 8;
                if (slack < MS_SETTLE_GROWTH * 8)
                        slack = MS_SETTLE_GROWTH * 8;
        }
        return a->rss > a->predicted + slack;
}

uint64_t ms_admitted_pending(const struct ms_admitted *a)
{
        uint64_t target = a->predicted;

        /* A prediction that proved too small: expect the program's worst. */
        if (a->kind != MS_PREDICT_UNKNOWN && a->rss > a->predicted && a->worst > target)
                target = a->worst;
        return target > a->rss ? target - a->rss : 0;
}

bool ms_admitted_settling(const struct ms_admitted *a, uint64_t now_ns)
{
        if (a->kind == MS_PREDICT_TYPICAL && now_ns - a->admitted_ns < MS_PROBATION_NS)
                return true;
        if (!over_prediction(a) || now_ns - a->admitted_ns >= MS_SETTLE_MAX_NS)
                return false;
        return now_ns - a->grown_ns < MS_SETTLE_NS || now_ns - a->admitted_ns < MS_SETTLE_NS;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
        return a > b ? a - b : 0;
}

void ms_admit_decide(uint64_t available, uint64_t required, const struct ms_admitted *admitted, size_t n,
                     const struct ms_candidate *cand, uint64_t now_ns, struct ms_admit_result *out)
{
        struct ms_admit_result r = { .admit = true, .reason = MS_ADMIT_FITS };
        uint64_t surprise = 0;
        bool settling = false;

        for (size_t i = 0; i < n; i++) {
                const struct ms_admitted *a = &admitted[i];
                r.reserved += ms_admitted_pending(a);
                if (ms_admitted_settling(a, now_ns))
                        settling = true;
                /* One typical job still below its prediction may yet turn out big. */
                if (a->kind == MS_PREDICT_TYPICAL && a->rss <= a->predicted)
                        if (sat_sub(a->worst, a->predicted) > surprise)
                                surprise = sat_sub(a->worst, a->predicted);
        }
        if (cand->kind == MS_PREDICT_TYPICAL && sat_sub(cand->worst, cand->predicted) > surprise)
                surprise = sat_sub(cand->worst, cand->predicted);
        r.reserved += surprise;
        r.need = cand->kind == MS_PREDICT_UNKNOWN ? 0 : cand->predicted;
        r.free = sat_sub(available, r.reserved);

        if (settling) {
                r.admit = false;
                r.reason = MS_HELD_SETTLING;
        } else if (r.free < required || r.free - required < r.need) {
                r.admit = false;
                r.reason = MS_HELD_MEMORY;
        }
        *out = r;
}

const char *ms_admit_reason_name(enum ms_admit_reason r)
{
        switch (r) {
        case MS_ADMIT_FITS:
                return "fits";
        case MS_HELD_MEMORY:
                return "not enough memory";
        case MS_HELD_SETTLING:
                return "a job of unknown size is still growing";
        case MS_HELD_FROZEN:
                return "frozen jobs resume first";
        }
        return "?";
}
