/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop: run a command with the memory gate, show what memstop sees, or
 * wait for memory in scripts. This file turns argv into settings (the
 * options of the settings table, gate/settings.h, and the CLI's own) and
 * calls run, status or wait.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/outfile.h"
#include "ms-build.h"
#include "util/macro.h"
#include "util/size.h"

static const char usage_head[] =
        "Usage: memstop [OPTIONS] [--] COMMAND [ARGUMENTS...]\n"
        "       memstop status [--json] [OPTIONS]\n"
        "       memstop wait [OPTIONS]\n"
        "       memstop history [--json] [--forget PATTERN]\n"
        "\n"
        "Run COMMAND with memstop.so preloaded: every process it starts waits until\n"
        "enough memory is available (the host's and its memory cgroup's, whichever is\n"
        "smaller). 'status' shows the figures and the verdict; 'wait' blocks until\n"
        "the threshold is met. 'history' lists the peaks learned from earlier runs.\n"
        "\n"
        "Options (each overrides the MEMSTOP_* variable named):\n";

static const char usage_tail[] =
        "\n"
        "Running a command, memstop stays its parent and supervises the build: it\n"
        "freezes a growing job (one past its predicted peak first, else the one with\n"
        "most growth ahead, or the youngest; cgroup freezer, else SIGSTOP) when memory\n"
        "runs short (no job more than 3 times) and resumes it once another job has\n"
        "ended and memory is back, shows a status line on a terminal and a summary at\n"
        "the end.\n"
        "      --exec               exec the command instead: no supervision\n"
        "      --freeze-below=SIZE  freeze jobs when less is available (default: half the\n"
        "                           gate's threshold, at least 64M)\n"
        "      --no-freeze          never freeze jobs; only watch and report\n"
        "      --report=FILE        write the build's report as JSON to FILE\n"
        "      --timeline=FILE      draw memory and jobs over time as an SVG image in FILE\n"
        "      --trace=FILE         write the jobs as a Chrome trace (Perfetto, chrome://tracing)\n"
        "                           Report files: '-' is standard output\n"
        "  -q, --quiet              no status line, no summary; wait: print nothing\n"
        "      --json               status, history: print JSON\n"
        "      --forget=PATTERN     history: forget the programs matching PATTERN (a glob),\n"
        "                           or the job whose hash it is\n"
        "  -h, --help               show this help\n"
        "  -V, --version            show the version\n"
        "\n"
        "Sizes: K, M, G, T and KiB... are powers of 1024; KB, MB... of 1000. Durations: ms, s, m, h, d;\n"
        "a bare number is seconds. Use '--' before a command named 'status', 'wait' or 'history'.\n"
        "\n"
        "Exit status: the command's; 1 if memstop could not read the figures (status,\n"
        "wait) or the history; 2 for bad usage; 124 if 'wait' timed out; 125 if memstop\n"
        "failed (or a report could not be written after a build that succeeded); 126 if\n"
        "COMMAND cannot be run; 127 if it was not found.\n"
        "See memstop(1) and memstop(7).\n";

/* One line of --help per setting with an option, from the settings table. */
static void usage_setting(FILE *f, const struct ms_setting_doc *d)
{
        char opt[64];

        if (d->kind == MS_OPTION_NONE)
                return;
        snprintf(opt, sizeof(opt), "%s%s%s", d->option, d->arg ? "=" : "", d->arg ? d->arg : "");
        if (d->short_option)
                fprintf(f, "  -%c, ", d->short_option);
        else
                fputs("      ", f);
        fprintf(f, "--%-19s%s (%s%s%s%s)\n", opt, d->help, d->env, d->kind == MS_OPTION_OFF ? "=0" : "",
                d->shown_default ? "; " : "", d->shown_default ? d->shown_default : "");
}

static void usage(FILE *f)
{
        fputs(usage_head, f);
        for (unsigned i = 0; i < MS_SETTING_COUNT; i++)
                usage_setting(f, &ms_setting_docs[i]);
        fputs(usage_tail, f);
}

static void env_error(const char *name, const char *value, const char *reason, void *userdata)
{
        cli_error("invalid %s='%s': %s", name, value, reason);
}

/* The command line's value, else the environment's: both checked by one parser. */
static const char *lookup(const char *name, void *userdata)
{
        const struct cli *cli = userdata;
        int i = ms_setting_find(name);
        const char *v = i >= 0 ? cli->setting[i] : NULL;

        return v ? v : getenv(name);
}

/* The CLI's own options, beside the settings' (OPT_SETTING + id). */
enum {
        OPT_JSON = 256,
        OPT_EXEC,
        OPT_NO_FREEZE,
        OPT_REPORT,
        OPT_TIMELINE,
        OPT_TRACE,
        OPT_FREEZE_BELOW,
        OPT_FORGET,
        OPT_SETTING,
};

static const struct option own_options[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "json", no_argument, NULL, OPT_JSON },
        { "exec", no_argument, NULL, OPT_EXEC },
        { "no-freeze", no_argument, NULL, OPT_NO_FREEZE },
        { "report", required_argument, NULL, OPT_REPORT },
        { "timeline", required_argument, NULL, OPT_TIMELINE },
        { "trace", required_argument, NULL, OPT_TRACE },
        { "freeze-below", required_argument, NULL, OPT_FREEZE_BELOW },
        { "forget", required_argument, NULL, OPT_FORGET },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
};

