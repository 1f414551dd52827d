/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop: run a command with the memory gate, show what memstop sees, or
 * wait for memory in scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ms-build.h"
#include "util/size.h"

static void usage(FILE *f)
{
        fputs("Usage: memstop [OPTIONS] [--] COMMAND [ARGUMENTS...]\n"
              "       memstop status [--json] [OPTIONS]\n"
              "       memstop wait [OPTIONS]\n"
              "\n"
              "Run COMMAND with memstop.so preloaded: every process it starts waits until\n"
              "enough memory is available (the host's and its memory cgroup's, whichever is\n"
              "smaller). 'status' shows the figures and the verdict; 'wait' blocks until\n"
              "the threshold is met.\n"
              "\n"
              "Options (each overrides the MEMSTOP_* variable named):\n"
              "  -p, --percent=N          N%% of total memory must be available, 0-100 (MEMSTOP_PERCENT; 10)\n"
              "  -m, --min-available=SIZE at least SIZE must be available, e.g. 512M, 2G (MEMSTOP_MIN_AVAILABLE)\n"
              "  -t, --timeout=DURATION   hold at most this long, e.g. 90, 30s, 10m (MEMSTOP_TIMEOUT; no limit)\n"
              "      --on-timeout=ACTION  'run' anyway or 'fail' the process (MEMSTOP_ON_TIMEOUT; run)\n"
              "  -g, --gate=PATTERNS      gate only these programs, e.g. 'cc1*,ld*' (MEMSTOP_GATE; all)\n"
              "  -x, --exempt=PATTERNS    never gate these programs, e.g. 'sh,make' (MEMSTOP_EXEMPT)\n"
              "  -v, --verbose            say when processes are held and released; twice: why (MEMSTOP_VERBOSE)\n"
              "      --log=FILE           log there instead of stderr; a trailing '-' adds the pid (MEMSTOP_LOG)\n"
              "      --sysroot=DIR        read proc/ and sys/ below DIR instead of / (MEMSTOP_SYSROOT)\n"
              "      --no-reserve         no queue, no reservations: the threshold alone (MEMSTOP_RESERVE=0)\n"
              "      --no-learn           neither use nor record the history of peaks (MEMSTOP_LEARN=0)\n"
              "\n"
              "Running a command, memstop stays its parent and supervises the build: it\n"
              "freezes (SIGSTOP) the youngest growing job when memory runs short and resumes\n"
              "it when memory is back, shows a status line on a terminal and a summary at the end.\n"
              "      --exec               exec the command instead: no supervision\n"
              "      --freeze-below=SIZE  freeze jobs when less is available (default: half the\n"
              "                           gate's threshold, at least 64M)\n"
              "      --no-freeze          never freeze jobs; only watch and report\n"
              "      --report=FILE        write the build's report as JSON to FILE\n"
              "      --timeline=FILE      draw memory over time as an SVG image in FILE\n"
              "  -q, --quiet              no status line, no summary; wait: print nothing\n"
              "      --json               status: print JSON\n"
              "  -h, --help               show this help\n"
              "  -V, --version            show the version\n"
              "\n"
              "Sizes: K, M, G, T and KiB... are powers of 1024; KB, MB... of 1000. Durations: ms, s, m, h, d;\n"
              "a bare number is seconds. Use '--' before a command named 'status' or 'wait'.\n"
              "\n"
              "Exit status: the command's; 124 if 'wait' timed out; 125 if memstop failed;\n"
              "126 if COMMAND cannot be run; 127 if it was not found; 2 for bad usage.\n"
              "See memstop(1) and memstop(7).\n",
              f);
}

