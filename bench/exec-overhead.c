/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-exec cost of preloaded libraries, measured side by side.
 *
 *   exec-overhead [-n SPAWNS] [-r ROUNDS] [-p PROGRAM] LABEL=PRELOAD[,VAR=VALUE...] ...
 *
 * Each round posix_spawn()s PROGRAM (default /bin/true) SPAWNS times under
 * every configuration, interleaved spawn by spawn in a shuffled order
 * (PRELOAD "" means none), so that all configurations see the same machine
 * noise and none always comes after the same one. Prints per
 * configuration the median over rounds of the mean per-exec wall time and
 * children's CPU time (RUSAGE_CHILDREN), and each configuration's difference
 * to the second one (the baseline, e.g. an empty preloaded library) as the
 * median of per-round differences.
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

#define MAX_CONFIGS 12
#define MAX_ROUNDS 101
#define MAX_ENV 512

struct config {
        const char *label;
        char *envp[MAX_ENV];
        double wall[MAX_ROUNDS], cpu[MAX_ROUNDS]; /* per round: mean per exec */
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
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

/* order = a permutation of 0..n-1 (Fisher-Yates; xorshift64, seeded fixed:
 * runs are comparable). */
static void shuffle(int *order, int n, unsigned long long *seed)
{
        for (int i = 0; i < n; i++)
                order[i] = i;
        for (int i = n - 1; i > 0; i--) {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                int j = (int)(*seed % (unsigned long long)(i + 1)), t = order[i];
                order[i] = order[j];
                order[j] = t;
        }
}

static double median(const double *v, int n)
{
        double s[MAX_ROUNDS];

        memcpy(s, v, sizeof(double) * (size_t)n);
        qsort(s, (size_t)n, sizeof(double), cmp);
        return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* LABEL=PRELOAD[,VAR=VALUE...]: our environment without LD_PRELOAD and MEMSTOP_*, plus these. */
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
        if (eq[1] != ',' && eq[1] != '\0') {
                item = strtok_r(eq + 1, ",", &save);
                char *p = malloc(strlen(item) + 12);
                if (!p)
                        return -1;
                sprintf(p, "LD_PRELOAD=%s", item);
                c->envp[n++] = p;
        } else {
                item = strtok_r(eq + 1, ",", &save);
                if (item && n < MAX_ENV - 1)
                        c->envp[n++] = item;
        }
        while ((item = strtok_r(NULL, ",", &save)) && n < MAX_ENV - 1)
                c->envp[n++] = item;
        c->envp[n] = NULL;
        return 0;
}

static int spawn_once(const char *program, struct config *c, double *wall, double *cpu)
{
        char *child_argv[] = { (char *)program, NULL };
        double t0 = now_us(), c0 = children_cpu_us();
        pid_t pid;
        int st;

        if (posix_spawn(&pid, program, NULL, NULL, child_argv, c->envp) != 0)
                return -1;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return -1;
        *wall += now_us() - t0;
        *cpu += children_cpu_us() - c0;
        return 0;
}

int main(int argc, char **argv)
{
        static struct config cfg[MAX_CONFIGS];
        const char *program = "/bin/true";
        int spawns = 300, rounds = 11, opt, nc = 0;

        while ((opt = getopt(argc, argv, "n:r:p:")) != -1) {
                switch (opt) {
                case 'n':
                        spawns = atoi(optarg);
                        break;
                case 'r':
                        rounds = atoi(optarg);
                        break;
                case 'p':
                        program = optarg;
                        break;
                default:
                        fprintf(stderr, "usage: %s [-n SPAWNS] [-r ROUNDS] [-p PROGRAM] LABEL=PRELOAD[,VAR=VAL...]...\n",
                                argv[0]);
                        return 2;
                }
        }
        if (spawns < 1 || rounds < 1 || rounds > MAX_ROUNDS || argc - optind < 1 || argc - optind > MAX_CONFIGS) {
                fprintf(stderr, "%s: need 1..%d configurations and 1..%d rounds\n", argv[0], MAX_CONFIGS, MAX_ROUNDS);
                return 2;
        }
        for (int i = optind; i < argc; i++)
                if (parse_config(argv[i], &cfg[nc++]) < 0) {
                        fprintf(stderr, "%s: bad configuration '%s'\n", argv[0], argv[i]);
                        return 2;
                }

        unsigned long long seed = 0x9e3779b97f4a7c15ull;

        for (int r = 0; r < rounds; r++) {
                /* In a new order each time: a spawn right after a heavier one
                 * pays some of its aftermath (measured here, 10-20 us), so no
                 * configuration may always follow the same one. */
                for (int i = 0; i < spawns; i++) {
                        int order[MAX_CONFIGS];
                        shuffle(order, nc, &seed);
                        for (int k = 0; k < nc; k++) {
                                struct config *c = &cfg[order[k]];
                                if (spawn_once(program, c, &c->wall[r], &c->cpu[r]) < 0) {
                                        fprintf(stderr, "%s: %s failed under %s\n", argv[0], program, c->label);
                                        return 1;
                                }
                        }
                }
                for (int c = 0; c < nc; c++) {
                        cfg[c].wall[r] /= spawns;
                        cfg[c].cpu[r] /= spawns;
                }
        }

        printf("%d rounds x %d spawns of %s per configuration, interleaved spawn by spawn, shuffled\n", rounds, spawns, program);
        printf("%-28s %12s %12s\n", "configuration", "wall/exec", "cpu/exec");
        for (int c = 0; c < nc; c++)
                printf("%-28s %10.1fus %10.1fus\n", cfg[c].label, median(cfg[c].wall, rounds), median(cfg[c].cpu, rounds));
        for (int c = 0; c < nc && nc > 1; c++) {
                double dw[MAX_ROUNDS], du[MAX_ROUNDS];
                if (c == 1)
                        continue;
                for (int r = 0; r < rounds; r++) {
                        dw[r] = cfg[c].wall[r] - cfg[1].wall[r];
                        du[r] = cfg[c].cpu[r] - cfg[1].cpu[r];
                }
                printf("%s over %s: %+.1f us wall, %+.1f us cpu per exec\n", cfg[c].label, cfg[1].label,
                       median(dw, rounds), median(du, rounds));
        }
        return 0;
}
