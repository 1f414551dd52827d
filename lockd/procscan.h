/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Finding the processes of the configured programs by scanning /proc, cheaply.
 *
 * A scan lists proc/ once. A process is known by (pid, inode number of its
 * /proc/PID directory): procfs gives each new process a new inode, so a
 * listed pid whose inode is unchanged is the same process and costs nothing.
 * When the inode changed, proc/PID/stat tells by the start time whether it
 * is another process (pid reuse) or the same one. proc/PID/stat is read
 * again only for processes that matched (to see an exec, which changes comm)
 * and for those seen for the first time in the previous scan (a fork that has
 * just exec'd). proc/PID/maps is read only for matching processes, once per
 * process image: each later scan only marks its files as used.
 *
 * The scanner does not know what a file is: it hands paths to a callback
 * that returns an id, and reports uses of ids.
 */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe/proc.h"

struct lockd_scan_ops {
        /* Whether a program (comm, or the base name of its executable) is one to protect. */
        bool (*match)(const char *name, void *userdata);
        /* A file with executable mappings in a matched process: its id (>= 0), or < 0 to ignore. */
        long (*file)(const char *path, void *userdata);
        /* A matched process still uses file id. */
        void (*use)(uint32_t id, void *userdata);
};

#define TASK_COMM_LEN MS_PROC_COMM_SIZE

struct lockd_proc {
        pid_t pid;
        char comm[TASK_COMM_LEN];
        bool matched;
        uint32_t nfiles;
        uint64_t ino;
        uint64_t starttime;
        unsigned first_scan;
        uint32_t *files;
};

struct lockd_scan_stats {
        unsigned processes; /* listed */
        unsigned stat_reads;
        unsigned matched;
        unsigned maps_reads;
        unsigned vanished;  /* gone between listing and reading: normal, not an error */
        unsigned errors;    /* unexpected read errors */
};

struct lockd_scanner {
        int rootfd;         /* not owned */
        struct ms_pid_dir listing; /* proc/ below it */
        pid_t self;
        struct lockd_proc *procs, *next;
        size_t n, cap, next_cap;
        unsigned scan;
        char *buf; /* for maps */
        size_t bufsize;
        const struct lockd_scan_ops *ops;
        void *userdata;
        struct lockd_scan_stats last;
};

/* rootfd: ms_root_open() of a fake tree or MS_ROOT_HOST; proc/ below it is
 * listed, proc/PID/stat read with ms_proc_stat_read(). The scanner does not
 * own rootfd. Returns 0 or -errno. */
int lockd_scanner_init(struct lockd_scanner *s, int rootfd, const struct lockd_scan_ops *ops, void *userdata);
void lockd_scanner_free(struct lockd_scanner *s);

/* Forget every process (after a reload: matching may have changed). */
void lockd_scanner_reset(struct lockd_scanner *s);

/* One scan. Returns 0 or -errno if proc/ cannot be listed. */
int lockd_scan(struct lockd_scanner *s);
