/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What memstop-lockd needs to know of an ELF file, read without executing
 * it: its class and machine, the file ranges the loader maps (PT_LOAD), its
 * program interpreter and its dynamic dependencies (DT_NEEDED, DT_RPATH,
 * DT_RUNPATH). Only files of the host's byte order are understood.
 *
 * Reading goes through a callback so that tests can hand in a buffer; the
 * daemon reads with pread(2) (never a mapping: a file truncated meanwhile
 * would raise SIGBUS).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOCKD_ELF_MAX_LOAD 16
#define LOCKD_ELF_MAX_NEEDED 128

struct lockd_range {
        uint64_t offset, length;
};

struct lockd_elf {
        unsigned char elf_class; /* ELFCLASS32 or ELFCLASS64 */
        uint16_t machine;        /* EM_* */
        uint16_t type;           /* ET_EXEC, ET_DYN */
        struct lockd_range load[LOCKD_ELF_MAX_LOAD]; /* file ranges of PT_LOAD, as in the file */
        unsigned nload;
        char *interp;   /* PT_INTERP, or NULL */
        char **needed;  /* DT_NEEDED names */
        size_t nneeded;
        char *rpath;    /* DT_RPATH or NULL */
        char *runpath;  /* DT_RUNPATH or NULL */
};

/* Read len bytes at off into buf; returns the bytes read (short at EOF) or -errno. */
typedef long (*lockd_elf_read_fn)(void *buf, size_t len, uint64_t off, void *userdata);

/*
 * Parse an ELF file of file_size bytes. Returns 0, -ENOEXEC (not an ELF file
 * of the host's byte order), -EINVAL (corrupt: offsets outside the file,
 * too many headers), -ENOMEM or the reader's -errno.
 */
int lockd_elf_parse(lockd_elf_read_fn read, void *userdata, uint64_t file_size, struct lockd_elf *out);

/* lockd_elf_parse() over an open file. */
int lockd_elf_parse_fd(int fd, uint64_t file_size, struct lockd_elf *out);

/* lockd_elf_parse() over size bytes in memory (tests, the fuzzer). */
int lockd_elf_parse_mem(const void *data, size_t size, struct lockd_elf *out);

void lockd_elf_free(struct lockd_elf *e);

/*
 * The page-aligned ranges the loader maps, merged and sorted, clipped at
 * file_size (rounded up to a page). Returns their number (at most max).
 */
unsigned lockd_elf_segments(const struct lockd_elf *e, uint64_t file_size, uint64_t page,
                            struct lockd_range *out, unsigned max);

/* Whether a library found on disk fits the object that needs it. */
bool lockd_elf_compatible(const struct lockd_elf *a, const struct lockd_elf *b);
