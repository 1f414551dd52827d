/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ledger: a small file in the state directory, mapped shared by every
 * gated process of one user in one memory cgroup ("queue-vVERSION-HASH",
 * HASH of the cgroup's directory, or of "host"). It lists the processes waiting and
 * admitted, with their reservations. Changed only under flock(LOCK_EX) on
 * the file, which the kernel releases when a holder dies. Entries of dead
 * processes (pid and start time no longer match) are pruned.
 *
 * Waiters sleep on a futex on their own slot's state word and are woken when
 * they become the head of the queue or are granted admission; the head is
 * woken when an admitted process exits.
 *
 * Nothing a process of the user can write into the file stops the others:
 * the lock is taken with a deadline (ms_ledger_lock_within), slots with
 * impossible contents are freed on open and at every look (ms_ledger_repair),
 * and a slot's pid is judged only by processes of the pid namespace that
 * wrote it (pidns): a slot of another namespace is never pruned here.
 *
 * The fd is kept out of the program's way (above MS_LEDGER_FD_MIN, close on
 * exec) and checked (device and inode) before every lock: a program that
 * reused its number is never locked or unlocked by the gate.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate/admit.h"
#include "gate/curve.h"
#include "gate/key.h"

#define MS_LEDGER_MAGIC UINT32_C(0x4753534d) /* "MSSG" */
/* 5: the header names the lock's holder (lock_pid, lock_pidns). */
#define MS_LEDGER_VERSION 5u
#define MS_LEDGER_SLOTS 512u

_Static_assert(MS_LEDGER_SLOTS <= MS_ADMIT_MAX, "a decision sees every admitted slot");

enum ms_slot_state {
        MS_SLOT_FREE = 0,
        MS_SLOT_WAITING = 1,
        MS_SLOT_GRANTED = 2, /* admitted by the head; its memory is reserved */
        MS_SLOT_ADMITTED = 3,
        MS_SLOT_HOLD = 4,    /* a supervisor with frozen jobs: admit nothing new */
};

enum ms_grant {
        MS_GRANT_NONE = 0,      /* admitted itself as the head */
        MS_GRANT_BACKFILL = 1,  /* let in ahead of a waiting head */
        MS_GRANT_BIG_FIRST = 2, /* a big job let in before a smaller head */
        MS_GRANT_LONG_FIRST = 3, /* a long job let in before a shorter head */
};

struct ms_slot {
        uint32_t state; /* futex word */
        int32_t pid;
        uint64_t starttime; /* clock ticks since boot, from proc/PID/stat */
        uint64_t ticket;    /* arrival order */
        uint64_t since_ns;  /* monotonic: waiting since, or admitted at */
        uint64_t predicted;
        uint64_t worst;
        uint64_t rss;       /* last seen */
        uint64_t grown_rss; /* RSS when it last grew by MS_SETTLE_GROWTH */
        uint64_t grown_ns;  /* ... and when */
        uint32_t kind;      /* enum ms_prediction_kind */
        uint32_t granted;   /* enum ms_grant: how it was let in */
        uint64_t program_hash;
        char program[MS_PROGRAM_MAX];
        uint32_t supervised;         /* runs under a supervisor that freezes: may be admitted in time */
        uint32_t timed;              /* was admitted counting on predicted ends */
        struct ms_curve curve;       /* its prediction's growth curve (duration_ms 0: unknown) */
        struct ms_curve_trace trace; /* its RSS as seen since admission (curve.h) */
        uint64_t paused_ns;          /* time frozen by a supervisor, over */
        uint64_t stopped_ns;         /* frozen since (monotonic), 0: running */
        uint64_t pidns;              /* inode of the writer's /proc/self/ns/pid, 0: unknown */
        uint64_t looked_ns;          /* a waiter's last look (monotonic): stale when old */
        uint64_t min_available;      /* a waiter's own threshold: MEMSTOP_MIN_AVAILABLE */
        uint32_t percent;            /* ... and MEMSTOP_PERCENT */
        uint32_t runs;               /* typical kind: runs of the program its prediction is from */
        uint32_t held;               /* the head's last look: why it waits (enum ms_admit_reason) + 1;
                                      * 0: not looked at as the head */
        uint64_t held_need;          /* ... then: what it would add */
        uint64_t held_free;          /* ... and what was free beyond the reservations */
};

