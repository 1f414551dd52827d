#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Working-set mode (issue 14): a tool never run is not locked at start-up; a
# tool run once is locked after a restart, its learned working set read back
# from var/lib/memstop-lockd/learned; a file replaced by an upgrade is learned
# again (its new inode, with a working set); a corrupt learned file is
# reported and learned anew. user = root: the daemon may read the test's
# (root's) /proc/PID/pagemap, so one run teaches the working set.
. "$(dirname "$0")/lib.sh"
need_root

mkdir -p "$T/bin"
cp /bin/sleep "$T/bin/$TOOL"
cp /bin/sleep "$T/bin/$OTHER"
conf=$T/lockd.conf
cat > "$conf" <<CONF
programs = $TOOL, $OTHER
search_path = $T/bin
compiler_dirs = ""
allowed_paths = /usr, /lib, $T
scan_interval = 500ms
user = root
CONF
LEARNED=$T/root/var/lib/memstop-lockd/learned
# learned_entry PATH: "INODE NRANGES" of PATH's entry in the learned file.
# (mawk has no {8}: eight words cut one by one; the path through the
# environment, as awk -v would decode backslashes.)
learned_entry() {
        LE_PATH=$1 awk '$1 == "file" { path = $0; for (i = 0; i < 8; i++) sub(/^[^ ]+ /, "", path)
                if (path == ENVIRON["LE_PATH"]) print $3, $8 }' "$LEARNED"
}
# run_tool PROGRAM: runs it for 4 s (8 scans).
run_tool() { "$T/bin/$1" 4; }

if ! start_daemon "$conf" -v; then not_ok "the daemon starts"; finish; exit; fi
check "nothing learned yet: $TOOL is not locked at start-up" bash -c "! grep -q ' r--s .*/$TOOL\$' /proc/$DAEMON_PID/maps"
check "nor $OTHER" bash -c "! grep -q ' r--s .*/$OTHER\$' /proc/$DAEMON_PID/maps"
check "the log says nothing was learned" grep -q "nothing learned yet" "$LOG"

run_tool "$TOOL" &
CHILDREN+=($!)
check "$TOOL, running, is locked within 10 s" wait_for 10 is_locked "$DAEMON_PID" "$T/bin/$TOOL"
wait "${CHILDREN[-1]}"
check "--status names $TOOL" wait_for 10 bash -c "'$LOCKD' --status --state-root '$T/root' | grep -q '$T/bin/$TOOL'"
check "--status shows the program and its files" bash -c "'$LOCKD' --status --state-root '$T/root' | grep -Eq '^(program| +) +$TOOL +'"
# memstop status reads the same through a root whose run/ is the test's.
mkdir -p "$T/sys"
ln -s /proc "$T/sys/proc"
ln -s /sys "$T/sys/sys"
ln -s "$T/root/run" "$T/sys/run"
check "memstop status shows the program" bash -c "'${MEMSTOP:-memstop}' status --sysroot '$T/sys' | grep -Eq '^ +$TOOL +[0-9.]+[KMG]? in [0-9]+ files'"
check "memstop status --json lists $TOOL's file, locked" bash -c "'${MEMSTOP:-memstop}' status --sysroot '$T/sys' --json |
        python3 -c 'import json, sys; l = json.load(sys.stdin)[\"lockd\"]; sys.exit(not any(f[\"path\"] == \"$T/bin/$TOOL\" and f[\"locked_bytes\"] > 0 for f in l[\"files\"]) or l[\"lock_mode\"] != \"workingset\")'"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
check "the learned state was written" test -s "$LEARNED"
read -r ino ranges < <(learned_entry "$T/bin/$TOOL")
check "it holds $TOOL with its inode" [ "${ino:-}" = "$(stat -c %i "$T/bin/$TOOL")" ]
check "and a working set" [ "${ranges:-0}" -gt 0 ]
check "it does not hold $OTHER, never run" [ -z "$(learned_entry "$T/bin/$OTHER")" ]
check "the learned file is the daemon's alone (0600)" [ "$(stat -c %a "$LEARNED")" = 600 ]

