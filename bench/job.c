/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * job: the stand-in for a compiler or linker in the admission benchmark
 * (bench/admission.sh, see bench/README.md).
 *
 *   job MIB RAMP_SECONDS HOLD_SECONDS [ID [DONE_FILE]]
 *
 * Grows its heap to MIB MiB over RAMP_SECONDS, in steps of about 10 ms,
 * writing to every page of each step as it goes so that the resident set
 * (and the memory cgroup's charge) grows smoothly; holds it all for
 * HOLD_SECONDS; creates DONE_FILE if given (so that a Makefile recipe needs
 * no shell to record success); exits 0. ID is ignored: it only makes each
 * target's argv distinct, as with real compilations.
 *
 * With BENCH_EXTRA_HOLD=SECONDS it holds that much longer, and with
 * BENCH_RAMP_SCALE=F its ramp takes F times as long (a job that outlives,
 * or outgrows, what was learned of it: the environment is not part of a
 * job's key). With BENCH_TRACE set to a file name, appends one line
 * "ID MIB START END HALF" (CLOCK_MONOTONIC seconds at main(), at exit, and
 * when half of MIB had been touched) to that file, for timelines of a run.
 *
 * Exit 1 when memory cannot be had or DONE_FILE cannot be created, 2 for bad
 * usage. An OOM kill shows up as death by SIGKILL, and no DONE_FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define STEP_NS 10000000L /* 10 ms between steps of the ramp */

static void usage(void)
{
        fputs("usage: job MIB RAMP_SECONDS HOLD_SECONDS [ID [DONE_FILE]]\n", stderr);
        exit(2);
}

static double parse_num(const char *s, double max)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || !(v >= 0) || v > max)
                usage();
        return v;
}

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
        struct timespec ts;

        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

static void trace(const char *id, double mib, double t0, double half)
{
        const char *path = getenv("BENCH_TRACE");
        char line[128];
        int fd, n;

        if (!path || !*path)
                return;
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        n = snprintf(line, sizeof(line), "%.32s %.0f %.3f %.3f %.3f\n", id, mib, t0, now(), half);
        if (n > 0 && (size_t)n < sizeof(line))
                (void)!write(fd, line, (size_t)n);
        close(fd);
}

int main(int argc, char **argv)
{
        double mib, ramp, hold, start, t0, half = 0;
        size_t size, page, done = 0;
        long steps, i;
        char *mem;

        if (argc < 4 || argc > 6)
                usage();
        t0 = now();
        mib = parse_num(argv[1], 1024.0 * 1024.0);
        ramp = parse_num(argv[2], 86400.0);
        hold = parse_num(argv[3], 86400.0 * 365);

        if (getenv("BENCH_RAMP_SCALE"))
                ramp *= parse_num(getenv("BENCH_RAMP_SCALE"), 1000.0);
        page = (size_t)sysconf(_SC_PAGESIZE);
        size = (size_t)(mib * 1024.0 * 1024.0);
        size = (size + page - 1) / page * page;

        /* One mapping reserved up front (not yet charged: only touched pages
         * are), filled page by page: the heap of a compiler, without malloc's
         * own decisions in the way. */
        mem = NULL;
        if (size) {
                mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (mem == MAP_FAILED) {
                        fprintf(stderr, "job: cannot map %zu bytes: %s\n", size, strerror(errno));
                        return 1;
                }
        }

        steps = (long)(ramp * 1e9 / STEP_NS);
        if (steps < 1)
                steps = 1;
        start = now();
        for (i = 1; i <= steps; i++) {
                size_t upto = (size_t)((double)size * (double)i / (double)steps) / page * page;

                if (i == steps)
                        upto = size;
                for (; done < upto; done += page)
                        mem[done] = (char)(done / page + 1);
                if (half == 0 && done >= size / 2)
                        half = now();
                if (i < steps)
                        sleep_until(start + ramp * (double)i / (double)steps);
        }
        if (getenv("BENCH_EXTRA_HOLD"))
                hold += parse_num(getenv("BENCH_EXTRA_HOLD"), 86400.0);
        sleep_until(start + ramp + hold);

        if (argc == 6) {
                int fd = open(argv[5], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (fd < 0) {
                        fprintf(stderr, "job: cannot create %s: %s\n", argv[5], strerror(errno));
                        return 1;
                }
                close(fd);
        }
        trace(argc > 4 ? argv[4] : "-", mib, t0, half ? half : now());
        return 0;
}
