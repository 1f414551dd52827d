#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Locked bytes never exceed the budget, skipped files are reported with the
# reason, a file over max_file_size is never locked, and what a build uses
# now wins over what was found at start-up.
. "$(dirname "$0")/lib.sh"
need_root
command -v gcc >/dev/null || skip_all "gcc not installed"

mkdir -p "$T/bin"
cp /bin/sleep "$T/bin/$TOOL"
cc1=$(readlink -f "$(gcc -print-prog-name=cc1)")
budget_kb=$((40 * 1024))
conf=$T/lockd.conf
cat > "$conf" <<CONF
max_locked = 40M
scan_interval = 50ms
allowed_paths = /usr, /lib, /bin, $T
CONF
if ! start_daemon "$conf" -o "programs=$TOOL,$(awk -F' = ' '/^#programs/ {print $2}' "$(dirname "$0")/../../lockd/lockd.conf" | tr -d ' ')"; then
        not_ok "the daemon starts"; finish; exit
fi
check "the state file shows the 40M budget" [ "$(state_field budget_bytes)" = $((40 << 20)) ]
check "files were skipped over budget" [ "$(state_field skipped_files)" -gt 0 ]
check "the log names a skipped file and why" grep -q "^memstop-lockd: skipped /.* over budget" "$LOG"
max=0
"$T/bin/$TOOL" 20 &
tool=$!
CHILDREN+=("$tool")
printf 'int f%d(int x) { return x * %d; }\n' 1 2 3 4 > "$T/a.c"
for i in $(seq 40); do
        [ $((i % 8)) = 0 ] && gcc -O2 -c "$T/a.c" -o "$T/a.o"
        kb=$(total_locked_kb "$DAEMON_PID")
        [ "$kb" -gt "$max" ] && max=$kb
        sleep 0.05
done
check "locked never above the budget while building (max $max kB <= $budget_kb kB)" [ "$max" -le "$budget_kb" ]
check "the state file agrees" [ "$(state_field locked_bytes)" -le $((40 << 20)) ]
check "$TOOL, in use now, is locked although the budget was full" is_locked "$DAEMON_PID" "$T/bin/$TOOL"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]

: > "$LOG"
# Nothing learned: the start-up search then covers cc1 whatever the first
# daemon's scans saw (one that missed a short cc1 under load left it out).
rm -f "$T/root/var/lib/memstop-lockd/learned"
printf 'max_file_size = 10M\nscan_interval = 100ms\n' > "$conf"
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
check "cc1 (> 10M) is reported as too large" grep -q "^memstop-lockd: skipped $cc1 .*larger than max_file_size" "$LOG"
gcc -O2 -c "$T/a.c" -o "$T/a.o"
sleep 0.3
check "and never locked" bash -c "! grep -q ' r--s .*$cc1\$' /proc/$DAEMON_PID/maps"
stop_daemon
finish
