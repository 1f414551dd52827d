/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Least privilege for memstop-lockd, with libcap only.
 *
 * The daemon keeps exactly CAP_IPC_LOCK (to mlock beyond RLIMIT_MEMLOCK) and
 * CAP_SYS_PTRACE (to read /proc/PID/maps of other users' processes). It
 * does not need CAP_DAC_READ_SEARCH: it opens the files it locks by their
 * path, and toolchains are world-readable. After lockd_caps_drop() the
 * permitted, effective and bounding sets are the kept set, the inheritable
 * and ambient sets are empty and no_new_privs is set: /proc/PID/status shows
 * CapPrm = CapEff = CapBnd = 0000000000084000.
 *
 * Recipe (with an optional switch to an unprivileged user): raise the kept
 * caps plus SETUID, SETGID, SETPCAP; drop every other cap from the bounding
 * set; setgroups(0) and setresgid; cap_setuid(); set the kept caps alone;
 * clear ambient caps; PR_SET_NO_NEW_PRIVS.
 *
 * Under systemd the unit starts it as a dynamic user with exactly the kept
 * capabilities (AmbientCapabilities=, CapabilityBoundingSet=): then no
 * capset(2) or setuid(2) is made (its system call filter forbids both); only
 * the ambient set is emptied and no_new_privs set, with prctl(2).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The kept capabilities as a mask of bits, as /proc/PID/status prints them. */
uint64_t lockd_caps_kept_mask(void);

/* The kept capabilities as text, "cap_ipc_lock cap_sys_ptrace". */
const char *lockd_caps_kept_text(void);

/* Look up a user for the switch. Returns 0, -ENOENT, or -errno. */
int lockd_user_lookup(const char *name, uid_t *uid, gid_t *gid);

/*
 * Whether the process may lock without limit (CAP_IPC_LOCK permitted).
 * Returns 0 or -EPERM.
 */
int lockd_caps_check(void);

/* 1 when running as a user other than root with exactly the kept set
 * permitted and effective, 0 if not, -errno. */
int lockd_caps_already_minimal(void);

/*
 * Drop to the kept set; switch to uid/gid when switch_user. Already minimal
 * (see above) and no switch: only the prctl() steps. On failure
 * *step names what failed ("dropping cap_sys_admin from the bounding set").
 * Returns 0 or -errno.
 */
int lockd_caps_drop(bool switch_user, uid_t uid, gid_t gid, const char **step);
