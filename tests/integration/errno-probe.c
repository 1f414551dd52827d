/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * errno-probe: prints errno as main() finds it. Preloaded constructors run
 * before main, so anything they leave in errno shows here (the program's
 * own start-up leaves 0).
 */
#include <errno.h>
#include <stdio.h>

int main(void)
{
        int e = errno;

        printf("%d\n", e);
        return 0;
}
