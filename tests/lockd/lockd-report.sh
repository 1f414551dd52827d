#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Memory pressure (a build thrashing in a small v1 memory cgroup) makes the
# daemon log one low-memory report, with the top processes and their cgroups,
# and run report_command.
. "$(dirname "$0")/lib.sh"
need_root
need_memcg
[ -r /proc/pressure/memory ] || skip_all "no PSI (/proc/pressure/memory)"

# The report lists up to 100 processes: whatever else runs on the machine
# (a test VM of a GiB, another build), the hog is among them.
conf=$T/lockd.conf
# report_command runs as the daemon's unprivileged user.
mkdir -m 1777 "$T/out"
cat > "$conf" <<CONF
programs = nothing-to-lock
proactive = no
pressure_trigger = some 50ms 2s
report_interval = 1h
report_processes = 100
report_command = echo "\$MEMSTOP_AVAILABLE" > $T/out/marker
report_timeout = 5s
CONF
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
make_memcg report $((160 << 20)) || { not_ok "memory cgroup"; finish; exit; }
cg=$MEMCG
# A hog holds most of the limit; a file written from inside the cgroup (so
# charged to it) and read again and again through a mapping cannot stay
# cached: every pass refaults, and PSI counts those stalls.
(echo $BASHPID > "$cg/cgroup.procs"; exec "$HELPER" hog 120) > "$T/hog.out" &
CHILDREN+=($!)
wait_for 10 grep -q ready "$T/hog.out" || not_ok "hog ready"
(echo $BASHPID > "$cg/cgroup.procs"; head -c 100M /dev/urandom > "$T/big"; exec "$HELPER" thrash "$T/big" 30) &
reader=$!
CHILDREN+=($reader)
check "a low-memory report is logged" wait_for 30 grep -q "low memory: available" "$LOG"
kill "$reader" 2>/dev/null
check "with PSI figures" grep -q "low memory: PSI some avg10=" "$LOG"
check "with the top processes, their cgroups and command lines" grep -q "low memory:   [0-9]* [0-9.]*M /lockd-test-$$-report: .*lockd-helper hog 120" "$LOG"
check "with its own locked set" grep -q "low memory: memstop-lockd holds" "$LOG"
check "report_command ran with MEMSTOP_AVAILABLE" wait_for 5 grep -qE '^[0-9]+$' "$T/out/marker"
# The report's own line, not the test's grep above: its command line may be
# in the report's list of processes.
check "one report only (rate-limited)" [ "$(grep -cE 'low memory: available [0-9]' "$LOG")" = 1 ]
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
