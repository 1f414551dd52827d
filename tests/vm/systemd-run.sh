#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (systemd mode): a build in a transient scope with a memory
# limit, the way users give a build its own cgroup on a systemd machine:
#   systemd-run --scope -p MemoryMax=1G memstop -- make -k -j8
# with 8 jobs x 300 MiB (VM_MAKE_* as in v2-make.sh): all done, no OOM kill in
# the scope (its memory.events, read from inside before the scope ends).
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP MEMSTOP_SO JOB
[ "$VM_MODE" = systemd ] || skip_all "needs the VM's systemd mode"
N=${VM_MAKE_JOBS:-8}
MIB=${VM_MAKE_MIB:-300}
RAMP=${VM_MAKE_RAMP:-2}
HOLD=${VM_MAKE_HOLD:-2}
plan 3

tmpdir
W=$TMPD
mkdir "$W/build"
{
	printf 'all:'
	for i in $(seq "$N"); do printf ' done%d' "$i"; done
	printf '\ndone%%:\n\t%s %s %s %s $* $@\n' "$JOB" "$MIB" "$RAMP" "$HOLD"
} >"$W/build/Makefile"

# Inside the scope: the build, then the scope's own limit and OOM count.
cat >"$W/inside.sh" <<'SH'
cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
"$@"
status=$?
{ echo "cgroup $cg"; echo "max $(cat "$cg/memory.max")"; cat "$cg/memory.events"; } >"$W/scope"
exit $status
SH
export W
bounded 900 systemd-run --quiet --scope --unit=memstop-vm-build -p MemoryMax=1G \
	bash "$W/inside.sh" "$MEMSTOP" -- make -s -k -j"$N" -C "$W/build"
done_n=$(find "$W/build" -name 'done*' | wc -l)
kills=$(awk '$1 == "oom_kill" { print $2 }' "$W/scope" 2>/dev/null)
diag "systemd-run --scope -p MemoryMax=1G memstop -- make -k -j$N ($N x $MIB MiB): exit $STATUS," \
	"$done_n of $N done, oom_kill ${kills:-?}, $((ELAPSED / 1000)) ms" \
	"scope: $(tr '\n' ' ' <"$W/scope" 2>/dev/null)"
[ -n "$ERR" ] && diag "stderr (last lines):" "$(tail -n 12 <<<"$ERR")"
check "the build ran in a scope with memory.max 1G" grep -qx 'max 1073741824' "$W/scope"
is "$STATUS $done_n" "0 $N" "memstop in the scope: exit 0, all $N jobs done"
is "${kills:-none}" 0 "memstop in the scope: no OOM kill"
done_testing
