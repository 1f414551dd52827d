/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hog: a memory hog and stand-in job for the integration tests.
 *
 *   hog SIZE [--ramp SECONDS] [--hold SECONDS|forever] [--ready FILE]
 *
 * Grows its heap to SIZE (bytes, or with a K, M or G suffix: powers of 1024)
 * over the ramp time, writing to every page so that all of it is resident
 * and charged, creates FILE once it has all its memory, holds it for the
 * given time (forever: until SIGTERM or SIGINT), and exits 0. Exit 1 when
 * memory cannot be had, 2 for bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1024u * 1024u)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        stop = 1;
}

static void usage(void)
{
        fputs("usage: hog SIZE [--ramp SECONDS] [--hold SECONDS|forever] [--ready FILE]\n", stderr);
        exit(2);
}

static bool parse_size(const char *s, uint64_t *out)
{
        char *end;
        uint64_t v, mult = 1;

        if (*s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return false;
        switch (*end) {
        case '\0':
                break;
        case 'k': case 'K':
                mult = 1024;
                end++;
                break;
        case 'm': case 'M':
                mult = 1024 * 1024;
                end++;
                break;
        case 'g': case 'G':
                mult = 1024 * 1024 * 1024;
                end++;
                break;
        default:
                return false;
        }
        if (*end || v > UINT64_MAX / mult)
                return false;
        *out = v * mult;
        return true;
}

static bool parse_seconds(const char *s, double *out)
{
        char *end;

        errno = 0;
        *out = strtod(s, &end);
        return !errno && end != s && !*end && *out >= 0;
}

static void sleep_seconds(double sec)
{
        struct timespec ts = { .tv_sec = (time_t)sec, .tv_nsec = (long)((sec - (double)(time_t)sec) * 1e9) };

        /* A signal cuts the sleep short; the caller looks at stop. */
        nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
        struct sigaction sa = { .sa_handler = on_signal };
        const char *ready = NULL;
        double ramp = 0, hold = 0;
        bool forever = false;
        uint64_t size, done = 0;
        long page = sysconf(_SC_PAGESIZE);

        if (argc < 2 || !parse_size(argv[1], &size))
                usage();
        for (int i = 2; i < argc; i++) {
                if (i + 1 >= argc)
                        usage();
                if (strcmp(argv[i], "--ramp") == 0) {
                        if (!parse_seconds(argv[++i], &ramp))
                                usage();
                } else if (strcmp(argv[i], "--hold") == 0) {
                        if (strcmp(argv[++i], "forever") == 0)
                                forever = true;
                        else if (!parse_seconds(argv[i], &hold))
                                usage();
                } else if (strcmp(argv[i], "--ready") == 0) {
                        ready = argv[++i];
                } else {
                        usage();
                }
        }
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        /* Chunks are never freed: the kernel takes them back at exit. */
        uint64_t chunks = (size + CHUNK - 1) / CHUNK;
        for (uint64_t i = 0; i < chunks && !stop; i++) {
                size_t n = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
                char *p = malloc(n);
                if (!p) {
                        fprintf(stderr, "hog: cannot allocate after %llu bytes\n", (unsigned long long)done);
                        return 1;
                }
                for (size_t off = 0; off < n; off += (size_t)page)
                        p[off] = (char)(1 + (off / (size_t)page) % 255);
                p[n - 1] = 1;
                done += n;
                if (ramp > 0)
                        sleep_seconds(ramp / (double)chunks);
        }
        if (stop)
                return 0;
        if (ready) {
                int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        fprintf(stderr, "hog: cannot create %s: %s\n", ready, strerror(errno));
                        return 1;
                }
                close(fd);
        }
        if (forever) {
                sigset_t block, old;
                /* Blocked between the test and the wait: a SIGTERM cannot slip in unseen. */
                sigemptyset(&block);
                sigaddset(&block, SIGTERM);
                sigaddset(&block, SIGINT);
                sigprocmask(SIG_BLOCK, &block, &old);
                while (!stop)
                        sigsuspend(&old);
        } else if (hold > 0) {
                struct timespec start, now;
                clock_gettime(CLOCK_MONOTONIC, &start);
                for (;;) {
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        double left = hold - ((double)(now.tv_sec - start.tv_sec) +
                                              (double)(now.tv_nsec - start.tv_nsec) / 1e9);
                        if (stop || left <= 0)
                                break;
                        sleep_seconds(left);
                }
        }
        return 0;
}
