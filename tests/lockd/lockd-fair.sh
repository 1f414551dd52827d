#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue 12: the budget was ranked by last use alone, so any user's process
# named cc1 pushed the toolchain found at start-up out of it, and one user
# could take the whole budget. Now the start-up search ranks first, then
# files of several users, then each user's own files, within max_user_share.
. "$(dirname "$0")/lib.sh"
need_root
need_setpriv
: "${HELPER:?HELPER must name lockd-helper}"
command -v gcc >/dev/null || skip_all "gcc not installed"
cc1=$(readlink -f "$(gcc -print-prog-name=cc1)")

user_dirs
for u in u1 u2; do cp "$HELPER" "$A/$u/cc1"; chmod 755 "$A/$u/cc1"; done
as_user "$U1" bash -c "head -c 20M /dev/urandom > '$A/u1/big'"
conf=$T/lockd.conf
cat > "$conf" <<CONF
programs = cc1
allowed_paths = /usr, /lib, /lib64, $A
scan_interval = 500ms
max_locked = 48M
CONF
if ! start_daemon "$conf" -v; then not_ok "the daemon starts"; finish; exit; fi
check "the toolchain's cc1 is locked at start-up" is_locked "$DAEMON_PID" "$cc1"
spawn_as "$U1" "$A/u1/cc1" mapexec "$A/u1/big" > "$T/u1.out"
check "user 1's cc1 maps a 20M file" wait_for 10 grep -q ready "$T/u1.out"
check "the daemon sees it" wait_for 10 grep -q "in use by a build: $A/u1/big" "$LOG"
sleep 2
check "the toolchain's cc1 stays locked" is_locked "$DAEMON_PID" "$cc1"
! is_locked "$DAEMON_PID" "$A/u1/big"
check "user 1's 20M file is not locked in its place" [ $? = 0 ]
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]

# One user's own files take at most max_user_share (25% of 40M: 10M).
for i in 1 2 3; do as_user "$U1" bash -c "head -c 6M /dev/urandom > '$A/u1/f$i'"; done
as_user "$U2" bash -c "head -c 6M /dev/urandom > '$A/u2/f1'"
start_scanning cc1 "/usr, /lib, /lib64, $A" max_locked=40M max_user_share=25
spawn_as "$U1" "$A/u1/cc1" mapexec "$A/u1/f1" "$A/u1/f2" "$A/u1/f3" > "$T/u1b.out"
check "user 1's cc1 maps 3 x 6M" wait_for 10 grep -q ready "$T/u1b.out"
check "the daemon sees them" wait_for 10 grep -q "in use by a build: $A/u1/f3" "$LOG"
sleep 2
n=0
for i in 1 2 3; do is_locked "$DAEMON_PID" "$A/u1/f$i" && n=$((n + 1)); done
check "one of user 1's 6M files fits its 10M share ($n locked)" [ "$n" = 1 ]
check "the others are skipped for the share" grep -q "skipped $A/u1/f[0-9] .*max_user_share" "$LOG"
spawn_as "$U2" "$A/u2/cc1" mapexec "$A/u2/f1" > "$T/u2.out"
check "user 2 still gets its 6M file locked" wait_for 10 is_locked "$DAEMON_PID" "$A/u2/f1"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
