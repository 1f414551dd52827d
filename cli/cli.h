/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "gate/config.h"

/* Exit statuses, following env(1) and timeout(1). */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,   /* memstop could not do its job (figures unreadable) */
        EXIT_USAGE = 2,      /* bad option or value: nothing was started */
        EXIT_TIMEDOUT = 124, /* `memstop wait` ran out of time */
        EXIT_INTERNAL = 125, /* memstop itself failed before running the command */
        EXIT_CANNOT_RUN = 126,
        EXIT_NOT_FOUND = 127,
};

struct cli {
        struct ms_config config;
        /* Which settings came from the command line, to be exported. */
        const char *percent, *min_available, *timeout, *on_timeout, *log, *gate, *exempt, *sysroot;
        const char *reserve, *learn; /* "0" when turned off */
        unsigned verbose_flags;
        bool json;
        bool quiet;
        /* Running a command: exec it (--exec), or supervise it (the default). */
        bool exec;
        bool no_freeze;
        const char *report;   /* --report FILE: JSON */
        const char *timeline; /* --timeline FILE: SVG */
        uint64_t freeze_below_bytes; /* --freeze-below SIZE, 0: the default */
};

int cli_run(struct cli *cli, char **argv);
/* Stay the command's parent and watch its memory (supervise.c). */
int cli_supervise(struct cli *cli, char **argv);
/* The command's environment (memstop.so preloaded, settings exported).
 * Returns 0 or an exit status, reported. */
int cli_prepare_env(struct cli *cli);
int cli_status(struct cli *cli);
int cli_wait(struct cli *cli);

/* "memstop: " + message on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Programs whose recorded peaks all stay under MS_SMALL_PROGRAM, for MEMSTOP_SMALL. */
int cli_small_programs(char *buf, size_t size);

/* The memstop.so to preload: next to the build tree's binary, else installed. */
int cli_preload_path(char *buf, size_t size);

/* The root the figures are read from: MEMSTOP_SYSROOT opened, or MS_ROOT_HOST.
 * Returns 0 or -errno (reported). */
int cli_root(const struct cli *cli, int *root);
