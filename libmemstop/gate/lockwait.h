/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Waiting for a lock whose holder is at work.
 *
 * The ledger's lock is held for microseconds by a gate at work; a wait of
 * MS_LEDGER_LOCK_NS (1 s) means its holder is stopped or stuck, and the
 * waiter gives up (no queue, the threshold alone) rather than hang with it.
 * But a holder may also be slow: a /proc of thousands of processes, or the
 * user-mode VM's, takes long to read, and a process that gave up the queue
 * for that was let in beside jobs it did not see, and OOM-killed. So past
 * the first second, the ledger's header is asked who holds the lock (each
 * holder says so there; /proc/locks for a holder of another pid namespace,
 * or where there is no header to ask, is the way of old: reading it
 * write-locks the kernel's file-lock rwsem, and hundreds of waiters doing
 * so stalled every flock() on the machine). While that
 * process is on a CPU or in the kernel (state R or D; a task frozen by a
 * cgroup freezer shows D too, and the supervisor thaws it), the wait goes on,
 * up to the patience given. So it does while the lock changes hands: when
 * hundreds of processes join the queue at once, each waits its turn, and a
 * holder seen asleep at one look may have let go and taken the lock again
 * since. The same holder asleep (S: no gate sleeps with the lock), stopped
 * (T, t) or gone at two looks 100 ms apart, not given a CPU in between
 * (proc/PID/schedstat), ends the wait; so does no holder listed at ten looks
 * in a row (proc/locks, read while its list changes, may miss the holder of
 * the moment), and a holder that cannot be told (proc/locks unreadable) or
 * is the waiter itself, at once.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* How long an admission waits for a lock whose holder is at work. */
#define MS_LEDGER_PATIENCE_NS (30ull * 1000 * 1000 * 1000)

/* The pid that a line of /proc/locks names as holding a FLOCK lock on the
 * file dev:ino (a waiter's "->" line is not a holder), or 0. Pure: any line,
 * however malformed or cut short, is read safely. */
pid_t ms_locks_line_holder(const char *line, uint64_t dev, uint64_t ino);

enum ms_holder {
        MS_HOLDER_BUSY,    /* in state R or D */
        MS_HOLDER_IDLE,    /* asleep, stopped, or gone */
        MS_HOLDER_NONE,    /* none listed: the lock was let go meanwhile */
        MS_HOLDER_PASSING, /* none named by the owner: being let go or just taken */
        MS_HOLDER_UNKNOWN, /* proc/locks unreadable, or the holder is this process */
};

/* The holder of the flock on fd's file (proc/locks below rootfd), *pid (0
 * if none is listed), and what it is doing. */
enum ms_holder ms_flock_holder(int rootfd, int fd, pid_t *pid);

/* Who holds the lock as its holders say it (the ledger's header): the pid
 * and its pid namespace's inode, read without the lock; and the waiter's own
 * pid namespace, in which such a pid can be looked up. */
struct ms_lock_owner {
        const int32_t *pid;
        const uint64_t *pidns;
        uint64_t own_pidns;
};

/* The holder as owner names it (none named: MS_HOLDER_PASSING) and what it is
 * doing; as proc/locks does (ms_flock_holder) without an owner or for a
 * holder of another pid namespace. */
enum ms_holder ms_lock_owner_holder(const struct ms_lock_owner *owner, int fd, pid_t *pid);

/* flock(fd, op) waited for at most MS_LEDGER_LOCK_NS (or patience_ns if
 * shorter), then on for as long as the holder is busy, up to patience_ns in
 * all. The holder is asked of owner (NULL: none) before proc/locks.
 * Returns 0, -ETIMEDOUT or -errno. */
int ms_flock_patient(int fd, int op, uint64_t patience_ns, const struct ms_lock_owner *owner);
