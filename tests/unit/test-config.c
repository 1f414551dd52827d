/* SPDX-License-Identifier: GPL-3.0-or-later */
/* config: the environment, parsed strictly through a lookup function. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gate/settings.h"
#include "fixture.h"
#include "util/size.h"

/* ---- a fake environment ---- */

struct var {
        const char *name;
        const char *value;
};

#define MAX_ERRORS 16

struct env {
        const struct var *vars;
        size_t n;
        unsigned lookups;
        unsigned nerrors;
        struct {
                char name[64];
                char value[256];
                char reason[256];
        } errors[MAX_ERRORS];
};

static const char *table_lookup(const char *name, void *userdata)
{
        struct env *e = userdata;

        e->lookups++;
        for (size_t i = 0; i < e->n; i++)
                if (strcmp(e->vars[i].name, name) == 0)
                        return e->vars[i].value;
        return NULL;
}

static void record_error(const char *name, const char *value, const char *reason, void *userdata)
{
        struct env *e = userdata;

        assert_non_null(name);
        assert_non_null(value);
        assert_non_null(reason);
        assert_true(e->nerrors < MAX_ERRORS);
        snprintf(e->errors[e->nerrors].name, sizeof(e->errors[0].name), "%s", name);
        snprintf(e->errors[e->nerrors].value, sizeof(e->errors[0].value), "%s", value);
        snprintf(e->errors[e->nerrors].reason, sizeof(e->errors[0].reason), "%s", reason);
        e->nerrors++;
}

/* Load a config from vars; returns ms_config_load()'s count. */
static int load(struct ms_config *c, struct env *e, const struct var *vars, size_t n)
{
        memset(e, 0, sizeof(*e));
        e->vars = vars;
        e->n = n;
        ms_config_init(c);
        return ms_config_load(c, table_lookup, record_error, e);
}

#define LOAD(c, e, ...)                                                                             \
        ({                                                                                          \
                static const struct var _v[] = { __VA_ARGS__ };                                     \
                load((c), (e), _v, sizeof(_v) / sizeof(_v[0]));                                     \
        })

static void assert_defaults(const struct ms_config *c)
{
        assert_int_equal(c->percent, MS_DEFAULT_PERCENT);
        assert_int_equal(c->min_available, 0);
        assert_int_equal(c->timeout_usec, 0);
        assert_int_equal(c->on_timeout, MS_ON_TIMEOUT_RUN);
        assert_int_equal(c->verbose, 0);
        assert_null(c->log);
        assert_null(c->gate);
        assert_null(c->exempt);
        assert_null(c->sysroot);
}

/* One bad variable: exactly one error naming it and its value, with a reason; default kept. */
static void assert_one_error(const struct env *e, int r, const char *name, const char *value)
{
        if (r != 1 || e->nerrors != 1)
                fail_msg("%s=\"%s\": %d bad / %u errors, expected 1 / 1", name, value, r, e->nerrors);
        assert_string_equal(e->errors[0].name, name);
        assert_string_equal(e->errors[0].value, value);
        assert_true(strlen(e->errors[0].reason) > 0);
}

/* ---- defaults ---- */

static void defaults_after_init(void **state)
{
        struct ms_config c;

        memset(&c, 0x55, sizeof(c));
        ms_config_init(&c);
        assert_defaults(&c);
}

static void defaults_with_empty_environment(void **state)
{
        struct ms_config c;
        struct env e;

        assert_int_equal(load(&c, &e, NULL, 0), 0);
        assert_int_equal(e.nerrors, 0);
        assert_defaults(&c);
        assert_true(e.lookups > 0);
}

/* ---- every variable, valid ---- */

static void all_valid(void **state)
{
        struct ms_config c;
        struct env e;
        int r = LOAD(&c, &e, { MS_ENV_PERCENT, "20" }, { MS_ENV_MIN_AVAILABLE, "2G" },
                     { MS_ENV_TIMEOUT, "10m" }, { MS_ENV_ON_TIMEOUT, "fail" }, { MS_ENV_VERBOSE, "2" },
                     { MS_ENV_LOG, "/tmp/memstop-" }, { MS_ENV_GATE, "cc1*,ld" },
                     { MS_ENV_EXEMPT, "sh,make" }, { MS_ENV_SYSROOT, "/tmp/fake" });

        assert_int_equal(r, 0);
        assert_int_equal(e.nerrors, 0);
        assert_int_equal(c.percent, 20);
        assert_true(c.min_available == GiB(2));
        assert_true(c.timeout_usec == UINT64_C(600000000));
        assert_int_equal(c.on_timeout, MS_ON_TIMEOUT_FAIL);
        assert_int_equal(c.verbose, 2);
        assert_string_equal(c.log, "/tmp/memstop-");
        assert_string_equal(c.gate, "cc1*,ld");
        assert_string_equal(c.exempt, "sh,make");
        assert_string_equal(c.sysroot, "/tmp/fake");
}

