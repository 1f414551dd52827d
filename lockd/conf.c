/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lockd/conf.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"
#include "util/size.h"

const char lockd_default_programs[] =
        "make, gmake, ninja, gcc, gcc-[0-9]*, g++, g++-[0-9]*, cc, c++, cpp, cpp-[0-9]*, "
        "*-linux-gnu-gcc-[0-9]*, *-linux-gnu-g++-[0-9]*, cc1, cc1plus, lto1, collect2, lto-wrapper, "
        "as, *-linux-gnu-as, ld, ld.bfd, ld.gold, *-linux-gnu-ld, *-linux-gnu-ld.bfd, *-linux-gnu-ld.gold, "
        "ld.lld, ld.lld-[0-9]*, lld, lld-[0-9]*, mold, ld.mold, clang, clang-[0-9]*, clang++, clang++-[0-9]*, "
        "rustc, sh, dash, bash";

#define DEFAULT_ALLOWED "/usr, /bin, /sbin, /lib, /lib32, /lib64, /libx32, /opt"
#define DEFAULT_SEARCH_PATH "/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin"
#define DEFAULT_COMPILER_DIRS "/usr/lib/gcc/*/*, /usr/libexec/gcc/*/*, /usr/local/libexec/gcc/*/*"

#define MIN_SCAN_USEC 10000ull
#define CONF_MAX ((1u << 20) - 2) /* as ever: a file of 1 MiB - 1 bytes or more is refused */
#define MAX_REPORT_PROCESSES 100u
#define MAX_FILES_LIMIT 65536u

enum key_id {
        K_PROGRAMS,
        K_ALLOWED_PATHS,
        K_SEARCH_PATH,
        K_COMPILER_DIRS,
        K_MAX_LOCKED,
        K_MAX_LOCKED_PERCENT,
        K_MIN_LOCKED,
        K_MAX_FILE_SIZE,
        K_MAX_FILES,
        K_MAX_USER_SHARE,
        K_LOCK_MODE,
        K_PROACTIVE,
        K_SCAN_INTERVAL,
        K_RELEASE_AFTER,
        K_PRESSURE_TRIGGER,
        K_REPORT_INTERVAL,
        K_REPORT_PROCESSES,
        K_REPORT_COMMAND,
        K_REPORT_TIMEOUT,
        K_USER,
        K_LOG,
        K_VERBOSE,
        K_COUNT,
};

static const char *const key_names[K_COUNT] = {
        [K_PROGRAMS] = "programs",
        [K_ALLOWED_PATHS] = "allowed_paths",
        [K_SEARCH_PATH] = "search_path",
        [K_COMPILER_DIRS] = "compiler_dirs",
        [K_MAX_LOCKED] = "max_locked",
        [K_MAX_LOCKED_PERCENT] = "max_locked_percent",
        [K_MIN_LOCKED] = "min_locked",
        [K_MAX_FILE_SIZE] = "max_file_size",
        [K_MAX_FILES] = "max_files",
        [K_MAX_USER_SHARE] = "max_user_share",
        [K_LOCK_MODE] = "lock_mode",
        [K_PROACTIVE] = "proactive",
        [K_SCAN_INTERVAL] = "scan_interval",
        [K_RELEASE_AFTER] = "release_after",
        [K_PRESSURE_TRIGGER] = "pressure_trigger",
        [K_REPORT_INTERVAL] = "report_interval",
        [K_REPORT_PROCESSES] = "report_processes",
        [K_REPORT_COMMAND] = "report_command",
        [K_REPORT_TIMEOUT] = "report_timeout",
        [K_USER] = "user",
        [K_LOG] = "log",
        [K_VERBOSE] = "verbose",
};

static int key_lookup(const char *key)
{
        for (int i = 0; i < K_COUNT; i++)
                if (strcmp(key_names[i], key) == 0)
                        return i;
        return -1;
}

