#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue 12: paths come from users. A newline in a path (printed as \012 in
# /proc/PID/maps, which the daemon decoded) wrote a line of the user's
# choosing into the daemon's log; other control characters went out raw.
. "$(dirname "$0")/lib.sh"
need_root
need_setpriv

user_dirs
nl_dir="$A/u1/a"$'\n'"memstop-lockd: error: INJECTED"
cr_dir="$A/u1/b"$'\r'"c"
for d in "$nl_dir" "$cr_dir"; do
        as_user "$U1" mkdir -p "$d"
        as_user "$U1" cp /bin/sleep "$d/$TOOL"
done
start_scanning "$TOOL" "$A"
spawn_as "$U1" "$nl_dir/$TOOL" 60
spawn_as "$U1" "$cr_dir/$TOOL" 60
check "the path with a carriage return is logged" wait_for 10 grep -qF "in use by a build: $A/u1/b\\015c/$TOOL" "$LOG"
sleep 0.5
check "no line of the user's making in the log" bash -c "! grep -q '^memstop-lockd: error: INJECTED' '$LOG'"
check "no raw control character in the log" bash -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$LOG'"
check "every line starts with memstop-lockd:" bash -c "! grep -v '^memstop-lockd: ' '$LOG'"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
