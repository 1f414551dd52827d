/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lockd/caps.h"
#include "util/macro.h"

static const cap_value_t kept[] = { CAP_IPC_LOCK, CAP_SYS_PTRACE };
static const cap_value_t transition[] = { CAP_IPC_LOCK, CAP_SYS_PTRACE, CAP_SETUID, CAP_SETGID, CAP_SETPCAP };

static void cap_freep(cap_t *c)
{
        if (*c)
                cap_free(*c);
}
#define _cleanup_cap_ _cleanup_(cap_freep)

uint64_t lockd_caps_kept_mask(void)
{
        uint64_t m = 0;

        for (size_t i = 0; i < MS_ARRAY_SIZE(kept); i++)
                m |= 1ull << kept[i];
        return m;
}

const char *lockd_caps_kept_text(void)
{
        return "cap_ipc_lock cap_sys_ptrace";
}

int lockd_user_lookup(const char *name, uid_t *uid, gid_t *gid)
{
        struct passwd *pw;

        errno = 0;
        pw = getpwnam(name);
        if (!pw)
                return errno ? -errno : -ENOENT;
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
        return 0;
}

static bool permitted(cap_t c, cap_value_t v)
{
        cap_flag_value_t f = CAP_CLEAR;

        return cap_get_flag(c, v, CAP_PERMITTED, &f) == 0 && f == CAP_SET;
}

int lockd_caps_check(void)
{
        _cleanup_cap_ cap_t c = cap_get_proc();

        if (!c)
                return -errno;
        return permitted(c, CAP_IPC_LOCK) ? 0 : -EPERM;
}

/* P = E = the listed caps that are permitted now, I = empty. */
static int set_caps(const cap_value_t *v, size_t n, cap_t now)
{
        _cleanup_cap_ cap_t c = cap_init();
        cap_value_t have[8];
        size_t k = 0;

        if (!c)
                return -errno;
        for (size_t i = 0; i < n && k < MS_ARRAY_SIZE(have); i++)
                if (!now || permitted(now, v[i]))
                        have[k++] = v[i];
        if (k > 0 && (cap_set_flag(c, CAP_PERMITTED, (int)k, have, CAP_SET) < 0 ||
                      cap_set_flag(c, CAP_EFFECTIVE, (int)k, have, CAP_SET) < 0))
                return -errno;
        return cap_set_proc(c) < 0 ? -errno : 0;
}

static bool is_kept(cap_value_t v)
{
        for (size_t i = 0; i < MS_ARRAY_SIZE(kept); i++)
                if (kept[i] == v)
                        return true;
        return false;
}

/* Permitted and effective are exactly the kept set. */
static bool exactly_kept(cap_t now)
{
        for (cap_value_t v = 0; v < cap_max_bits(); v++) {
                cap_flag_value_t p = CAP_CLEAR, e = CAP_CLEAR;

                if (cap_get_flag(now, v, CAP_PERMITTED, &p) < 0 || cap_get_flag(now, v, CAP_EFFECTIVE, &e) < 0)
                        return false;
                if ((p == CAP_SET) != is_kept(v) || (e == CAP_SET) != is_kept(v))
                        return false;
        }
        return true;
}

/* Nothing for children, no new privileges ever: prctl() only. */
static int seal(const char **step)
{
        *step = "clearing the ambient capabilities";
        if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
                return -errno;
        *step = "clearing keep-caps";
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return -errno;
        *step = "setting no_new_privs";
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        *step = NULL;
        return 0;
}

int lockd_caps_already_minimal(void)
{
        _cleanup_cap_ cap_t now = cap_get_proc();

        if (!now)
                return -errno;
        return geteuid() != 0 && getuid() != 0 && exactly_kept(now);
}

static int drop_bounding(cap_value_t max, const char **step)
{
        static char what[96];

        for (cap_value_t v = 0; v < max; v++) {
                if (is_kept(v) || cap_get_bound(v) != 1)
                        continue;
                if (cap_drop_bound(v) < 0) {
                        int e = errno;
                        char *name = cap_to_name(v);
                        snprintf(what, sizeof(what), "dropping %s from the bounding set", name ? name : "?");
                        cap_free(name);
                        *step = what;
                        return -e;
                }
        }
        return 0;
}

int lockd_caps_drop(bool switch_user, uid_t uid, gid_t gid, const char **step)
{
        static char what[96];
        _cleanup_cap_ cap_t now = cap_get_proc();
        cap_value_t max = cap_max_bits();
        int r;

        *step = "reading the capabilities";
        if (!now)
                return -errno;
        /* Started by a service manager as an unprivileged user with exactly
         * the kept capabilities (systemd's AmbientCapabilities=): capset(2)
         * and setuid(2) are neither needed nor, under its system call
         * filter, allowed. */
        if (!switch_user && geteuid() != 0 && getuid() != 0 && exactly_kept(now))
                return seal(step);
        for (size_t i = 0; i < MS_ARRAY_SIZE(kept); i++) {
                if (!permitted(now, kept[i])) {
                        char *name = cap_to_name(kept[i]);
                        snprintf(what, sizeof(what), "%s is not permitted (run as root)", name ? name : "?");
                        cap_free(name);
                        *step = what;
                        return -EPERM;
                }
        }
        if (switch_user && (!permitted(now, CAP_SETUID) || !permitted(now, CAP_SETGID))) {
                *step = "switching user needs cap_setuid and cap_setgid";
                return -EPERM;
        }
        *step = "raising the capabilities for the transition";
        r = set_caps(transition, MS_ARRAY_SIZE(transition), now);
        if (r < 0)
                return r;
        r = drop_bounding(max, step);
        if (r < 0)
                return r;
        if (switch_user) {
                *step = "setting the groups";
                if (cap_setgroups(gid, 0, NULL) < 0)
                        return -errno;
                *step = "setting the user";
                if (cap_setuid(uid) < 0)
                        return -errno;
        }
        *step = "setting the kept capabilities";
        r = set_caps(kept, MS_ARRAY_SIZE(kept), NULL);
        if (r < 0)
                return r;
        return seal(step);
}