int lockd_conf_init(struct lockd_conf *c)
{
        const char *bad;

        *c = (struct lockd_conf){
                .max_locked = 1ull << 30,
                .max_locked_percent = 5,
                .min_locked = 64ull << 20,
                .max_file_size = 256ull << 20,
                .max_files = 2048,
                .max_user_share = 50,
                .lock_mode = LOCKD_LOCK_WORKINGSET,
                .proactive = true,
                .scan_interval_usec = 1000000,
                .release_after_usec = 24ull * 3600 * 1000000,
                .psi_kind = LOCKD_PSI_SOME,
                .psi_threshold_usec = 150000,
                .psi_window_usec = 2000000,
                .report_interval_usec = 60ull * 1000000,
                .report_processes = 10,
                .report_timeout_usec = 10ull * 1000000,
        };
        if (lockd_patterns_parse(lockd_default_programs, false, &c->programs, &bad) < 0 ||
            lockd_prefixes_parse(DEFAULT_ALLOWED, true, &c->allowed_paths, &bad) < 0 ||
            lockd_prefixes_parse(DEFAULT_SEARCH_PATH, true, &c->search_path, &bad) < 0 ||
            lockd_prefixes_parse(DEFAULT_COMPILER_DIRS, true, &c->compiler_dirs, &bad) < 0) {
                lockd_conf_free(c);
                return -ENOMEM;
        }
        return 0;
}

void lockd_conf_free(struct lockd_conf *c)
{
        lockd_list_free(&c->programs);
        lockd_list_free(&c->allowed_paths);
        lockd_list_free(&c->search_path);
        lockd_list_free(&c->compiler_dirs);
        free(c->report_command);
        free(c->user);
        free(c->log);
        c->report_command = c->user = c->log = NULL;
}

static int parse_uint(const char *v, unsigned max, unsigned *out)
{
        uint64_t n;

        if (ms_parse_u64(v, &n) < 0 || n > max)
                return -EINVAL;
        *out = (unsigned)n;
        return 0;
}

/* "off" or "some|full THRESHOLD WINDOW" with durations. */
static int parse_trigger(const char *v, struct lockd_conf *c, const char **reason)
{
        char kind[8], th[32], win[32], extra[2];
        uint64_t t, w;
        int n;

        if (strcmp(v, "off") == 0) {
                c->psi_kind = LOCKD_PSI_OFF;
                return 0;
        }
        *reason = "expected \"off\" or \"some|full THRESHOLD WINDOW\", e.g. \"some 150ms 2s\"";
        n = sscanf(v, "%7s %31s %31s %1s", kind, th, win, extra);
        if (n != 3)
                return -EINVAL;
        if (strcmp(kind, "some") != 0 && strcmp(kind, "full") != 0)
                return -EINVAL;
        if (ms_duration_parse(th, &t) < 0 || ms_duration_parse(win, &w) < 0)
                return -EINVAL;
        if (w < 500000 || w > 10000000) {
                *reason = "the window must be between 500ms and 10s (the kernel's limits)";
                return -EINVAL;
        }
        if (t == 0 || t > w) {
                *reason = "the threshold must be above 0 and not longer than the window";
                return -EINVAL;
        }
        c->psi_kind = kind[0] == 's' ? LOCKD_PSI_SOME : LOCKD_PSI_FULL;
        c->psi_threshold_usec = t;
        c->psi_window_usec = w;
        return 0;
}

static int set_string(char **dst, const char *v)
{
        char *s = NULL;

        if (*v) {
                s = strdup(v);
                if (!s)
                        return -ENOMEM;
        }
        free(*dst);
        *dst = s;
        return 0;
}

static int set_list(struct lockd_list *dst, const char *v, bool prefixes, bool allow_empty, const char **reason)
{
        struct lockd_list l;
        int r;

        r = prefixes ? lockd_prefixes_parse(v, allow_empty, &l, reason) : lockd_patterns_parse(v, allow_empty, &l, reason);
        if (r < 0)
                return r;
        lockd_list_free(dst);
        *dst = l;
        return 0;
}

static int set_size(struct lockd_conf *c, int id, const char *v, const char **reason)
{
        uint64_t u;

        if (ms_size_parse(v, &u) < 0) {
                *reason = "not a size (e.g. 512M, 1G, 0 for no limit)";
                return -EINVAL;
        }
        if (u != 0 && u < 4096) {
                *reason = "below one page (4K)";
                return -EINVAL;
        }
        if (id == K_MAX_LOCKED)
                c->max_locked = u;
        else if (id == K_MIN_LOCKED)
                c->min_locked = u;
        else
                c->max_file_size = u;
        return 0;
}

