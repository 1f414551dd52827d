/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An empty preloadable library: the baseline cost of loading any DSO. */
__attribute__((constructor)) static void empty_constructor(void)
{
}
