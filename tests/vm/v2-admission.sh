#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): the small admission scenario of
# tests/integration/admission.sh on cgroup v2: 8 jobs x 120 MiB (ramp 0.3 s,
# hold 0.2 s) in memory.max 512M, where at most 3 fit beside the threshold.
#  - plain `make -k -j8` loses jobs to the OOM killer;
#  - `memstop -- make -k -j8`: all finish, no OOM kill, cold and warm, with
#    a build cgroup (root) and in watch mode (nobody, a cgroup it cannot
#    write).
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP MEMSTOP_SO JOB
J=8
plan 5

nobody_setup
W=$NOBODY_DIR
vm_makefile "$W/mk" "$J" 120 0.3 0.2
chown -R nobody: "$W/mk"

cg2_create "$CG2/adm-plain" 512M || bail_out "cannot create $CG2/adm-plain"
vm_build "$CG2/adm-plain" "$W/mk" "$J" "plain make -k -j$J"
check "plain make -k -j$J in 512M: the OOM killer takes jobs" test "$KILLS" -gt 0

cg2_create "$CG2/adm-build" 512M || bail_out "cannot create $CG2/adm-build"
mkdir -m 0700 "$W/root-cache"
for run in cold warm; do
	vm_build "$CG2/adm-build" "$W/mk" "$J" "memstop (build cgroup), $run" env XDG_CACHE_HOME="$W/root-cache" "$MEMSTOP" --
	result "memstop with a build cgroup, $run: all $J finish, no OOM kill" $((DONE != J || KILLS != 0)) \
		"exit $STATUS, $DONE done, oom_kill +$KILLS" "$(tail -n 12 <<<"$ERR")"
done

cg2_create "$CG2/adm-watch" 512M || bail_out "cannot create $CG2/adm-watch"
for run in cold warm; do
	vm_build "$CG2/adm-watch" "$W/mk" "$J" "memstop as nobody (watch mode), $run" "${NOBODY[@]}" "$MEMSTOP" --
	result "memstop in watch mode, $run: all $J finish, no OOM kill" $((DONE != J || KILLS != 0)) \
		"exit $STATUS, $DONE done, oom_kill +$KILLS" "$(tail -n 12 <<<"$ERR")"
done
done_testing