struct optspec {
        struct option longopts[MS_SETTING_COUNT + MS_ARRAY_SIZE(own_options) + 1];
        char shortopts[2 * MS_SETTING_COUNT + 8];
};

/* getopt's tables: the settings' options, then the CLI's own. */
static void optspec_init(struct optspec *o)
{
        size_t n = 0, s = 0;

        o->shortopts[s++] = '+';
        for (unsigned i = 0; i < MS_SETTING_COUNT; i++) {
                const struct ms_setting_doc *d = &ms_setting_docs[i];
                bool arg = d->kind == MS_OPTION_VALUE;
                if (d->kind == MS_OPTION_NONE)
                        continue;
                o->longopts[n++] = (struct option){ d->option, arg ? required_argument : no_argument, NULL,
                                                    d->short_option ? d->short_option : OPT_SETTING + (int)i };
                if (d->short_option) {
                        o->shortopts[s++] = d->short_option;
                        if (arg)
                                o->shortopts[s++] = ':';
                }
        }
        for (size_t i = 0; i < MS_ARRAY_SIZE(own_options); i++)
                o->longopts[n++] = own_options[i];
        o->longopts[n] = (struct option){};
        memcpy(o->shortopts + s, "qhV", 4);
}

/* The setting an option character stands for, or -1. */
static int setting_of(int c)
{
        if (c >= OPT_SETTING && c < OPT_SETTING + (int)MS_SETTING_COUNT)
                return c - OPT_SETTING;
        for (unsigned i = 0; c > 0 && c < 256 && i < MS_SETTING_COUNT; i++)
                if (ms_setting_docs[i].short_option == c)
                        return (int)i;
        return -1;
}

/* A setting's option: its value checked by the setting's parser, kept for export. */
static int take_setting(struct cli *cli, enum ms_setting_id id, const char *arg)
{
        const struct ms_setting_doc *d = &ms_setting_docs[id];
        const char *reason = NULL;
        struct ms_config scratch;

        switch (d->kind) {
        case MS_OPTION_OFF:
                cli->setting[id] = "0";
                return 0;
        case MS_OPTION_COUNT:
                cli->verbose_flags++;
                snprintf(cli->verbose, sizeof(cli->verbose), "%u", cli->verbose_flags > 2 ? 2 : cli->verbose_flags);
                cli->setting[id] = cli->verbose;
                return 0;
        default:
                ms_config_init(&scratch);
                if (ms_setting_parse(id, arg, &scratch, &reason) < 0) {
                        cli_error("invalid value '%s' for --%s: %s", arg, d->option, reason);
                        return -EINVAL;
                }
                cli->setting[id] = arg;
                return 0;
        }
}

