/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A ledger file with any contents (any process of the user can write it):
 * opened as the preload opens it (repaired or reset), read as `memstop
 * status` maps it, then a waiter joins and takes a few looks at it with
 * fake figures, and leaves with and without the lock. Nothing in the file
 * may crash a reader or make it index outside the slots.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "gate/ledger.h"
#include "gate/queue.h"

static int dirfd = -1;

static int fake_sample(struct ms_sample *s, void *userdata)
{
        *s = (struct ms_sample){ .available = 1ull << 30, .total = 8ull << 30 };
        return 0;
}

static int fake_rss(pid_t pid, uint64_t *rss, void *userdata)
{
        *rss = (uint64_t)pid << 12;
        return 0;
}

/* Odd pids live; so the pruning and the head's replacement both run. */
static bool fake_alive(pid_t pid, uint64_t starttime, void *userdata)
{
        return pid & 1;
}

static bool fake_stopped(pid_t pid, uint64_t starttime, void *userdata)
{
        return (pid & 3) == 3;
}

static uint64_t fake_now(void *userdata)
{
        return *(uint64_t *)userdata += 7 * 1000 * 1000;
}

static void waiter(struct ms_ledger *l)
{
        uint64_t now = 1ull << 40;
        struct ms_queue_ops ops = { .sample = fake_sample, .rss = fake_rss, .alive = fake_alive,
                                    .now_ns = fake_now, .stopped = fake_stopped, .userdata = &now };
        struct ms_queue_request req = { .pid = 4243, .starttime = 1, .pidns = 7, .program = "fuzz",
                                        .cand = { .kind = MS_PREDICT_VERIFIED, .predicted = 1 << 20 } };
        struct ms_queue_waiter w;
        struct ms_queue_result res = {};
        struct ms_config c;
        uint64_t sleep_ns;
        struct ms_admitted adm[MS_LEDGER_SLOTS];

        ms_config_init(&c);
        if (ms_queue_join(l->map, &req, &ops, now, &w) < 0)
                return;
        for (int i = 0; i < 4; i++)
                if (ms_queue_step(l->map, &c, &req, &ops, &w, fake_now(&now), &res, &sleep_ns) != MS_QUEUE_SLEEP)
                        break;
        if (ms_ledger_admitted(l->map, NULL, adm, MS_LEDGER_SLOTS) > MS_LEDGER_SLOTS)
                abort();
        if (ms_ledger_head(l->map) >= (int)MS_LEDGER_SLOTS)
                abort();
        (void)ms_ledger_leave_unlocked(l->map, w.self, req.pid, req.starttime);
        ms_queue_leave(l, req.pid, req.starttime);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ms_ledger l, ro;
        int fd;

        if (dirfd < 0 && (dirfd = open(fuzz_dir("ledger"), O_RDONLY | O_DIRECTORY)) < 0)
                abort();
        fd = openat(dirfd, "queue-fuzz", O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
                abort();
        /* The input, at the start of a file of the ledger's size (or its own). */
        if (write(fd, data, size) != (ssize_t)size || (size < sizeof(struct ms_ledger_file) && size % 2 == 0 &&
                                                        ftruncate(fd, sizeof(struct ms_ledger_file)) < 0))
                abort();
        close(fd);
        if (ms_ledger_open_ro(dirfd, "queue-fuzz", &ro) == 0) {
                (void)ms_ledger_head(ro.map);
                ms_ledger_close(&ro);
        }
        if (ms_ledger_open(dirfd, "queue-fuzz", &l) == 0) {
                waiter(&l);
                ms_ledger_close(&l);
        }
        return 0;
}
