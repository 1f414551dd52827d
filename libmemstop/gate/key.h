/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Prediction keys: which earlier runs tell how much memory this process will
 * need. Two levels:
 *   - the program: the base name of argv[0] ("cc1plus"), or of the first
 *     string of proc/PID/cmdline; for a shell wrapper "sh -c 'CMD ...'"
 *     (sh, bash, dash; ninja runs every command so) the base name of CMD
 *     when it is a plain word; program_hash is over the whole base name,
 *     program[] keeps at most MS_PROGRAM_MAX - 1 bytes of it;
 *   - the job: the program plus its arguments, normalized so that what varies
 *     from run to run of the same job does not count. Compilers keep their
 *     source files and flags, so foo.c and bar.c are different jobs.
 *
 * The functions are pure (no getenv, no file system). An argument is
 * volatile, left out of the job key, when (ms_key_arg_is_volatile):
 *   - it starts with "-frandom-seed" (random per run in some builds);
 *   - it is a temporary path, also after a leading '@' (response files):
 *       - below /tmp/, /var/tmp/ or /dev/shm/ ($TMPDIR is not looked at), or
 *       - any path component looks like mktemp output: "cc" + 6 letters or
 *         digits (GCC's ccAb12Cd.s, .o, .res, .ld, .ltrans0.o...), "tmp" or
 *         "tmp." + at least 6 (mkstemp, mktemp(1), Python), "rustc" + 6,
 *         each optionally followed by ".extension"; the random part must hold
 *         a digit or a capital, so "ccompile.c" or "tmpl_engine" are not taken;
 *     except that a source file (by extension: .c .cc .cpp .cxx .C .m .mm .S
 *     .h .hpp .rs .go .f90 ...) is never temporary, even below /tmp (CMake
 *     builds in /tmp pass absolute source paths);
 *   - an option whose value is a temporary path: after the last '=' or ','
 *     ("--output=X", "-plugin-opt=-fresolution=X", "-Wl,-Map,X") or joined to
 *     one of -o -MF -MQ -MT -MD -MMD -I -L -B -isystem -include ("-oX").
 * One of -o --output -MF -MQ -MT -MD -MMD -dumpbase -dumpdir -auxbase
 * -auxbase-strip -I -L -B -isystem -include followed by a volatile argument is
 * dropped with it ("-o" "/tmp/ccAb12Cd.s").
 *
 * Keys are 64-bit FNV-1a hashes: program_hash over the base name; job_hash
 * over the base name and each kept argument, each followed by a 0 byte (so
 * ("ab", "c") and ("a", "bc") differ).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MS_PROGRAM_MAX 32

struct ms_key {
        char program[MS_PROGRAM_MAX]; /* base name of argv[0], cut to fit */
        uint64_t program_hash;
        uint64_t job_hash;
};

uint64_t ms_fnv1a(const void *data, size_t len, uint64_t seed);
#define MS_FNV1A_SEED UINT64_C(0xcbf29ce484222325)

/* Whether one argument is volatile (see above): 1 or 0. */
int ms_key_arg_is_volatile(const char *arg);

/* Compute the key from argv (argc strings; argv[0] names the program). */
void ms_key_from_argv(int argc, char *const *argv, struct ms_key *key);

/* The same from the NUL-separated text of proc/PID/cmdline (the last string
 * need not end in NUL): gives the same key as ms_key_from_argv(). */
void ms_key_from_cmdline(const char *cmdline, size_t len, struct ms_key *key);
