/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * memstop-lockd: keep the code of make, the compilers and the linkers in
 * memory, so that a build near its memory limit fails fast instead of
 * thrashing on its own code. See memstop-lockd(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockd/caps.h"
#include "lockd/clock.h"
#include "lockd/daemon.h"
#include "lockd/learned.h"
#include "lockd/libpath.h"
#include "lockd/notify.h"
#include "ms-build.h"
#include "probe/lockdstate.h"
#include "probe/proc.h"
#include "util/fileio.h"
#include "util/log.h"

#define LOCKD_DEFAULT_USER "memstop-lockd" /* created by sysusers.d/memstop-lockd.conf */
#define LOCKD_FALLBACK_USER "nobody"
#define EXIT_USAGE 2       /* bad usage: nothing was started */
#define EXIT_NOT_RUNNING 3 /* LSB: program is not running */

/* Per program and per file, from run/memstop-lockd/locked. */
static void print_detail(struct daemon *d)
{
        struct ms_lockd_detail *dt = malloc(sizeof(*dt));
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
        int r = dt ? ms_lockd_detail_read(d->state_rootfd, dt) : -ENOMEM;

        if (r < 0) {
                if (r != -ENOENT)
                        printf("per file: %s unreadable: %s\n", MS_LOCKD_DETAIL_PATH, strerror(-r));
                free(dt);
                return;
        }
        printf("lock_mode %s\n", dt->mode);
        for (size_t i = 0; i < dt->ntools; i++)
                printf("%s %-15s %8s in %" PRIu64 " files\n", i ? "        " : "program", dt->tools[i].name,
                       fmt_size(dt->tools[i].locked_bytes, a), dt->tools[i].files);
        for (size_t i = 0; i < dt->nfiles; i++)
                printf("%s %8s %-8s (learned %s)  %s\n", i ? "        " : "file   ",
                       fmt_size(dt->files[i].locked_bytes, a), ms_lockd_how_name(dt->files[i].how),
                       fmt_size(dt->files[i].learned_bytes, b), dt->files[i].path);
        if (dt->more)
                printf("        and %" PRIu64 " more files\n", dt->more);
        free(dt);
}

static int status(struct daemon *d)
{
        struct ms_lockd_state st;
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF], comm[64];
        bool alive;
        int r;

        r = ms_lockd_state_read(d->state_rootfd, &st);
        if (r == -ENOENT) {
                printf("memstop-lockd is not running (no state file)\n");
                return EXIT_NOT_RUNNING;
        }
        if (r < 0) {
                lockd_error("cannot read the state file %s: %s", MS_LOCKD_STATE_PATH, strerror(-r));
                return EXIT_FAILURE;
        }
        alive = ms_proc_comm_read(d->rootfd, st.pid, comm, sizeof(comm)) == 0 && strncmp(comm, PROGRAM, 13) == 0;
        if (!alive) {
                printf("memstop-lockd is not running (stale state file of pid %d)\n", (int)st.pid);
                return EXIT_NOT_RUNNING;
        }
        printf("memstop-lockd is running (pid %d) since %" PRIu64 "s, state updated %" PRIu64 "s ago\n",
               (int)st.pid, (uint64_t)time(NULL) - st.started, (uint64_t)time(NULL) - st.updated);
        printf("locked: %" PRIu64 " files, %s of a %s budget; %" PRIu64 " files skipped\n", st.locked_files,
               fmt_size(st.locked_bytes, a), fmt_size(st.budget_bytes, b), st.skipped_files);
        print_detail(d);
        return EXIT_SUCCESS;
}

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: %s [OPTION]...\n"
                "Keep the code of make, the compilers and the linkers in memory.\n\n"
                "  -c, --config FILE       configuration file (default %s)\n"
                "  -o, --option KEY=VALUE  override one configuration key (repeatable)\n"
                "  -n, --dry-run           print what would be locked and the budget decisions, then exit\n"
                "  -s, --status            show what the running daemon holds, from its state file\n"
                "  -f, --foreground        log to standard error even if the configuration sets log\n"
                "  -v, --verbose           log more (twice: every scan)\n"
                "      --state-root DIR    keep the state file below DIR instead of /\n"
                "  -h, --help              show this help\n"
                "  -V, --version           show the version\n\n"
                "Signals: SIGHUP reloads the configuration, SIGTERM unlocks and exits.\n"
                "See memstop-lockd(8) and memstop-lockd.conf(5).\n",
                PROGRAM, MS_LOCKD_CONF);
}