static int set_duration(struct lockd_conf *c, int id, const char *v, const char **reason)
{
        uint64_t u;

        if (ms_duration_parse(v, &u) < 0) {
                *reason = "not a duration (e.g. 500ms, 2s, 10m, 1h)";
                return -EINVAL;
        }
        if (id == K_SCAN_INTERVAL && u != 0 && u < MIN_SCAN_USEC)
                *reason = "shorter than 10ms";
        else if (id == K_REPORT_INTERVAL && u < 1000000)
                *reason = "shorter than 1s";
        else if (id == K_REPORT_TIMEOUT && u == 0)
                *reason = "must be above 0";
        if (*reason)
                return -EINVAL;
        if (id == K_SCAN_INTERVAL)
                c->scan_interval_usec = u;
        else if (id == K_RELEASE_AFTER)
                c->release_after_usec = u;
        else if (id == K_REPORT_INTERVAL)
                c->report_interval_usec = u;
        else
                c->report_timeout_usec = u;
        return 0;
}

static int set_lock_mode(struct lockd_conf *c, const char *v, const char **reason)
{
        if (strcmp(v, "whole") == 0)
                c->lock_mode = LOCKD_LOCK_WHOLE;
        else if (strcmp(v, "segments") == 0)
                c->lock_mode = LOCKD_LOCK_SEGMENTS;
        else if (strcmp(v, "workingset") == 0)
                c->lock_mode = LOCKD_LOCK_WORKINGSET;
        else {
                *reason = "expected \"workingset\", \"segments\" or \"whole\"";
                return -EINVAL;
        }
        return 0;
}

static int set_number(struct lockd_conf *c, int id, const char *v, const char **reason)
{
        unsigned n;

        if (id == K_MAX_LOCKED_PERCENT) {
                if (ms_percent_parse(v, &n) < 0) {
                        *reason = "not a percentage 0..100";
                        return -EINVAL;
                }
                c->max_locked_percent = n;
        } else if (id == K_MAX_USER_SHARE) {
                if (ms_percent_parse(v, &n) < 0) {
                        *reason = "not a percentage 0..100";
                        return -EINVAL;
                }
                c->max_user_share = n;
        } else if (id == K_MAX_FILES) {
                if (parse_uint(v, MAX_FILES_LIMIT, &n) < 0 || n == 0) {
                        *reason = "not a number 1..65536";
                        return -EINVAL;
                }
                c->max_files = n;
        } else if (id == K_REPORT_PROCESSES) {
                if (parse_uint(v, MAX_REPORT_PROCESSES, &n) < 0) {
                        *reason = "not a number 0..100";
                        return -EINVAL;
                }
                c->report_processes = n;
        } else {
                if (parse_uint(v, 2, &n) < 0) {
                        *reason = "expected 0, 1 or 2";
                        return -EINVAL;
                }
                c->verbose = n;
        }
        return 0;
}

static int set_text(struct lockd_conf *c, int id, const char *v, const char **reason)
{
        if (id == K_USER) {
                if (strpbrk(v, " \t:/")) {
                        *reason = "not a user name";
                        return -EINVAL;
                }
                return set_string(&c->user, v);
        }
        if (id == K_LOG) {
                if (*v && *v != '/') {
                        *reason = "not an absolute path";
                        return -EINVAL;
                }
                return set_string(&c->log, v);
        }
        return set_string(&c->report_command, v);
}

