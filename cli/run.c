/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Running a command: supervised (supervise.c), or exec'd with the gate alone. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_run(struct cli *cli, char **argv)
{
        int r;

        if (!cli->exec)
                return cli_supervise(cli, argv);
        r = cli_prepare_env(cli);
        if (r != 0)
                return r;
        /* Locate the cgroup once here, so the command's processes take the fast path at once. */
        cli_export_hint(cli, NULL);

        execvp(argv[0], argv);
        r = errno;
        cli_error("%s: %s", argv[0], strerror(r));
        return r == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
