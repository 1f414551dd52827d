#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A locked tool replaced by rename (as dpkg does) is re-locked: the new inode
# is held and the old one released (no "(deleted)" mapping left behind).
. "$(dirname "$0")/lib.sh"
# lock_mode = segments: the start-up search of every configured program is
# that mode's (workingset mode searches for the default toolchain only until
# it has learned what builds use; lockd-learn.sh tests that mode).
need_root

mkdir -p "$T/bin"
cp /bin/sleep "$T/bin/$TOOL"
conf=$T/lockd.conf
cat > "$conf" <<CONF
programs = $TOOL
search_path = $T/bin
compiler_dirs = ""
allowed_paths = /usr, /lib, $T
lock_mode = segments
CONF
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
mapped_inode() { awk -v p="$T/bin/$TOOL" '$2 == "r--s" && $NF == p { print $5 }' "/proc/$DAEMON_PID/maps"; }
old=$(stat -c %i "$T/bin/$TOOL")
check "$TOOL is locked at start-up" is_locked "$DAEMON_PID" "$T/bin/$TOOL"
check "the locked inode is the file's ($old)" [ "$(mapped_inode)" = "$old" ]

cp /bin/true "$T/bin/$TOOL.dpkg-new"
mv -f "$T/bin/$TOOL.dpkg-new" "$T/bin/$TOOL"
new=$(stat -c %i "$T/bin/$TOOL")
check "the new file is another inode" [ "$new" != "$old" ]
check "the new inode is locked within 2 s" wait_for 2 bash -c "[ \"\$(awk -v p='$T/bin/$TOOL' '\$2 == \"r--s\" && \$NF == p { print \$5 }' /proc/$DAEMON_PID/maps)\" = $new ]"
check "and all of it" is_locked "$DAEMON_PID" "$T/bin/$TOOL"
check "the old inode is released" bash -c "! grep -q '$TOOL (deleted)' /proc/$DAEMON_PID/maps"
check "the log says it was replaced" grep -q "$T/bin/$TOOL was replaced on disk" "$LOG"
sz=$(( ($(stat -c %s "$T/bin/$TOOL") + 4095) / 4096 * 4096 ))
check "the state file counts the new size" wait_for 2 bash -c "grep -qx 'locked_bytes [0-9]*' '$STATE' && [ \$(awk '\$1==\"locked_bytes\"{print \$2}' '$STATE') -ge $sz ]"

rm "$T/bin/$TOOL"
check "a removed file is released" wait_for 2 bash -c "! grep -q ' r--s .*$TOOL' /proc/$DAEMON_PID/maps"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
