/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The `memstop` command's parts, one file each; main.c turns argv into
 * settings and calls one of them. What they share is in common.h.
 */
#pragma once

#include "cli/common.h"

/* Run a command (run.c): exec it with the gate, or supervise it. */
int cli_run(struct cli *cli, char **argv);
/* Stay the command's parent and watch its memory (supervise.c). */
int cli_supervise(struct cli *cli, char **argv);
/* `memstop status` (status.c). */
int cli_status(struct cli *cli);
/* `memstop wait` (wait.c). */
int cli_wait(struct cli *cli);
/* `memstop history` (history.c). */
int cli_history(struct cli *cli);
