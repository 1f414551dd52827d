#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue 12: an unprivileged user cannot make the daemon lock a file outside
# allowed_paths, nor a file other than the one its process maps. The daemon
# runs as root here (user = root), so that only its path checks stand in the
# way; the "secrets" are world-readable files outside allowed_paths.
#  1. a directory literally named \056\056 (the kernel does not escape '\' in
#     /proc/PID/maps; the daemon decoded it to "..");
#  2. a locked file swapped for a symbolic link (the re-check followed it);
#  3. a tmpfs mounted in a user namespace over a directory below
#     allowed_paths (the daemon opened the host's file of the same name).
. "$(dirname "$0")/lib.sh"
need_root
need_setpriv

user_dirs
mkdir -p "$A/ns" "$T/secret"
head -c 20000 /dev/urandom > "$T/secret/$TOOL"
head -c 20000 /dev/urandom > "$T/secret/other"
head -c 20000 /dev/urandom > "$A/ns/$TOOL" # the host's file where user 2 mounts a tmpfs
chmod 644 "$T/secret/$TOOL" "$T/secret/other" "$A/ns/$TOOL"
start_scanning "$TOOL" "$A" release_after=1h user=root

# 1. $A/u1/x/\056\056/\056\056/\056\056/secret/$TOOL decoded is $T/secret/$TOOL.
esc='\056\056'
dir="$A/u1/x/$esc/$esc/$esc/secret"
as_user "$U1" mkdir -p "$dir"
as_user "$U1" cp /bin/sleep "$dir/$TOOL"
spawn_as "$U1" "$dir/$TOOL" 60
check "the user's own program with literal \\056 names is found and locked" \
        wait_for 10 is_locked "$DAEMON_PID" "$dir/$TOOL"
check "1: $T/secret/$TOOL (what \\056\\056 decodes to) is not opened" bash -c "! grep -qF '$T/secret/' /proc/$DAEMON_PID/maps"

# 2. A locked file of the user's swapped for a symbolic link to a secret.
as_user "$U1" mkdir "$A/u1/bin"
as_user "$U1" cp /bin/sleep "$A/u1/bin/$TOOL"
spawn_as "$U1" "$A/u1/bin/$TOOL" 60
check "the user's program is locked" wait_for 10 is_locked "$DAEMON_PID" "$A/u1/bin/$TOOL"
as_user "$U1" ln -s "$T/secret/other" "$A/u1/bin/.new"
as_user "$U1" mv -T "$A/u1/bin/.new" "$A/u1/bin/$TOOL"
check "the swap is noticed: released" wait_for 10 grep -q "$A/u1/bin/$TOOL was removed: released" "$LOG"
sleep 2
check "2: the symbolic link's target $T/secret/other is not opened" bash -c "! grep -qF '$T/secret/' /proc/$DAEMON_PID/maps"

# 3. User 2's tmpfs over $A/ns, in its own user and mount namespace.
cp /bin/sleep "$T/tool-copy"
chmod 755 "$T/tool-copy"
spawn_as "$U2" unshare -Urm sh -c "mount -t tmpfs none '$A/ns' && cp '$T/tool-copy' '$A/ns/$TOOL' && exec '$A/ns/$TOOL' 60"
check "user 2's process runs from its tmpfs" wait_for 10 bash -c "pgrep -u $U2 -x $TOOL >/dev/null"
sleep 2
! maps_has "$DAEMON_PID" "$A/ns/$TOOL"
check "3: the host's $A/ns/$TOOL is not opened" [ $? = 0 ]
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