static int set_key(struct lockd_conf *c, int id, const char *v, const char **reason)
{
        bool b;

        *reason = NULL;
        switch (id) {
        case K_PROGRAMS:
                return set_list(&c->programs, v, false, false, reason);
        case K_ALLOWED_PATHS:
                return set_list(&c->allowed_paths, v, true, false, reason);
        case K_SEARCH_PATH:
                return set_list(&c->search_path, v, true, true, reason);
        case K_COMPILER_DIRS:
                return set_list(&c->compiler_dirs, v, true, true, reason);
        case K_MAX_LOCKED:
        case K_MIN_LOCKED:
        case K_MAX_FILE_SIZE:
                return set_size(c, id, v, reason);
        case K_MAX_LOCKED_PERCENT:
        case K_MAX_USER_SHARE:
        case K_MAX_FILES:
        case K_REPORT_PROCESSES:
        case K_VERBOSE:
                return set_number(c, id, v, reason);
        case K_LOCK_MODE:
                return set_lock_mode(c, v, reason);
        case K_PROACTIVE:
                if (ms_bool_parse(v, &b) < 0) {
                        *reason = "expected yes or no";
                        return -EINVAL;
                }
                c->proactive = b;
                return 0;
        case K_SCAN_INTERVAL:
        case K_RELEASE_AFTER:
        case K_REPORT_INTERVAL:
        case K_REPORT_TIMEOUT:
                return set_duration(c, id, v, reason);
        case K_PRESSURE_TRIGGER:
                return parse_trigger(v, c, reason);
        case K_REPORT_COMMAND:
        case K_USER:
        case K_LOG:
                return set_text(c, id, v, reason);
        }
        return -ENOENT;
}

int lockd_conf_set(struct lockd_conf *c, const char *key, const char *value, const char **reason)
{
        int id = key_lookup(key);

        *reason = NULL;
        if (id < 0) {
                *reason = "unknown key";
                return -ENOENT;
        }
        return set_key(c, id, value, reason);
}

static void report(lockd_conf_error_fn err, void *userdata, const char *file, unsigned line, const char *fmt, ...)
        MS_PRINTF(5, 6);

static void report(lockd_conf_error_fn err, void *userdata, const char *file, unsigned line, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        if (!err)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        err(file, line, msg, userdata);
}

static char *trim(char *s)
{
        char *end;

        while (*s == ' ' || *s == '\t')
                s++;
        end = s + strlen(s);
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                *--end = '\0';
        return s;
}

static bool key_chars_ok(const char *k)
{
        if (!*k)
                return false;
        for (; *k; k++)
                if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k) && *k != '_')
                        return false;
        return true;
}

struct parse_ctx {
        struct lockd_conf *c;
        const char *file;
        lockd_conf_error_fn err;
        void *userdata;
        unsigned seen[K_COUNT];
};

/* Strip the quotes of a quoted value in place. Returns it, or NULL when the
 * quote is not closed. */
static char *unquote(char *value)
{
        size_t vlen;

        /* Values may be quoted to keep surrounding blanks or to write "". */
        if (value[0] != '"')
                return value;
        vlen = strlen(value);
        if (vlen < 2 || value[vlen - 1] != '"')
                return NULL;
        value[vlen - 1] = '\0';
        return value + 1;
}

/* One line (NUL-free, modifiable). Returns 0, 1 if it was bad, or -ENOMEM. */
static int parse_line(struct parse_ctx *x, char *line, unsigned lineno)
{
        char *p = trim(line), *eq, *key, *value;
        const char *reason;
        int id, r;

        if (*p == '\0' || *p == '#')
                return 0;
        eq = strchr(p, '=');
        if (!eq) {
                report(x->err, x->userdata, x->file, lineno, "expected \"key = value\", got \"%s\"", p);
                return 1;
        }
        *eq = '\0';
        key = trim(p);
        value = trim(eq + 1);
        if (!key_chars_ok(key)) {
                report(x->err, x->userdata, x->file, lineno, "bad key \"%s\"", key);
                return 1;
        }
        id = key_lookup(key);
        if (id < 0) {
                report(x->err, x->userdata, x->file, lineno, "unknown key \"%s\"", key);
                return 1;
        }
        if (x->seen[id]) {
                report(x->err, x->userdata, x->file, lineno, "\"%s\" already set on line %u", key, x->seen[id]);
                return 1;
        }
        x->seen[id] = lineno;
        p = unquote(value);
        if (!p) {
                report(x->err, x->userdata, x->file, lineno, "%s: unterminated quote in \"%s\"", key, value);
                return 1;
        }
        r = set_key(x->c, id, p, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                report(x->err, x->userdata, x->file, lineno, "%s: bad value \"%s\": %s", key, p,
                       reason ? reason : strerror(-r));
                return 1;
        }
        return 0;
}

