#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# SIGHUP picks up a changed configuration; a bad one is reported with its
# file and line and the running configuration is kept.
. "$(dirname "$0")/lib.sh"
# lock_mode = segments: the start-up search of every configured program is
# that mode's (workingset mode searches for the default toolchain only until
# it has learned what builds use; lockd-learn.sh tests that mode).
need_root

mkdir -p "$T/bin"
cp /bin/sleep "$T/bin/$TOOL"
cp /bin/true "$T/bin/$OTHER"
conf=$T/lockd.conf
write_conf() {
        cat > "$conf" <<CONF
programs = $1
search_path = $T/bin
compiler_dirs = ""
allowed_paths = /usr, /lib, $T
lock_mode = segments
CONF
}
write_conf $TOOL
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
check "$TOOL is locked" is_locked "$DAEMON_PID" "$T/bin/$TOOL"
check "$OTHER is not" bash -c "! grep -q $OTHER /proc/$DAEMON_PID/maps"

write_conf "$TOOL, $OTHER"
kill -HUP "$DAEMON_PID"
check "after SIGHUP $OTHER is locked" wait_for 3 is_locked "$DAEMON_PID" "$T/bin/$OTHER"
check "$TOOL still is" is_locked "$DAEMON_PID" "$T/bin/$TOOL"
check "the log says it reloaded" grep -q "reloaded $conf" "$LOG"

write_conf $OTHER
kill -HUP "$DAEMON_PID"
check "a program taken off the list is released" wait_for 3 bash -c "! grep -q ' r--s .*$T/bin/$TOOL\$' /proc/$DAEMON_PID/maps"

printf 'programs = %s\nmax_locked = plenty\n' "$TOOL" > "$conf"
kill -HUP "$DAEMON_PID"
check "a bad file is reported with file:line and value" wait_for 3 grep -q "^memstop-lockd: error: $conf:2: max_locked: bad value \"plenty\"" "$LOG"
check "and the running configuration kept" grep -q "keeping the running configuration" "$LOG"
check "the daemon still runs" kill -0 "$DAEMON_PID"
check "and still holds $OTHER" is_locked "$DAEMON_PID" "$T/bin/$OTHER"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
