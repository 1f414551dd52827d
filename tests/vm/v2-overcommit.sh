#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): strict overcommit. With vm.overcommit_memory=2
# an allocation fails with ENOMEM once Committed_AS would pass CommitLimit,
# long before memory is used. The VM's commit limit is set to what is
# committed now + LEFT MiB (vm.overcommit_kbytes; in the VM only, the host is
# never touched), and N jobs of MIB MiB each (bench/job: it maps all its
# memory at its start, so it commits it at once, and exits 1 with "Cannot
# allocate memory" when it cannot) commit together more than that:
#  - `memstop status` names the commit bound (a "commit" line, available
#    "from the commit limit", JSON commit.bound);
#  - plain `make -k -jN` loses jobs to ENOMEM;
#  - `memstop -- make -k -jN` finishes them all, no job failing for ENOMEM,
#    cold (no history) and warm, and what it learned of a job covers what the
#    job committed.
# The builds run in a cgroup with memory.max 1G (far more than the jobs use
# at once), so that memstop's threshold (10% of total = min(MemTotal, limit))
# is above one job's commit: a job of unknown size is let in when that much is
# left to commit. Outcomes only; no timing is asserted.
# VM_OC_JOBS, VM_OC_MIB, VM_OC_LEFT change the load (default 6 x 80 MiB, 300 MiB).
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP JOB
N=${VM_OC_JOBS:-6}
MIB=${VM_OC_MIB:-80}
LEFT=${VM_OC_LEFT:-300}
plan 8

tmpdir
W=$TMPD
# A history of its own: the first memstop run is cold.
export XDG_CACHE_HOME=$W/cache
mkdir -p "$XDG_CACHE_HOME"

meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# enomem: the jobs that said they could not map their memory, in $ERR.
enomem() { grep -c 'Cannot allocate memory' <<<"$ERR"; }

VM=/proc/sys/vm
restore_overcommit() {
	echo 0 >"$VM/overcommit_memory"
	echo 50 >"$VM/overcommit_ratio"
}
cg2_create "$CG2/oc" 1G || bail_out "cannot create $CG2/oc"
# Mode 2 first, under its default limit (vm.overcommit_ratio 50: half the
# VM's memory, far above what is committed): only then is Committed_AS exact
# enough to count on (the kernel counts it per CPU in batches of up to 1/4 of
# RAM in the other modes, of 1/256 in mode 2, and sums them up as the mode
# changes). Writing overcommit_ratio zeroes overcommit_kbytes and the other
# way round: never write 0 to either (a commit limit of 0 kills init).
echo 50 >"$VM/overcommit_ratio" || bail_out "cannot set vm.overcommit_ratio"
echo 2 >"$VM/overcommit_memory" || bail_out "cannot set vm.overcommit_memory"
base=$(meminfo_kb Committed_AS)
echo $((base + LEFT * 1024)) >"$VM/overcommit_kbytes" || bail_out "cannot set vm.overcommit_kbytes"
limit=$(meminfo_kb CommitLimit)
diag "vm.overcommit_memory=2: CommitLimit $((limit / 1024)) MiB, Committed_AS $(($(meminfo_kb Committed_AS) / 1024)) MiB;" \
	"$N jobs x $MIB MiB (they commit $((N * MIB)) MiB) in a cgroup with memory.max 1G"
check "the commit limit is what was committed + $LEFT MiB" test "$limit" -eq $((base + LEFT * 1024))

bounded 120 cg2_exec "$CG2/oc" "$MEMSTOP" status
result "memstop status: the commit line, available from the commit limit" \
	"$([[ $STATUS == 0 && $OUT == *"commit     limit "*", left "*"(vm.overcommit_memory=2: a bound)"* &&
		$OUT == *"available (from the commit limit)"* ]]; echo $?)" "exit $STATUS" "$OUT" "$ERR"
bounded 120 cg2_exec "$CG2/oc" "$MEMSTOP" status --json
check "memstop status --json: commit.bound, available = CommitLimit - Committed_AS" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
c, e = j["commit"], j["effective"]
assert c["overcommit_memory"] == 2 and c["bound"] is True, c
assert c["left"] == max(c["limit"] - c["committed"], 0) and c["limit"] == int(sys.argv[2]) * 1024, c
assert e["available_from"] == "commit limit" and e["available"] == c["left"], e
assert e["total_from"] == "cgroup" and e["total"] == 1 << 30, e' "$OUT" "$limit"

vm_makefile "$W/plain" "$N" "$MIB" 2 3
vm_build "$CG2/oc" "$W/plain" "$N" "plain make -k -j$N"
lost=$(enomem)
diag "plain make: $lost jobs failed for ENOMEM"
check "plain make -k -j$N: jobs fail for ENOMEM" test "$lost" -gt 0
check "plain make -k -j$N: jobs are lost, not for the OOM killer" test "$DONE" -lt "$N" -a "$KILLS" -eq 0

vm_makefile "$W/gated" "$N" "$MIB" 2 3
for run in cold warm; do
	vm_build "$CG2/oc" "$W/gated" "$N" "memstop -- make -k -j$N, $run" "$MEMSTOP" --
	lost=$(enomem)
	diag "memstop, $run: $lost jobs failed for ENOMEM; $(grep 'memstop: .* gated' <<<"$ERR")"
	result "memstop -- make -k -j$N, $run: exit 0, all $N jobs done, none failed for ENOMEM" \
		$((STATUS != 0 || DONE != N || lost != 0)) "exit $STATUS, $DONE of $N done, $lost ENOMEM" \
		"memstop's stderr (last lines):" "$(tail -n 15 <<<"$ERR")"
done

# What memstop learned of a job covers what it committed (its whole mapping),
# not only the RSS it reached.
bounded 60 "$MEMSTOP" history --json
check "the learned peak of the jobs is at least the $MIB MiB each commits" python3 -c '
import json, sys
h = [e for e in json.loads(sys.argv[1]) if e["program"] == "job"]
assert h and min(e["peak_bytes"] for e in h) >= int(sys.argv[2]) << 20, h' "$OUT" "$MIB"

restore_overcommit
done_testing
