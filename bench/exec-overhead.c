/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-exec cost of preloaded libraries, measured side by side.
 *
 *   exec-overhead [-n SPAWNS] [-r ROUNDS] [-p PROGRAM] LABEL=PRELOAD[,VAR=VALUE...] ...
 *
 * Each round posix_spawn()s PROGRAM (default /bin/true) SPAWNS times for each
 * configuration in turn (PRELOAD "" means none), so that all configurations
 * see the same machine noise. Prints the median per-exec wall time and the
 * children's CPU time (RUSAGE_CHILDREN) of each configuration, and the
 * difference to the first and to the second one.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CONFIGS 8
#define MAX_ROUNDS 101
#define MAX_ENV 512

struct config {
        const char *label;
        char *envp[MAX_ENV];
        double wall[MAX_ROUNDS], cpu[MAX_ROUNDS];
};

static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double children_cpu_us(void)
{
        struct rusage ru;
        getrusage(RUSAGE_CHILDREN, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
        double s[MAX_ROUNDS];
        memcpy(s, v, sizeof(double) * (size_t)n);
        qsort(s, (size_t)n, sizeof(double), cmp);
        return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* LABEL=PRELOAD[,VAR=VALUE...]: the environment without LD_PRELOAD, plus these. */
static int parse_config(char *spec, struct config *c)
{
        char *eq = strchr(spec, '='), *item, *save = NULL;
        int n = 0;

        if (!eq)
                return -1;
        *eq = '\0';
        c->label = spec;
        for (char **e = environ; *e && n < MAX_ENV - 16; e++)
                if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "MEMSTOP_", 8) != 0)
                        c->envp[n++] = *e;
        item = strtok_r(eq + 1, ",", &save);
        if (item && strchr(item, '=') == NULL) {
                if (*item) {
                        char *p = malloc(strlen(item) + 12);
                        sprintf(p, "LD_PRELOAD=%s", item);
                        c->envp[n++] = p;
                }
                item = strtok_r(NULL, ",", &save);
        }
        for (; item && n < MAX_ENV - 1; item = strtok_r(NULL, ",", &save))
                c->envp[n++] = item;
        c->envp[n] = NULL;
        return 0;
}

int main(int argc, char **argv)
{
        struct config cfg[MAX_CONFIGS];
        const char *program = "/bin/true";
        int spawns = 300, rounds = 11, opt, nc = 0;

        while ((opt = getopt(argc, argv, "n:r:p:")) != -1) {
                switch (opt) {
                case 'n': spawns = atoi(optarg); break;
                case 'r': rounds = atoi(optarg); break;
                case 'p': program = optarg; break;
                default:
                        fprintf(stderr, "usage: %s [-n SPAWNS] [-r ROUNDS] [-p PROGRAM] LABEL=PRELOAD[,VAR=VAL...]...\n", argv[0]);
                        return 2;
                }
        }
        if (spawns < 1 || rounds < 1 || rounds > MAX_ROUNDS || argc - optind < 1 || argc - optind > MAX_CONFIGS) {
                fprintf(stderr, "%s: need 1..%d configurations, 1..%d rounds\n", argv[0], MAX_CONFIGS, MAX_ROUNDS);
                return 2;
        }
        for (int i = optind; i < argc; i++)
                if (parse_config(argv[i], &cfg[nc++]) < 0) {
                        fprintf(stderr, "%s: bad configuration '%s'\n", argv[0], argv[i]);
                        return 2;
                }

        char *child_argv[] = { (char *)program, NULL };
        for (int r = 0; r < rounds; r++)
                for (int c = 0; c < nc; c++) {
                        double t0 = now_us(), c0 = children_cpu_us();
                        for (int i = 0; i < spawns; i++) {
                                pid_t pid;
                                int st;
                                if (posix_spawn(&pid, program, NULL, NULL, child_argv, cfg[c].envp) != 0) {
                                        perror("posix_spawn");
                                        return 1;
                                }
                                waitpid(pid, &st, 0);
                                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                                        fprintf(stderr, "%s: child failed under %s\n", argv[0], cfg[c].label);
                                        return 1;
                                }
                        }
                        cfg[c].wall[r] = (now_us() - t0) / spawns;
                        cfg[c].cpu[r] = (children_cpu_us() - c0) / spawns;
                }

        printf("%-24s %12s %12s %14s %14s\n", "configuration", "wall/exec", "cpu/exec", "wall vs 2nd", "cpu vs 2nd");
        double w1 = nc > 1 ? median(cfg[1].wall, rounds) : 0, c1 = nc > 1 ? median(cfg[1].cpu, rounds) : 0;
        for (int c = 0; c < nc; c++) {
                double w = median(cfg[c].wall, rounds), u = median(cfg[c].cpu, rounds);
                printf("%-24s %10.1fus %10.1fus %+12.1fus %+12.1fus\n", cfg[c].label, w, u, nc > 1 ? w - w1 : 0,
                       nc > 1 ? u - c1 : 0);
        }
        /* Median of per-round differences: the noise-robust figure. */
        for (int c = 2; c < nc; c++) {
                double dw[MAX_ROUNDS], du[MAX_ROUNDS];
                for (int r = 0; r < rounds; r++) {
                        dw[r] = cfg[c].wall[r] - cfg[1].wall[r];
                        du[r] = cfg[c].cpu[r] - cfg[1].cpu[r];
                }
                printf("%s over %s: median per-round difference %+.1f us wall, %+.1f us cpu per exec\n", cfg[c].label,
                       cfg[1].label, median(dw, rounds), median(du, rounds));
        }
        return 0;
}
