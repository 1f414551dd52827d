/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * latejob: a job that looks small when it starts and grows late, as a
 * compiler does on a big translation unit (bench/supervise.sh).
 *
 *   latejob MIB RAMP_SECONDS HOLD_SECONDS [ID [DONE_FILE]]
 *
 * Touches 16 MiB and stays there for its first second (a start-time gate
 * sees a small job), then grows to MIB MiB over RAMP_SECONDS in steps of
 * 10 ms, touching every page, holds it for HOLD_SECONDS, creates DONE_FILE
 * if given, and exits 0. ID only makes each argv distinct.
 *
 * Exit 1 when memory or DONE_FILE cannot be had, 2 for bad usage; an OOM
 * kill is a death by SIGKILL without DONE_FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define EARLY_MIB 16.0
#define EARLY_SECONDS 1.0
#define STEP_SECONDS 0.01

static void usage(void)
{
        fputs("usage: latejob MIB RAMP_SECONDS HOLD_SECONDS [ID [DONE_FILE]]\n", stderr);
        exit(2);
}

static double number(const char *s)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || !(v >= 0) || v > 1e7)
                usage();
        return v;
}

static double monotonic(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pause_until(double t)
{
        struct timespec ts = { .tv_sec = (time_t)t };

        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

/* Write one byte in every page of [from, to). */
static void touch(char *mem, size_t from, size_t to, size_t page)
{
        for (size_t off = from; off < to; off += page)
                mem[off] = (char)off;
}

int main(int argc, char **argv)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), total, early, done;
        double mib, ramp, hold, t0, t;
        long steps;
        char *mem;

        if (argc < 4 || argc > 6)
                usage();
        mib = number(argv[1]);
        ramp = number(argv[2]);
        hold = number(argv[3]);
        total = (size_t)(mib * 1048576.0);
        early = (size_t)((mib < EARLY_MIB ? mib : EARLY_MIB) * 1048576.0);

        mem = mmap(NULL, total ? total : page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
                perror("latejob: mmap");
                return 1;
        }
        t0 = monotonic();
        touch(mem, 0, early, page);
        pause_until(t0 + EARLY_SECONDS);

        steps = ramp > 0 ? (long)(ramp / STEP_SECONDS) : 1;
        if (steps < 1)
                steps = 1;
        done = early;
        t = monotonic();
        for (long i = 1; i <= steps; i++) {
                size_t want = early + (size_t)((double)(total - early) * (double)i / (double)steps);
                want = (want + page - 1) / page * page;
                if (want > total)
                        want = total;
                touch(mem, done, want, page);
                done = want > done ? want : done;
                pause_until(t + STEP_SECONDS * (double)i);
        }
        pause_until(monotonic() + hold);

        if (argc == 6) {
                int fd = open(argv[5], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        fprintf(stderr, "latejob: %s: %s\n", argv[5], strerror(errno));
                        return 1;
                }
                close(fd);
        }
        return 0;
}