struct ms_ledger_header {
        uint32_t magic;
        uint32_t version;
        uint32_t slots;
        uint32_t slot_size;
        uint64_t next_ticket;
        /* Who holds the lock: set by each holder once it has it, 0 from
         * just before it lets go (ms_ledger_lock, ms_ledger_unlock). A
         * waiter past MS_LEDGER_LOCK_NS asks here who is at work, not
         * proc/locks: reading that takes the kernel's file-lock rwsem for
         * writing, which stalls every flock() on the machine, and hundreds
         * of waiters reading it 10 times a second stalled their own queue
         * (issue 10: 200 processes joining, 50-70 not in line after 120 s). */
        int32_t lock_pid;
        uint32_t lock_pad;
        uint64_t lock_pidns; /* the holder's pid namespace (ms_pidns_self) */
        uint64_t reserved[3];
};

struct ms_ledger_file {
        struct ms_ledger_header header;
        struct ms_slot slot[MS_LEDGER_SLOTS];
};

struct ms_ledger {
        int fd;
        struct ms_ledger_file *map;
        bool reset;    /* the file was corrupt and was reinitialized */
        uint64_t dev;  /* what fd must still be before it is locked */
        uint64_t ino;
        uint64_t pidns; /* this process's (ms_pidns_self), as the lock's holder */
};

/* The ledger's fd is moved to this number or above (F_DUPFD_CLOEXEC). */
#define MS_LEDGER_FD_MIN 512
/* ms_ledger_lock() waits at most this long. */
#define MS_LEDGER_LOCK_NS (1000ull * 1000 * 1000)
/* A waiter that has not looked at the ledger for this long is stopped or
 * stuck: it is skipped as the head (queue.h). */
#define MS_SLOT_STALE_NS (3000ull * 1000 * 1000)

/* The ledger's file name for a cgroup directory ("" or NULL: the host). */
void ms_ledger_name(const char *cgroup_dir, char *buf, size_t size);

/* Open (creating mode 0600, O_NOFOLLOW) and map the ledger in dirfd. Its
 * lock is waited for as ms_ledger_lock_patient does, up to
 * MS_LEDGER_PATIENCE_NS.
 * A file of the wrong size or with a bad header is reinitialized under the
 * lock (ledger->reset tells). Returns 0 or -errno. */
int ms_ledger_open(int dirfd, const char *name, struct ms_ledger *ledger);
/* Map an existing ledger read-only, for a look without the lock (`memstop
 * status`): the same checks as ms_ledger_open (O_NOFOLLOW, a regular file
 * of ours, its size, magic and version) but nothing is created or repaired.
 * Returns 0, -ENOENT (no ledger yet), -EPERM or -EINVAL (not a ledger of
 * this version), or another -errno. Close with ms_ledger_close. */
int ms_ledger_open_ro(int dirfd, const char *name, struct ms_ledger *ledger);
void ms_ledger_close(struct ms_ledger *ledger);

/*
 * flock(fd, op) without waiting for ever: LOCK_NB tried again with short
 * sleeps until timeout_ns has passed. Returns 0, -ETIMEDOUT or -errno. (The
 * history's locks use it too.)
 */
int ms_flock_within(int fd, int op, uint64_t timeout_ns);

/* Lock the ledger, waiting at most timeout_ns (ms_ledger_lock: at most
 * MS_LEDGER_LOCK_NS). Returns 0, -ETIMEDOUT, -EBADF when the fd is no longer
 * the ledger's (the program closed it and reused its number), or -errno. */
int ms_ledger_lock_within(struct ms_ledger *ledger, uint64_t timeout_ns);
int ms_ledger_lock(struct ms_ledger *ledger);
/* The same, but past MS_LEDGER_LOCK_NS the wait goes on while the lock's
 * holder is at work, up to patience_ns (gate/lockwait.h): for admissions,
 * which without the lock would run beside jobs they cannot see. */
int ms_ledger_lock_patient(struct ms_ledger *ledger, uint64_t patience_ns);
void ms_ledger_unlock(struct ms_ledger *ledger);

/*
 * Leave slot i without the lock, if it is still pid's: one atomic
 * compare-and-swap of its state word to free, and a futex wake of the head.
 * No other system call: for _exit(), which may run in a program that
 * sandboxed itself (seccomp). Returns whether it left.
 */
bool ms_ledger_leave_unlocked(struct ms_ledger_file *f, int i, pid_t pid, uint64_t starttime);

