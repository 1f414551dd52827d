/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The settings table as the preload sees it: names and reasons as offsets
 * into blocks of text, types as numbers, fields as offsets. No pointer, so no
 * relocation in memstop.so, and the constructor of every process walks it
 * cheaply.
 */
#include <errno.h>
#include <stddef.h>

#include "gate/settings.h"
#include "util/macro.h"
#include "util/parse.h"
#include "util/size.h"
#include "util/strutil.h"

/* The variables' names: one block of text, each name at its row's offset. */
static const struct {
#define MEMBER(id, variable, ...) char id[sizeof(variable)];
        MS_SETTINGS(MEMBER)
#undef MEMBER
} names = {
#define TEXT(id, variable, ...) variable,
        MS_SETTINGS(TEXT)
#undef TEXT
};

struct setting {
        uint16_t env;   /* offset of its name in names */
        uint8_t type;   /* enum ms_setting_type */
        uint8_t offset; /* of its field in struct ms_config */
};

static const struct setting settings[MS_SETTING_COUNT] = {
#define ROW(id, variable, field, type, ...) \
        [MS_SETTING_##id] = { offsetof(__typeof__(names), id), type, offsetof(struct ms_config, field) },
        MS_SETTINGS(ROW)
#undef ROW
};
_Static_assert(sizeof(names) <= UINT16_MAX, "names are found by their offset");

/* The C type each type of value is stored as, to check the table's fields. */
#define TYPE_SIZE(t)                                                                                  \
        ((t) == MS_TYPE_PERCENT || (t) == MS_TYPE_VERBOSE     ? sizeof(unsigned)                     \
         : (t) == MS_TYPE_SIZE || (t) == MS_TYPE_DURATION     ? sizeof(uint64_t)                     \
         : (t) == MS_TYPE_ON_TIMEOUT                          ? sizeof(enum ms_timeout_action)       \
         : (t) == MS_TYPE_BOOL                                ? sizeof(bool)                         \
                                                              : sizeof(const char *))
#define CHECK(id, variable, field, type, ...)                                                             \
        _Static_assert(sizeof(((struct ms_config *)0)->field) == TYPE_SIZE(type), #field " is a " #type); \
        _Static_assert(TYPE_SIZE(type) == 8 || TYPE_SIZE(type) == 4 || TYPE_SIZE(type) == 1, #field " is stored"); \
        _Static_assert(offsetof(struct ms_config, field) <= UINT8_MAX, #field " offset fits");
MS_SETTINGS(CHECK)
#undef CHECK

/* What a bad value of each type reads like: one block of text, each reason
 * where its offset says (no padding, no pointers). */
#define REASONS(X)                                                                  \
        X(PERCENT, "not a whole number from 0 to 100")                              \
        X(SIZE, "not a size such as 512M, 2G or 1.5GiB")                            \
        X(DURATION, "not a duration such as 90, 30s, 10m or 1h")                    \
        X(ON_TIMEOUT, "must be 'run' or 'fail'")                                    \
        X(VERBOSE, "must be 0, 1, 2, yes or no")                                    \
        X(FILE, "empty file name")                                                  \
        X(PATTERNS, "not a comma-separated list of program names or patterns")      \
        X(DIR, "not an absolute directory")                                         \
        X(BOOL, "must be 0, 1, yes or no")                                          \
        X(NAMES, "not a comma-separated list of program names")

static const struct {
#define MEMBER(type, text) char type[sizeof(text)];
        REASONS(MEMBER)
#undef MEMBER
} reason_text = {
#define TEXT(type, text) text,
        REASONS(TEXT)
#undef TEXT
};

static const uint16_t reason_at[MS_TYPE_COUNT_] = {
#define AT(type, text) [MS_TYPE_##type] = offsetof(__typeof__(reason_text), type),
        REASONS(AT)
#undef AT
};
_Static_assert(sizeof(reason_text) <= UINT16_MAX, "reasons are found by their offset");

/* What a value too large for its type reads like (-ERANGE from its parser). */
static const struct {
        char size[sizeof("too large: at most 16E (2^64-1 bytes)")];
        char duration[sizeof("too long: at most 213503d (about 584 years)")];
        char other[sizeof("out of range")];
} range_text = {
        "too large: at most 16E (2^64-1 bytes)",
        "too long: at most 213503d (about 584 years)",
        "out of range",
};

static const char *reason_of(enum ms_setting_type t, int r)
{
        if (r == -ERANGE && t == MS_TYPE_SIZE)
                return range_text.size;
        if (r == -ERANGE && t == MS_TYPE_DURATION)
                return range_text.duration;
        if (r == -ERANGE && t != MS_TYPE_PERCENT)
                return range_text.other;
        return (const char *)&reason_text + reason_at[t];
}

MS_HOT const char *ms_setting_env(enum ms_setting_id id)
{
        return (const char *)&names + settings[id].env;
}

int ms_setting_find(const char *name)
{
        for (unsigned i = 0; i < MS_SETTING_COUNT; i++)
                if (ms_streq(ms_setting_env((enum ms_setting_id)i), name))
                        return (int)i;
        return -1;
}

/* Parse v as type t into the field at p. Returns 0, -EINVAL or -ERANGE (p untouched). */
static MS_HOT int parse_into(enum ms_setting_type t, const char *v, void *p)
{
        union {
                unsigned u;
                uint64_t u64;
                enum ms_timeout_action action;
                bool b;
                const char *s;
        } x = { .s = v };
        int r = -EINVAL;

        switch (t) {
        case MS_TYPE_PERCENT: r = ms_percent_parse(v, &x.u); break;
        case MS_TYPE_VERBOSE: r = ms_verbose_parse(v, &x.u); break;
        case MS_TYPE_SIZE: r = ms_size_parse(v, &x.u64); break;
        case MS_TYPE_DURATION: r = ms_duration_parse(v, &x.u64); break;
        case MS_TYPE_ON_TIMEOUT: r = ms_on_timeout_parse(v, &x.action); break;
        case MS_TYPE_BOOL: r = ms_bool_parse(v, &x.b); break;
        case MS_TYPE_FILE: r = *v ? 0 : -EINVAL; break;
        case MS_TYPE_DIR: r = v[0] == '/' ? 0 : -EINVAL; break;
        case MS_TYPE_PATTERNS: r = ms_pattern_list_check(v); break;
        case MS_TYPE_NAMES: r = *v ? ms_pattern_list_check(v) : 0; break;
        default: break;
        }
        if (r < 0)
                return r == -ERANGE ? -ERANGE : -EINVAL;
        /* The member parsed into starts the union: copy as many bytes as the
         * field has (constant sizes: one move each, no call to memcpy). */
        switch (TYPE_SIZE(t)) {
        case 8:
                __builtin_memcpy(p, &x, 8);
                break;
        case 4:
                __builtin_memcpy(p, &x, 4);
                break;
        default:
                __builtin_memcpy(p, &x, 1);
                break;
        }
        return 0;
}

MS_HOT int ms_setting_parse(enum ms_setting_id id, const char *value, struct ms_config *c, const char **reason)
{
        const struct setting *s = &settings[id];
        int r = parse_into((enum ms_setting_type)s->type, value, (char *)c + s->offset);

        if (r == 0)
                return 0;
        if (reason)
                *reason = reason_of((enum ms_setting_type)s->type, r);
        return -EINVAL;
}

MS_HOT int ms_config_load(struct ms_config *c, ms_lookup_fn lookup, ms_config_error_fn on_error, void *userdata)
{
        const char *v, *reason;
        int nbad = 0;

        for (unsigned i = 0; i < MS_SETTING_COUNT; i++) {
                const char *env = ms_setting_env((enum ms_setting_id)i);
                v = lookup(env, userdata);
                if (!v || ms_setting_parse((enum ms_setting_id)i, v, c, &reason) == 0)
                        continue;
                nbad++;
                if (on_error)
                        on_error(env, v, reason, userdata);
        }
        return nbad;
}
