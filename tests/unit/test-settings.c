/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * settings: every row of the table has a variable, a parser, a CLI option or
 * a reason not to, help text, and its entries in the man pages. A setting
 * added without them fails here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate/settings.h"

/* A man page of the source tree (TESTS_SRCDIR is tests/). */
static char *read_man(const char *name)
{
        const char *srcdir = getenv("TESTS_SRCDIR");
        char path[4096];
        FILE *f;
        char *text;
        long n;

        if (!srcdir)
                fail_msg("TESTS_SRCDIR is not set");
        snprintf(path, sizeof(path), "%s/../man/%s", srcdir, name);
        f = fopen(path, "r");
        if (!f)
                fail_msg("cannot open %s", path);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        text = calloc(1, (size_t)n + 1);
        assert_non_null(text);
        assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        return text;
}

static void every_setting_has_a_variable_and_a_parser(void **state)
{
        for (unsigned i = 0; i < MS_SETTING_COUNT; i++) {
                const char *env = ms_setting_env((enum ms_setting_id)i);
                const char *reason = NULL;
                struct ms_config c;
                int bad = 0;

                assert_non_null(env);
                if (strncmp(env, MS_ENV_PREFIX, strlen(MS_ENV_PREFIX)) != 0 || !env[strlen(MS_ENV_PREFIX)])
                        fail_msg("setting %u: variable '%s' is not MEMSTOP_*", i, env);
                assert_string_equal(ms_setting_docs[i].env, env);
                assert_int_equal(ms_setting_find(env), (int)i);
                /* Every parser refuses something and says why. */
                ms_config_init(&c);
                bad += ms_setting_parse((enum ms_setting_id)i, "", &c, &reason) == -EINVAL;
                bad += ms_setting_parse((enum ms_setting_id)i, "not/a value", &c, &reason) == -EINVAL;
                if (!bad || !reason || !*reason)
                        fail_msg("%s: no parser refusing bad values with a reason", env);
        }
        assert_int_equal(ms_setting_find("MEMSTOP_NO_SUCH_THING"), -1);
}

/* Issue 12: MEMSTOP_TIMEOUT=18446744074s was read as 0.29 s (nanoseconds
 * wrapped); it is refused, and the reason says it is too long. */
static void too_long_a_timeout_is_refused_with_its_reason(void **state)
{
        const char *reason = NULL;
        struct ms_config c;

        ms_config_init(&c);
        assert_int_equal(ms_setting_parse(MS_SETTING_TIMEOUT, "18446744074s", &c, &reason), -EINVAL);
        assert_int_equal(c.timeout_usec, 0);
        assert_non_null(reason);
        assert_non_null(strstr(reason, "too long"));
        assert_int_equal(ms_setting_parse(MS_SETTING_MIN_AVAILABLE, "16777216T", &c, &reason), -EINVAL);
        assert_non_null(strstr(reason, "too large"));
        assert_int_equal(ms_setting_parse(MS_SETTING_MIN_AVAILABLE, "2X", &c, &reason), -EINVAL);
        assert_non_null(strstr(reason, "not a size"));
        assert_int_equal(ms_setting_parse(MS_SETTING_TIMEOUT, "213503d", &c, &reason), 0);
}

static void every_setting_has_an_option_or_a_reason_and_help(void **state)
{
        for (unsigned i = 0; i < MS_SETTING_COUNT; i++) {
                const struct ms_setting_doc *d = &ms_setting_docs[i];

                if (!d->help || !*d->help)
                        fail_msg("%s: no help text", d->env);
                if (d->kind == MS_OPTION_NONE) {
                        if (!d->no_option || !*d->no_option || d->option || d->short_option)
                                fail_msg("%s: no option, and no reason why", d->env);
                        continue;
                }
                if (!d->option || !*d->option || d->no_option)
                        fail_msg("%s: no option", d->env);
                if ((d->kind == MS_OPTION_VALUE) != (d->arg != NULL))
                        fail_msg("%s: --%s takes a value exactly when it names it", d->env, d->option);
                for (unsigned j = 0; j < i; j++) {
                        const struct ms_setting_doc *e = &ms_setting_docs[j];
                        if (e->option && strcmp(e->option, d->option) == 0)
                                fail_msg("--%s twice", d->option);
                        if (d->short_option && e->short_option == d->short_option)
                                fail_msg("-%c twice", d->short_option);
                }
        }
}

