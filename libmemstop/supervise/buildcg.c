/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "supervise/buildcg.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"

/* own's child `name`: its path and directory. */
static int child_of(const struct ms_cgroup *own, const char *name, struct ms_cgroup *out)
{
        struct ms_cgroup c = *own;
        const char *sep = strcmp(own->path, "/") == 0 ? "" : "/";
        int n;

        n = snprintf(c.path, sizeof(c.path), "%s%s%s", own->path, sep, name);
        if (n < 0 || (size_t)n >= sizeof(c.path))
                return -ENAMETOOLONG;
        n = snprintf(c.dir, sizeof(c.dir), "%s%s%s", own->dir, *own->dir ? "/" : "", name);
        if (n < 0 || (size_t)n >= sizeof(c.dir))
                return -ENAMETOOLONG;
        *out = c;
        return 0;
}

int ms_build_cgroup_name(const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out)
{
        char name[32];

        snprintf(name, sizeof(name), "memstop-build-%d", (int)pid);
        return child_of(own, name, out);
}

/* mkdir a cgroup below rootfd. Returns 0, -EEXIST (unless exist_ok) or -errno. */
static int make_dir(int rootfd, const char *dir, bool exist_ok)
{
        char abs[PATH_MAX + 2];
        const char *d = ms_at_path(rootfd, dir, abs, sizeof(abs));

        if (!d)
                return -ENAMETOOLONG;
        if (mkdirat(rootfd, d, 0755) < 0 && !(exist_ok && errno == EEXIST))
                return -errno;
        return 0;
}

