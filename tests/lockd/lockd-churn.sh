#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# 10,000 short-lived processes (half of them matching programs) while the
# daemon scans /proc every 20 ms: no crash, no error spam, clean exit.
. "$(dirname "$0")/lib.sh"
need_root

conf=$T/lockd.conf
# Only the shells: builds running elsewhere on the machine must not add lines.
printf 'scan_interval = 20ms\nproactive = no\nprograms = sh, dash\npressure_trigger = off\n' > "$conf"
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
lines0=$(wc -l < "$LOG")
churn() { local i; for ((i = 0; i < 2500; i++)); do "$@"; done; }
start=$(date +%s.%N)
churn /bin/sh -c : &
a=$!
churn /bin/true &
b=$!
churn /bin/dash -c : &
c=$!
churn /usr/bin/env true &
d=$!
CHILDREN+=("$a" "$b" "$c" "$d")
wait "$a" "$b" "$c" "$d"
CHILDREN=()
secs=$(echo "$(date +%s.%N) - $start" | bc)
ok "10,000 processes started and exited in ${secs}s"
check "the daemon survived" kill -0 "$DAEMON_PID"
new=$(( $(wc -l < "$LOG") - lines0 ))
check "no error spam ($new log lines during the churn)" [ "$new" -le 5 ]
check "no warnings or errors at all" bash -c "! grep -E 'error|warning' '$LOG'"
check "the state file is still updated" [ -s "$STATE" ]
check "the shell (a matched program) was locked by the scans" is_locked "$DAEMON_PID" "$(readlink -f /bin/dash)"
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
