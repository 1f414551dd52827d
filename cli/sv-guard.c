/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe/proc.h"
#include "supervise/buildcg.h"
#include "supervise/pidref.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "cli/sv-guard.h"
#include "cli/sv-jobs.h"
#include "cli/sv-status.h"

#define GUARD_CGROUPS 64u

struct guard_entry {
        pid_t pid;
        uint64_t starttime;
};

/* Shared with the guardian: written by the supervisor only, read by the
 * guardian only once the supervisor is gone. */
struct guard_shared {
        uint32_t n;
        struct guard_entry e[SV_MAX_PROCS];
        uint32_t n_cg;
        char cg[GUARD_CGROUPS][PATH_MAX];
        char tmpdir[PATH_MAX]; /* "": none */
        char cgdir[PATH_MAX];  /* a cgroup of ours to empty and remove, "": none */
        bool term;             /* the status bar holds the screen's bottom line */
};

static struct guard_shared *shared;
static struct guard_shared private_set; /* without shared memory */
static int fd1[SV_MAX_PROCS];           /* the pidfds of set()->e, plus 1 (0: none) */
static pid_t guardian;
static int guardian_fd = -1; /* the pipe's write end: its EOF is our end */

static struct guard_shared *set(void)
{
        return shared ? shared : &private_set;
}

/* --- the guardian ---------------------------------------------------------- */

static void guard_write(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd >= 0) {
                (void)!write(fd, text, strlen(text));
                close(fd);
        }
}

static void remove_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        (void)unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
        (void)rmdir(dir);
}

/* Every process in cgroup `from` (absolute) to cgroup `to`. */
static void move_procs(const char *from, const char *to)
{
        char in[PATH_MAX + 16], out[PATH_MAX + 16], line[32];
        FILE *f;

        if ((size_t)snprintf(in, sizeof(in), "%s/cgroup.procs", from) >= sizeof(in) ||
            (size_t)snprintf(out, sizeof(out), "%s/cgroup.procs", to) >= sizeof(out) || !(f = fopen(in, "re")))
                return;
        while (fgets(line, sizeof(line), f))
                guard_write(out, line);
        fclose(f);
}

/* Our cgroup (the v1 freezer's) and its job cgroups: what runs in them goes
 * to the cgroup they were made in, and they are removed. */
static void empty_cgroup(const char *dir)
{
        char parent[PATH_MAX], sub[PATH_MAX * 2];
        char *slash;
        DIR *d = opendir(dir);
        struct dirent *e;

        snprintf(parent, sizeof(parent), "%s", dir);
        slash = strrchr(parent, '/');
        if (!d || !slash || slash == parent) {
                if (d)
                        closedir(d);
                return;
        }
        *slash = '\0';
        while ((e = readdir(d)))
                if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                        snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
                        move_procs(sub, parent);
                        (void)rmdir(sub);
                }
        closedir(d);
        move_procs(dir, parent);
        (void)rmdir(dir);
}

static _Noreturn void guard_run(int rfd)
{
        struct guard_shared *g = shared;
        bool goodbye = false;
        char c;

        (void)setsid(); /* no terminal signals: it outlives the supervisor only to clean up */
        (void)prctl(PR_SET_NAME, "memstop-guard");
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        /* Nothing of memstop's held open but the pipe and, for the bar, stderr. */
        for (int fd = 0; fd < 1024; fd++)
                if (fd != rfd && !(g->term && fd == STDERR_FILENO))
                        close(fd);
        (void)!chdir("/");
        for (;;) {
                ssize_t n = read(rfd, &c, 1);
                if (n == 1)
                        goodbye = true;
                if (n == 0 || (n < 0 && errno != EINTR))
                        break;
        }
        /* The supervisor is gone: whatever it left stopped runs again. */
        for (uint32_t i = 0; i < g->n_cg && i < GUARD_CGROUPS; i++)
                if (g->cg[i][0])
                        guard_write(g->cg[i], ms_freeze_value(g->cg[i], false));
        for (uint32_t i = 0; i < g->n && i < SV_MAX_PROCS; i++) {
                struct ms_pidref ref;
                if (ms_pidref_open(MS_ROOT_HOST, g->e[i].pid, g->e[i].starttime, &ref) == 0) {
                        (void)ms_pidref_signal(MS_ROOT_HOST, &ref, SIGCONT);
                        ms_pidref_close(&ref);
                }
        }
        if (!goodbye && g->term)
                sv_term_give_back();
        if (!goodbye && g->tmpdir[0])
                remove_dir(g->tmpdir);
        if (!goodbye && g->cgdir[0])
                empty_cgroup(g->cgdir);
        _exit(0);
}

int sv_guard_start(const char *tmpdir, bool term)
{
        int pfd[2];
        pid_t pid;

        shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED) {
                shared = NULL;
                return -errno;
        }
        snprintf(shared->tmpdir, sizeof(shared->tmpdir), "%s", tmpdir ? tmpdir : "");
        memcpy(shared->cgdir, private_set.cgdir, sizeof(shared->cgdir));
        shared->term = term;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (pid == 0)
                guard_run(pfd[0]);
        close(pfd[0]);
        /* pfd[1] stays open, close-on-exec, until we are gone. */
        guardian = pid;
        guardian_fd = pfd[1];
        return 0;
}

