/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/macro.h"
#include "lockd/maps.h"
#include "util/fileio.h"

static int parse_hex(const char **p, uint64_t *out)
{
        const char *s = *p;
        uint64_t v = 0;
        unsigned digits = 0;

        for (;; s++, digits++) {
                unsigned d;

                if (*s >= '0' && *s <= '9')
                        d = (unsigned)(*s - '0');
                else if (*s >= 'a' && *s <= 'f')
                        d = (unsigned)(*s - 'a' + 10);
                else if (*s >= 'A' && *s <= 'F')
                        d = (unsigned)(*s - 'A' + 10);
                else
                        break;
                if (digits >= 16)
                        return -EINVAL;
                v = v << 4 | d;
        }
        if (digits == 0)
                return -EINVAL;
        *out = v;
        *p = s;
        return 0;
}

static int parse_dec(const char **p, uint64_t *out)
{
        const char *s = *p;
        uint64_t v = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *out = v;
        *p = s;
        return 0;
}

static int expect(const char **p, char c)
{
        if (**p != c)
                return -EINVAL;
        (*p)++;
        return 0;
}

static enum lockd_map_kind classify(const char *path)
{
        static const char *const not_files[] = { "/memfd:", "/dev/", "/SYSV", "/proc/", "/sys/", "/dmabuf:" };

        if (!*path)
                return LOCKD_MAP_ANONYMOUS;
        if (*path != '/')
                return LOCKD_MAP_SPECIAL;
        for (size_t i = 0; i < MS_ARRAY_SIZE(not_files); i++)
                if (strncmp(path, not_files[i], strlen(not_files[i])) == 0)
                        return LOCKD_MAP_OTHER;
        return LOCKD_MAP_FILE;
}

int lockd_maps_parse_line(char *line, struct lockd_mapping *m)
{
        static const char deleted[] = " (deleted)";
        const char *p = line;
        struct lockd_mapping r = {};
        uint64_t maj, min;
        char *path;
        size_t len;

        if (parse_hex(&p, &r.start) < 0 || expect(&p, '-') < 0 || parse_hex(&p, &r.end) < 0 ||
            expect(&p, ' ') < 0 || r.end < r.start)
                return -EINVAL;
        if (strlen(p) < 5 || p[4] != ' ')
                return -EINVAL;
        if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') || (p[2] != 'x' && p[2] != '-') ||
            (p[3] != 's' && p[3] != 'p'))
                return -EINVAL;
        r.read = p[0] == 'r';
        r.write = p[1] == 'w';
        r.exec = p[2] == 'x';
        r.shared = p[3] == 's';
        p += 5;
        if (parse_hex(&p, &r.offset) < 0 || expect(&p, ' ') < 0 || parse_hex(&p, &maj) < 0 ||
            expect(&p, ':') < 0 || parse_hex(&p, &min) < 0 || expect(&p, ' ') < 0 || parse_dec(&p, &r.inode) < 0)
                return -EINVAL;
        if (maj > 0xfff || min > 0xfffff)
                return -EINVAL;
        r.dev_major = (unsigned)maj;
        r.dev_minor = (unsigned)min;
        if (*p != ' ' && *p != '\0')
                return -EINVAL;
        while (*p == ' ')
                p++;
        path = line + (p - line);
        len = strlen(path);
        if (len >= sizeof(deleted) - 1 && strcmp(path + len - (sizeof(deleted) - 1), deleted) == 0 &&
            path[0] == '/') {
                path[len - (sizeof(deleted) - 1)] = '\0';
                r.deleted = true;
        }
        r.path = path;
        r.kind = classify(path);
        if (r.kind == LOCKD_MAP_ANONYMOUS && r.inode != 0)
                return -EINVAL;
        *m = r;
        return 0;
}

struct maps_walk {
        lockd_mapping_fn fn;
        void *userdata;
        unsigned *bad;
};

static int maps_line(char *line, void *userdata)
{
        struct maps_walk *w = userdata;
        struct lockd_mapping m;

        if (lockd_maps_parse_line(line, &m) == 0)
                return w->fn(&m, w->userdata);
        if (w->bad)
                (*w->bad)++;
        return 0;
}

int lockd_maps_parse(char *text, lockd_mapping_fn fn, void *userdata, unsigned *bad)
{
        struct maps_walk w = { fn, userdata, bad };
        char *line = text;

        while (*line) {
                char *nl = strchr(line, '\n');
                int r;

                if (nl)
                        *nl = '\0';
                r = maps_line(line, &w);
                if (r != 0 || !nl)
                        return r;
                line = nl + 1;
        }
        return 0;
}

int lockd_maps_read(int rootfd, pid_t pid, char *buf, size_t bufsize, lockd_mapping_fn fn, void *userdata,
                    unsigned *bad)
{
        struct maps_walk w = { fn, userdata, bad };
        char path[32];

        snprintf(path, sizeof(path), "proc/%d/maps", (int)pid);
        return ms_read_lines_at(rootfd, path, buf, bufsize, maps_line, &w, bad);
}
