/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gate/ledger.h"
#include "gate/lockwait.h"
#include "util/clock.h"
#include "util/macro.h"

void ms_ledger_name(const char *cgroup_dir, char *buf, size_t size)
{
        const char *what = cgroup_dir && *cgroup_dir ? cgroup_dir : "host";

        /* The layout's version in the name: processes of another memstop
         * version never resize a file mapped by this one. */
        snprintf(buf, size, "queue-v%u-%016" PRIx64, MS_LEDGER_VERSION, ms_fnv1a(what, strlen(what), MS_FNV1A_SEED));
}

static void init_file(struct ms_ledger_file *f)
{
        memset(f, 0, sizeof(*f));
        f->header.magic = MS_LEDGER_MAGIC;
        f->header.version = MS_LEDGER_VERSION;
        f->header.slots = MS_LEDGER_SLOTS;
        f->header.slot_size = sizeof(struct ms_slot);
        f->header.next_ticket = 1;
}

static bool header_valid(const struct ms_ledger_file *f)
{
        const struct ms_ledger_header *h = &f->header;

        return h->magic == MS_LEDGER_MAGIC && h->version == MS_LEDGER_VERSION && h->slots == MS_LEDGER_SLOTS &&
               h->slot_size == sizeof(struct ms_slot) && h->next_ticket > 0;
}

/* Slots with impossible contents are freed, not trusted: a state, kind or
 * grant that does not exist, no pid, a ticket never given out. */
unsigned ms_ledger_repair(struct ms_ledger_file *f)
{
        unsigned n = 0;

        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                struct ms_slot *s = &f->slot[i];
                if (s->state == MS_SLOT_FREE)
                        continue;
                if (s->state > MS_SLOT_HOLD || s->pid <= 0 || s->kind > MS_PREDICT_VERIFIED ||
                    s->granted > MS_GRANT_LONG_FIRST || s->ticket == 0 || s->ticket >= f->header.next_ticket) {
                        memset(s, 0, sizeof(*s));
                        n++;
                }
        }
        return n;
}

uint64_t ms_pidns_self(void)
{
        struct stat st;

        return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Out of the program's way: a program that closes and reuses low numbers
 * (or dup2()s onto them) never meets the ledger's fd. */
static int move_high(int fd)
{
        int high = fcntl(fd, F_DUPFD_CLOEXEC, MS_LEDGER_FD_MIN);

        if (high < 0)
                return fd; /* a low RLIMIT_NOFILE: keep it where it is, still checked */
        close(fd);
        return high;
}

/* Open name in dirfd (never through a symlink): a regular file of ours, or
 * -EPERM. Returns the fd or -errno. */
static int open_ours(int dirfd, const char *name, int flags, struct stat *st)
{
        _cleanup_close_ int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);

        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0)
                return -errno;
        if (!S_ISREG(st->st_mode) || st->st_uid != geteuid())
                return -EPERM;
        return MS_TAKE_FD(fd);
}

/* The lock's holder, as the header names it (ms_lock_owner). */
static struct ms_lock_owner owner_of(struct ms_ledger_file *map, uint64_t pidns)
{
        return (struct ms_lock_owner){ .pid = &map->header.lock_pid, .pidns = &map->header.lock_pidns,
                                       .own_pidns = pidns };
}

/* Say who holds the lock (just taken), or that it is being let go. */
static void lock_taken(struct ms_ledger_file *map, uint64_t pidns)
{
        __atomic_store_n(&map->header.lock_pidns, pidns, __ATOMIC_RELAXED);
        __atomic_store_n(&map->header.lock_pid, (int32_t)getpid(), __ATOMIC_RELEASE);
}

static void lock_letting_go(struct ms_ledger_file *map)
{
        __atomic_store_n(&map->header.lock_pid, 0, __ATOMIC_RELEASE);
}