void cli_error(const char *fmt, ...)
{
        va_list ap;

        fputs("memstop: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void env_error(const char *name, const char *value, const char *reason, void *userdata)
{
        cli_error("invalid %s='%s': %s", name, value, reason);
}

/* The command line's value, else the environment's: both validated by one parser. */
struct overlay {
        const struct cli *cli;
};

static const char *lookup(const char *name, void *userdata)
{
        const struct cli *c = ((struct overlay *)userdata)->cli;
        static char verbose[4];
        const char *v = NULL;

        if (strcmp(name, "MEMSTOP_PERCENT") == 0)
                v = c->percent;
        else if (strcmp(name, "MEMSTOP_MIN_AVAILABLE") == 0)
                v = c->min_available;
        else if (strcmp(name, "MEMSTOP_TIMEOUT") == 0)
                v = c->timeout;
        else if (strcmp(name, "MEMSTOP_ON_TIMEOUT") == 0)
                v = c->on_timeout;
        else if (strcmp(name, "MEMSTOP_LOG") == 0)
                v = c->log;
        else if (strcmp(name, "MEMSTOP_GATE") == 0)
                v = c->gate;
        else if (strcmp(name, "MEMSTOP_EXEMPT") == 0)
                v = c->exempt;
        else if (strcmp(name, "MEMSTOP_SYSROOT") == 0)
                v = c->sysroot;
        else if (strcmp(name, "MEMSTOP_RESERVE") == 0)
                v = c->reserve;
        else if (strcmp(name, "MEMSTOP_LEARN") == 0)
                v = c->learn;
        else if (strcmp(name, "MEMSTOP_VERBOSE") == 0 && c->verbose_flags) {
                snprintf(verbose, sizeof(verbose), "%u", c->verbose_flags > 2 ? 2 : c->verbose_flags);
                v = verbose;
        }
        return v ? v : getenv(name);
}

/* Option values are checked here with the same words as the variables'. */
static int check_option(const char *opt, const char *value, int (*check)(const char *))
{
        if (check(value) == 0)
                return 0;
        cli_error("invalid value '%s' for %s", value, opt);
        return -EINVAL;
}

static int check_percent(const char *s)
{
        unsigned p;
        return ms_percent_parse(s, &p);
}

static int check_size(const char *s)
{
        uint64_t v;
        return ms_size_parse(s, &v);
}

/* A critical level: a size of at least 1 MiB. */
static int check_level(const char *s)
{
        uint64_t v;
        int r = ms_size_parse(s, &v);

        return r < 0 ? r : v < (1u << 20) ? -ERANGE : 0;
}

static int check_duration(const char *s)
{
        uint64_t v;
        return ms_duration_parse(s, &v);
}

static int check_on_timeout(const char *s)
{
        enum ms_timeout_action a;
        return ms_on_timeout_parse(s, &a);
}

static int check_nonempty(const char *s)
{
        return *s ? 0 : -EINVAL;
}

static int check_absolute(const char *s)
{
        return s[0] == '/' ? 0 : -EINVAL;
}

enum {
        OPT_ON_TIMEOUT = 256,
        OPT_LOG,
        OPT_SYSROOT,
        OPT_JSON,
        OPT_NO_RESERVE,
        OPT_NO_LEARN,
        OPT_EXEC,
        OPT_NO_FREEZE,
        OPT_REPORT,
        OPT_TIMELINE,
        OPT_FREEZE_BELOW,
};

static const struct option options[] = {
        { "percent", required_argument, NULL, 'p' },
        { "min-available", required_argument, NULL, 'm' },
        { "timeout", required_argument, NULL, 't' },
        { "on-timeout", required_argument, NULL, OPT_ON_TIMEOUT },
        { "gate", required_argument, NULL, 'g' },
        { "exempt", required_argument, NULL, 'x' },
        { "verbose", no_argument, NULL, 'v' },
        { "log", required_argument, NULL, OPT_LOG },
        { "sysroot", required_argument, NULL, OPT_SYSROOT },
        { "quiet", no_argument, NULL, 'q' },
        { "json", no_argument, NULL, OPT_JSON },
        { "no-reserve", no_argument, NULL, OPT_NO_RESERVE },
        { "no-learn", no_argument, NULL, OPT_NO_LEARN },
        { "exec", no_argument, NULL, OPT_EXEC },
        { "no-freeze", no_argument, NULL, OPT_NO_FREEZE },
        { "report", required_argument, NULL, OPT_REPORT },
        { "timeline", required_argument, NULL, OPT_TIMELINE },
        { "freeze-below", required_argument, NULL, OPT_FREEZE_BELOW },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        {}
};

/* Returns -1 to go on, or an exit status. */
static int parse_options(struct cli *cli, int argc, char **argv)
{
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "+p:m:t:g:x:vqhV", options, NULL)) != -1) {
                switch (c) {
                case 'p':
                        r = check_option("--percent", cli->percent = optarg, check_percent);
                        break;
                case 'm':
                        r = check_option("--min-available", cli->min_available = optarg, check_size);
                        break;
                case 't':
                        r = check_option("--timeout", cli->timeout = optarg, check_duration);
                        break;
                case OPT_ON_TIMEOUT:
                        r = check_option("--on-timeout", cli->on_timeout = optarg, check_on_timeout);
                        break;
                case 'g':
                        r = check_option("--gate", cli->gate = optarg, ms_pattern_list_check);
                        break;
                case 'x':
                        r = check_option("--exempt", cli->exempt = optarg, ms_pattern_list_check);
                        break;
                case 'v':
                        cli->verbose_flags++;
                        break;
                case OPT_LOG:
                        r = check_option("--log", cli->log = optarg, check_nonempty);
                        break;
                case OPT_SYSROOT:
                        r = check_option("--sysroot", cli->sysroot = optarg, check_absolute);
                        break;
                case 'q':
                        cli->quiet = true;
                        break;
                case OPT_JSON:
                        cli->json = true;
                        break;
                case OPT_NO_RESERVE:
                        cli->reserve = "0";
                        break;
                case OPT_NO_LEARN:
                        cli->learn = "0";
                        break;
                case OPT_EXEC:
                        cli->exec = true;
                        break;
                case OPT_NO_FREEZE:
                        cli->no_freeze = true;
                        break;
                case OPT_REPORT:
                        r = check_option("--report", cli->report = optarg, check_nonempty);
                        break;
                case OPT_TIMELINE:
                        r = check_option("--timeline", cli->timeline = optarg, check_nonempty);
                        break;
                case OPT_FREEZE_BELOW:
                        r = check_option("--freeze-below", optarg, check_level);
                        if (r == 0)
                                (void)ms_size_parse(optarg, &cli->freeze_below_bytes);
                        break;
                case 'h':
                        usage(stdout);
                        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
                case 'V':
                        printf("memstop %s\n", MS_VERSION);
                        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
                default:
                        fputs("Try 'memstop --help' for more information.\n", stderr);
                        return EXIT_USAGE;
                }
                if (r < 0)
                        return EXIT_USAGE;
        }
        return -1;
}