if ! start_daemon "$conf" -v; then not_ok "the daemon starts again"; finish; exit; fi
check "after a restart $TOOL is locked at start-up" is_locked "$DAEMON_PID" "$T/bin/$TOOL"
check "only its working set, not all of it" bash -c "read -r l s < <(LK_PATH='$T/bin/$TOOL' awk 'BEGIN{p=ENVIRON[\"LK_PATH\"]} /^[0-9a-f]+-/{c=(\$2==\"r--s\"&&\$NF==p);next} c&&/^Size:/{s+=\$2} c&&/^VmFlags:/&&/ lo( |\$)/{l+=z} c&&/^Rss:/{z=\$2} END{print l+0, s+0}' /proc/$DAEMON_PID/smaps); [ \$l -gt 0 ] && [ \$l -le \$s ]"
check "the log says the learned files were locked" grep -Eq "learned: [1-9][0-9]* files, locked [1-9]" "$LOG"
check "$OTHER, never run, is not locked" bash -c "! grep -q ' r--s .*/$OTHER\$' /proc/$DAEMON_PID/maps"

# An upgrade replaces the file by rename: the new inode is locked whole and
# learned anew from its next run.
cp /bin/sleep "$T/bin/$TOOL.dpkg-new"
touch -d '2001-01-01' "$T/bin/$TOOL.dpkg-new"
mv -f "$T/bin/$TOOL.dpkg-new" "$T/bin/$TOOL"
new=$(stat -c %i "$T/bin/$TOOL")
check "the replaced file is noticed" wait_for 10 grep -q "$T/bin/$TOOL was replaced on disk" "$LOG"
run_tool "$TOOL"
sleep 1
stop_daemon
read -r ino ranges < <(learned_entry "$T/bin/$TOOL")
check "the learned state now holds the new inode ($new)" [ "${ino:-}" = "$new" ]
check "with a working set learned again" [ "${ranges:-0}" -gt 0 ]

# Corrupt state: warned about, learned anew, the daemon runs.
printf 'memstop-lockd-learned 1 4096\nfile 1 2 3\n' > "$LEARNED"
chmod 600 "$LEARNED"
if ! start_daemon "$conf" -v; then not_ok "the daemon starts with a corrupt learned file"; finish; exit; fi
check "a corrupt learned file is reported" grep -q "learned: bad number in a file line (line 2): ignored, learning anew" "$LOG"
check "and nothing of it is locked" bash -c "! grep -q ' r--s .*/$TOOL\$' /proc/$DAEMON_PID/maps"
stop_daemon
check "and it is written anew" bash -c "head -1 '$LEARNED' | grep -q '^memstop-lockd-learned 1 '"

# The default user cannot read root's pagemap: the working set comes from
# page-cache residency. The first run is protected by the whole segments;
# once it is over the file is released to be learned, and the next run
# teaches (and locks) what it brings in.
rm -rf "$T/root/var"
sed -i '/^user = /d' "$conf"
if ! start_daemon "$conf" -v; then not_ok "the daemon starts as its own user"; finish; exit; fi
run_tool "$TOOL" &
CHILDREN+=($!)
check "residency: $TOOL, running, is locked within 10 s" wait_for 10 is_locked "$DAEMON_PID" "$T/bin/$TOOL"
wait "${CHILDREN[-1]}"
check "residency: once it ran, it is released to be learned" wait_for 10 grep -q "$T/bin/$TOOL: released its segments" "$LOG"
run_tool "$TOOL" &
CHILDREN+=($!)
check "residency: its next run locks what it uses" wait_for 10 is_locked "$DAEMON_PID" "$T/bin/$TOOL"
wait "${CHILDREN[-1]}"
stop_daemon
read -r ino ranges < <(learned_entry "$T/bin/$TOOL")
check "residency: the learned state holds its working set" [ "${ranges:-0}" -gt 0 ]
check "residency: the learned file is the daemon user's" [ "$(stat -c %U "$LEARNED")" != root ]
finish
