#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `memstop -- BUILD` supervises the build, in real v1 memory cgroups:
#  - late-growing jobs (small for their first second, then large) that a
#    start-time gate lets in together finish with 0 OOM kills; the JSON
#    report parses and says so; the SVG timeline is well-formed with the
#    limit line;
#  - SIGINT while jobs are frozen leaves no stopped process, and the exit
#    status is the build's;
#  - a command that exits while its jobs are frozen ends cleanly: nothing
#    left stopped;
#  - the status line is absent when stderr is not a terminal (ux.sh tests
#    the bar under a pseudo-terminal).

. "$(dirname "$0")/lib.sh"
need_env MEMSTOP MEMSTOP_SO LATEJOB

V1=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] || skip_all "needs root (memory cgroups)"
[ -w "$V1" ] || skip_all "no writable cgroup v1 memory controller at $V1"

tmpdir
W=$TMPD
mkdir -m 0700 "$W/run" "$W/cache"
export XDG_RUNTIME_DIR=$W/run XDG_CACHE_HOME=$W/cache
unset MEMSTOP_SMALL MEMSTOP_WARNED

# makefile DIR N MIB RAMP HOLD: N late-growing jobs.
makefile() {
	mkdir -p "$1/done"
	{
		printf 'all:'; for i in $(seq "$2"); do printf ' t%d' "$i"; done; echo
		for i in $(seq "$2"); do
			printf 't%d:\n\t%s %s %s %s %d %s/done/%d\n' "$i" "$LATEJOB" "$3" "$4" "$5" "$i" "$1" "$i"
		done
	} >"$1/Makefile"
}

# new_cgroup NAME LIMIT: sets CG.
new_cgroup() {
	CG=$V1/memstop-test-sup-$$-$1
	cgroup_create "$CG" || bail_out "cannot create $CG"
	echo "$2" >"$CG/memory.limit_in_bytes"
}

oom_kills() { awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; }

# Pids of a process's descendants.
descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		printf '%s\n' "$c"
		descendants "$c"
	done
}

# stopped PID...: those in state T.
stopped() {
	local p s
	for p in "$@"; do
		s=$(proc_state "$p" 2>/dev/null) || continue
		[ "$s" = T ] && printf '%s ' "$p"
	done
	return 0
}

# --- late growers: 0 OOM kills, report, timeline -------------------------------
makefile "$W/late" 6 150 0.8 0.3
# The sanitizer runtime, preloaded into every process of the build, adds tens
# of MiB to each: the same squeeze needs more room then.
LATE_LIMIT=512M
[ -n "$ASAN_RUNTIME" ] && LATE_LIMIT=768M
new_cgroup late "$LATE_LIMIT"
bounded 120 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
	"$MEMSTOP" --report "$W/late.json" --timeline "$W/late.svg" -- make -s -k -j6 -C "$W/late"
diag "late growers: status $STATUS, $((ELAPSED / 1000)) ms, stderr: $ERR"
is "$STATUS $(ls "$W/late/done" | wc -l) $(oom_kills)" "0 6 0" \
	"6 late-growing jobs of 150 MiB in $LATE_LIMIT under make -j6: all finish, 0 OOM kills"
check "the JSON report parses and matches (exit 0, 0 OOM kills, the limit, gated)" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit_status"] == 0, r
assert r["oom_kills"] == 0 and r["oom_killed"] == [], r
assert r["limit_bytes"] == int(sys.argv[2]) << 20, r
assert r["command"][0] == "make", r
assert r["gated"] >= 6, r
assert r["peak_bytes"] > 150 << 20, r
assert r["freezes"] >= r["resumes"] >= 0, r
' "$W/late.json" "${LATE_LIMIT%M}"
diag "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: r[k] for k in ("freezes","resumes","peak_bytes","held_seconds","wall_seconds")})' "$W/late.json")"
if command -v xmllint >/dev/null; then
	check "the SVG timeline is well-formed (xmllint)" xmllint --noout "$W/late.svg"
else
	skip "xmllint missing" "the SVG timeline is well-formed"
fi
check "the SVG shows the limit line" grep -q '<line id="limit"' "$W/late.svg"
cgroup_remove "$CG"

# --- SIGINT while jobs are frozen -----------------------------------------------
# A high critical level makes it freeze early; the jobs hold long.
makefile "$W/int" 4 200 0.5 30
new_cgroup int 1G
# Background jobs of a script start with SIGINT ignored: give it back, as a
# terminal's foreground build has it.
spawn env --default-signal=INT sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
	"$MEMSTOP" --freeze-below 700M -- make -s -k -j4 -C "$W/int" >"$W/int.out" 2>"$W/int.err"
M=$SPAWNED
all=
if wait_until 30 eval '[ -n "$(stopped $(descendants $M))" ]'; then
	all=$(descendants "$M")
	ok "jobs are frozen (stopped: $(stopped $all))"
else
	not_ok "jobs are frozen" "$(cat "$W/int.err")"
fi
kill -INT "$M"
if wait_until 20 eval '! alive $M'; then
	wait "$M"
	st=$?
	# make dies of SIGINT (130), or exits 2 when it saw its jobs interrupted first.
	result "SIGINT: memstop exits with the build's status (130 or make's 2)" \
		"$([[ $st == 130 || $st == 2 ]]; echo $?)" "status $st" "$(cat "$W/int.err")"
else
	not_ok "SIGINT: memstop exits" "$(cat "$W/int.err")"
fi
sleep 0.2
is "$(stopped $all)" "" "after SIGINT, no process of the build is left stopped"
cgroup_remove "$CG"

# --- the command exits while jobs are frozen --------------------------------------
new_cgroup exit 1G
spawn sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
	"$MEMSTOP" --freeze-below 700M -- sh -c '
	for i in 1 2 3 4; do "$0" 200 0.5 3 $i & done
	# Exit once the test has seen jobs frozen (it creates $1), or after 60 s.
	n=0; while [ ! -e "$1" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
	exit 3' "$LATEJOB" "$W/exit.go" >"$W/exit.out" 2>"$W/exit.err"
M=$SPAWNED
all=
# Event order, not timing: the command exits only after jobs were seen frozen.
wait_until 60 eval '[ -n "$(stopped $(descendants $M))" ]' && all=$(descendants "$M")
touch "$W/exit.go"
if wait_until 30 eval '! alive $M'; then
	wait "$M"
	st=$?
	is "$st" 3 "the command exited while jobs were frozen: memstop exits with its status"
else
	not_ok "memstop exits after its command" "$(cat "$W/exit.err")"
fi
result "jobs had been frozen when the command exited" "$([ -n "$all" ]; echo $?)" "$(cat "$W/exit.err")"
sleep 0.2
is "$(stopped $all)" "" "no stopped leftovers after the command exited"
cgroup_remove "$CG"

# --- the status line ------------------------------------------------------------
# The status bar, on and off a terminal, is tested in ux.sh.
bounded 20 "$MEMSTOP" -- sh -c 'sleep 0.6'
result "stderr not a terminal: no status line" "$([[ $STATUS == 0 && $ERR != *running,* && $ERR != *$'\e'* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

done_testing
