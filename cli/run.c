/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/protocol.h"
#include "probe/cgroup.h"
#include "cli/cli.h"
#include "util/fileio.h"
#include "gate/history.h"
#include "util/macro.h"
#include "probe/memory.h"
#include "ms-build.h"

int cli_preload_path(char *buf, size_t size)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n > 0) {
                exe[n] = '\0';
                char *slash = strrchr(exe, '/');
                if (slash) {
                        *slash = '\0';
                        /* Run from the build tree: cli/memstop next to preload/memstop.so. */
                        if ((size_t)snprintf(buf, size, "%s/../preload/memstop.so", exe) < size &&
                            access(buf, R_OK) == 0)
                                return 0;
                }
        }
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

/*
 * The environment of the command, for both ways of running it: memstop.so in
 * front of LD_PRELOAD, every setting exported, the small programs. Returns 0
 * or an exit status (reported).
 */
int cli_prepare_env(struct cli *cli)
{
        char preload[PATH_MAX], verbose[4];
        const char *old = getenv("LD_PRELOAD");
        int r = 0;

        r = cli_preload_path(preload, sizeof(preload));
        if (r < 0) {
                cli_error("cannot find memstop.so (%s): %s", MS_PRELOAD_PATH, strerror(-r));
                return EXIT_INTERNAL;
        }

        /* Prepend, never replace, what the user preloads. */
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
        if (r < 0)
                return EXIT_INTERNAL;

        if (cli->verbose_flags)
                snprintf(verbose, sizeof(verbose), "%u", cli->verbose_flags > 2 ? 2 : cli->verbose_flags);
        if (export("MEMSTOP_PERCENT", cli->percent) < 0 || export("MEMSTOP_MIN_AVAILABLE", cli->min_available) < 0 ||
            export("MEMSTOP_TIMEOUT", cli->timeout) < 0 || export("MEMSTOP_ON_TIMEOUT", cli->on_timeout) < 0 ||
            export("MEMSTOP_LOG", cli->log) < 0 || export("MEMSTOP_GATE", cli->gate) < 0 ||
            export("MEMSTOP_EXEMPT", cli->exempt) < 0 || export("MEMSTOP_SYSROOT", cli->sysroot) < 0 ||
            export("MEMSTOP_VERBOSE", cli->verbose_flags ? verbose : NULL) < 0 ||
            export("MEMSTOP_RESERVE", cli->reserve) < 0 || export("MEMSTOP_LEARN", cli->learn) < 0)
                return EXIT_INTERNAL;

        /* Programs the history knows to stay small skip the queue in every process. */
        if (cli->config.reserve && cli->config.learn) {
                char small[4096];
                if (cli_small_programs(small, sizeof(small)) == 0)
                        (void)export(MS_ENV_SMALL, small);
        }

        return 0;
}

int cli_run(struct cli *cli, char **argv)
{
        int r;

        if (!cli->exec)
                return cli_supervise(cli, argv);
        r = cli_prepare_env(cli);
        if (r != 0)
                return r;

        /* Locate the cgroup once here, so the command's processes take the fast path at once. */
        if (!cli->config.sysroot) {
                struct ms_cgroup cg;
                struct ms_sample s;
                char hint[PATH_MAX + 64];
                if (ms_cgroup_locate(MS_ROOT_HOST, &cg) == 0 && ms_sample_read(MS_ROOT_HOST, &cg, &s) == 0 &&
                    ms_cgroup_hint_format(&cg, s.has_cgroup ? s.cgroup.limit : MS_UNLIMITED, hint, sizeof(hint)) == 0)
                        (void)export(MS_ENV_CGROUP, hint);
        }

        execvp(argv[0], argv);
        r = errno;
        cli_error("%s: %s", argv[0], strerror(r));
        return r == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
