#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): memstop's main job on cgroup v2. N jobs of MIB
# MiB each (bench/job) in a cgroup with memory.max 1G:
#  - plain `make -k -jN` loses jobs to the OOM killer (memory.events oom_kill);
#  - `memstop -- make -k -jN` (in a fresh cgroup of the same limit) finishes
#    them all with no OOM kill;
#  - memstop's summary, in the cgroup where plain make lost jobs earlier,
#    does not claim those OOM kills as its own.
# VM_MAKE_JOBS, VM_MAKE_MIB, VM_MAKE_RAMP, VM_MAKE_HOLD (seconds) change the
# load (default 8 x 300 MiB, 2 s ramp, 2 s hold).
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP MEMSTOP_SO JOB
N=${VM_MAKE_JOBS:-8}
MIB=${VM_MAKE_MIB:-300}
RAMP=${VM_MAKE_RAMP:-2}
HOLD=${VM_MAKE_HOLD:-2}
plan 4

tmpdir
W=$TMPD
# makefile DIR: N targets, each a job of MIB MiB that leaves a done file.
makefile() {
	local i
	mkdir -p "$1"
	{
		printf 'all:'
		for i in $(seq "$N"); do printf ' done%d' "$i"; done
		printf '\ndone%%:\n\t%s %s %s %s $* $@\n' "$JOB" "$MIB" "$RAMP" "$HOLD"
	} >"$1/Makefile"
}
done_count() { find "$1" -name 'done*' | wc -l; }

CG=$CG2/make
cg2_create "$CG" 1G || bail_out "cannot create $CG"
diag "$N jobs x $MIB MiB (ramp $RAMP s, hold $HOLD s) in a cgroup with memory.max 1G"

makefile "$W/plain"
k0=$(cg2_oom_kills "$CG")
bounded 900 cg2_exec "$CG" make -s -k -j"$N" -C "$W/plain"
kills=$(($(cg2_oom_kills "$CG") - k0))
done_plain=$(done_count "$W/plain")
diag "plain make -k -j$N: exit $STATUS, $done_plain of $N jobs done, $kills OOM kills, $((ELAPSED / 1000)) ms"
check "plain make -k -j$N: the OOM killer takes jobs" test "$kills" -gt 0
check "plain make -k -j$N: jobs are lost" test "$done_plain" -lt "$N"

makefile "$W/gated"
CG=$CG2/make-gated
cg2_create "$CG" 1G || bail_out "cannot create $CG"
k0=$(cg2_oom_kills "$CG")
bounded 900 cg2_exec "$CG" "$MEMSTOP" -- make -s -k -j"$N" -C "$W/gated"
kills=$(($(cg2_oom_kills "$CG") - k0))
done_gated=$(done_count "$W/gated")
diag "memstop -- make -k -j$N: exit $STATUS, $done_gated of $N jobs done, $kills OOM kills, $((ELAPSED / 1000)) ms"
[ -n "$ERR" ] && diag "memstop's stderr (last lines):" "$(tail -n 15 <<<"$ERR")"
gated_status=$STATUS

known_broken "memstop -- make -k -j$N: exit 0, all $N jobs done, no OOM kill" \
	$((gated_status != 0 || done_gated != N || kills != 0)) \
	"issue 11: on cgroup v2 memstop loses jobs to the OOM killer" \
	"exit $gated_status, $done_gated of $N done, memory.events oom_kill +$kills"

# The cgroup of the plain run has had its OOM kills: memstop, started there
# afterwards, must not report them as its own.
bounded 120 cg2_exec "$CG2/make" "$MEMSTOP" -- true

known_broken "memstop -- true, in a cgroup with earlier OOM kills, reports none" \
	$(( $(grep -c 'OOM-killed' <<<"$ERR") != 0 )) \
	"issue 11: memstop counts the cgroup's earlier OOM kills (memory.events) as its own" \
	"exit $STATUS; memstop said:" "$ERR"
done_testing
