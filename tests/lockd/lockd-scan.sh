#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Without the start-up search, a running program of the list is found by the
# /proc scan and its executable and libraries locked; once it is gone for
# release_after, they are released.
. "$(dirname "$0")/lib.sh"
need_root

mkdir -p "$T/bin"
cp /bin/sleep "$T/bin/$TOOL"
libc=$(readlink -f "$(ldd /bin/sleep | awk '$1 ~ /^libc\.so/ { print $3 }')")
conf=$T/lockd.conf
cat > "$conf" <<CONF
programs = $TOOL
proactive = no
allowed_paths = /usr, /lib, $T
scan_interval = 100ms
release_after = 1s
CONF
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
check "nothing is locked before $TOOL runs" [ "$(state_field locked_files)" = 0 ]
"$T/bin/$TOOL" 30 &
tool=$!
CHILDREN+=("$tool")
check "the running $TOOL is found and locked" wait_for 5 is_locked "$DAEMON_PID" "$T/bin/$TOOL"
check "with its libc ($libc)" is_locked "$DAEMON_PID" "$libc"
check "the state file counts them" wait_for 3 bash -c "[ \$(awk '\$1==\"locked_files\"{print \$2}' '$STATE') -ge 2 ]"
kill "$tool"
wait "$tool" 2>/dev/null
check "released once unused for release_after" wait_for 5 bash -c "! grep -q ' r--s .*$T/bin/$TOOL\$' /proc/$DAEMON_PID/maps"
check "the log says so" grep -q "released $T/bin/$TOOL .*unused" "$LOG"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
