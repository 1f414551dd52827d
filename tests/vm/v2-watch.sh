#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): a "container": the build runs as an
# unprivileged user (nobody) in a v2 cgroup with memory.max that it cannot
# write, as under docker --memory or a CI runner. memstop cannot make a
# build cgroup there: it watches the process tree (watch mode), freezes jobs
# by SIGSTOP and counts OOM kills in the cgroup's memory.events from its
# start (issue 11):
#  - 8 jobs x 150 MiB in memory.max 512M (as 300 MiB in 1G, at half the VM's
#    slow page faults): all done, no OOM kill, cold and warm;
#    the report says "process tree" and as many OOM kills as memory.events;
#  - a real OOM kill under memstop (a 300 MiB hog in 200M): counted once, as
#    memory.events counts it, and only the hog may be named;
#  - memstop -- true afterwards in that cgroup: no OOM kill reported.
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP MEMSTOP_SO JOB HOG
N=${VM_MAKE_JOBS:-8}
MIB=${VM_MAKE_MIB:-150}
plan 7

nobody_setup
W=$NOBODY_DIR
cg2_create "$CG2/container" 512M || bail_out "cannot create $CG2/container"
vm_makefile "$W/build" "$N" "$MIB" 2 2
chown -R nobody: "$W/build"
check "nobody cannot write the cgroup" "${NOBODY[@]}" sh -c "! mkdir '$CG2/container/x' 2>/dev/null"

for run in cold warm; do
	vm_build "$CG2/container" "$W/build" "$N" "as nobody: memstop -- make -k -j$N, $run" \
		"${NOBODY[@]}" "$MEMSTOP" --report "$W/$run.json" --
	diag "$(grep 'memstop: .* gated' <<<"$ERR")"
	result "watch mode, $run: exit 0, all $N jobs done, no OOM kill" \
		$((STATUS != 0 || DONE != N || KILLS != 0)) "exit $STATUS, $DONE of $N done, oom_kill +$KILLS" \
		"memstop's stderr (last lines):" "$(tail -n 15 <<<"$ERR")"
	check "$run: its report says process tree and $KILLS OOM kills, as memory.events" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["watched_by"] == "process tree" and r["cgroup"] is None, r
assert r["oom_kills"] == int(sys.argv[2]), r' "$W/$run.json" "$KILLS"
done

cg2_create "$CG2/container-small" 200M || bail_out "cannot create $CG2/container-small"
k0=$(cg2_oom_kills "$CG2/container-small")
bounded 300 cg2_exec "$CG2/container-small" "${NOBODY[@]}" "$MEMSTOP" --report "$W/kill.json" -- \
	sh -c '"$0" 300M --ramp 1.5 --hold 0; true' "$HOG"
kills=$(($(cg2_oom_kills "$CG2/container-small") - k0))
diag "a real OOM kill under memstop: exit $STATUS, memory.events oom_kill +$kills; memstop said:" "$ERR"
check "reported OOM kills = memory.events delta = 1; only the hog named" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["oom_kills"] == int(sys.argv[2]) == 1, r
assert len(r["oom_killed"]) <= 1 and all("hog" in k["command"] for k in r["oom_killed"]), r
' "$W/kill.json" "$kills"

bounded 120 cg2_exec "$CG2/container-small" "${NOBODY[@]}" "$MEMSTOP" --report "$W/true.json" -- true
result "memstop -- true there afterwards reports no OOM kill" \
	"$([[ $STATUS == 0 && $ERR != *OOM-killed* && $ERR == *" 0 OOM kills"* ]] && python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["oom_kills"] == 0 else 1)' "$W/true.json"; echo $?)" \
	"exit $STATUS; memstop said:" "$ERR"
done_testing
