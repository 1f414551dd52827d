/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/parse.h"
#include "probe/lockdstate.h"
#include "util/macro.h"

#define STATE_DIR "run/memstop-lockd"
#define STATE_TMP "run/memstop-lockd/.state.tmp"

struct state_key {
        const char *name;
        size_t offset;
};

#define KEY(n, field) { n, offsetof(struct ms_lockd_state, field) }

static const struct state_key keys[] = {
        KEY("started", started),
        KEY("updated", updated),
        KEY("locked_bytes", locked_bytes),
        KEY("locked_files", locked_files),
        KEY("budget_bytes", budget_bytes),
        KEY("skipped_files", skipped_files),
};

int ms_lockd_state_parse(const char *text, struct ms_lockd_state *out)
{
        struct ms_lockd_state st = {};
        uint64_t pid;
        int r;

        /* Every key must be there: a file cut short is corrupt, not zero. */
        r = ms_field_u64(text, "pid", &pid);
        if (r < 0 || pid == 0 || pid > INT32_MAX)
                return -EINVAL;
        st.pid = (pid_t)pid;
        for (size_t i = 0; i < MS_ARRAY_SIZE(keys); i++) {
                r = ms_field_u64(text, keys[i].name, (uint64_t *)((char *)&st + keys[i].offset));
                if (r < 0)
                        return -EINVAL;
        }
        *out = st;
        return 0;
}

int ms_lockd_state_read(int rootfd, struct ms_lockd_state *out)
{
        char buf[512];
        int r;

        r = ms_read_at(rootfd, MS_LOCKD_STATE_PATH, buf, sizeof(buf), NULL);
        if (r == -EFBIG)
                return -EINVAL;
        if (r < 0)
                return r;
        return ms_lockd_state_parse(buf, out);
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

int ms_lockd_state_write(int rootfd, const struct ms_lockd_state *st)
{
        _cleanup_close_ int fd = -1;
        char buf[512];
        int n, r;

        /* run/ itself belongs to the system; only our directory is made here. */
        if (mkdirat(rootfd, STATE_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        n = snprintf(buf, sizeof(buf),
                     "pid %d\nstarted %" PRIu64 "\nupdated %" PRIu64 "\nlocked_bytes %" PRIu64
                     "\nlocked_files %" PRIu64 "\nbudget_bytes %" PRIu64 "\nskipped_files %" PRIu64 "\n",
                     (int)st->pid, st->started, st->updated, st->locked_bytes, st->locked_files,
                     st->budget_bytes, st->skipped_files);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EOVERFLOW;
        fd = openat(rootfd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        r = write_all(fd, buf, (size_t)n);
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r == 0 && renameat(rootfd, STATE_TMP, rootfd, MS_LOCKD_STATE_PATH) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(rootfd, STATE_TMP, 0);
        return r;
}
