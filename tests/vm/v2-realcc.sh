#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): real compilers on a real cgroup v2 (issue 10;
# tests/integration/realcc.sh is the same on the host's v1). The system g++
# (driver -> cc1plus -> as) on two generated C++ units, in a cgroup whose
# memory.max leaves room for one compile and a half, not for two:
#  - `memstop -- make -k -j2` finishes both with no OOM kill (memory.events),
#    cold (empty history) and warm;
#  - its report says cgroup v2, one job per compile whose peak is the tree's
#    (cc1plus's, not the driver's few MiB), and at most 3 freezes of a job;
#  - the history keeps g++'s job, and no cc1plus or as of its own.
# Outcomes only: nothing here depends on how fast the VM is.
. "$(dirname "$0")/lib-vm.sh"
. "$(dirname "$0")/../integration/lib-cxx.sh"
need_env MEMSTOP MEMSTOP_SO
command -v g++ >/dev/null || skip_all "no g++"
command -v make >/dev/null || skip_all "no make"
plan 5

cxx_workdir
cxx_size_one "$W/b" 900
diag "one compile peaks at $((PEAK_KB / 1024)) MiB in $((ELAPSED / 1000)) ms; memory.max ${LIMIT_MB}M"
cg2_create "$CG2/realcc" "${LIMIT_MB}M" || bail_out "cannot create $CG2/realcc"

# build NAME: memstop -- make -k -j2 in the cgroup; sets STATUS, KILLS, OBJS.
build() {
	local k0
	rm -f "$W/b/"*.o
	k0=$(cg2_oom_kills "$CG2/realcc")
	bounded 900 cg2_exec "$CG2/realcc" "$MEMSTOP" --report "$W/$1.json" -- make -s -k -j2 -C "$W/b"
	vm_unhang "$1"
	KILLS=$(($(cg2_oom_kills "$CG2/realcc") - k0))
	OBJS=$(find "$W/b" -name '*.o' | wc -l)
	diag "$1: exit $STATUS, $OBJS of 2 objects, $KILLS OOM kills (memory.events), $((ELAPSED / 1000)) ms;" \
		"memstop said: $(grep 'memstop: .* gated' <<<"$ERR")"
}

# report_ok FILE: the report of a v2 build: 0 OOM kills, two g++ jobs whose
# peaks are their trees' (over 32 MiB), at most 3 freezes of one.
report_ok() {
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["watched_by"] == "cgroup v2", r["watched_by"]
assert r["oom_kills"] == 0, r["oom_kills"]
assert r["most_freezes_of_one_job"] <= 3, r["most_freezes_of_one_job"]
jobs = r["jobs"]
assert len(jobs) == 2, jobs
assert all("g++" in j["command"] and j["peak_bytes"] >= 32 << 20 and j["freezes"] <= 3 for j in jobs), jobs
' "$1"
}

for run in cold warm; do
	build "$run"
	result "$run: two compiles that cannot fit together finish under memstop -- make -k -j2, 0 OOM kills" \
		$((STATUS != 0 || KILLS != 0 || OBJS != 2)) "exit $STATUS, $OBJS objects, oom_kill +$KILLS" \
		"memstop's stderr (last lines):" "$(tail -n 15 <<<"$ERR")"
	check "$run: the report says cgroup v2, one job per compile with its tree's peak, <= 3 freezes" \
		report_ok "$W/$run.json"
	if [ "$run" = cold ]; then
		HIST=$("$MEMSTOP" history)
		diag "$HIST"
		result "the history keeps g++'s job, and no cc1plus or as of its own" \
			"$(printf '%s\n' "$HIST" | awk '$1 == "g++" { g = 1 } $1 == "cc1plus" || $1 == "as" { o = 1 }
				END { exit !(g && !o) }'
			echo $?)" "$HIST"
	fi
done
done_testing
