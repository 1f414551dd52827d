/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sd_notify(3) protocol without libsystemd: one datagram to the socket
 * named by $NOTIFY_SOCKET ("/path" or "@abstract").
 */
#pragma once

/* Send state ("READY=1", "STOPPING=1"...). Returns 1 if sent, 0 when
 * $NOTIFY_SOCKET is unset, -errno on failure. */
int lockd_notify(const char *state);