/* How long memstop waits at its end for the guardian to be gone. */
#define GUARD_EXIT_WAIT_MS 2000

void sv_guard_done(void)
{
        if (guardian_fd < 0)
                return;
        (void)!write(guardian_fd, "", 1);
        close(guardian_fd);
        guardian_fd = -1;
        /* When memstop has exited, none of its processes is left: a script
         * that removes the cgroup it ran memstop in right after found the
         * guardian still there (rmdir: EBUSY). Its work now is a few
         * SIGCONTs; bounded all the same. */
        for (int ms = 0; ms < GUARD_EXIT_WAIT_MS; ms++) {
                pid_t r = waitpid(guardian, NULL, WNOHANG);
                if (r == guardian || (r < 0 && errno != EINTR))
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
        }
}

pid_t sv_guard_pid(void)
{
        return guardian;
}

/* --- the set --------------------------------------------------------------- */

static struct ms_pidref ref_of(uint32_t i)
{
        const struct guard_shared *g = set();

        return (struct ms_pidref){ .pid = g->e[i].pid, .starttime = g->e[i].starttime, .fd = fd1[i] - 1 };
}

static int find(pid_t pid)
{
        const struct guard_shared *g = set();

        for (uint32_t i = 0; i < g->n; i++)
                if (g->e[i].pid == pid)
                        return (int)i;
        return -1;
}

static void drop(uint32_t i)
{
        struct guard_shared *g = set();
        uint32_t last = g->n - 1;

        if (fd1[i])
                close(fd1[i] - 1);
        /* The guardian reads only after we are gone: no tearing to fear. */
        g->e[i] = g->e[last];
        fd1[i] = fd1[last];
        fd1[last] = 0;
        g->n = last;
}

int sv_guard_stop(pid_t pid, uint64_t starttime)
{
        struct guard_shared *g = set();
        struct ms_pidref ref;
        int r, i = find(pid);

        if (i >= 0 && g->e[i].starttime != starttime) {
                drop((uint32_t)i); /* an older process of that pid */
                i = -1;
        }
        if (i >= 0) {
                ref = ref_of((uint32_t)i);
                return ms_pidref_signal(MS_ROOT_HOST, &ref, SIGSTOP);
        }
        if (g->n >= SV_MAX_PROCS)
                return -ENOSPC;
        r = ms_pidref_open(MS_ROOT_HOST, pid, starttime, &ref);
        if (r < 0)
                return r;
        /* In the set before it stops: a crash in between still continues it. */
        g->e[g->n] = (struct guard_entry){ .pid = pid, .starttime = starttime };
        fd1[g->n] = ref.fd + 1;
        g->n++;
        r = ms_pidref_signal(MS_ROOT_HOST, &ref, SIGSTOP);
        if (r < 0)
                drop(g->n - 1);
        return r;
}

static void cont(uint32_t i)
{
        struct ms_pidref ref = ref_of(i);

        (void)ms_pidref_signal(MS_ROOT_HOST, &ref, SIGCONT);
}

void sv_guard_cont(pid_t pid)
{
        int i = find(pid);

        if (i < 0)
                return;
        cont((uint32_t)i);
        drop((uint32_t)i);
}

void sv_guard_resume_all(void)
{
        struct guard_shared *g = set();

        while (g->n > 0) {
                cont(g->n - 1);
                drop(g->n - 1);
        }
}

void sv_guard_prune(void)
{
        struct guard_shared *g = set();

        for (uint32_t i = 0; i < g->n;) {
                struct ms_pidref ref = ref_of(i);
                if (ms_pidref_signal(MS_ROOT_HOST, &ref, 0) == -ESRCH)
                        drop(i);
                else
                        i++;
        }
}

void sv_guard_cgroup_dir(const char *dir)
{
        snprintf(set()->cgdir, sizeof(set()->cgdir), "%s", dir ? dir : "");
}

int sv_guard_frozen_cgroup(const char *freeze_file, bool frozen)
{
        struct guard_shared *g = set();
        uint32_t free_slot = GUARD_CGROUPS;

        for (uint32_t i = 0; i < g->n_cg; i++) {
                if (strcmp(g->cg[i], freeze_file) == 0) {
                        if (!frozen)
                                g->cg[i][0] = '\0';
                        return 0;
                }
                if (!g->cg[i][0] && free_slot == GUARD_CGROUPS)
                        free_slot = i;
        }
        if (!frozen)
                return 0;
        if (free_slot == GUARD_CGROUPS) {
                if (g->n_cg >= GUARD_CGROUPS)
                        return -ENOSPC;
                free_slot = g->n_cg++;
        }
        snprintf(g->cg[free_slot], sizeof(g->cg[free_slot]), "%s", freeze_file);
        return 0;
}

/* --- crashes of ours -------------------------------------------------------- */

static void on_fatal(int sig)
{
        sv_guard_resume_all();
        signal(sig, SIG_DFL);
        raise(sig);
}

static void at_exit(void)
{
        sv_guard_resume_all();
}

void sv_guard_install(void)
{
        const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };

        for (size_t i = 0; i < MS_ARRAY_SIZE(fatal); i++)
                signal(fatal[i], on_fatal);
        atexit(at_exit);
}