static void strings_point_into_lookup_results(void **state)
{
        static const struct var vars[] = { { MS_ENV_LOG, "/var/log/ms" }, { MS_ENV_GATE, "ld" } };
        struct ms_config c;
        struct env e;

        assert_int_equal(load(&c, &e, vars, 2), 0);
        assert_ptr_equal(c.log, vars[0].value);
        assert_ptr_equal(c.gate, vars[1].value);
}

static void percent_values(void **state)
{
        struct ms_config c;
        struct env e;

        assert_int_equal(LOAD(&c, &e, { MS_ENV_PERCENT, "0" }), 0);
        assert_int_equal(c.percent, 0);
        assert_int_equal(LOAD(&c, &e, { MS_ENV_PERCENT, "100" }), 0);
        assert_int_equal(c.percent, 100);
        assert_int_equal(LOAD(&c, &e, { MS_ENV_PERCENT, "25%" }), 0);
        assert_int_equal(c.percent, 25);
}

static void percent_invalid_keeps_default(void **state)
{
        static const char *const bad[] = { "abc", "", "101", "-5", " 10", "10 ", "1.5", "10%%", "9999999999", "0x10" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const struct var v[] = { { MS_ENV_PERCENT, bad[i] } };
                struct ms_config c;
                struct env e;
                int r = load(&c, &e, v, 1);

                assert_one_error(&e, r, MS_ENV_PERCENT, bad[i]);
                assert_int_equal(c.percent, MS_DEFAULT_PERCENT);
        }
}

static void verbose_values(void **state)
{
        static const struct {
                const char *in;
                unsigned level;
        } ok[] = {
                { "0", 0 },    { "", 0 },       { "no", 0 },  { "NO", 0 },     { "off", 0 }, { "false", 0 },
                { "1", 1 },    { "yes", 1 },    { "Yes", 1 }, { "on", 1 },     { "true", 1 }, { "TRUE", 1 },
                { "2", 2 },
        };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                const struct var v[] = { { MS_ENV_VERBOSE, ok[i].in } };
                struct ms_config c;
                struct env e;

                if (load(&c, &e, v, 1) != 0 || e.nerrors != 0)
                        fail_msg(MS_ENV_VERBOSE "=\"%s\" was rejected", ok[i].in);
                if (c.verbose != ok[i].level)
                        fail_msg(MS_ENV_VERBOSE "=\"%s\" gave %u, expected %u", ok[i].in, c.verbose, ok[i].level);
        }
}

/* The original memstop enabled verbose output for any value, even "0". */
static void verbose_zero_is_off(void **state)
{
        struct ms_config c;
        struct env e;

        assert_int_equal(LOAD(&c, &e, { MS_ENV_VERBOSE, "0" }), 0);
        assert_int_equal(c.verbose, 0);
}

static void verbose_invalid_keeps_default(void **state)
{
        static const char *const bad[] = { "maybe", "3", "-1", " 1", "1 ", "01", "yess", "2x", "on!", "10" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const struct var v[] = { { MS_ENV_VERBOSE, bad[i] } };
                struct ms_config c;
                struct env e;
                int r = load(&c, &e, v, 1);

                assert_one_error(&e, r, MS_ENV_VERBOSE, bad[i]);
                assert_int_equal(c.verbose, 0);
        }
}

static void verbose_parse_direct(void **state)
{
        unsigned level = 42;

        assert_int_equal(ms_verbose_parse("maybe", &level), -EINVAL);
        assert_int_equal(level, 42);
        assert_int_equal(ms_verbose_parse("2", &level), 0);
        assert_int_equal(level, 2);
        assert_int_equal(ms_verbose_parse("0", &level), 0);
        assert_int_equal(level, 0);
}

