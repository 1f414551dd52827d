/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Helper of the lockd integration tests and the benchmark:
 *   lockd-helper mincore FILE   prints "RESIDENT TOTAL" pages of FILE in the page cache
 *   lockd-helper hog MIB        allocates and touches MIB MiB, prints "ready", waits to be killed
 *   lockd-helper thrash FILE SECONDS
 *                               reads every page of FILE through a mapping, again and again:
 *                               in a cgroup too small for it, every pass refaults (memory pressure)
 *   lockd-helper mapexec FILE...
 *                               maps each FILE executable (as a loader maps code), prints "ready",
 *                               waits to be killed: a process whose maps name many files
 */
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int do_mincore(const char *path)
{
        long page = sysconf(_SC_PAGESIZE);
        size_t pages, resident = 0;
        unsigned char *vec;
        struct stat st;
        void *map;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        if (st.st_size == 0) {
                printf("0 0\n");
                return 0;
        }
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
                fprintf(stderr, "mmap %s: %s\n", path, strerror(errno));
                return 1;
        }
        pages = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page;
        vec = malloc(pages);
        if (!vec || mincore(map, (size_t)st.st_size, vec) < 0) {
                fprintf(stderr, "mincore %s: %s\n", path, strerror(errno));
                return 1;
        }
        for (size_t i = 0; i < pages; i++)
                resident += vec[i] & 1;
        printf("%zu %zu\n", resident, pages);
        free(vec);
        munmap(map, (size_t)st.st_size);
        close(fd);
        return 0;
}

static int do_hog(const char *mib)
{
        size_t bytes = (size_t)strtoul(mib, NULL, 10) << 20;
        long page = sysconf(_SC_PAGESIZE);
        char *p = malloc(bytes);

        if (!p) {
                fprintf(stderr, "hog: cannot allocate %s MiB\n", mib);
                return 1;
        }
        for (size_t i = 0; i < bytes; i += (size_t)page)
                p[i] = 1;
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}

static int do_thrash(const char *path, const char *seconds)
{
        long page = sysconf(_SC_PAGESIZE);
        time_t end = time(NULL) + atoi(seconds);
        volatile unsigned long sum = 0;
        struct stat st;
        const char *map;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
                fprintf(stderr, "mmap %s: %s\n", path, strerror(errno));
                return 1;
        }
        while (time(NULL) < end)
                for (off_t o = 0; o < st.st_size; o += page)
                        sum += (unsigned char)map[o];
        return sum == (unsigned long)-1; /* read: every page was touched for it */
}

static int do_mapexec(int n, char **files)
{
        for (int i = 0; i < n; i++) {
                struct stat st;
                int fd = open(files[i], O_RDONLY | O_CLOEXEC);

                if (fd < 0 || fstat(fd, &st) < 0 ||
                    mmap(NULL, st.st_size ? (size_t)st.st_size : 1, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) ==
                            MAP_FAILED) {
                        fprintf(stderr, "mapexec %s: %s\n", files[i], strerror(errno));
                        return 1;
                }
                close(fd);
        }
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}

int main(int argc, char **argv)
{
        if (argc >= 3 && strcmp(argv[1], "mapexec") == 0)
                return do_mapexec(argc - 2, argv + 2);
        if (argc == 4 && strcmp(argv[1], "thrash") == 0)
                return do_thrash(argv[2], argv[3]);
        if (argc == 3 && strcmp(argv[1], "mincore") == 0)
                return do_mincore(argv[2]);
        if (argc == 3 && strcmp(argv[1], "hog") == 0)
                return do_hog(argv[2]);
        fprintf(stderr, "usage: lockd-helper mincore FILE | hog MIB | thrash FILE SECONDS | mapexec FILE...\n");
        return 2;
}
