/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate/config.h"
#include "util/fileio.h"
#include "util/parse.h"
#include "util/strutil.h"
#include "util/macro.h"

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

bool ms_gate_switched_off(int rootfd)
{
        return ms_access_at(rootfd, MS_KILL_SWITCH_RUN) == 0 || ms_access_at(rootfd, MS_KILL_SWITCH_ETC) == 0;
}