/* The inode of /proc/self/ns/pid (0 if unknown): the pid namespace whose
 * pids a slot's pid is meaningful in. */
uint64_t ms_pidns_self(void);

/* Whether a slot still belongs to a live process; injected for tests. */
typedef bool (*ms_alive_fn)(pid_t pid, uint64_t starttime, void *userdata);

/* Free the slots of dead processes of pid namespace pidns (slots of other
 * namespaces are left alone). Returns how many. Caller holds the lock. */
unsigned ms_ledger_prune(struct ms_ledger_file *f, uint64_t pidns, ms_alive_fn alive, void *userdata);

/* Free the slots with impossible contents (state, pid, ticket, kind).
 * Returns how many. Caller holds the lock. */
unsigned ms_ledger_repair(struct ms_ledger_file *f);

/* The waiting slot with the lowest ticket, or -1. */
int ms_ledger_head(const struct ms_ledger_file *f);

/* A free slot, or -1 if full. */
int ms_ledger_free_slot(const struct ms_ledger_file *f);

/* The slot of pid/starttime, or -1. */
int ms_ledger_find(const struct ms_ledger_file *f, pid_t pid, uint64_t starttime);

/* Wake whoever sleeps on slot i's state word. */
void ms_ledger_wake(struct ms_ledger_file *f, int i);

/* Sleep on slot i's state word while it equals `state`, at most timeout_ns.
 * Returns true when woken (or the word changed), false on timeout. */
bool ms_ledger_sleep(struct ms_ledger_file *f, int i, uint32_t state, uint64_t timeout_ns);

/* Whether a (live) supervisor holds the queue while its jobs are frozen. */
bool ms_ledger_holding(const struct ms_ledger_file *f);

/* A slot's state word. Under the lock it is exact; without it (a glance by
 * the supervisor or `memstop status`) it may change right after. */
static inline uint32_t ms_slot_state(const struct ms_slot *s)
{
        return __atomic_load_n(&s->state, __ATOMIC_RELAXED);
}

/* Sets of states, for ms_ledger_next(). */
#define MS_SLOTS_OF(state) (1u << (state))
#define MS_SLOTS_ADMITTED (MS_SLOTS_OF(MS_SLOT_ADMITTED) | MS_SLOTS_OF(MS_SLOT_GRANTED))
#define MS_SLOTS_WAITING MS_SLOTS_OF(MS_SLOT_WAITING)
#define MS_SLOTS_IN_USE (MS_SLOTS_ADMITTED | MS_SLOTS_WAITING | MS_SLOTS_OF(MS_SLOT_HOLD))

/* Whether a slot holds memory of its own: admitted itself, or granted
 * admission by the head (its memory is reserved either way). */
static inline bool ms_slot_admitted(const struct ms_slot *s)
{
        uint32_t st = ms_slot_state(s);
        return st < 32 && (MS_SLOTS_ADMITTED & MS_SLOTS_OF(st));
}

/* The index of the first slot after `after` (-1: from the start) whose state
 * is in the set `states`, or -1. Iterate with MS_LEDGER_FOREACH. */
int ms_ledger_next(const struct ms_ledger_file *f, int after, uint32_t states);
#define MS_LEDGER_FOREACH(f, i, states) \
        for (int i = ms_ledger_next((f), -1, (states)); i >= 0; i = ms_ledger_next((f), i, (states)))

/* An admitted or granted slot as the admission policy sees it. */
struct ms_admitted ms_slot_to_admitted(const struct ms_slot *s);

/* The admitted and granted slots as ms_admitted records (up to max);
 * running, if not NULL, says by slot which of them run. */
size_t ms_ledger_admitted(const struct ms_ledger_file *f, const bool *running, struct ms_admitted *out, size_t max);

/* A look at an admitted slot's RSS at now_ns: kept as its last seen RSS and
 * noted in its trace. Returns whether it grew by MS_SETTLE_GROWTH or more
 * since the last look. Caller holds the lock. */
bool ms_ledger_observe(struct ms_slot *s, uint64_t rss, uint64_t now_ns);

/* A supervisor froze (stop) or resumed an admitted slot's process at now_ns.
 * Caller holds the lock. */
void ms_ledger_pause(struct ms_slot *s, uint64_t now_ns, bool stop);

/* How long an admitted slot has run since admission at now_ns, frozen time
 * left out (ns). */
uint64_t ms_ledger_age(const struct ms_slot *s, uint64_t now_ns);
