#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Real compilers (issue 10): the system g++ (driver -> cc1plus -> as) on small
# generated C++ units, in a real v1 memory cgroup, with an empty history.
#  - a driver and its cc1plus are one job: the driver is gated, cc1plus and
#    as are not (the hold file names g++ only), and the peak the history
#    keeps for `g++ -c a.cpp` is its cc1plus's, not the driver's few MiB;
#  - a cold pair of compiles that cannot fit in the cgroup together finishes
#    under `memstop -- make -k -j2` with 0 OOM kills; warm, too;
#  - no freeze/resume loop: the report's most freezes of one job is <= 3.
# Outcomes and order only: nothing here depends on how fast the machine is.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cxx.sh"
need_env MEMSTOP MEMSTOP_SO

V1=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] || skip_all "needs root (memory cgroups)"
[ -w "$V1" ] || skip_all "no writable cgroup v1 memory controller at $V1"
command -v g++ >/dev/null || skip_all "no g++"
command -v make >/dev/null || skip_all "no make"

cxx_workdir
cxx_size_one "$W/b" 600
[ -n "${ASAN_RUNTIME:-}" ] && LIMIT_MB=$((LIMIT_MB + 256))
diag "one compile peaks at $((PEAK_KB / 1024)) MiB; cgroup limit ${LIMIT_MB} MiB"

CG=$V1/memstop-test-realcc-$$
cgroup_create "$CG" || bail_out "cannot create $CG"
echo "${LIMIT_MB}M" >"$CG/memory.limit_in_bytes"
oom_kills() { awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; }

# build NAME: memstop -- make -k -j2 in the cgroup, with a hold file read
# through the report; sets STATUS and KILLS.
build() {
	local before
	rm -f "$W/b/"*.o
	before=$(oom_kills)
	bounded 900 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
		"$MEMSTOP" -vv --log "$W/$1.log" --report "$W/$1.json" -- make -s -k -j2 -C "$W/b"
	KILLS=$(($(oom_kills) - before))
	diag "$1: status $STATUS, $((ELAPSED / 1000)) ms, $KILLS OOM kills; stderr: $ERR"
}

build cold
is "$STATUS $KILLS $(ls "$W/b/"*.o 2>/dev/null | wc -l)" "0 0 2" \
	"cold: two compiles that cannot fit together finish under memstop -- make -k -j2, 0 OOM kills"
check "cold: the report says 0 OOM kills and at most 3 freezes of one job" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["oom_kills"] == 0, r["oom_kills"]
assert r["most_freezes_of_one_job"] <= 3, r["most_freezes_of_one_job"]
assert all(j["freezes"] <= 3 for j in r["jobs"]), r["jobs"]
' "$W/cold.json"
check "cold: the report shows one job per compile, its peak the tree's (cc1plus's, not the driver's)" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
jobs = r["jobs"]
assert len(jobs) == 2, jobs
assert all("g++" in j["command"] and j["peak_bytes"] >= 32 << 20 for j in jobs), jobs
' "$W/cold.json"

# The driver is gated; what it starts is part of its job.
gated=$(grep -o 'memstop: [a-z0-9+_.-]*\[[0-9]*\] held' "$W/cold.log" | sed 's/^memstop: //; s/\[.*//' | sort -u | tr '\n' ' ')
diag "held in the cold build: ${gated:-none}"
result "cold: neither cc1plus nor as waits in the gate (they are their driver's job)" \
	"$([[ $gated != *cc1plus* && $gated != *" as "* ]]; echo $?)" "held: $gated"

# With -vv, each process held says why it was let in, as it said why it waited.
held_pids=$(grep -o '\[[0-9]*\] held:' "$W/cold.log" | tr -dc '0-9\n' | sort -u)
missing=
for pid in $held_pids; do
	grep -q "\[$pid\] let in after [0-9.]*[umh]*s" "$W/cold.log" || missing+=" $pid"
done
diag "$(grep 'let in after' "$W/cold.log")"
result "cold: with -vv, every process held (one at least: the pair cannot fit) says why it was let in" \
	"$([[ -n $held_pids && -z $missing ]]; echo $?)" \
	"held: $(echo $held_pids); no 'let in' line for:${missing:- none}; $(grep -E 'held|let in' "$W/cold.log" | head -20)"

# The history keeps the tree's peak under the driver's key.
HIST=$("$MEMSTOP" history)
diag "$HIST"
peak_line=$(printf '%s\n' "$HIST" | awk '$1 == "g++" { print $3; exit }')
result "the history keeps g++'s job with its cc1plus's peak (over 32 MiB: $peak_line)" \
	"$(printf '%s\n' "$HIST" | awk '$1 == "g++" && ($3 ~ /G$/ || ($3 ~ /M$/ && $3 + 0 >= 32)) { f = 1 } END { exit !f }'; echo $?)" "$HIST"
result "the history has no cc1plus or as of its own" \
	"$(printf '%s\n' "$HIST" | awk '$1 == "cc1plus" || $1 == "as" { f = 1 } END { exit f }'; echo $?)" "$HIST"

build warm
is "$STATUS $KILLS $(ls "$W/b/"*.o 2>/dev/null | wc -l)" "0 0 2" \
	"warm: the same build finishes, 0 OOM kills"
check "warm: at most 3 freezes of one job" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["oom_kills"] == 0 and r["most_freezes_of_one_job"] <= 3, r
' "$W/warm.json"

cgroup_remove "$CG"
done_testing
