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
 * The scanner does not know what a file is: it hands each path, with the
 * device and inode the maps line gives and the process's user, to a callback
 * that returns an id (taking a reference), reports uses of ids at each scan,
 * and releases each reference when the process is gone or has exec'd.
 */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockd/lockset.h"
#include "probe/proc.h"

struct lockd_scan_ops {
        /* Whether a program (comm, or the base name of its executable) is one to protect. */
        bool (*match)(const char *name, void *userdata);
        /* A file with executable mappings in a matched process of user uid:
         * its id (>= 0; a reference is taken), or < 0 to ignore. */
        long (*file)(const char *path, const struct lockd_ident *ident, uid_t uid, void *userdata);
        /* A matched process still uses file id. */
        void (*use)(uint32_t id, void *userdata);
        /* The reference file() returned is no longer held. */
        void (*release)(uint32_t id, void *userdata);
        /* Optional: at each scan, a matched process pid running program comm,
         * with the ids of its files (to learn what it uses of them). */
        void (*sample)(pid_t pid, const char *comm, const uint32_t *ids, uint32_t n, void *userdata);
};

#define TASK_COMM_LEN MS_PROC_COMM_SIZE

struct lockd_proc {
        pid_t pid;
        char comm[TASK_COMM_LEN];
        bool matched;
        uid_t uid;
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

/* Forget every process (after a reload: matching may have changed),
 * releasing every file reference. */
void lockd_scanner_reset(struct lockd_scanner *s);

/* The caller renumbered its files: map[old id] is the new id (UINT32_MAX:
 * gone, which only a file without references may be). */
void lockd_scanner_remap(struct lockd_scanner *s, const uint32_t *map);

/* One scan. Returns 0 or -errno if proc/ cannot be listed. */
int lockd_scan(struct lockd_scanner *s);
