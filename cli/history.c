/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `memstop history`: what the history of peaks has learned, a job a line
 * (or --json); --forget PATTERN removes the records of the programs the
 * glob matches (or of the job whose hash it is), under the history's
 * exclusive lock (history.h), so that no append is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "gate/history-list.h"
#include "gate/history.h"
#include "util/json.h"
#include "util/macro.h"
#include "util/size.h"
#include "cli/cli.h"
#include "cli/outfile.h"

static void print_text(const struct ms_history_entry *e, size_t n)
{
        char peak[MS_SIZE_BUF], largest[MS_SIZE_BUF], dur[MS_DURATION_BUF], when[32];

        if (n == 0) {
                printf("nothing learned yet\n");
                return;
        }
        printf("%-20s %-16s %8s %8s %9s %5s  %s\n", "PROGRAM", "JOB", "PEAK", "LARGEST", "DURATION", "RUNS",
               "LAST");
        for (size_t i = 0; i < n; i++) {
                time_t t = (time_t)e[i].when;
                struct tm tm;
                if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
                        snprintf(when, sizeof(when), "?");
                printf("%-20s %016" PRIx64 " %8s %8s %9s %5u  %s\n", e[i].program, e[i].job_hash,
                       ms_size_format(e[i].peak, peak, sizeof(peak)),
                       ms_size_format(e[i].largest, largest, sizeof(largest)),
                       e[i].duration_ms ? ms_duration_format((uint64_t)e[i].duration_ms * 1000, dur, sizeof(dur))
                                        : "?",
                       e[i].runs, when);
        }
}

static int print_json(const struct ms_history_entry *e, size_t n)
{
        struct ms_json j;
        char hex[17];

        ms_json_init(&j, stdout, 1);
        ms_json_array_begin(&j, NULL);
        for (size_t i = 0; i < n; i++) {
                snprintf(hex, sizeof(hex), "%016" PRIx64, e[i].job_hash);
                ms_json_object_begin(&j, NULL);
                ms_json_string(&j, "program", e[i].program);
                ms_json_string(&j, "job", hex);
                ms_json_uint(&j, "peak_bytes", e[i].peak);
                ms_json_uint(&j, "largest_bytes", e[i].largest);
                if (e[i].duration_ms)
                        ms_json_double(&j, "duration_seconds", e[i].duration_ms / 1e3, 3);
                else
                        ms_json_null(&j, "duration_seconds");
                ms_json_uint(&j, "runs", e[i].runs);
                ms_json_uint(&j, "last_unix_time", e[i].when);
                ms_json_object_end(&j);
        }
        ms_json_array_end(&j);
        return ms_json_end(&j);
}

struct text {
        const char *s;
        size_t len;
};

static int write_text(const void *ctx, FILE *f)
{
        const struct text *t = ctx;

        return fwrite(t->s, 1, t->len, f) == t->len ? 0 : -EIO;
}

/* Under the exclusive lock: read, filter, replace. Returns 0 or -errno. */
static int forget(const char *dir, const char *pattern, unsigned *removed)
{
        _cleanup_free_ char *text = NULL, *kept = NULL;
        _cleanup_close_ int lockfd = -1;
        char path[PATH_MAX + 16];
        struct text t;
        size_t len;
        int r;

        *removed = 0;
        snprintf(path, sizeof(path), "%s/peaks.lock", dir);
        lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (lockfd < 0)
                return errno == ENOENT ? 0 : -errno; /* no directory: nothing learned */
        while ((r = flock(lockfd, LOCK_EX)) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return -errno;
        r = ms_history_read(dir, &text, &len);
        if (r < 0)
                return r;
        r = ms_history_without(text, len, pattern, &kept, &t.len, removed);
        if (r < 0 || *removed == 0)
                return r;
        t.s = kept;
        snprintf(path, sizeof(path), "%s/peaks", dir);
        return cli_out_write_mode(path, 0600, write_text, &t);
}

int cli_history(struct cli *cli)
{
        _cleanup_free_ struct ms_history_entry *e = NULL;
        _cleanup_free_ char *text = NULL;
        char dir[PATH_MAX];
        unsigned removed;
        size_t len, n;
        int r;

        if (ms_history_dir(getenv("XDG_CACHE_HOME"), getenv("HOME"), dir, sizeof(dir)) < 0) {
                cli_error("no history: neither XDG_CACHE_HOME nor HOME is set");
                return EXIT_FAILURE_;
        }
        if (cli->forget) {
                r = forget(dir, cli->forget, &removed);
                if (r < 0) {
                        cli_error("cannot rewrite the history in %s: %s", dir, strerror(-r));
                        return EXIT_FAILURE_;
                }
                printf("forgot %u record%s matching '%s'\n", removed, removed == 1 ? "" : "s", cli->forget);
                return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
        }
        r = ms_history_read(dir, &text, &len);
        if (r == 0)
                r = ms_history_entries(text, len, &e, &n);
        if (r < 0) {
                cli_error("cannot read the history in %s: %s", dir, strerror(-r));
                return EXIT_FAILURE_;
        }
        if (cli->json)
                (void)print_json(e, n);
        else
                print_text(e, n);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
}