static void min_available_values(void **state)
{
        struct ms_config c;
        struct env e;

        assert_int_equal(LOAD(&c, &e, { MS_ENV_MIN_AVAILABLE, "512M" }), 0);
        assert_true(c.min_available == MiB(512));
        assert_int_equal(LOAD(&c, &e, { MS_ENV_MIN_AVAILABLE, "2GiB" }), 0);
        assert_true(c.min_available == GiB(2));
        assert_int_equal(LOAD(&c, &e, { MS_ENV_MIN_AVAILABLE, "0" }), 0);
        assert_int_equal(c.min_available, 0);
}

static void min_available_invalid_keeps_default(void **state)
{
        static const char *const bad[] = { "", "lots", "-1G", "1G ", "2Gi", "99999999999999999999", "17179869184G" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const struct var v[] = { { MS_ENV_MIN_AVAILABLE, bad[i] } };
                struct ms_config c;
                struct env e;
                int r = load(&c, &e, v, 1);

                assert_one_error(&e, r, MS_ENV_MIN_AVAILABLE, bad[i]);
                assert_int_equal(c.min_available, 0);
        }
}

static void timeout_values(void **state)
{
        struct ms_config c;
        struct env e;

        assert_int_equal(LOAD(&c, &e, { MS_ENV_TIMEOUT, "90" }), 0);
        assert_true(c.timeout_usec == UINT64_C(90000000));
        assert_int_equal(LOAD(&c, &e, { MS_ENV_TIMEOUT, "0" }), 0);
        assert_int_equal(c.timeout_usec, 0);
        assert_int_equal(LOAD(&c, &e, { MS_ENV_TIMEOUT, "500ms" }), 0);
        assert_int_equal(c.timeout_usec, 500000);
        assert_int_equal(LOAD(&c, &e, { MS_ENV_TIMEOUT, "1h" }), 0);
        assert_true(c.timeout_usec == UINT64_C(3600000000));
}

static void timeout_invalid_keeps_default(void **state)
{
        static const char *const bad[] = { "10M", "-1s", "1 s", "s", "1sec", "forever", "1h30m" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const struct var v[] = { { MS_ENV_TIMEOUT, bad[i] } };
                struct ms_config c;
                struct env e;
                int r = load(&c, &e, v, 1);

                assert_one_error(&e, r, MS_ENV_TIMEOUT, bad[i]);
                assert_int_equal(c.timeout_usec, 0);
        }
}

static void on_timeout_values(void **state)
{
        struct ms_config c;
        struct env e;
        enum ms_timeout_action a = MS_ON_TIMEOUT_FAIL;

        assert_int_equal(LOAD(&c, &e, { MS_ENV_ON_TIMEOUT, "fail" }), 0);
        assert_int_equal(c.on_timeout, MS_ON_TIMEOUT_FAIL);
        assert_int_equal(LOAD(&c, &e, { MS_ENV_ON_TIMEOUT, "run" }), 0);
        assert_int_equal(c.on_timeout, MS_ON_TIMEOUT_RUN);
        assert_int_equal(ms_on_timeout_parse("run", &a), 0);
        assert_int_equal(a, MS_ON_TIMEOUT_RUN);
}

static void on_timeout_invalid_keeps_default(void **state)
{
        static const char *const bad[] = { "", "exit", "kill", "run ", " fail", "failure", "0" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const struct var v[] = { { MS_ENV_ON_TIMEOUT, bad[i] } };
                struct ms_config c;
                struct env e;
                int r = load(&c, &e, v, 1);

                assert_one_error(&e, r, MS_ENV_ON_TIMEOUT, bad[i]);
                assert_int_equal(c.on_timeout, MS_ON_TIMEOUT_RUN);
        }
}

static void log_empty_is_invalid(void **state)
{
        struct ms_config c;
        struct env e;
        int r = LOAD(&c, &e, { MS_ENV_LOG, "" });

        assert_one_error(&e, r, MS_ENV_LOG, "");
        assert_null(c.log);
}

static void sysroot_relative_is_invalid(void **state)
{
        struct ms_config c;
        struct env e;
        int r = LOAD(&c, &e, { MS_ENV_SYSROOT, "tmp/fake" });

        assert_one_error(&e, r, MS_ENV_SYSROOT, "tmp/fake");
        assert_null(c.sysroot);
        r = LOAD(&c, &e, { MS_ENV_SYSROOT, "" });
        assert_one_error(&e, r, MS_ENV_SYSROOT, "");
        assert_null(c.sysroot);
}