static int file_in(int rootfd, const struct ms_cgroup *cg, const char *file, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s/%s", cg->dir, file);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* mkdir c and check that it has the controller's `file`; without it, c is
 * removed again (-EOPNOTSUPP). */
static int make_child(int rootfd, const struct ms_cgroup *c, const char *file)
{
        char p[PATH_MAX + 32], abs[PATH_MAX + 2];
        const char *dir;
        int r = make_dir(rootfd, c->dir, false);

        if (r < 0)
                return r;
        dir = ms_at_path(rootfd, c->dir, abs, sizeof(abs));
        r = file_in(rootfd, c, file, p, sizeof(p));
        if (r == 0)
                r = ms_access_at(rootfd, p);
        if (r < 0) {
                if (dir)
                        (void)unlinkat(rootfd, dir, AT_REMOVEDIR);
                return -EOPNOTSUPP;
        }
        return 0;
}

int ms_build_cgroup_create(int rootfd, const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out)
{
        struct ms_cgroup c;
        int r;

        if (own->version == MS_CGROUP_NONE)
                return -EOPNOTSUPP;
        r = ms_build_cgroup_name(own, pid, &c);
        if (r == 0)
                r = make_child(rootfd, &c, ms_cgroup_usage_file(c.version));
        if (r == 0)
                *out = c;
        return r;
}

static int write_pid(int rootfd, const char *path, pid_t pid)
{
        char num[16], abs[PATH_MAX + 40];
        int fd, n, r = 0;

        const char *p = ms_at_path(rootfd, path, abs, sizeof(abs));

        if (!p)
                return -ENAMETOOLONG;
        fd = openat(rootfd, p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = snprintf(num, sizeof(num), "%d\n", (int)pid);
        if (write(fd, num, (size_t)n) != n)
                r = -errno;
        close(fd);
        return r;
}

int ms_build_cgroup_enter(int rootfd, const struct ms_cgroup *cg, pid_t pid)
{
        char p[PATH_MAX + 32];
        int r = file_in(rootfd, cg, "cgroup.procs", p, sizeof(p));

        return r < 0 ? r : write_pid(rootfd, p, pid);
}

/* The pids in a cgroup's cgroup.procs, at most max. Returns how many or -errno. */
static int read_pids(int rootfd, const char *dir, pid_t *pids, size_t max)
{
        char p[PATH_MAX + 32], text[16384];
        const char *s = text;
        size_t n = 0;
        int r;

        if ((size_t)snprintf(p, sizeof(p), "%s/cgroup.procs", dir) >= sizeof(p))
                return -ENAMETOOLONG;
        r = ms_read_at(rootfd, p, text, sizeof(text), NULL);
        if (r < 0 && r != -EFBIG)
                return r;
        while (*s && n < max) {
                char *end;
                long v = strtol(s, &end, 10);
                if (end == s)
                        break;
                if (v > 0)
                        pids[n++] = (pid_t)v;
                s = end;
                while (*s == '\n')
                        s++;
        }
        return (int)n;
}

/* Move the processes of cgroup `from` (a directory) into `to`. Returns how
 * many moved. */
static unsigned move_all(int rootfd, const char *from, const struct ms_cgroup *to)
{
        pid_t pids[1024];
        char p[PATH_MAX + 32];
        int n = read_pids(rootfd, from, pids, MS_ARRAY_SIZE(pids));
        unsigned moved = 0;

        if (file_in(rootfd, to, "cgroup.procs", p, sizeof(p)) == 0)
                for (int i = 0; i < n; i++)
                        moved += write_pid(rootfd, p, pids[i]) == 0;
        return moved;
}

int ms_build_cgroup_remove(int rootfd, const struct ms_cgroup *cg, const struct ms_cgroup *own)
{
        char abs[PATH_MAX + 2];
        const char *dir = ms_at_path(rootfd, cg->dir, abs, sizeof(abs));

        if (!dir)
                return -ENAMETOOLONG;
        if (unlinkat(rootfd, dir, AT_REMOVEDIR) == 0 || errno == ENOENT)
                return 0;
        if (errno != EBUSY)
                return -errno;
        /* Processes left behind (daemons the build started): to our own cgroup. */
        move_all(rootfd, cg->dir, own);
        if (unlinkat(rootfd, dir, AT_REMOVEDIR) == 0 || errno == ENOENT)
                return 0;
        return -errno;
}

/* --- v2 delegation ------------------------------------------------------------ */

static int write_text(int rootfd, const char *path, const char *text)
{
        char abs[PATH_MAX + 40];
        const char *p = ms_at_path(rootfd, path, abs, sizeof(abs));
        size_t len = strlen(text);
        int fd, r = 0;

        if (!p)
                return -ENAMETOOLONG;
        fd = openat(rootfd, p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t)len)
                r = -errno;
        close(fd);
        return r;
}

/* The supervisor's leaf: own/memstop-PID. */
static int leaf_of(const struct ms_cgroup *own, pid_t self, struct ms_cgroup *leaf)
{
        char name[32];

        snprintf(name, sizeof(name), "memstop-%d", (int)self);
        return child_of(own, name, leaf);
}

static bool lists_memory(int rootfd, const struct ms_cgroup *cg)
{
        char p[PATH_MAX + 32], text[256];

        if (file_in(rootfd, cg, "cgroup.subtree_control", p, sizeof(p)) < 0 ||
            ms_read_at(rootfd, p, text, sizeof(text), NULL) < 0)
                return false;
        for (char *w = strtok(text, " \n"); w; w = strtok(NULL, " \n"))
                if (strcmp(w, "memory") == 0)
                        return true;
        return false;
}

/* A unit's cgroup that systemd did not delegate ("trusted.delegate" or, of
 * a user manager, "user.delegate"): systemd owns its inside, not we. */
static bool systemd_keeps(int rootfd, const struct ms_cgroup *own)
{
        static const char *const units[] = { ".service", ".scope", ".slice", ".socket", ".mount", ".swap" };
        char abs[PATH_MAX + 2], proc[64], val[8];
        const char *dir = ms_at_path(rootfd, own->dir, abs, sizeof(abs));
        size_t len = strlen(own->dir);
        bool unit = false;
        int fd;

        for (size_t i = 0; i < MS_ARRAY_SIZE(units); i++) {
                size_t u = strlen(units[i]);
                unit |= len > u && strcmp(own->dir + len - u, units[i]) == 0;
        }
        if (!unit || !dir)
                return false;
        fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        unit = getxattr(proc, "trusted.delegate", val, sizeof(val)) < 0 &&
               getxattr(proc, "user.delegate", val, sizeof(val)) < 0;
        close(fd);
        return unit;
}

int ms_build_cgroup_delegate(int rootfd, const struct ms_cgroup *own, pid_t self, bool *enabled)
{
        struct ms_cgroup leaf;
        char p[PATH_MAX + 32];
        int r;

        *enabled = false;
        if (own->version != MS_CGROUP_V2)
                return -EOPNOTSUPP;
        if (systemd_keeps(rootfd, own))
                return -EPERM;
        r = leaf_of(own, self, &leaf);
        if (r == 0)
                r = make_dir(rootfd, leaf.dir, true);
        if (r == 0)
                r = file_in(rootfd, &leaf, "cgroup.procs", p, sizeof(p));
        if (r == 0)
                r = write_pid(rootfd, p, self);
        if (r == 0 && !lists_memory(rootfd, own)) {
                r = file_in(rootfd, own, "cgroup.subtree_control", p, sizeof(p));
                if (r == 0)
                        r = write_text(rootfd, p, "+memory");
                *enabled = r == 0;
        }
        if (r < 0)
                (void)ms_build_cgroup_undelegate(rootfd, own, self, false, NULL, 0);
        return r;
}

int ms_build_cgroup_undelegate(int rootfd, const struct ms_cgroup *own, pid_t self, bool enabled,
                               const pid_t *others, size_t n)
{
        struct ms_cgroup leaf;
        char p[PATH_MAX + 32], abs[PATH_MAX + 2];
        const char *dir;
        int r;

        r = leaf_of(own, self, &leaf);
        if (r < 0)
                return r;
        if (enabled && file_in(rootfd, own, "cgroup.subtree_control", p, sizeof(p)) == 0)
                (void)write_text(rootfd, p, "-memory");
        r = file_in(rootfd, own, "cgroup.procs", p, sizeof(p));
        if (r == 0)
                r = write_pid(rootfd, p, self);
        for (size_t i = 0; r == 0 && i < n; i++)
                (void)write_pid(rootfd, p, others[i]);
        dir = ms_at_path(rootfd, leaf.dir, abs, sizeof(abs));
        if (r == 0 && dir && unlinkat(rootfd, dir, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

/* --- per-job freezing (v2, or the v1 freezer hierarchy) ------------------------------------------------------ */

int ms_job_cgroup_dir(const struct ms_cgroup *build, pid_t job, char *dir, size_t size)
{
        int n = snprintf(dir, size, "%s/job-%d", build->dir, (int)job);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int job_file(const struct ms_cgroup *build, pid_t job, const char *file, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s/job-%d/%s", build->dir, (int)job, file);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* v2: cgroup.freeze "1"/"0"; the v1 freezer: freezer.state FROZEN/THAWED. */
static const char *freeze_name(const struct ms_cgroup *build)
{
        return build->version == MS_CGROUP_V1 ? "freezer.state" : "cgroup.freeze";
}

const char *ms_freeze_value(const char *freeze_file, bool frozen)
{
        size_t n = strlen(freeze_file), k = strlen("freezer.state");
        bool v1 = n >= k && strcmp(freeze_file + n - k, "freezer.state") == 0;

        return v1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
}

int ms_job_cgroup_freeze_file(const struct ms_cgroup *build, pid_t job, char *buf, size_t size)
{
        return job_file(build, job, freeze_name(build), buf, size);
}

int ms_freezer_v1_create(int rootfd, const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out)
{
        struct ms_cgroup c;
        char name[32];
        int r;

        if (own->version != MS_CGROUP_V1)
                return -EOPNOTSUPP;
        snprintf(name, sizeof(name), "memstop-freeze-%d", (int)pid);
        r = child_of(own, name, &c);
        if (r == 0)
                r = make_child(rootfd, &c, "freezer.state");
        if (r == 0)
                *out = c;
        return r;
}

/* The PID of a name "memstop-freeze-PID", 0 for any other name. */
static pid_t freezer_v1_pid(const char *name)
{
        static const char prefix[] = "memstop-freeze-";
        uint64_t v;

        if (strncmp(name, prefix, sizeof(prefix) - 1) != 0 || ms_parse_u64(name + sizeof(prefix) - 1, &v) < 0 ||
            v == 0 || v > INT_MAX)
                return 0;
        return (pid_t)v;
}

/*
 * Thaw a freezer cgroup (its state file set to `thawed`), move what is in
 * it to `to` (counted in *moved) and remove it. Gone already: 0.
 */
static int thaw_dir(int rootfd, const char *dir, const char *state, const char *thawed, const struct ms_cgroup *to,
                    unsigned *moved)
{
        char abs[PATH_MAX + 2];
        const char *d;
        int r = write_text(rootfd, state, thawed);

        *moved += move_all(rootfd, dir, to);
        d = ms_at_path(rootfd, dir, abs, sizeof(abs));
        if (d && unlinkat(rootfd, d, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r == -ENOENT ? 0 : r;
}

/* Thaw cgroup dir, move what runs in it to own and remove it. Returns the
 * processes moved. */
static unsigned thaw_out(int rootfd, const char *dir, const struct ms_cgroup *own)
{
        char state[PATH_MAX + 32];
        unsigned moved = 0;

        if ((size_t)snprintf(state, sizeof(state), "%s/freezer.state", dir) < sizeof(state))
                (void)thaw_dir(rootfd, dir, state, "THAWED", own, &moved);
        return moved;
}

/* The stale freezer cgroup dir: its job cgroups first, then itself. */
static unsigned reap_freezer(int rootfd, const char *dir, const struct ms_cgroup *own)
{
        char abs[PATH_MAX + 2], sub[PATH_MAX];
        const char *d = ms_at_path(rootfd, dir, abs, sizeof(abs));
        int fd = d ? openat(rootfd, d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        unsigned moved = 0;

        if (!dp && fd >= 0)
                close(fd);
        while (dp && (e = readdir(dp)))
                if (e->d_type == DT_DIR && strncmp(e->d_name, "job-", 4) == 0 &&
                    (size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) < sizeof(sub))
                        moved += thaw_out(rootfd, sub, own);
        if (dp)
                closedir(dp);
        return moved + thaw_out(rootfd, dir, own);
}

int ms_freezer_v1_reap(int rootfd, const struct ms_cgroup *own, bool (*alive)(pid_t pid, void *userdata),
                       void *userdata, unsigned *removed)
{
        char abs[PATH_MAX + 2], dir[PATH_MAX];
        const char *d = ms_at_path(rootfd, own->dir, abs, sizeof(abs));
        int fd, moved = 0;
        struct dirent *e;
        DIR *dp;

        *removed = 0;
        if (own->version != MS_CGROUP_V1)
                return -EOPNOTSUPP;
        if (!d)
                return -ENAMETOOLONG;
        fd = openat(rootfd, d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || !(dp = fdopendir(fd))) {
                int r = -errno;
                if (fd >= 0)
                        close(fd);
                return r;
        }
        while ((e = readdir(dp))) {
                pid_t pid = e->d_type == DT_DIR ? freezer_v1_pid(e->d_name) : 0;
                if (pid == 0 || alive(pid, userdata) ||
                    (size_t)snprintf(dir, sizeof(dir), "%s/%s", own->dir, e->d_name) >= sizeof(dir))
                        continue;
                moved += (int)reap_freezer(rootfd, dir, own);
                if (fstatat(dirfd(dp), e->d_name, &(struct stat){}, AT_SYMLINK_NOFOLLOW) < 0)
                        (*removed)++;
        }
        closedir(dp);
        return moved;
}

int ms_job_cgroup_freeze(int rootfd, const struct ms_cgroup *build, pid_t job, const pid_t *pids, size_t n)
{
        char dir[PATH_MAX], p[PATH_MAX + 32];
        int r;

        r = ms_job_cgroup_dir(build, job, dir, sizeof(dir));
        if (r == 0)
                r = make_dir(rootfd, dir, true);
        if (r == 0)
                r = job_file(build, job, "cgroup.procs", p, sizeof(p));
        for (size_t i = 0; r == 0 && i < n; i++)
                if (write_pid(rootfd, p, pids[i]) == -EACCES)
                        r = -EACCES;
        if (r == 0)
                r = ms_job_cgroup_freeze_file(build, job, p, sizeof(p));
        return r < 0 ? r : write_text(rootfd, p, ms_freeze_value(p, true));
}

int ms_job_cgroup_thaw(int rootfd, const struct ms_cgroup *build, pid_t job)
{
        char dir[PATH_MAX], p[PATH_MAX + 32];
        unsigned moved = 0;
        int r;

        r = ms_job_cgroup_dir(build, job, dir, sizeof(dir));
        if (r == 0)
                r = ms_job_cgroup_freeze_file(build, job, p, sizeof(p));
        return r < 0 ? r : thaw_dir(rootfd, dir, p, ms_freeze_value(p, false), build, &moved);
}