int lockd_conf_parse(struct lockd_conf *c, const char *text, const char *file, lockd_conf_error_fn err,
                     void *userdata)
{
        struct parse_ctx x = { .c = c, .file = file, .err = err, .userdata = userdata };
        unsigned lineno = 0;
        int bad = 0;

        while (*text) {
                const char *nl = strchr(text, '\n');
                size_t len = nl ? (size_t)(nl - text) : strlen(text);
                _cleanup_free_ char *line = strndup(text, len);
                int r;

                if (!line)
                        return -ENOMEM;
                lineno++;
                text += len + (nl ? 1 : 0);
                r = parse_line(&x, line, lineno);
                if (r < 0)
                        return r;
                bad += r;
        }
        return bad;
}

int lockd_conf_load(struct lockd_conf *c, const char *file, bool missing_ok, lockd_conf_error_fn err,
                    void *userdata)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        size_t len;
        struct stat st;
        int r;

        /* Never block on a FIFO or open a terminal: O_NONBLOCK|O_NOCTTY, and
         * only a regular file (or /dev/null, an empty configuration) is read. */
        fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int e = errno;
                if (e == ENOENT && missing_ok)
                        return 0;
                report(err, userdata, file, 0, "cannot open: %s", strerror(e));
                return -e;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
                return 0;
        if (!S_ISREG(st.st_mode)) {
                report(err, userdata, file, 0, "not a regular file");
                return -EINVAL;
        }
        r = ms_read_alloc_fd(fd, CONF_MAX, &text, &len);
        if (r == -EFBIG)
                report(err, userdata, file, 0, "larger than 1 MiB");
        else if (r < 0 && r != -ENOMEM)
                report(err, userdata, file, 0, "cannot read: %s", strerror(-r));
        if (r < 0)
                return r;
        if (strlen(text) != len) {
                report(err, userdata, file, 0, "contains a NUL byte");
                return 1;
        }
        return lockd_conf_parse(c, text, file, err, userdata);
}

int lockd_conf_override(struct lockd_conf *c, const char *assignment, lockd_conf_error_fn err, void *userdata)
{
        _cleanup_free_ char *copy = strdup(assignment);
        char *eq, *key, *value;
        const char *reason;
        int r;

        if (!copy)
                return -ENOMEM;
        eq = strchr(copy, '=');
        if (!eq) {
                report(err, userdata, "command line", 0, "expected KEY=VALUE, got \"%s\"", assignment);
                return -EINVAL;
        }
        *eq = '\0';
        key = trim(copy);
        value = trim(eq + 1);
        r = lockd_conf_set(c, key, value, &reason);
        if (r == -ENOENT)
                report(err, userdata, "command line", 0, "unknown key \"%s\"", key);
        else if (r == -EINVAL)
                report(err, userdata, "command line", 0, "%s: bad value \"%s\": %s", key, value, reason);
        return r;
}

int lockd_conf_check(const struct lockd_conf *c, const char **reason)
{
        *reason = NULL;
        if (c->max_locked == 0 && c->max_locked_percent == 0) {
                *reason = "max_locked and max_locked_percent are both 0: locked memory would have no bound; "
                          "set one of them";
                return -EINVAL;
        }
        return 0;
}

uint64_t lockd_conf_budget(const struct lockd_conf *c, uint64_t mem_total)
{
        uint64_t b = UINT64_MAX, floor;

        if (!c->max_locked && !c->max_locked_percent)
                return 0;

        if (c->max_locked)
                b = c->max_locked;
        if (c->max_locked_percent) {
                uint64_t p = mem_total / 100 * c->max_locked_percent;
                if (p < b)
                        b = p;
                /* The floor: a small machine still protects its compiler,
                 * but never with more than a quarter of its memory, nor
                 * beyond max_locked. */
                floor = c->min_locked < mem_total / 4 ? c->min_locked : mem_total / 4;
                if (c->max_locked && floor > c->max_locked)
                        floor = c->max_locked;
                if (b < floor)
                        b = floor;
        }
        return b;
}

