#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue 12: the daemon's own memory is locked (mlockall), and every path a
# build used stayed known for good: a user's process mapping 1000 files with
# long odd names grew it by a MiB or more. Now at most max_files are known,
# and files no process uses any more, and no longer locked, are forgotten.
. "$(dirname "$0")/lib.sh"
need_root
need_setpriv
: "${HELPER:?HELPER must name lockd-helper}"

user_dirs
cp "$HELPER" "$A/u1/$TOOL"
chmod 755 "$A/u1/$TOOL"
long=$(printf 'odd-name-%.0s' $(seq 20))
as_user "$U1" mkdir "$A/u1/many"
as_user "$U1" bash -c "for i in \$(seq 1000); do head -c 4096 /dev/zero > '$A/u1/many/$long'\$i; done"
start_scanning "$TOOL" "/usr, /lib, /lib64, $A" release_after=1s max_files=100

# The daemon's own locked memory: VmLck less its locked files.
own_kb() { echo $(( $(awk '/^VmLck:/ { print $2 }' "/proc/$DAEMON_PID/status") - $(total_locked_kb "$DAEMON_PID") )); }
before=$(own_kb)
spawn_as "$U1" "$A/u1/$TOOL" mapexec "$A/u1/many/"* > "$T/mapexec.out"
user=$SPAWNED
check "the user's process maps 1000 files" wait_for 10 grep -q ready "$T/mapexec.out"
check "max_files is reached and said so" wait_for 10 grep -q "max_files (100) reached" "$LOG"
sleep 2
after=$(own_kb)
check "its own locked memory grew by less than 512K ($before kB -> $after kB)" [ $((after - before)) -lt 512 ]
files=$(state_field locked_files)
check "at most max_files files locked ($files)" [ "$files" -le 100 ]
kill "$user"
wait "$user" 2>/dev/null
check "once the process is gone and release_after passed, they are released" \
        wait_for 10 bash -c "[ \$(awk '\$1 == \"locked_files\" { print \$2 }' '$STATE') = 0 ]"
check "and forgotten" wait_for 10 grep -q "forgot [0-9]* files no longer in use; 0 known" "$LOG"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
