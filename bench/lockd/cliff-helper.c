/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Helper of bench/lockd-cliff.sh:
 *   cliff-helper hog MIB
 *       allocate and touch MIB MiB of anonymous memory, print "ready", wait to be killed
 *   cliff-helper waitlocked PID START TIMEOUT FILE...
 *       poll every millisecond until each FILE is mapped read-only shared by PID
 *       (memstop-lockd's locks) and wholly resident; print the seconds since
 *       START (CLOCK_REALTIME seconds, as from date +%s.%N), or "timeout"
 *   cliff-helper smaps PID
 *       print "OTHER LOCKED_FILES LOCK_MAPPINGS" (kB of Rss): PID's resident memory
 *       that is not of a file it locks; its loader's mappings of files it locks
 *       (libc...: the same, locked, pages); its lock mappings (read-only shared)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_real(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hog(const char *mib)
{
        size_t bytes = (size_t)strtoul(mib, NULL, 10) << 20;
        char *p = malloc(bytes);

        if (!p) {
                fprintf(stderr, "hog: cannot allocate %s MiB\n", mib);
                return 1;
        }
        for (size_t i = 0; i < bytes; i += 4096)
                p[i] = 1;
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}

static bool resident(const char *path)
{
        bool all = true;
        struct stat st;
        unsigned char *vec;
        size_t pages;
        void *map;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        if (st.st_size == 0) {
                close(fd);
                return true;
        }
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (map == MAP_FAILED)
                return false;
        pages = ((size_t)st.st_size + 4095) / 4096;
        vec = malloc(pages);
        if (!vec || mincore(map, (size_t)st.st_size, vec) < 0)
                all = false;
        for (size_t i = 0; all && i < pages; i++)
                all = vec[i] & 1;
        free(vec);
        munmap(map, (size_t)st.st_size);
        return all;
}

/* Whether PID maps path read-only shared (its lock mapping). */
static bool locked_by(const char *maps, const char *path)
{
        size_t len = strlen(path);

        for (const char *p = strstr(maps, path); p; p = strstr(p + 1, path)) {
                const char *line = p;
                while (line > maps && line[-1] != '\n')
                        line--;
                if ((p[len] == '\n' || p[len] == '\0') && p[-1] == ' ' && strstr(line, " r--s ") &&
                    strstr(line, " r--s ") < p)
                        return true;
        }
        return false;
}

static int waitlocked(int argc, char **argv)
{
        double start = atof(argv[3]), deadline = now_real() + atof(argv[4]);
        char path[64], *maps = malloc(1 << 20);
        bool *done = calloc((size_t)argc, sizeof(bool));
        int left = argc - 5;

        snprintf(path, sizeof(path), "/proc/%s/maps", argv[2]);
        while (left > 0) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                size_t have = 0;
                ssize_t n = 0;
                double t;

                /* /proc files come in pieces: read to the end. */
                while (fd >= 0 && have < (1 << 20) - 1 && (n = read(fd, maps + have, (1 << 20) - 1 - have)) > 0)
                        have += (size_t)n;
                if (fd >= 0)
                        close(fd);
                if (fd < 0 || n < 0) {
                        fprintf(stderr, "waitlocked: %s: %s\n", path, strerror(errno));
                        return 1;
                }
                maps[have] = '\0';
                for (int i = 5; i < argc; i++)
                        if (!done[i] && locked_by(maps, argv[i]) && resident(argv[i])) {
                                done[i] = true;
                                left--;
                        }
                t = now_real();
                if (left == 0) {
                        printf("%.3f\n", t - start);
                        return 0;
                }
                if (t > deadline) {
                        printf("timeout\n");
                        for (int i = 5; i < argc; i++)
                                if (!done[i])
                                        fprintf(stderr, "not locked: %s\n", argv[i]);
                        return 1;
                }
                usleep(1000);
        }
        return 0;
}

/* Rss of PID's mappings in three parts: the lock mappings (read-only shared),
 * other mappings of the locked files (the loader's own mappings of libc...,
 * whose pages are the locked ones), and everything else. Two passes: the
 * first collects the paths of the lock mappings. */
static int smaps(const char *pid)
{
        char path[64], line[4096], name[4096];
        char **locked = NULL;
        size_t nlocked = 0;
        unsigned long long rss_lock = 0, rss_locked_file = 0, rss_other = 0, v;
        int kind = 0; /* 0 other, 1 lock mapping, 2 other mapping of a locked file */
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%s/smaps", pid);
        for (int pass = 0; pass < 2; pass++) {
                f = fopen(path, "r");
                if (!f) {
                        fprintf(stderr, "%s: %s\n", path, strerror(errno));
                        return 1;
                }
                while (fgets(line, sizeof(line), f)) {
                        char perms[8];
                        int off = 0;

                        line[strcspn(line, "\n")] = '\0';
                        if (sscanf(line, "%*x-%*x %7s %*x %*x:%*x %*u %n", perms, &off) == 1 && off > 0) {
                                snprintf(name, sizeof(name), "%s", line + off);
                                if (pass == 0) {
                                        if (strcmp(perms, "r--s") == 0 && name[0] == '/') {
                                                locked = realloc(locked, (nlocked + 1) * sizeof(char *));
                                                locked[nlocked++] = strdup(name);
                                        }
                                        continue;
                                }
                                kind = 0;
                                if (strcmp(perms, "r--s") == 0)
                                        kind = 1;
                                else
                                        for (size_t i = 0; i < nlocked && kind == 0; i++)
                                                if (strcmp(locked[i], name) == 0)
                                                        kind = 2;
                                continue;
                        }
                        if (pass == 1 && sscanf(line, "Rss: %llu kB", &v) == 1) {
                                if (kind == 1)
                                        rss_lock += v;
                                else if (kind == 2)
                                        rss_locked_file += v;
                                else
                                        rss_other += v;
                        }
                }
                fclose(f);
        }
        printf("%llu %llu %llu\n", rss_other, rss_locked_file, rss_lock);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 3 && strcmp(argv[1], "hog") == 0)
                return hog(argv[2]);
        if (argc >= 6 && strcmp(argv[1], "waitlocked") == 0)
                return waitlocked(argc, argv);
        if (argc == 3 && strcmp(argv[1], "smaps") == 0)
                return smaps(argv[2]);
        fprintf(stderr, "usage: cliff-helper hog MIB | waitlocked PID START TIMEOUT FILE... | smaps PID\n");
        return 2;
}