/* A critical level: a size of at least 1 MiB. */
static int take_level(struct cli *cli, const char *arg)
{
        uint64_t v;

        if (ms_size_parse(arg, &v) < 0) {
                cli_error("invalid value '%s' for --freeze-below: not a size such as 512M, 2G or 1.5GiB", arg);
                return -EINVAL;
        }
        if (v < (1u << 20)) {
                cli_error("invalid value '%s' for --freeze-below: less than the minimum, 1M", arg);
                return -EINVAL;
        }
        cli->freeze_below_bytes = v;
        return 0;
}

static int take_file(const char **where, const char *opt, const char *arg)
{
        *where = arg;
        if (*arg)
                return 0;
        cli_error("invalid value '' for %s: empty file name ('-' is standard output)", opt);
        return -EINVAL;
}

/* The CLI's own flags, by option character; NULL for the others. */
static bool *flag_of(struct cli *cli, int c)
{
        switch (c) {
        case 'q':
                return &cli->quiet;
        case OPT_JSON:
                return &cli->json;
        case OPT_EXEC:
                return &cli->exec;
        case OPT_NO_FREEZE:
                return &cli->no_freeze;
        default:
                return NULL;
        }
}

/* One of the CLI's own options. Returns 0, -EINVAL, or an exit status + 1 to stop with. */
static int take_own(struct cli *cli, int c, const char *arg)
{
        bool *flag = flag_of(cli, c);

        if (flag) {
                *flag = true;
                return 0;
        }
        switch (c) {
        case OPT_REPORT:
                return take_file(&cli->report, "--report", arg);
        case OPT_TIMELINE:
                return take_file(&cli->timeline, "--timeline", arg);
        case OPT_TRACE:
                return take_file(&cli->trace, "--trace", arg);
        case OPT_FREEZE_BELOW:
                return take_level(cli, arg);
        case OPT_FORGET:
                return take_file(&cli->forget, "--forget", arg);
        case 'h':
                usage(stdout);
                return 1 + (fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_);
        case 'V':
                printf("memstop %s\n", MS_VERSION);
                return 1 + (fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_);
        default:
                fputs("Try 'memstop --help' for more information.\n", stderr);
                return 1 + EXIT_USAGE;
        }
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(struct cli *cli, int argc, char **argv)
{
        struct optspec o;
        int c, id, r;

        optspec_init(&o);
        while ((c = getopt_long(argc, argv, o.shortopts, o.longopts, NULL)) != -1) {
                id = setting_of(c);
                r = id >= 0 ? take_setting(cli, (enum ms_setting_id)id, optarg) : take_own(cli, c, optarg);
                if (r < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        return r - 1;
        }
        return -1;
}

enum mode { RUN, STATUS, WAIT, HISTORY };

static const char *const mode_name[] = { [RUN] = "a command", [STATUS] = "'status'", [WAIT] = "'wait'",
                                         [HISTORY] = "'history'" };

/* Whether a setting means anything to the mode: status and wait take the
 * threshold and the root; wait its timeout too. */
static bool setting_applies(enum mode mode, enum ms_setting_id id)
{
        switch (id) {
        case MS_SETTING_PERCENT:
        case MS_SETTING_MIN_AVAILABLE:
        case MS_SETTING_SYSROOT:
                return mode != HISTORY;
        case MS_SETTING_TIMEOUT:
        case MS_SETTING_ON_TIMEOUT:
                return mode != STATUS;
        default:
                return mode == RUN;
        }
}

/* The settings given as options that the mode does not take. Returns 0 or
 * EXIT_USAGE (reported). */
static int check_settings(const struct cli *cli, enum mode mode)
{
        for (unsigned i = 0; i < MS_SETTING_COUNT; i++) {
                const struct ms_setting_doc *d = &ms_setting_docs[i];
                if (!cli->setting[i] || setting_applies(mode, (enum ms_setting_id)i))
                        continue;
                cli_error("--%s does not apply to %s", d->option, mode_name[mode]);
                return EXIT_USAGE;
        }
        return 0;
}

/* Options that only make sense together. Returns 0 or EXIT_USAGE (reported). */
static int check_combination(const struct cli *cli, enum mode mode)
{
        bool supervising = cli->no_freeze || cli->report || cli->timeline || cli->trace || cli->freeze_below_bytes;

        if (cli->json && mode != STATUS && mode != HISTORY) {
                cli_error("--json goes with 'status' or 'history'");
                return EXIT_USAGE;
        }
        if (cli->forget && mode != HISTORY) {
                cli_error("--forget goes with 'history'");
                return EXIT_USAGE;
        }
        if (cli->quiet && (mode == STATUS || mode == HISTORY)) {
                cli_error("--quiet does not apply to %s: it only prints", mode_name[mode]);
                return EXIT_USAGE;
        }
        if (mode != RUN && (cli->exec || supervising)) {
                cli_error("--exec, --no-freeze, --report, --timeline, --trace and --freeze-below go with a command");
                return EXIT_USAGE;
        }
        if (cli->exec && supervising) {
                cli_error("--exec runs the command without supervision: no --no-freeze, --report, --timeline, "
                          "--trace, --freeze-below");
                return EXIT_USAGE;
        }
        return check_settings(cli, mode);
}

/* The report files, checked before anything starts. Returns 0 or EXIT_USAGE. */
static int check_outputs(const struct cli *cli)
{
        const char *const files[][2] = { { "--report", cli->report }, { "--timeline", cli->timeline },
                                         { "--trace", cli->trace } };

        for (size_t i = 0; i < MS_ARRAY_SIZE(files); i++) {
                int r = files[i][1] ? cli_out_check(files[i][1]) : 0;
                if (r < 0) {
                        cli_error("cannot write %s %s: %s", files[i][0], files[i][1], strerror(-r));
                        return EXIT_USAGE;
                }
        }
        return 0;
}

/* Whether word names a subcommand, and which. */
static bool subcommand(const char *word, enum mode *mode)
{
        for (enum mode m = STATUS; m <= HISTORY; m++)
                if (strncmp(mode_name[m] + 1, word, strlen(word)) == 0 && mode_name[m][strlen(word) + 1] == '\'') {
                        *mode = m;
                        return true;
                }
        return false;
}

int main(int argc, char **argv)
{
        struct cli cli = { .log_fd = STDERR_FILENO };
        enum mode mode = RUN;
        int r;

        r = parse_options(&cli, argc, argv);
        if (r >= 0)
                return r;
        if (optind < argc && strcmp(argv[optind - 1], "--") != 0 && subcommand(argv[optind], &mode)) {
                /* Options may follow the subcommand too. */
                argc -= optind;
                argv += optind;
                optind = 1;
                r = parse_options(&cli, argc, argv);
                if (r >= 0)
                        return r;
                if (optind < argc) {
                        cli_error("'%s' takes no arguments: '%s'", argv[0], argv[optind]);
                        return EXIT_USAGE;
                }
        } else if (optind >= argc) {
                cli_error("no command given");
                fputs("Try 'memstop --help' for more information.\n", stderr);
                return EXIT_USAGE;
        }
        if (mode == RUN && !argv[optind][0]) {
                cli_error("empty command");
                return EXIT_USAGE;
        }
        if (check_combination(&cli, mode) != 0 || check_outputs(&cli) != 0)
                return EXIT_USAGE;

        /* Every setting, from options or the environment, is valid or we stop here. */
        ms_config_init(&cli.config);
        if (ms_config_load(&cli.config, lookup, env_error, &cli) > 0)
                return EXIT_USAGE;

        switch (mode) {
        case STATUS:
                return cli_status(&cli);
        case WAIT:
                return cli_wait(&cli);
        case HISTORY:
                return cli_history(&cli);
        default:
                return cli_run(&cli, argv + optind);
        }
}