int ms_ledger_open(int dirfd, const char *name, struct ms_ledger *ledger)
{
        _cleanup_close_ int fd = -1;
        struct ms_ledger_file *map = MAP_FAILED;
        struct ms_lock_owner owner;
        uint64_t pidns = ms_pidns_self();
        struct stat st;
        bool reset = false;
        int r;

        fd = open_ours(dirfd, name, O_RDWR | O_CREAT, &st);
        if (fd < 0)
                return fd;
        fd = move_high(fd);
        /* A ledger of its size is mapped before its lock is waited for: the
         * wait asks its header who holds the lock. */
        if (st.st_size == (off_t)sizeof(*map))
                map = mmap(NULL, sizeof(*map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED)
                owner = owner_of(map, pidns);
        r = ms_flock_patient(fd, LOCK_EX, MS_LEDGER_PATIENCE_NS, map != MAP_FAILED ? &owner : NULL);
        if (r < 0) {
                if (map != MAP_FAILED)
                        munmap(map, sizeof(*map));
                return r;
        }
        if (fstat(fd, &st) < 0 || (st.st_size != (off_t)sizeof(*map) && ftruncate(fd, sizeof(*map)) < 0)) {
                r = -errno;
                flock(fd, LOCK_UN);
                if (map != MAP_FAILED)
                        munmap(map, sizeof(*map));
                return r;
        }
        if (map == MAP_FAILED)
                map = mmap(NULL, sizeof(*map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
                r = -errno;
                flock(fd, LOCK_UN);
                return r;
        }
        lock_taken(map, pidns);
        if (!header_valid(map)) {
                /* New, of another version (our magic, another layout), or corrupt:
                 * start afresh. Only a non-empty file without our magic is reported. */
                reset = st.st_size != 0 && map->header.magic != MS_LEDGER_MAGIC;
                init_file(map);
        } else if (ms_ledger_repair(map)) {
                reset = true;
        }
        lock_letting_go(map);
        flock(fd, LOCK_UN);
        ledger->fd = MS_TAKE_FD(fd);
        ledger->map = map;
        ledger->reset = reset;
        ledger->dev = (uint64_t)st.st_dev;
        ledger->ino = (uint64_t)st.st_ino;
        ledger->pidns = pidns;
        return 0;
}

int ms_ledger_open_ro(int dirfd, const char *name, struct ms_ledger *ledger)
{
        _cleanup_close_ int fd = -1;
        struct ms_ledger_file *map;
        struct stat st;

        fd = open_ours(dirfd, name, O_RDONLY, &st);
        if (fd < 0)
                return fd;
        if (st.st_size != (off_t)sizeof(*map))
                return -EINVAL;
        map = mmap(NULL, sizeof(*map), PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
                return -errno;
        if (!header_valid(map)) {
                munmap(map, sizeof(*map));
                return -EINVAL;
        }
        /* The mapping stays valid without the fd: a reader takes no lock. */
        *ledger = (struct ms_ledger){ .fd = -1, .map = map };
        return 0;
}

/* Whether fd is still the ledger's (the program may have reused its number). */
static bool still_ours(const struct ms_ledger *ledger)
{
        struct stat st;

        return fstat(ledger->fd, &st) == 0 && (uint64_t)st.st_dev == ledger->dev && (uint64_t)st.st_ino == ledger->ino;
}

void ms_ledger_close(struct ms_ledger *ledger)
{
        if (ledger->map)
                munmap(ledger->map, sizeof(*ledger->map));
        ledger->map = NULL;
        /* Never close what the program put at that number. */
        if (ledger->fd >= 0 && (!ledger->ino || still_ours(ledger)))
                close(ledger->fd);
        ledger->fd = -1;
}

/*
 * A lock is held for microseconds, or milliseconds while its holder reads
 * /proc: look often, then less, up to MS_FLOCK_PAUSE_MAX_NS, each pause
 * drawn between its half and all of it. Hundreds of processes that join at
 * once (200 supervisors and their 200 jobs) looking every millisecond spent
 * both CPUs on their looks and the holder waited for a CPU: 200 joined the
 * queue in 45 s, in the test beside its status polls 121 in 180 s.
 */
#define MS_FLOCK_PAUSE_MIN_NS 50000ull
#define MS_FLOCK_PAUSE_MAX_NS 8000000ull

int ms_flock_within(int fd, int op, uint64_t timeout_ns)
{
        uint64_t now = ms_monotonic_ns(), deadline = now + timeout_ns, pause_ns = MS_FLOCK_PAUSE_MIN_NS;
        uint64_t seed = now ^ ((uint64_t)getpid() * 0x9e3779b97f4a7c15ull);

        for (;;) {
                if (flock(fd, op | LOCK_NB) == 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return -errno;
                now = ms_monotonic_ns();
                if (now >= deadline)
                        return -ETIMEDOUT;
                /* xorshift: a pause of its own, so that looks spread out. */
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                uint64_t sleep_ns = pause_ns / 2 + seed % (pause_ns / 2 + 1);
                if (sleep_ns > deadline - now)
                        sleep_ns = deadline - now;
                struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)sleep_ns };
                (void)nanosleep(&ts, NULL);
                pause_ns = pause_ns * 2 < MS_FLOCK_PAUSE_MAX_NS ? pause_ns * 2 : MS_FLOCK_PAUSE_MAX_NS;
        }
}

/* A lock taken (r == 0) is said in the header (lock_pid). */
static int taken(struct ms_ledger *ledger, int r)
{
        if (r == 0 && ledger->map)
                lock_taken(ledger->map, ledger->pidns);
        return r;
}

int ms_ledger_lock_within(struct ms_ledger *ledger, uint64_t timeout_ns)
{
        if (ledger->fd < 0 || !still_ours(ledger))
                return -EBADF;
        return taken(ledger, ms_flock_within(ledger->fd, LOCK_EX, timeout_ns));
}

int ms_ledger_lock_patient(struct ms_ledger *ledger, uint64_t patience_ns)
{
        struct ms_lock_owner owner;

        if (ledger->fd < 0 || !still_ours(ledger))
                return -EBADF;
        if (ledger->map)
                owner = owner_of(ledger->map, ledger->pidns);
        return taken(ledger, ms_flock_patient(ledger->fd, LOCK_EX, patience_ns, ledger->map ? &owner : NULL));
}

int ms_ledger_lock(struct ms_ledger *ledger)
{
        return ms_ledger_lock_within(ledger, MS_LEDGER_LOCK_NS);
}

void ms_ledger_unlock(struct ms_ledger *ledger)
{
        if (ledger->map)
                lock_letting_go(ledger->map);
        flock(ledger->fd, LOCK_UN);
}

bool ms_ledger_leave_unlocked(struct ms_ledger_file *f, int i, pid_t pid, uint64_t starttime)
{
        struct ms_slot *s;
        uint32_t st;

        if (i < 0 || (unsigned)i >= MS_LEDGER_SLOTS)
                return false;
        s = &f->slot[i];
        if (s->pid != pid || s->starttime != starttime)
                return false;
        /* Only this process frees its slot while it lives; the lock holder
         * may change its state meanwhile (a grant): swap again then. */
        st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        do {
                if (st == MS_SLOT_FREE || st > MS_SLOT_HOLD)
                        return false;
        } while (!__atomic_compare_exchange_n(&s->state, &st, MS_SLOT_FREE, false, __ATOMIC_RELEASE,
                                              __ATOMIC_ACQUIRE));
        ms_ledger_wake(f, ms_ledger_head(f));
        return true;
}

unsigned ms_ledger_prune(struct ms_ledger_file *f, uint64_t pidns, ms_alive_fn alive, void *userdata)
{
        unsigned n = 0;

        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++) {
                struct ms_slot *s = &f->slot[i];
                if (s->state == MS_SLOT_FREE)
                        continue;
                /* A pid means something only in the namespace that wrote it. */
                if (s->pidns && pidns && s->pidns != pidns)
                        continue;
                if (alive(s->pid, s->starttime, userdata))
                        continue;
                memset(s, 0, sizeof(*s));
                n++;
        }
        return n;
}

int ms_ledger_head(const struct ms_ledger_file *f)
{
        int head = -1;

        MS_LEDGER_FOREACH(f, i, MS_SLOTS_WAITING)
                if (head < 0 || f->slot[i].ticket < f->slot[head].ticket)
                        head = i;
        return head;
}

int ms_ledger_free_slot(const struct ms_ledger_file *f)
{
        for (unsigned i = 0; i < MS_LEDGER_SLOTS; i++)
                if (f->slot[i].state == MS_SLOT_FREE)
                        return (int)i;
        return -1;
}

int ms_ledger_find(const struct ms_ledger_file *f, pid_t pid, uint64_t starttime)
{
        MS_LEDGER_FOREACH(f, i, MS_SLOTS_IN_USE)
                if (f->slot[i].pid == pid && f->slot[i].starttime == starttime)
                        return i;
        return -1;
}

void ms_ledger_wake(struct ms_ledger_file *f, int i)
{
        if (i >= 0)
                syscall(SYS_futex, &f->slot[i].state, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

bool ms_ledger_sleep(struct ms_ledger_file *f, int i, uint32_t state, uint64_t timeout_ns)
{
        struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000u),
                               .tv_nsec = (long)(timeout_ns % 1000000000u) };

        /* EAGAIN (changed already), EINTR: the caller looks again at once. */
        return syscall(SYS_futex, &f->slot[i].state, FUTEX_WAIT, state, &ts, NULL, 0) == 0 || errno != ETIMEDOUT;
}

bool ms_ledger_holding(const struct ms_ledger_file *f)
{
        return ms_ledger_next(f, -1, MS_SLOTS_OF(MS_SLOT_HOLD)) >= 0;
}

int ms_ledger_next(const struct ms_ledger_file *f, int after, uint32_t states)
{
        for (unsigned i = after < 0 ? 0 : (unsigned)after + 1; i < MS_LEDGER_SLOTS; i++) {
                uint32_t st = ms_slot_state(&f->slot[i]);
                if (st < 32 && (states & MS_SLOTS_OF(st)))
                        return (int)i;
        }
        return -1;
}

struct ms_admitted ms_slot_to_admitted(const struct ms_slot *s)
{
        return (struct ms_admitted){
                .kind = (enum ms_prediction_kind)s->kind,
                .predicted = s->predicted,
                .worst = s->worst,
                .rss = s->rss,
                .admitted_ns = s->since_ns,
                .grown_ns = s->grown_ns,
                /* A frozen job's end is anyone's guess: it stays. */
                .end_ns = ms_curve_valid(&s->curve) && !s->stopped_ns
                                  ? ms_admit_end_ns(s->since_ns + s->paused_ns, s->curve.duration_ms)
                                  : 0,
                .supervised = s->supervised != 0,
                .pid = s->pid,
                .runs = s->runs,
        };
}

size_t ms_ledger_admitted(const struct ms_ledger_file *f, const bool *running, struct ms_admitted *out, size_t max)
{
        size_t n = 0;

        MS_LEDGER_FOREACH(f, i, MS_SLOTS_ADMITTED) {
                if (n >= max)
                        break;
                out[n] = ms_slot_to_admitted(&f->slot[i]);
                out[n++].running = running && running[i];
        }
        return n;
}

bool ms_ledger_observe(struct ms_slot *s, uint64_t rss, uint64_t now_ns)
{
        bool grew = rss >= s->rss + MS_SETTLE_GROWTH;

        s->rss = rss;
        if (rss >= s->grown_rss + MS_SETTLE_GROWTH) {
                s->grown_rss = rss;
                s->grown_ns = now_ns;
        }
        ms_curve_note(&s->trace, ms_ledger_age(s, now_ns) / 1000000, rss);
        return grew;
}

uint64_t ms_ledger_age(const struct ms_slot *s, uint64_t now_ns)
{
        uint64_t end = s->stopped_ns && s->stopped_ns < now_ns ? s->stopped_ns : now_ns;

        return end > s->since_ns + s->paused_ns ? end - s->since_ns - s->paused_ns : 0;
}

void ms_ledger_pause(struct ms_slot *s, uint64_t now_ns, bool stop)
{
        if (stop && !s->stopped_ns) {
                s->stopped_ns = now_ns ? now_ns : 1;
        } else if (!stop && s->stopped_ns) {
                if (now_ns > s->stopped_ns)
                        s->paused_ns += now_ns - s->stopped_ns;
                s->stopped_ns = 0;
        }
}
