/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate/config.h"
#include "util/parse.h"
#include "util/strutil.h"
#include "util/macro.h"
#include "util/size.h"

MS_HOT void ms_config_init(struct ms_config *c)
{
        *c = (struct ms_config){ .percent = MS_DEFAULT_PERCENT, .reserve = true, .learn = true };
}

MS_HOT int ms_verbose_parse(const char *s, unsigned *level)
{
        static const ms_word_t off[] = { "", "0", "no", "n", "false", "off" };
        static const ms_word_t on[] = { "1", "yes", "y", "true", "on" };

        if (ms_word_in(s, off, MS_ARRAY_SIZE(off)))
                *level = 0;
        else if (ms_word_in(s, on, MS_ARRAY_SIZE(on)))
                *level = 1;
        else if (ms_streq(s, "2"))
                *level = 2;
        else
                return -EINVAL;
        return 0;
}

MS_HOT int ms_on_timeout_parse(const char *s, enum ms_timeout_action *action)
{
        if (ms_streq(s, "run"))
                *action = MS_ON_TIMEOUT_RUN;
        else if (ms_streq(s, "fail"))
                *action = MS_ON_TIMEOUT_FAIL;
        else
                return -EINVAL;
        return 0;
}

MS_HOT bool ms_config_gates(const struct ms_config *c, const char *program)
{
        if (c->exempt && ms_pattern_list_match(c->exempt, program))
                return false;
        if (c->gate && !ms_pattern_list_match(c->gate, program))
                return false;
        return true;
}

MS_HOT uint64_t ms_config_required(const struct ms_config *c, uint64_t total)
{
        /* total * percent / 100 without overflow for any 64-bit total. */
        uint64_t by_percent = total / 100 * c->percent + total % 100 * c->percent / 100;

        return by_percent > c->min_available ? by_percent : c->min_available;
}

static void bad(ms_config_error_fn on_error, void *userdata, int *nbad, const char *name, const char *value,
                const char *reason)
{
        (*nbad)++;
        if (on_error)
                on_error(name, value, reason, userdata);
}

MS_HOT int ms_config_load(struct ms_config *c, ms_lookup_fn lookup, ms_config_error_fn on_error, void *userdata)
{
        const char *v;
        int nbad = 0;
        bool b;
        uint64_t u;
        unsigned n;

        if ((v = lookup("MEMSTOP_PERCENT", userdata))) {
                if (ms_percent_parse(v, &n) == 0)
                        c->percent = n;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_PERCENT", v, "not a whole number from 0 to 100");
        }
        if ((v = lookup("MEMSTOP_MIN_AVAILABLE", userdata))) {
                if (ms_size_parse(v, &u) == 0)
                        c->min_available = u;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_MIN_AVAILABLE", v,
                            "not a size such as 512M, 2G or 1.5GiB");
        }
        if ((v = lookup("MEMSTOP_TIMEOUT", userdata))) {
                if (ms_duration_parse(v, &u) == 0)
                        c->timeout_usec = u;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_TIMEOUT", v,
                            "not a duration such as 90, 30s, 10m or 1h");
        }
        if ((v = lookup("MEMSTOP_ON_TIMEOUT", userdata))) {
                enum ms_timeout_action a;
                if (ms_on_timeout_parse(v, &a) == 0)
                        c->on_timeout = a;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_ON_TIMEOUT", v, "must be 'run' or 'fail'");
        }
        if ((v = lookup("MEMSTOP_VERBOSE", userdata))) {
                if (ms_verbose_parse(v, &n) == 0)
                        c->verbose = n;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_VERBOSE", v, "must be 0, 1, 2, yes or no");
        }
        if ((v = lookup("MEMSTOP_LOG", userdata))) {
                if (*v)
                        c->log = v;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_LOG", v, "empty file name");
        }
        if ((v = lookup("MEMSTOP_GATE", userdata))) {
                if (ms_pattern_list_check(v) == 0)
                        c->gate = v;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_GATE", v,
                            "not a comma-separated list of program names or patterns");
        }
        if ((v = lookup("MEMSTOP_EXEMPT", userdata))) {
                if (ms_pattern_list_check(v) == 0)
                        c->exempt = v;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_EXEMPT", v,
                            "not a comma-separated list of program names or patterns");
        }
        if ((v = lookup("MEMSTOP_SYSROOT", userdata))) {
                if (v[0] == '/')
                        c->sysroot = v;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_SYSROOT", v, "not an absolute directory");
        }
        if ((v = lookup("MEMSTOP_RESERVE", userdata))) {
                if (ms_bool_parse(v, &b) < 0)
                        bad(on_error, userdata, &nbad, "MEMSTOP_RESERVE", v, "must be 0, 1, yes or no");
                else
                        c->reserve = b;
        }
        if ((v = lookup("MEMSTOP_LEARN", userdata))) {
                if (ms_bool_parse(v, &b) < 0)
                        bad(on_error, userdata, &nbad, "MEMSTOP_LEARN", v, "must be 0, 1, yes or no");
                else
                        c->learn = b;
        }
        if ((v = lookup("MEMSTOP_SMALL", userdata))) {
                if (*v == '\0' || ms_pattern_list_check(v) == 0)
                        c->small = v;
                else
                        bad(on_error, userdata, &nbad, "MEMSTOP_SMALL", v, "not a comma-separated list of program names");
        }
        return nbad;
}
