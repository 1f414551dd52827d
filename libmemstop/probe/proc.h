/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Facts about processes from proc/PID/... below a root fd.
 *
 * A process is identified by pid and start time (field 22 of proc/PID/stat,
 * in clock ticks since boot): a pid alone may be reused by then.
 */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MS_PROC_COMM_SIZE 16 /* TASK_COMM_LEN: 15 characters and the NUL */

struct ms_proc_stat {
        char state;         /* R, S, D, Z, T... */
        pid_t ppid;
        uint64_t starttime; /* clock ticks since boot */
        uint64_t utime, stime; /* clock ticks */
        unsigned flags;     /* field 9: PF_* (PF_KTHREAD 0x00200000) */
        uint64_t threads;   /* field 20: num_threads */
        uint64_t rss_pages; /* field 24: resident pages (0 if the line ends before it) */
        char comm[MS_PROC_COMM_SIZE]; /* cut to 15 characters if longer */
};

/* Parse the text of proc/PID/stat. comm may contain spaces and ')': the
 * fields after it are found from the last ')'. Never reads past the NUL of a
 * truncated or hostile line. Returns 0 or -EINVAL. */
int ms_proc_stat_parse(const char *text, struct ms_proc_stat *out);

/* pid 0 means "self". Returns 0, -ESRCH if the process is gone, or -errno. */
int ms_proc_stat_read(int rootfd, pid_t pid, struct ms_proc_stat *out);

/* Resident set size in bytes from proc/PID/statm (second field x page size).
 * Returns 0, -ESRCH, or -errno. */
int ms_proc_statm_parse(const char *text, uint64_t page_size, uint64_t *rss);
int ms_proc_rss_read(int rootfd, pid_t pid, uint64_t *rss);

/* Whether pid is alive and still the process that started at starttime
 * (zombies count as dead). */
bool ms_proc_alive(int rootfd, pid_t pid, uint64_t starttime);

/* Peak resident set size (VmHWM) in bytes from proc/PID/status text.
 * Returns 0, -ENOENT if absent (kernel threads), -EINVAL if malformed. */
int ms_proc_status_hwm_parse(const char *text, uint64_t *hwm);
/* The same read from proc/PID/status (pid 0: self). Returns 0, -ESRCH,
 * -ENOENT (no VmHWM), -EINVAL or -errno. */
int ms_proc_hwm_read(int rootfd, pid_t pid, uint64_t *hwm);

/*
 * The resident pages of a process's code, in bytes, from proc/PID/status
 * text: its file-backed RSS (RssFile), at most the size of its executable
 * and libraries (VmExe + VmLib). Another instance of the same program maps
 * the same pages: they are in memory, and charged, once (clang's libLLVM:
 * 80 of the 396 MB RSS of a clang++ -O2 -g compile). Returns 0, -ENOENT if
 * a field is absent (kernel threads, kernels before 4.5), -EINVAL if
 * malformed.
 */
int ms_proc_status_code_parse(const char *text, uint64_t *code);
/* The same read from proc/PID/status (pid 0: self). Returns 0, -ESRCH,
 * -ENOENT, -EINVAL or -errno. */
int ms_proc_code_read(int rootfd, pid_t pid, uint64_t *code);

/* proc/PID/comm without its newline (cut to size). Returns 0, -ESRCH or -errno. */
int ms_proc_comm_read(int rootfd, pid_t pid, char *out, size_t size);

/*
 * The memory cgroup of a process from proc/PID/cgroup text: the path of the
 * v1 line whose controllers include memory, else of the v2 "0::" line
 * (ms_proc_cgroup_parse() of probe/cgroup.h for each). Returns 0, -ENOENT
 * when there is neither, -EINVAL, -ENAMETOOLONG.
 */
int ms_proc_memcg_parse(const char *text, char *path, size_t size);
/* The same read from proc/PID/cgroup. Returns 0, -ESRCH, -ENOENT or -errno. */
int ms_proc_memcg_read(int rootfd, pid_t pid, char *path, size_t size);

/* Append the pids of a children file ("12 34 ") to out[*n..max). Returns 0,
 * -EINVAL on garbage, -ENOSPC when out is full (what fit is kept). */
int ms_proc_children_parse(const char *text, pid_t *out, size_t max, size_t *n);

/* The children of every thread of pid (proc/PID/task/T/children, read whole
 * however long), appended to out[*n..max). Returns 0, -ESRCH if the process is gone, -ENOSPC, or
 * -errno (-ENOENT: a kernel without CONFIG_PROC_CHILDREN). */
int ms_proc_children_read(int rootfd, pid_t pid, pid_t *out, size_t max, size_t *n);

/* The same knowing pid's thread count (proc/PID/stat): a process of one
 * thread (or of 0: hostile text) has its main thread's, one read instead
 * of listing task/. Returns 0, -ENOTSUP (no children list where the main thread should
 * have one: the kernel lacks them, or the process just ended), -ENOSPC (out
 * full), or -errno; hostile text adds nothing. */
int ms_proc_kids_read(int rootfd, pid_t pid, uint64_t threads, pid_t *out, size_t max, size_t *n);

/* The command line with NULs turned into spaces, cut to size ("" for a
 * zombie or a kernel thread). Pure on text of len bytes. */
void ms_proc_cmdline_format(const char *text, size_t len, char *buf, size_t size);
/* Returns 0, -ESRCH, or -errno. */
int ms_proc_cmdline_read(int rootfd, pid_t pid, char *buf, size_t size);

/*
 * A directory of /proc whose entries that matter are pids ("proc",
 * "proc/PID/task"): one listing loop for every reader of them.
 */
struct ms_pid_dir {
        DIR *dir;
};

/* Open path below rootfd for listing. Returns 0 or -errno. */
int ms_pid_dir_open(int rootfd, const char *path, struct ms_pid_dir *d);
/* The next pid listed (its inode in *ino if not NULL), 0 at the end. */
pid_t ms_pid_dir_next(struct ms_pid_dir *d, uint64_t *ino);
/* List again from the start (a kept listing of proc/ sees new processes). */
void ms_pid_dir_rewind(struct ms_pid_dir *d);
void ms_pid_dir_close(struct ms_pid_dir *d);

/* proc/PID/stat parsed, and the owner of the file (the process's effective
 * uid; root for a process that is not dumpable), from one open. Returns 0,
 * -ESRCH, -EINVAL or -errno. */
int ms_proc_stat_owner_read(int rootfd, pid_t pid, struct ms_proc_stat *out, uid_t *uid);

/* Private memory a process has committed, VmData + VmStk of proc/PID/status
 * in bytes: what strict overcommit (vm.overcommit_memory = 2) charges it.
 * Returns 0, -ENOENT if a field is absent, -EINVAL if malformed. */
int ms_proc_status_commit_parse(const char *text, uint64_t *bytes);
/* The same read from proc/PID/status (pid 0: self). Returns 0, -ESRCH,
 * -ENOENT, -EINVAL or -errno. */
int ms_proc_commit_read(int rootfd, pid_t pid, uint64_t *bytes);

/* The CPUs this process may run on (its affinity mask, as nproc counts them),
 * at least 1. */
unsigned ms_cpus_usable(void);