static void every_setting_is_in_the_man_pages(void **state)
{
        char *man1 = read_man("memstop.1.scd"), *man7 = read_man("memstop.7.scd");
        char want[128];

        for (unsigned i = 0; i < MS_SETTING_COUNT; i++) {
                const struct ms_setting_doc *d = &ms_setting_docs[i];

                /* memstop(7) describes every variable, memstop(1) every option. */
                snprintf(want, sizeof(want), "*%s*", d->env);
                if (!strstr(man7, want))
                        fail_msg("memstop.7.scd does not describe %s", d->env);
                if (d->kind == MS_OPTION_NONE)
                        continue;
                snprintf(want, sizeof(want), "--%s*", d->option);
                if (!strstr(man1, want))
                        fail_msg("memstop.1.scd does not describe --%s", d->option);
        }
        free(man1);
        free(man7);
}

/* The other way round: every variable memstop(7) names is a setting or a
 * variable of the protocol between memstop and its preload. */
static void every_variable_of_the_man_page_is_known(void **state)
{
        static const char *const protocol[] = { MS_ENV_SUPERVISOR, MS_ENV_REPORT, MS_ENV_SMALL, MS_ENV_CGROUP,
                                                MS_ENV_WARNED, MS_ENV_IMPLICIT, MS_ENV_JOB };
        char *man7 = read_man("memstop.7.scd");
        char name[64];

        for (const char *p = strstr(man7, MS_ENV_PREFIX); p; p = strstr(p + 1, MS_ENV_PREFIX)) {
                size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
                bool known = false;

                assert_true(n < sizeof(name));
                memcpy(name, p, n);
                name[n] = '\0';
                known = ms_setting_find(name) >= 0;
                for (size_t j = 0; j < sizeof(protocol) / sizeof(protocol[0]); j++)
                        known = known || strcmp(name, protocol[j]) == 0;
                if (!known)
                        fail_msg("memstop.7.scd names %s, which is neither a setting nor in gate/protocol.h", name);
        }
        free(man7);
}

/* The table puts each value into its own field, and nowhere else. */
static void parsers_fill_their_field(void **state)
{
        struct ms_config c, d;

        ms_config_init(&c);
        d = c;
        assert_int_equal(ms_setting_parse(MS_SETTING_PERCENT, "25", &c, NULL), 0);
        assert_int_equal(c.percent, 25);
        assert_int_equal(ms_setting_parse(MS_SETTING_MIN_AVAILABLE, "1K", &c, NULL), 0);
        assert_int_equal(c.min_available, 1024);
        assert_int_equal(ms_setting_parse(MS_SETTING_TIMEOUT, "2s", &c, NULL), 0);
        assert_int_equal(c.timeout_usec, 2000000);
        assert_int_equal(ms_setting_parse(MS_SETTING_LEARN, "no", &c, NULL), 0);
        assert_false(c.learn);
        assert_int_equal(ms_setting_parse(MS_SETTING_SMALL, "", &c, NULL), 0);
        assert_string_equal(c.small, "");
        d.percent = 25, d.min_available = 1024, d.timeout_usec = 2000000, d.learn = false, d.small = c.small;
        assert_memory_equal(&c, &d, sizeof(c));
        /* A bad value leaves the field as it was. */
        assert_int_equal(ms_setting_parse(MS_SETTING_PERCENT, "101", &c, NULL), -EINVAL);
        assert_int_equal(c.percent, 25);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_setting_has_a_variable_and_a_parser),
                cmocka_unit_test(every_setting_has_an_option_or_a_reason_and_help),
                cmocka_unit_test(too_long_a_timeout_is_refused_with_its_reason),
                cmocka_unit_test(every_setting_is_in_the_man_pages),
                cmocka_unit_test(every_variable_of_the_man_page_is_known),
                cmocka_unit_test(parsers_fill_their_field),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
