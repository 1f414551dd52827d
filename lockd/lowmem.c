/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The low-memory report as the daemon makes it: PSI trigger, log lines, report_command. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lockd/clock.h"
#include "lockd/daemon.h"
#include "lockd/report.h"
#include "probe/meminfo.h"
#include "probe/psi.h"
#include "util/macro.h"

static void report_line(const char *line, void *userdata)
{
        daemon_log(userdata, L_INFO, "low memory:   %s", line);
}

static void run_report_command(struct daemon *d, const struct ms_meminfo *mi, const struct ms_psi *psi)
{
        char avail[32], avg[32];
        pid_t pid;

        if (!d->conf.report_command || d->report_child > 0)
                return;
        snprintf(avail, sizeof(avail), "%" PRIu64, mi ? mi->available : 0);
        snprintf(avg, sizeof(avg), "%.2f", psi ? psi->some.avg10 : 0.0);
        pid = fork();
        if (pid < 0) {
                daemon_log(d, L_WARN, "cannot run report_command: %s", strerror(errno));
                return;
        }
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                setpgid(0, 0);
                setenv(LOCKD_ENV_AVAILABLE, avail, 1);
                setenv(LOCKD_ENV_PSI_SOME_AVG10, avg, 1);
                execl("/bin/sh", "sh", "-c", d->conf.report_command, (char *)NULL);
                _exit(127);
        }
        setpgid(pid, pid);
        d->report_child = pid;
        d->report_deadline = lockd_now_usec() + d->conf.report_timeout_usec;
        daemon_log(d, L_INFO, "low memory: running report_command (pid %d)", (int)pid);
}

void daemon_low_memory_report(struct daemon *d)
{
        struct ms_meminfo mi;
        struct ms_psi psi;
        bool have_mi, have_psi;
        char a[MS_SIZE_BUF], b[MS_SIZE_BUF];

        d->now = lockd_now_usec();
        if (d->last_report && d->now - d->last_report < d->conf.report_interval_usec)
                return; /* rate-limited */
        d->last_report = d->now;
        have_mi = ms_meminfo_read(d->rootfd, &mi) == 0;
        have_psi = ms_psi_read(d->rootfd, "proc/pressure/memory", &psi) == 0;
        if (have_mi)
                daemon_log(d, L_INFO, "low memory: available %s of %s (%.1f%%)", fmt_size(mi.available, a),
                       fmt_size(mi.total, b), mi.total ? 100.0 * (double)mi.available / (double)mi.total : 0.0);
        if (have_psi)
                daemon_log(d, L_INFO,
                       "low memory: PSI some avg10=%.2f avg60=%.2f avg300=%.2f; full avg10=%.2f avg60=%.2f avg300=%.2f",
                       psi.some.avg10, psi.some.avg60, psi.some.avg300, psi.full.avg10, psi.full.avg60,
                       psi.full.avg300);
        daemon_log(d, L_INFO, "low memory: top %u processes by RSS (pid RSS cgroup: command line):",
               d->conf.report_processes);
        lockd_report_top(d->rootfd, d->conf.report_processes, report_line, d);
        daemon_log(d, L_INFO, "low memory: memstop-lockd holds %zu files, %s locked of a %s budget, %zu skipped",
               d->set.locked_files, fmt_size(d->set.locked_bytes, a), fmt_size(d->budget, b), d->skipped);
        run_report_command(d, have_mi ? &mi : NULL, have_psi ? &psi : NULL);
}

void daemon_reap(struct daemon *d)
{
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid != d->report_child)
                        continue;
                d->report_child = 0;
                if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
                        daemon_log(d, L_WARN, "report_command exited with status %d", WEXITSTATUS(status));
                else if (WIFSIGNALED(status))
                        daemon_log(d, L_WARN, "report_command killed by signal %d", WTERMSIG(status));
        }
}

void daemon_open_psi(struct daemon *d)
{
        if (d->psifd >= 0)
                d->psifd = ms_close(d->psifd);
        if (d->conf.psi_kind == LOCKD_PSI_OFF)
                return;
        d->psifd = lockd_psi_trigger_open(d->rootfd, "proc/pressure/memory", d->conf.psi_kind, d->conf.psi_threshold_usec,
                                          d->conf.psi_window_usec);
        if (d->psifd < 0) {
                daemon_log(d, L_WARN, "no low-memory report: cannot set a PSI trigger on /proc/pressure/memory: %s",
                       strerror(-d->psifd));
                d->psifd = -1;
        }
}