static void pattern_lists_valid(void **state)
{
        static const char *const ok[] = { "cc1", "cc1*,ld", "cc1plus,ld,ld.gold,*-gcc", "[a-c]c?", "*" };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                const struct var v[] = { { MS_ENV_GATE, ok[i] }, { MS_ENV_EXEMPT, ok[i] } };
                struct ms_config c;
                struct env e;

                if (load(&c, &e, v, 2) != 0)
                        fail_msg("pattern list \"%s\" rejected", ok[i]);
                assert_string_equal(c.gate, ok[i]);
                assert_string_equal(c.exempt, ok[i]);
                assert_int_equal(ms_pattern_list_check(ok[i]), 0);
        }
}

static void pattern_lists_invalid(void **state)
{
        static const char *const bad[] = { "", ",", ",,", "a,", ",a", "a,,b", "a/b", "/usr/bin/ld", "a b", "cc1, ld" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const struct var g[] = { { MS_ENV_GATE, bad[i] } };
                const struct var x[] = { { MS_ENV_EXEMPT, bad[i] } };
                struct ms_config c;
                struct env e;
                int r;

                assert_int_equal(ms_pattern_list_check(bad[i]), -EINVAL);
                r = load(&c, &e, g, 1);
                assert_one_error(&e, r, MS_ENV_GATE, bad[i]);
                assert_null(c.gate);
                r = load(&c, &e, x, 1);
                assert_one_error(&e, r, MS_ENV_EXEMPT, bad[i]);
                assert_null(c.exempt);
        }
}

/* ---- several bad variables ---- */

static void each_bad_variable_reported_once(void **state)
{
        struct ms_config c;
        struct env e;
        int r = LOAD(&c, &e, { MS_ENV_PERCENT, "abc" }, { MS_ENV_VERBOSE, "maybe" },
                     { MS_ENV_MIN_AVAILABLE, "2G" }, { MS_ENV_TIMEOUT, "10M" }, { MS_ENV_GATE, "a,,b" });

        assert_int_equal(r, 4);
        assert_int_equal(e.nerrors, 4);
        /* The good one still counts. */
        assert_true(c.min_available == GiB(2));
        assert_int_equal(c.percent, MS_DEFAULT_PERCENT);
        assert_int_equal(c.verbose, 0);
        assert_int_equal(c.timeout_usec, 0);
        assert_null(c.gate);
        for (unsigned i = 0; i < e.nerrors; i++)
                for (unsigned j = i + 1; j < e.nerrors; j++)
                        assert_string_not_equal(e.errors[i].name, e.errors[j].name);
}

static void null_error_callback(void **state)
{
        static const struct var v[] = { { MS_ENV_PERCENT, "abc" }, { MS_ENV_VERBOSE, "1" } };
        struct env e = { .vars = v, .n = 2 };
        struct ms_config c;

        ms_config_init(&c);
        assert_int_equal(ms_config_load(&c, table_lookup, NULL, &e), 1);
        assert_int_equal(c.percent, MS_DEFAULT_PERCENT);
        assert_int_equal(c.verbose, 1);
}

static void unknown_variables_ignored(void **state)
{
        struct ms_config c;
        struct env e;

        assert_int_equal(LOAD(&c, &e, { MS_ENV_PREFIX "PERCNT", "abc" }, { "PATH", "/bin" }), 0);
        assert_defaults(&c);
}

/* ---- ms_pattern_list_match / ms_config_gates ---- */

static void pattern_match(void **state)
{
        assert_true(ms_pattern_list_match("cc1*,ld", "cc1"));
        assert_true(ms_pattern_list_match("cc1*,ld", "cc1plus"));
        assert_true(ms_pattern_list_match("cc1*,ld", "ld"));
        assert_false(ms_pattern_list_match("cc1*,ld", "ld.gold"));
        assert_false(ms_pattern_list_match("cc1*,ld", "xcc1"));
        assert_false(ms_pattern_list_match("cc1*,ld", "gcc"));
        assert_true(ms_pattern_list_match("*-gcc", "x86_64-linux-gnu-gcc"));
        assert_true(ms_pattern_list_match("c?1", "cc1"));
        assert_false(ms_pattern_list_match("", "cc1"));
}

static void gates_everything_by_default(void **state)
{
        struct ms_config c;

        ms_config_init(&c);
        assert_true(ms_config_gates(&c, "cc1plus"));
        assert_true(ms_config_gates(&c, "sh"));
}

