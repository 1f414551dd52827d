#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (systemd mode): a build in a transient scope with a memory
# limit, the way users give a build its own cgroup on a systemd machine
# (README's recipe):
#   systemd-run --scope -p MemoryMax=1G -p OOMPolicy=continue memstop -- make -k -j8
# with 8 jobs x 300 MiB (VM_MAKE_* as in v2-make.sh): all done, no OOM kill in
# the scope (its memory.events, read from inside before the scope ends).
# (OOMPolicy=continue: with systemd's default, stop, one OOM kill would end
# the whole scope: SIGTERM to every job, the build lost.)
# Then scripts/setup-and-demo.sh's demonstration (MEMSTOP_DEMO_ONLY=1), which
# uses such scopes on cgroup v2 under systemd: plain make loses jobs, memstop
# none, cold and warm.
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP MEMSTOP_SO JOB
[ "$VM_MODE" = systemd ] || skip_all "needs the VM's systemd mode"
N=${VM_MAKE_JOBS:-8}
MIB=${VM_MAKE_MIB:-300}
RAMP=${VM_MAKE_RAMP:-2}
HOLD=${VM_MAKE_HOLD:-2}
plan 5

tmpdir
W=$TMPD
mkdir "$W/build"
{
	printf 'all:'
	for i in $(seq "$N"); do printf ' done%d' "$i"; done
	printf '\ndone%%:\n\t%s %s %s %s $* $@\n' "$JOB" "$MIB" "$RAMP" "$HOLD"
} >"$W/build/Makefile"

# Inside the scope: the build, then the scope's own limit and OOM count.
# (systemd may stop the scope: its SIGTERM still gets the figures written.)
cat >"$W/inside.sh" <<'SH'
cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
{ echo "cgroup $cg"; echo "max $(cat "$cg/memory.max")"; } >"$W/scope"
events() { cat "$cg/memory.events" >>"$W/scope"; }
trap 'events; exit 143' TERM
"$@" &
wait $!
status=$?
[ $status -gt 128 ] && wait $!
events
exit $status
SH
export W
bounded 900 systemd-run --quiet --scope --unit=memstop-vm-build -p MemoryMax=1G -p OOMPolicy=continue \
	bash "$W/inside.sh" "$MEMSTOP" -- make -s -k -j"$N" -C "$W/build"
vm_unhang "memstop -- make in the scope"
done_n=$(find "$W/build" -name 'done*' | wc -l)
kills=$(awk '$1 == "oom_kill" { print $2 }' "$W/scope" 2>/dev/null)
diag "systemd-run --scope -p MemoryMax=1G memstop -- make -k -j$N ($N x $MIB MiB): exit $STATUS," \
	"$done_n of $N done, oom_kill ${kills:-?}, $((ELAPSED / 1000)) ms" \
	"scope: $(tr '\n' ' ' <"$W/scope" 2>/dev/null)"
[ -n "$ERR" ] && diag "stderr (last lines):" "$(tail -n 12 <<<"$ERR")"
diag "journal of the scope:" "$(journalctl -u memstop-vm-build.scope --no-pager -o cat 2>&1 | tail -n 8)"
check "the build ran in a scope with memory.max 1G" grep -qx 'max 1073741824' "$W/scope"
result "memstop in the scope: exit 0, all $N jobs done" $((STATUS != 0 || done_n != N)) \
	"got exit $STATUS, $done_n of $N done"
result "memstop in the scope: no OOM kill" "$(( ${kills:-1} != 0 ))" "oom_kill ${kills:-unknown}"

bounded 1200 env MEMSTOP_DEMO_ONLY=1 MEMSTOP="$MEMSTOP" JOB="$JOB" TMPDIR="$W" bash "$TESTS_SRCDIR/../scripts/setup-and-demo.sh"
diag "scripts/setup-and-demo.sh (MEMSTOP_DEMO_ONLY=1): exit $STATUS" "$OUT" "$ERR"
check "the demonstration runs in systemd scopes: plain make loses jobs" \
	grep -Eq '^make -k -j8 +[0-7]/8 jobs finished, [1-9][0-9]* OOM kills' <<<"$OUT"
result "the demonstration: memstop finishes 8/8 with 0 OOM kills, cold and warm" \
	"$(($(grep -Ec '^memstop -- make -k -j8.* 8/8 jobs finished, 0 OOM kills' <<<"$OUT") != 2))" "$OUT"
done_testing
