/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The settings as the preload reads them: ms_config_load() on an environment
 * of fuzzed lines "NAME=value" (a line without '=' is a value for the next
 * setting of the table), then what the gate derives from the result, and
 * ms_env_opted_in() on the same variables.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "gate/config.h"
#include "gate/protocol.h"
#include "gate/settings.h"

struct env {
        const char *var[64];
        unsigned n;
};

/* The last definition of name wins, as setenv() would have it. */
static const char *lookup(const char *name, void *userdata)
{
        const struct env *e = userdata;
        size_t len = strlen(name);

        for (unsigned i = e->n; i-- > 0;)
                if (strncmp(e->var[i], name, len) == 0 && e->var[i][len] == '=')
                        return e->var[i] + len + 1;
        return NULL;
}

static void on_error(const char *name, const char *value, const char *reason, void *userdata)
{
        if (!name || !value || !reason || !*reason)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size), *line, *save = NULL;
        struct env e = {};
        struct ms_config c;

        if (!s)
                return 0;
        for (line = strtok_r(s, "\n", &save); line && e.n < 64; line = strtok_r(NULL, "\n", &save))
                e.var[e.n++] = line;
        ms_config_init(&c);
        (void)ms_config_load(&c, lookup, on_error, &e);
        if (c.percent > 100)
                abort();
        (void)ms_config_required(&c, UINT64_MAX);
        (void)ms_config_required(&c, 8ull << 30);
        (void)ms_config_gates(&c, "cc1plus");
        (void)ms_env_opted_in(e.var, e.n);
        for (unsigned i = 0; i < e.n && i < MS_SETTING_COUNT; i++) {
                const char *reason = NULL;
                if (ms_setting_parse((enum ms_setting_id)i, e.var[i], &c, &reason) < 0 && (!reason || !*reason))
                        abort();
        }
        free(s);
        return 0;
}
