#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): memstop's main job on cgroup v2. N jobs of MIB
# MiB each (bench/job) in a cgroup with memory.max 512M:
#  - plain `make -k -jN` loses jobs to the OOM killer (memory.events oom_kill);
#  - `memstop -- make -k -jN` (root: a cgroup it may divide, so a build cgroup
#    of its own below it, memory.max inherited, jobs frozen through
#    cgroup.freeze) finishes them all with no OOM kill, cold (empty history)
#    and warm; its report says "cgroup v2" and as many OOM kills as
#    memory.events counted (0);
#  - memstop's summary, in the cgroup where plain make lost jobs earlier,
#    does not claim those OOM kills as its own;
#  - a real OOM kill under memstop with a build cgroup (a 300 MiB hog in
#    200M, --no-freeze) is reported once, as memory.events counts it.
# Cold, the VM's one slow CPU grows all jobs at once slowly enough that the
# gate lets them all in (see freeze.h: jobs of unknown peak are projected to
# double); the supervisor must leave room for those it keeps running.
# VM_MAKE_JOBS, VM_MAKE_MIB, VM_MAKE_RAMP, VM_MAKE_HOLD (seconds) change the
# load (default 8 x 150 MiB, 2 s ramp, 2 s hold: as 8 x 300 MiB in 1G, at
# half the page faults, which the VM makes slow: the cold and warm builds took
# 5.6 and 6.8 min each on 2026-12-02 at 300 MiB).
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP MEMSTOP_SO JOB HOG
N=${VM_MAKE_JOBS:-8}
MIB=${VM_MAKE_MIB:-150}
RAMP=${VM_MAKE_RAMP:-2}
HOLD=${VM_MAKE_HOLD:-2}
plan 8

tmpdir
W=$TMPD
diag "$N jobs x $MIB MiB (ramp $RAMP s, hold $HOLD s) in a cgroup with memory.max 512M"

vm_makefile "$W/plain" "$N" "$MIB" "$RAMP" "$HOLD"
cg2_create "$CG2/make" 512M || bail_out "cannot create $CG2/make"
vm_build "$CG2/make" "$W/plain" "$N" "plain make -k -j$N"
check "plain make -k -j$N: the OOM killer takes jobs" test "$KILLS" -gt 0
check "plain make -k -j$N: jobs are lost" test "$DONE" -lt "$N"

vm_makefile "$W/gated" "$N" "$MIB" "$RAMP" "$HOLD"
cg2_create "$CG2/make-gated" 512M || bail_out "cannot create $CG2/make-gated"
for run in cold warm; do
	vm_build "$CG2/make-gated" "$W/gated" "$N" "memstop -- make -k -j$N, $run" \
		"$MEMSTOP" --report "$W/$run.json" --
	summary=$(grep 'memstop: .* gated' <<<"$ERR")
	diag "$summary"
	result "memstop -- make -k -j$N, $run: exit 0, all $N jobs done, no OOM kill" \
		$((STATUS != 0 || DONE != N || KILLS != 0)) "exit $STATUS, $DONE of $N done, oom_kill +$KILLS" \
		"memstop's stderr (last lines):" "$(tail -n 15 <<<"$ERR")"
	check "$run: its report says cgroup v2 and $KILLS OOM kills, as memory.events" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["watched_by"] == "cgroup v2" and r["cgroup"].startswith("/sys/fs/cgroup/make-gated/"), r
assert r["oom_kills"] == int(sys.argv[2]), r' "$W/$run.json" "$KILLS"
done

# The cgroup of the plain run has had its OOM kills: memstop, started there
# afterwards, must not report them as its own.
bounded 120 cg2_exec "$CG2/make" "$MEMSTOP" --report "$W/true.json" -- true
result "memstop -- true, in a cgroup with $(cg2_oom_kills "$CG2/make") earlier OOM kills, reports none" \
	"$([[ $STATUS == 0 && $ERR != *OOM-killed* && $ERR == *" 0 OOM kills"* ]] && python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["oom_kills"] == 0 else 1)' "$W/true.json"; echo $?)" \
	"exit $STATUS; memstop said:" "$ERR"

cg2_create "$CG2/oom-build" 200M || bail_out "cannot create $CG2/oom-build"
k0=$(cg2_oom_kills "$CG2/oom-build")
bounded 300 cg2_exec "$CG2/oom-build" "$MEMSTOP" --no-freeze --report "$W/kill.json" -- \
	sh -c '"$0" 300M --ramp 1.5 --hold 0; true' "$HOG"
kills=$(($(cg2_oom_kills "$CG2/oom-build") - k0))
diag "a real OOM kill under memstop (build cgroup): exit $STATUS, memory.events oom_kill +$kills; memstop said:" "$ERR"
check "build cgroup: reported OOM kills = memory.events delta = 1; only the hog named" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["watched_by"] == "cgroup v2", r
assert r["oom_kills"] == int(sys.argv[2]) == 1, r
assert len(r["oom_killed"]) <= 1 and all("hog" in k["command"] for k in r["oom_killed"]), r
' "$W/kill.json" "$kills"
done_testing