static void gates_only_gate_list(void **state)
{
        struct ms_config c;

        ms_config_init(&c);
        c.gate = "cc1*,ld";
        assert_true(ms_config_gates(&c, "cc1plus"));
        assert_true(ms_config_gates(&c, "ld"));
        assert_false(ms_config_gates(&c, "make"));
        assert_false(ms_config_gates(&c, "sh"));
}

static void gates_exempt_list(void **state)
{
        struct ms_config c;

        ms_config_init(&c);
        c.exempt = "sh,make";
        assert_false(ms_config_gates(&c, "sh"));
        assert_false(ms_config_gates(&c, "make"));
        assert_true(ms_config_gates(&c, "bash"));
        assert_true(ms_config_gates(&c, "cc1"));
}

static void gates_exempt_wins(void **state)
{
        struct ms_config c;

        ms_config_init(&c);
        c.gate = "*";
        c.exempt = "sh";
        assert_false(ms_config_gates(&c, "sh"));
        assert_true(ms_config_gates(&c, "cc1"));
        c.gate = "cc1*";
        c.exempt = "cc1obj";
        assert_false(ms_config_gates(&c, "cc1obj"));
        assert_true(ms_config_gates(&c, "cc1plus"));
}

/* ---- ms_config_required ---- */

static void required_percent_of_total(void **state)
{
        struct ms_config c;

        ms_config_init(&c);
        assert_true(ms_config_required(&c, GiB(10)) == GiB(1));
        c.percent = 0;
        assert_int_equal(ms_config_required(&c, GiB(10)), 0);
        c.percent = 100;
        assert_true(ms_config_required(&c, GiB(10)) == GiB(10));
        c.percent = 33;
        /* floor(1000 * 33 / 100) */
        assert_int_equal(ms_config_required(&c, 1000), 330);
        assert_int_equal(ms_config_required(&c, 99), 32);
        assert_int_equal(ms_config_required(&c, 0), 0);
}

static void required_min_available_floor(void **state)
{
        struct ms_config c;

        ms_config_init(&c);
        c.min_available = GiB(4);
        assert_true(ms_config_required(&c, GiB(8)) == GiB(4));
        /* The percentage wins when it is larger. */
        assert_true(ms_config_required(&c, GiB(100)) == GiB(10));
        /* Even with percent 0. */
        c.percent = 0;
        assert_true(ms_config_required(&c, GiB(100)) == GiB(4));
}

static void required_no_overflow(void **state)
{
        struct ms_config c;
        uint64_t half = UINT64_MAX / 2;

        ms_config_init(&c);
        c.percent = 100;
        assert_true(ms_config_required(&c, UINT64_MAX) == UINT64_MAX);
        assert_true(ms_config_required(&c, half) == half);
        c.percent = 50;
        assert_true(ms_config_required(&c, UINT64_MAX) == UINT64_MAX / 2);
        assert_true(ms_config_required(&c, half) == half / 2);
        c.percent = 99;
        /* floor((2^64 - 1) * 99 / 100) = 18262276632972456098 */
        assert_true(ms_config_required(&c, UINT64_MAX) == UINT64_C(18262276632972456098));
        c.percent = 10;
        assert_true(ms_config_required(&c, half) == UINT64_C(922337203685477580));
}

#define CT(f) cmocka_unit_test(f)

int main(void)
{
        const struct CMUnitTest tests[] = {
                CT(defaults_after_init),
                CT(defaults_with_empty_environment),
                CT(all_valid),
                CT(strings_point_into_lookup_results),
                CT(percent_values),
                CT(percent_invalid_keeps_default),
                CT(verbose_values),
                CT(verbose_zero_is_off),
                CT(verbose_invalid_keeps_default),
                CT(verbose_parse_direct),
                CT(min_available_values),
                CT(min_available_invalid_keeps_default),
                CT(timeout_values),
                CT(timeout_invalid_keeps_default),
                CT(on_timeout_values),
                CT(on_timeout_invalid_keeps_default),
                CT(log_empty_is_invalid),
                CT(sysroot_relative_is_invalid),
                CT(pattern_lists_valid),
                CT(pattern_lists_invalid),
                CT(each_bad_variable_reported_once),
                CT(null_error_callback),
                CT(unknown_variables_ignored),
                CT(pattern_match),
                CT(gates_everything_by_default),
                CT(gates_only_gate_list),
                CT(gates_exempt_list),
                CT(gates_exempt_wins),
                CT(required_percent_of_total),
                CT(required_min_available_floor),
                CT(required_no_overflow),
        };

        return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