const char *lockd_lock_mode_name(enum lockd_lock_mode m)
{
        return m == LOCKD_LOCK_WHOLE ? "whole" : m == LOCKD_LOCK_SEGMENTS ? "segments" : "workingset";
}

/* A duration lockd_conf_parse() reads back: the largest exact unit. */
static const char *fmt_duration(uint64_t usec, char *buf, size_t size)
{
        static const struct {
                uint64_t usec;
                const char *unit;
        } units[] = { { 86400000000ull, "d" }, { 3600000000ull, "h" }, { 60000000ull, "m" }, { 1000000ull, "s" },
                      { 1000ull, "ms" } };

        if (usec == 0) {
                snprintf(buf, size, "0");
                return buf;
        }
        for (size_t i = 0; i < MS_ARRAY_SIZE(units); i++) {
                if (usec % units[i].usec == 0) {
                        snprintf(buf, size, "%" PRIu64 "%s", usec / units[i].usec, units[i].unit);
                        return buf;
                }
        }
        snprintf(buf, size, "%" PRIu64 "ms", usec / 1000);
        return buf;
}

static void dump_list(FILE *f, const char *key, const struct lockd_list *l)
{
        fprintf(f, "%s = ", key);
        if (l->n == 0)
                fputs("\"\"", f);
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s%s", i ? ", " : "", l->items[i]);
        fputc('\n', f);
}

int lockd_conf_dump(const struct lockd_conf *c, int fd)
{
        char a[MS_SIZE_BUF], b[32];
        FILE *f;
        int dupfd = dup(fd);

        if (dupfd < 0)
                return -errno;
        f = fdopen(dupfd, "w");
        if (!f) {
                close(dupfd);
                return -errno;
        }
        dump_list(f, "programs", &c->programs);
        dump_list(f, "allowed_paths", &c->allowed_paths);
        dump_list(f, "search_path", &c->search_path);
        dump_list(f, "compiler_dirs", &c->compiler_dirs);
        fprintf(f, "max_locked = %s\n", c->max_locked ? ms_size_format(c->max_locked, a, sizeof(a)) : "0");
        fprintf(f, "max_locked_percent = %u\n", c->max_locked_percent);
        fprintf(f, "min_locked = %s\n", c->min_locked ? ms_size_format(c->min_locked, a, sizeof(a)) : "0");
        fprintf(f, "max_file_size = %s\n", c->max_file_size ? ms_size_format(c->max_file_size, a, sizeof(a)) : "0");
        fprintf(f, "max_files = %u\n", c->max_files);
        fprintf(f, "max_user_share = %u\n", c->max_user_share);
        fprintf(f, "lock_mode = %s\n", lockd_lock_mode_name(c->lock_mode));
        fprintf(f, "proactive = %s\n", c->proactive ? "yes" : "no");
        fprintf(f, "scan_interval = %s\n", fmt_duration(c->scan_interval_usec, b, sizeof(b)));
        fprintf(f, "release_after = %s\n", fmt_duration(c->release_after_usec, b, sizeof(b)));
        if (c->psi_kind == LOCKD_PSI_OFF) {
                fputs("pressure_trigger = off\n", f);
        } else {
                char w[32];
                fprintf(f, "pressure_trigger = %s %s %s\n", c->psi_kind == LOCKD_PSI_SOME ? "some" : "full",
                        fmt_duration(c->psi_threshold_usec, b, sizeof(b)),
                        fmt_duration(c->psi_window_usec, w, sizeof(w)));
        }
        fprintf(f, "report_interval = %s\n", fmt_duration(c->report_interval_usec, b, sizeof(b)));
        fprintf(f, "report_processes = %u\n", c->report_processes);
        fprintf(f, "report_command = %s\n", c->report_command ? c->report_command : "");
        fprintf(f, "report_timeout = %s\n", fmt_duration(c->report_timeout_usec, b, sizeof(b)));
        fprintf(f, "user = %s\n", c->user ? c->user : "");
        fprintf(f, "log = %s\n", c->log ? c->log : "");
        fprintf(f, "verbose = %u\n", c->verbose);
        return fclose(f) == 0 ? 0 : -EIO;
}
