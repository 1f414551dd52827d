#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The real daemon started as root: it runs as an unprivileged user (issue 12),
# the GCC toolchain is locked and resident while gcc runs, it keeps exactly
# its two capabilities, reports its state (its own locked memory included),
# and SIGTERM unlocks and exits 0.
. "$(dirname "$0")/lib.sh"
need_root
command -v gcc >/dev/null || skip_all "gcc not installed"

conf=$T/lockd.conf
printf 'scan_interval = 200ms\nlock_mode = whole\n' > "$conf"
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
ok "the daemon starts and writes its state file"

st=/proc/$DAEMON_PID/status
for f in CapPrm CapEff CapBnd; do
        check "$f is exactly cap_ipc_lock,cap_sys_ptrace" grep -qx "$f:"$'\t'"0000000000084000" "$st"
done
check "CapInh is empty" grep -qx $'CapInh:\t0000000000000000' "$st"
check "CapAmb is empty" grep -qx $'CapAmb:\t0000000000000000' "$st"
check "no_new_privs is set" grep -qx $'NoNewPrivs:\t1' "$st"
uid=$(awk '/^Uid:/ { print $2 }' "$st")
check "not uid 0 (uid $uid: memstop-lockd, else nobody)" [ "$uid" != 0 ]

printf 'int f%d(int x) { return x * %d; }\n' 1 2 3 4 5 6 > "$T/a.c"
check "gcc -O2 -c works" gcc -O2 -c "$T/a.c" -o "$T/a.o"

cc1=$(readlink -f "$(gcc -print-prog-name=cc1)")
as=$(readlink -f "$(command -v "$(gcc -print-prog-name=as)")")
files=("$cc1" "$as")
while read -r lib; do files+=("$(readlink -f "$lib")"); done < <(ldd "$cc1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
[ ${#files[@]} -ge 4 ] && ok "cc1 needs ${#files[@]} files" || not_ok "cc1's libraries found by ldd"
for f in "${files[@]}"; do
        check "$f is locked whole by the daemon (VmFlags lo, Rss = Size)" is_locked_whole "$DAEMON_PID" "$f"
        read -r res total < <("$HELPER" mincore "$f")
        check "$f is resident ($res of $total pages)" [ "$res" = "$total" ]
done

locked=$(state_field locked_bytes)
budget=$(state_field budget_bytes)
vmlck=$(awk '/^VmLck:/ { print $2 }' "$st")
check "the state file shows locked bytes ($locked)" [ "$locked" -gt 30000000 ]
check "locked bytes within the budget ($locked <= $budget)" [ "$locked" -le "$budget" ]
check "VmLck ($vmlck kB) covers the locked files" [ $((vmlck * 1024)) -ge "$locked" ]
# The state counts the files and the daemon's own locked memory (VmLck).
files_b=$(( $(total_locked_kb "$DAEMON_PID") * 1024 ))
check "the state file counts the files ($files_b) and its own memory ($locked)" \
        [ "$files_b" -lt "$locked" ] && [ "$locked" -le $(( vmlck * 1024 + (1 << 20) )) ]
out=$("$LOCKD" --status --state-root "$T/root")
printf '# %s\n' "${out//$'\n'/ | }"
check "--status says it runs" grep -q "is running (pid $DAEMON_PID)" <<< "$out"

stop_daemon
rc=$?
check "SIGTERM: exit status 0 (got $rc)" [ "$rc" = 0 ]
check "the state file is removed at exit" [ ! -e "$STATE" ]
out=$("$LOCKD" --status --state-root "$T/root")
check "--status then says it does not run" [ $? = 3 ]
check "no warnings or errors logged" bash -c "! grep -E 'error|warning' '$LOG'"

# The default mode: only the loaded segments, at most what whole files cost.
# With $NOTIFY_SOCKET set, as under systemd (Type=notify), it says READY=1
# once locked and STOPPING=1 at exit.
printf 'scan_interval = 200ms\nlock_mode = segments\n' > "$conf"
listener=
if command -v python3 >/dev/null; then
        python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
import os; os.chmod(sys.argv[1], 0o777)  # the daemon runs as another user
open(sys.argv[2], "w").close()
while True:
    m = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(m.replace("\n", " ") + "\n")
' "$T/notify" "$T/notified" &
        listener=$!
        CHILDREN+=("$listener")
        wait_for 5 test -S "$T/notify"
        export NOTIFY_SOCKET=$T/notify
fi
if ! start_daemon "$conf"; then not_ok "the daemon starts in segments mode"; finish; exit; fi
unset NOTIFY_SOCKET
if [ -n "$listener" ]; then
        check "sd_notify: READY=1 with a STATUS" wait_for 3 grep -q "^READY=1 STATUS=holding [0-9]* files" "$T/notified"
fi
read -r l s < <(locked_kb "$DAEMON_PID" "$cc1")
check "segments: cc1's loaded segments are locked and resident ($l of $s kB)" test "$l" -gt 0 -a $((l * 10)) -ge $((s * 9))
seg=$(state_field locked_bytes)
check "segments: $seg bytes locked, no more than whole files ($locked)" [ "$seg" -le "$locked" ]
segfiles=$(( $(total_locked_kb "$DAEMON_PID") * 1024 ))
check "segments: the state file counts the files ($segfiles) and its own memory ($seg)" [ "$segfiles" -lt "$seg" ]
check "segments: gcc -O2 -c works" gcc -O2 -c "$T/a.c" -o "$T/a.o"
stop_daemon
check "segments: SIGTERM, exit status 0" [ $? = 0 ]
if [ -n "$listener" ]; then
        check "sd_notify: STOPPING=1 at exit" wait_for 3 grep -q "^STOPPING=1" "$T/notified"
fi
finish