static int parse_options(int argc, char **argv, struct options *o)
{
        enum { OPT_STATE_ROOT = 256 };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "option", required_argument, NULL, 'o' },
                { "dry-run", no_argument, NULL, 'n' },
                { "status", no_argument, NULL, 's' },
                { "foreground", no_argument, NULL, 'f' },
                { "verbose", no_argument, NULL, 'v' },
                { "state-root", required_argument, NULL, OPT_STATE_ROOT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        *o = (struct options){ .config = MS_LOCKD_CONF, .state_root = "/" };
        opterr = 0; /* one line of our own instead of getopt's */
        while ((c = getopt_long(argc, argv, ":c:o:nsfvhV", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        o->config = optarg;
                        o->config_given = true;
                        break;
                case 'o': {
                        char **ov = realloc(o->overrides, (o->noverrides + 1) * sizeof(char *));
                        if (!ov)
                                return -ENOMEM;
                        o->overrides = ov;
                        o->overrides[o->noverrides++] = optarg;
                        break;
                }
                case 'n':
                        o->dry_run = true;
                        break;
                case 's':
                        o->status = true;
                        break;
                case 'f':
                        o->foreground = true;
                        break;
                case 'v':
                        o->verbose++;
                        break;
                case OPT_STATE_ROOT:
                        o->state_root = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_SUCCESS);
                case 'V':
                        printf("%s %s\n", PROGRAM, MS_VERSION);
                        exit(EXIT_SUCCESS);
                case ':':
                        lockd_error("option '%s' needs a value; see --help", argv[optind - 1]);
                        return -EINVAL;
                default:
                        if (optopt)
                                lockd_error("unknown option '-%c'; see --help", optopt);
                        else
                                lockd_error("unknown option '%s'; see --help", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                lockd_error("unexpected argument '%s'; see --help", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static int prepare_state_dir(struct daemon *d, bool switch_user, uid_t uid, gid_t gid)
{
        if (mkdirat(d->state_rootfd, "run", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(d->state_rootfd, "run/memstop-lockd", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (switch_user && fchownat(d->state_rootfd, "run/memstop-lockd", uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

/* What is learned lasts across reboots: var/lib/memstop-lockd, not run/
 * (under systemd its StateDirectory=). Returns 0 or -errno. */
static int prepare_learned_dir(struct daemon *d, bool switch_user, uid_t uid, gid_t gid)
{
        if (d->conf.lock_mode != LOCKD_LOCK_WORKINGSET)
                return 0;
        if (mkdirat(d->state_rootfd, "var", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(d->state_rootfd, "var/lib", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(d->state_rootfd, LOCKD_LEARNED_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (switch_user && fchownat(d->state_rootfd, LOCKD_LEARNED_DIR, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int setup_signals(struct daemon *d)
{
        sigset_t mask;

        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return d->sigfd < 0 ? -errno : 0;
}

static int setup_timer(struct daemon *d)
{
        uint64_t usec = d->conf.scan_interval_usec ? d->conf.scan_interval_usec : MAINTENANCE_USEC;
        struct itimerspec its = {
                .it_interval = { (time_t)(usec / 1000000), (long)(usec % 1000000) * 1000 },
        };

        its.it_value = its.it_interval;
        if (timerfd_settime(d->timerfd, 0, &its, NULL) < 0)
                return -errno;
        return 0;
}

/* Configuration, log, budget, the lock set and the scanner. Returns 0 or -1. */
static int setup(struct daemon *d)
{
        int r = daemon_load_conf(d, &d->conf);

        if (r != 0) {
                if (r > 0)
                        daemon_log(d, L_ERR, "%d error%s in the configuration", r, r > 1 ? "s" : "");
                return -1;
        }
        if (d->conf.log && !d->opt.foreground && !d->opt.dry_run) {
                d->logfd = ms_log_open(d->conf.log, getpid());
                if (d->logfd < 0) {
                        int e = -d->logfd;
                        d->logfd = STDERR_FILENO;
                        daemon_log(d, L_ERR, "cannot open log %s: %s", d->conf.log, strerror(e));
                        return -1;
                }
                d->journal = false;
        }
        if (daemon_compute_budget(d) < 0)
                return -1;
        lockd_set_init(&d->set, d->rootfd, d->conf.lock_mode);
        d->set.allowed = &d->conf.allowed_paths;
        d->set.max_files = d->conf.max_files;
        if (lockd_libdirs_load(d->rootfd, &d->libdirs) < 0) {
                daemon_log(d, L_ERR, "out of memory");
                return -1;
        }
        r = lockd_scanner_init(&d->scanner, d->rootfd, &daemon_scan_ops, d);
        if (r < 0)
                daemon_log(d, L_WARN, "cannot open /proc: %s; only the start-up search will be used", strerror(-r));
        d->scanner_ok = r == 0;
        return 0;
}

static void dry_run(struct daemon *d)
{
        daemon_load_learned(d);
        daemon_proactive(d);
        daemon_scan(d);
        d->now = lockd_now_usec();
        daemon_plan(d, true);
        daemon_print_dry_run(d);
}

/*
 * Which user to become when started as root: user = in lockd.conf, else the
 * dedicated memstop-lockd user, else nobody (issue 12: never uid 0 unless
 * user = root says so). Returns 0 (*switch_user false: stay), or -1.
 */
static int choose_user(struct daemon *d, bool *switch_user, uid_t *uid, gid_t *gid, const char **name)
{
        int r;

        *switch_user = false;
        *name = d->conf.user ? d->conf.user : LOCKD_DEFAULT_USER;
        if (getuid() != 0) {
                if (d->conf.user)
                        daemon_log(d, L_WARN, "user = %s ignored: already running as uid %u", d->conf.user,
                                   (unsigned)getuid());
                return 0;
        }
        if (strcmp(*name, "root") == 0)
                return 0;
        r = lockd_user_lookup(*name, uid, gid);
        if (r == -ENOENT && !d->conf.user) {
                *name = LOCKD_FALLBACK_USER;
                r = lockd_user_lookup(*name, uid, gid);
        }
        if (r < 0) {
                daemon_log(d, L_ERR, "user %s: %s", *name, r == -ENOENT ? "no such user" : strerror(-r));
                return -1;
        }
        *switch_user = true;
        return 0;
}

/* The user to become, the state directory, the PSI trigger (while root),
 * then only the kept capabilities and all memory locked. Returns 0 or -1. */
static int drop_privileges(struct daemon *d, bool *switch_user, const char **user)
{
        uid_t uid = 0;
        gid_t gid = 0;
        const char *step;
        int r;

        if (lockd_caps_check() < 0) {
                daemon_log(d, L_ERR, "needs CAP_IPC_LOCK to lock files (run it as root, or with "
                                     "AmbientCapabilities=CAP_IPC_LOCK CAP_SYS_PTRACE)");
                return -1;
        }
        if (choose_user(d, switch_user, &uid, &gid, user) < 0)
                return -1;
        r = prepare_state_dir(d, *switch_user, uid, gid);
        if (r < 0) {
                daemon_log(d, L_ERR, "cannot create %s/run/memstop-lockd: %s", d->opt.state_root, strerror(-r));
                return -1;
        }
        r = prepare_learned_dir(d, *switch_user, uid, gid);
        if (r < 0)
                daemon_log(d, L_WARN, "cannot create %s/%s: %s; what is learned will not outlive a restart",
                           d->opt.state_root, LOCKD_LEARNED_DIR, strerror(-r));
        daemon_open_psi(d);
        r = lockd_caps_drop(*switch_user, uid, gid, &step);
        if (r < 0) {
                daemon_log(d, L_ERR, "dropping privileges failed, %s: %s", step, strerror(-r));
                return -1;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0) {
                daemon_log(d, L_ERR, "mlockall: %s", strerror(errno));
                return -1;
        }
        return 0;
}

static int setup_events(struct daemon *d)
{
        if (setup_signals(d) < 0 || lockd_watch_init(&d->watch) < 0) {
                daemon_log(d, L_ERR, "cannot set up signals or inotify: %s", strerror(errno));
                return -1;
        }
        d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (d->timerfd < 0 || setup_timer(d) < 0) {
                daemon_log(d, L_ERR, "cannot set up the scan timer: %s", strerror(errno));
                return -1;
        }
        return 0;
}

/* The first search, plan and scan; then ready. */
static void start(struct daemon *d, uint64_t t_start)
{
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], status_msg[128];
        uint64_t t_learned;

        daemon_measure_own(d);
        daemon_log(d, L_INFO, "version %s: budget %s (its own memory %s), max_file_size %s, max_files %u, keeping %s, uid %u",
                   MS_VERSION, fmt_size(d->budget, a), fmt_size(d->own_locked, c),
                   d->conf.max_file_size ? fmt_size(d->conf.max_file_size, b) : "none", d->conf.max_files,
                   lockd_caps_kept_text(), (unsigned)getuid());
        d->lock_while_searching = true;
        t_learned = lockd_now_usec();
        if (daemon_load_learned(d) > 0) {
                d->now = lockd_now_usec();
                daemon_plan(d, false);
                daemon_log(d, L_INFO, "learned: %zu files, locked %zu (%s) in %" PRIu64 " ms",
                           d->learned_loaded, d->set.locked_files, fmt_size(d->set.locked_bytes, a),
                           (lockd_now_usec() - t_learned) / 1000);
        }
        daemon_proactive(d);
        d->now = lockd_now_usec();
        daemon_plan(d, false);
        daemon_scan(d);
        if (d->need_plan)
                daemon_plan(d, false);
        /* The start-up search allocated and freed a lot (directory listings):
         * give it back, the rest of the heap is locked for good. */
        malloc_trim(0);
        daemon_measure_own(d);
        daemon_log(d, L_INFO, "start-up: holding %zu files, %s, and its own memory %s, of %s, in %" PRIu64
                              " ms; %zu skipped",
                   d->set.locked_files, fmt_size(d->set.locked_bytes, a), fmt_size(d->own_locked, c),
                   fmt_size(d->budget, b), (lockd_now_usec() - t_start) / 1000, d->skipped);
        d->last_maintenance = d->now;
        daemon_write_state(d);
        snprintf(status_msg, sizeof(status_msg), "READY=1\nSTATUS=holding %zu files, %s", d->set.locked_files,
                 fmt_size(d->set.locked_bytes, a));
        lockd_notify(status_msg);
}

static int serve(struct daemon *d, uint64_t t_start)
{
        bool switch_user = false;
        const char *user = NULL;
        int r;

        d->started = (uint64_t)time(NULL);
        if (drop_privileges(d, &switch_user, &user) < 0 || setup_events(d) < 0)
                return EXIT_FAILURE;
        if (switch_user)
                daemon_log(d, L_INFO, "running as user %s", user);
        start(d, t_start);
        r = daemon_run(d);
        lockd_notify("STOPPING=1");
        if (d->report_child > 0)
                kill(-d->report_child, SIGKILL);
        if (d->scanner_ok)
                lockd_scanner_reset(&d->scanner);
        daemon_save_learned(d);
        lockd_set_clear(&d->set);
        (void)unlinkat(d->state_rootfd, MS_LOCKD_STATE_PATH, 0);
        (void)unlinkat(d->state_rootfd, MS_LOCKD_DETAIL_PATH, 0);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
        uint64_t t_start = lockd_now_usec();
        struct daemon d = { .logfd = STDERR_FILENO, .sigfd = -1, .timerfd = -1, .psifd = -1,
                            .rootfd = MS_ROOT_HOST, .state_rootfd = -1, .watch = { .fd = -1 } };
        int ret = EXIT_FAILURE;

        d.journal = lockd_stderr_is_journal();
        if (parse_options(argc, argv, &d.opt) < 0) {
                free(d.opt.overrides);
                return EXIT_USAGE;
        }
        d.state_rootfd = ms_root_open(d.opt.state_root);
        if (d.state_rootfd < 0) {
                daemon_log(&d, L_ERR, "cannot open %s: %s", d.opt.state_root, strerror(-d.state_rootfd));
                goto out;
        }
        if (d.opt.status) {
                ret = status(&d);
                goto out;
        }
        if (setup(&d) < 0)
                goto out;
        if (d.opt.dry_run) {
                dry_run(&d);
                ret = EXIT_SUCCESS;
                goto out;
        }
        ret = serve(&d, t_start);
out:
        daemon_free(&d);
        return ret;
}