int main(int argc, char **argv)
{
        struct cli cli = {};
        struct overlay ov = { .cli = &cli };
        enum { RUN, STATUS, WAIT } mode = RUN;
        int r;

        r = parse_options(&cli, argc, argv);
        if (r >= 0)
                return r;
        if (optind < argc && strcmp(argv[optind - 1], "--") != 0 &&
            (strcmp(argv[optind], "status") == 0 || strcmp(argv[optind], "wait") == 0)) {
                mode = strcmp(argv[optind], "status") == 0 ? STATUS : WAIT;
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
        if (cli.json && mode != STATUS) {
                cli_error("--json goes with 'status'");
                return EXIT_USAGE;
        }
        if (mode != RUN && (cli.exec || cli.no_freeze || cli.report || cli.timeline || cli.freeze_below_bytes)) {
                cli_error("--exec, --no-freeze, --report, --timeline and --freeze-below go with a command");
                return EXIT_USAGE;
        }
        if (cli.exec && (cli.no_freeze || cli.report || cli.timeline || cli.freeze_below_bytes)) {
                cli_error("--exec runs the command without supervision: no --no-freeze, --report, --timeline, --freeze-below");
                return EXIT_USAGE;
        }

        /* Every setting, from options or the environment, is valid or we stop here. */
        ms_config_init(&cli.config);
        if (ms_config_load(&cli.config, lookup, env_error, &ov) > 0)
                return EXIT_USAGE;

        switch (mode) {
        case STATUS:
                return cli_status(&cli);
        case WAIT:
                return cli_wait(&cli);
        default:
                return cli_run(&cli, argv + optind);
        }
}
