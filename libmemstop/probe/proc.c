/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/parse.h"
#include "util/macro.h"
#include "probe/proc.h"
#include "util/strutil.h"

/* proc/stat has 52 fields of at most 20 digits plus comm (at most 64 bytes). */
#define STAT_BUF 2048

/*
 * "proc/PID/FILE" or "proc/self/FILE" into buf, without libc (the preload
 * checks liveness on its fast path). Returns 0 or -ENAMETOOLONG.
 */
static MS_HOT int proc_path(pid_t pid, const char *file, char *buf, size_t size)
{
        char digits[16];
        size_t n = 0, nd = 0;
        const char *p;

        if (pid < 0)
                return -EINVAL;
        if (pid == 0) {
                for (p = "self"; *p; p++)
                        digits[nd++] = *p;
        } else {
                char rev[16];
                size_t nr = 0;
                for (unsigned long v = (unsigned long)pid; v; v /= 10)
                        rev[nr++] = (char)('0' + v % 10);
                while (nr)
                        digits[nd++] = rev[--nr];
        }
        if (5 + nd + 1 + ms_strlen(file) + 1 > size)
                return -ENAMETOOLONG;
        for (p = "proc/"; *p; p++)
                buf[n++] = *p;
        for (size_t i = 0; i < nd; i++)
                buf[n++] = digits[i];
        buf[n++] = '/';
        for (p = file; *p; p++)
                buf[n++] = *p;
        buf[n] = '\0';
        return 0;
}

/* Read proc/PID/file; a missing process reads as -ESRCH. */
static MS_HOT int proc_read(int rootfd, pid_t pid, const char *file, char *buf, size_t size)
{
        char path[64];
        int r = proc_path(pid, file, path, sizeof(path));

        if (r < 0)
                return r;
        r = ms_read_at(rootfd, path, buf, size, NULL);
        return r == -ENOENT ? -ESRCH : r;
}

static MS_HOT bool is_letter(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* One unsigned decimal field ending in ' ', '\n' or NUL; *p moves past it. */
static MS_HOT int take_u64(const char **p, uint64_t *out)
{
        const char *s = *p;
        uint64_t v;

        if (ms_parse_u64_prefix(&s, &v) < 0 || (*s != ' ' && *s != '\n' && *s != '\0'))
                return -EINVAL;
        *p = s;
        *out = v;
        return 0;
}

MS_HOT int ms_proc_stat_parse(const char *text, struct ms_proc_stat *out)
{
        struct ms_proc_stat st = {};
        const char *p;
        uint64_t v;

        /* "PID (comm) S ...": comm is anything, so the last ')' ends it. */
        if (!ms_isdigit(*text) || !ms_strchr(text, '('))
                return -EINVAL;
        p = ms_strrchr(text, ')');
        if (!p || p < ms_strchr(text, '('))
                return -EINVAL;
        p++;
        /* Field 3: the state, one letter. */
        if (p[0] != ' ' || !is_letter(p[1]) || p[2] != ' ')
                return -EINVAL;
        st.state = p[1];
        p += 2;
        /* Fields 4..22; some (tty_nr, tpgid, priority, nice) may be negative. */
        for (unsigned field = 4; field <= 22; field++) {
                if (*p != ' ')
                        return -EINVAL;
                p++;
                if (field == 4 || field == 14 || field == 15 || field == 22) {
                        if (take_u64(&p, &v) < 0)
                                return -EINVAL;
                        if (field == 4) {
                                if (v > INT32_MAX)
                                        return -EINVAL;
                                st.ppid = (pid_t)v;
                        } else if (field == 14) {
                                st.utime = v;
                        } else if (field == 15) {
                                st.stime = v;
                        } else {
                                st.starttime = v;
                        }
                        continue;
                }
                if (*p == '-')
                        p++;
                if (take_u64(&p, &v) < 0)
                        return -EINVAL;
        }
        *out = st;
        return 0;
}

MS_HOT int ms_proc_stat_read(int rootfd, pid_t pid, struct ms_proc_stat *out)
{
        char buf[STAT_BUF];
        int r = proc_read(rootfd, pid, "stat", buf, sizeof(buf));

        if (r < 0)
                return r;
        return ms_proc_stat_parse(buf, out);
}

int ms_proc_statm_parse(const char *text, uint64_t page_size, uint64_t *rss)
{
        const char *p = text;
        uint64_t size, resident;

        if (take_u64(&p, &size) < 0 || *p != ' ')
                return -EINVAL;
        p++;
        if (take_u64(&p, &resident) < 0)
                return -EINVAL;
        if (page_size && resident > UINT64_MAX / page_size)
                return -EINVAL;
        *rss = resident * page_size;
        return 0;
}

int ms_proc_rss_read(int rootfd, pid_t pid, uint64_t *rss)
{
        char buf[256];
        long page = sysconf(_SC_PAGESIZE);
        int r = proc_read(rootfd, pid, "statm", buf, sizeof(buf));

        if (r < 0)
                return r;
        return ms_proc_statm_parse(buf, page > 0 ? (uint64_t)page : 4096, rss);
}

MS_HOT bool ms_proc_alive(int rootfd, pid_t pid, uint64_t starttime)
{
        struct ms_proc_stat st;

        if (ms_proc_stat_read(rootfd, pid, &st) < 0)
                return false;
        /* 'x' is how kernels before 3.14 wrote a dead task. */
        if (st.state == 'Z' || st.state == 'X' || st.state == 'x')
                return false;
        return st.starttime == starttime;
}

int ms_proc_status_hwm_parse(const char *text, uint64_t *hwm)
{
        uint64_t kb;
        int r = ms_field_u64(text, "VmHWM:", &kb);

        if (r < 0)
                return r;
        if (kb > UINT64_MAX / 1024)
                return -EINVAL;
        *hwm = kb * 1024;
        return 0;
}

int ms_proc_hwm_read(int rootfd, pid_t pid, uint64_t *hwm)
{
        char buf[8192];
        int r = proc_read(rootfd, pid, "status", buf, sizeof(buf));

        /* -EFBIG: VmHWM is in the first half; parse what we have. */
        if (r < 0 && r != -EFBIG)
                return r;
        return ms_proc_status_hwm_parse(buf, hwm);
}
