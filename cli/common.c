/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/common.h"
#include "gate/history.h"
#include "gate/protocol.h"
#include "ms-build.h"
#include "probe/memory.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/macro.h"

void cli_error(const char *fmt, ...)
{
        va_list ap;

        fputs("memstop: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void cli_verbose(const struct cli *cli, unsigned level, const char *fmt, ...)
{
        char line[1024];
        va_list ap;

        if (cli->config.verbose < level)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        ms_log(cli->log_fd, "memstop: %s", line);
}

int cli_log_open(struct cli *cli)
{
        const char *spec = cli->config.log;
        char path[PATH_MAX];
        const char *why;
        int fd;

        if (!cli->config.verbose || !spec || !*spec)
                return 0;
        fd = ms_log_open_checked(spec, getpid());
        if (fd >= 0) {
                cli->log_fd = fd;
                return 0;
        }
        if (ms_log_path(spec, getpid(), path, sizeof(path)) < 0)
                snprintf(path, sizeof(path), "%s", spec);
        why = fd == -ELOOP    ? "a symbolic link"
              : fd == -EINVAL ? "not a regular file"
              : fd == -EPERM  ? "another user's file"
                              : strerror(-fd);
        if (cli->setting[MS_SETTING_LOG])
                cli_error("invalid value '%s' for --log: cannot open %s: %s", spec, path, why);
        else
                cli_error("invalid %s='%s': cannot open %s: %s", MS_ENV_LOG, spec, path, why);
        return EXIT_USAGE;
}

bool cli_pid_alive(pid_t pid, void *userdata)
{
        (void)userdata;
        return kill(pid, 0) == 0 || errno == EPERM;
}

int cli_root(const struct cli *cli, int *root)
{
        int fd;

        if (!cli->config.sysroot) {
                *root = MS_ROOT_HOST;
                return 0;
        }
        fd = ms_root_open(cli->config.sysroot);
        if (fd < 0) {
                cli_error("cannot open %s: %s", cli->config.sysroot, strerror(-fd));
                return fd;
        }
        *root = fd;
        return 0;
}

/* Whether the directory of our executable is the cli/ of a meson build tree:
 * build.ninja above it, the preload beside it. An installed memstop
 * (/usr/bin/memstop) has neither. */
static bool build_tree_preload(char *buf, size_t size)
{
        char exe[PATH_MAX], marker[PATH_MAX + 16];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash;

        if (n <= 0)
                return false;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (!slash)
                return false;
        *slash = '\0';
        snprintf(marker, sizeof(marker), "%s/../build.ninja", exe);
        return access(marker, F_OK) == 0 &&
               (size_t)snprintf(buf, size, "%s/../preload/memstop.so", exe) < size && access(buf, R_OK) == 0;
}

int cli_preload_path(char *buf, size_t size)
{
        if (build_tree_preload(buf, size))
                return 0;
        if ((size_t)snprintf(buf, size, "%s", MS_PRELOAD_PATH) >= size)
                return -ENAMETOOLONG;
        return access(buf, R_OK) == 0 ? 0 : -errno;
}

int cli_small_programs(char *buf, size_t size)
{
        char dir[PATH_MAX];

        if (ms_history_dir(getenv("XDG_CACHE_HOME"), getenv("HOME"), dir, sizeof(dir)) < 0)
                return -ENOENT;
        return ms_history_small_list(dir, buf, size);
}

/* Whether the ':' or ' ' separated list names the file at path (by inode:
 * the same library by another path counts). */
static bool preload_has(const char *list, const char *path)
{
        struct stat want, st;
        char entry[PATH_MAX];

        if (stat(path, &want) < 0)
                return false;
        for (const char *p = list; *p;) {
                size_t n = strcspn(p, ": ");
                if (n > 0 && n < sizeof(entry)) {
                        memcpy(entry, p, n);
                        entry[n] = '\0';
                        if (stat(entry, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino)
                                return true;
                }
                p += n;
                p += strspn(p, ": ");
        }
        return false;
}

static int export(const char *name, const char *value)
{
        if (!value || setenv(name, value, 1) == 0)
                return 0;
        cli_error("cannot set %s: %s", name, strerror(errno));
        return -errno;
}

/* memstop.so in front of LD_PRELOAD: prepend, never replace, what the user
 * preloads. Returns 0 or an exit status (reported). */
static int preload_first(void)
{
        char preload[PATH_MAX];
        const char *old = getenv("LD_PRELOAD");
        int r;

        r = cli_preload_path(preload, sizeof(preload));
        if (r < 0) {
                cli_error("cannot find memstop.so (%s): %s", MS_PRELOAD_PATH, strerror(-r));
                return EXIT_INTERNAL;
        }
        if (old && *old && !preload_has(old, preload)) {
                size_t n = strlen(preload) + 1 + strlen(old) + 1;
                _cleanup_free_ char *joined = malloc(n);
                if (!joined) {
                        cli_error("out of memory");
                        return EXIT_INTERNAL;
                }
                snprintf(joined, n, "%s:%s", preload, old);
                r = export("LD_PRELOAD", joined);
        } else if (!old || !*old) {
                r = export("LD_PRELOAD", preload);
        }
        return r < 0 ? EXIT_INTERNAL : 0;
}

int cli_prepare_env(struct cli *cli)
{
        int r = preload_first();

        if (r != 0)
                return r;
        /* Every setting given as an option, by the settings table. */
        for (unsigned i = 0; i < MS_SETTING_COUNT; i++)
                if (export(ms_setting_env((enum ms_setting_id)i), cli->setting[i]) < 0)
                        return EXIT_INTERNAL;
        /* Programs the history knows to stay small skip the queue in every process. */
        if (cli->config.reserve && cli->config.learn) {
                char small[4096];
                if (cli_small_programs(small, sizeof(small)) == 0)
                        (void)export(MS_ENV_SMALL, small);
        }
        return 0;
}

void cli_export_hint(const struct cli *cli, const struct ms_cgroup *cg)
{
        struct ms_cgroup own;
        struct ms_sample s;
        char hint[PATH_MAX + 64];

        if (cli->config.sysroot)
                return;
        if (!cg) {
                if (ms_cgroup_locate(MS_ROOT_HOST, &own) < 0)
                        return;
                cg = &own;
        }
        /* Under strict overcommit no hint: the preload's fast path sees no
         * commit figures and must not admit anyone. */
        if (ms_sample_read(MS_ROOT_HOST, cg, &s) == 0 && s.overcommit != 2 &&
            ms_cgroup_hint_make(cg, &s, hint, sizeof(hint)) == 0)
                (void)export(MS_ENV_CGROUP, hint);
}
