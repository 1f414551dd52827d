#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): kill -9 of memstop while jobs are frozen
# leaves nothing stopped or frozen (issue 12):
#  - with a build cgroup (root, in a cgroup it may divide) jobs are frozen
#    through cgroup.freeze, each in a cgroup of its own below the build's;
#    a frozen cgroup stays frozen when memstop dies: its guardian thaws it;
#  - in watch mode (nobody, a cgroup it cannot write) jobs are stopped by
#    SIGSTOP; the guardian continues them.
# 4 jobs x 200 MiB that hold their memory for a minute, --freeze-below 700M
# in memory.max 1G: some are frozen soon. The jobs are exempt from the gate
# (-x job), which would let them in one by one on a first build.
. "$(dirname "$0")/lib-vm.sh"
need_env MEMSTOP MEMSTOP_SO JOB
plan 6

stopped_in() {  # CG: pids in state T at or below CG
	local p
	for p in $(find "$1" -name cgroup.procs -exec cat {} +); do
		[ "$(proc_state "$p" 2>/dev/null)" = T ] && printf '%s ' "$p"
	done
	return 0
}

nobody_setup
W=$NOBODY_DIR
vm_makefile "$W/build" 4 200 0.5 60
chown -R nobody: "$W/build"

# --- a build cgroup: cgroup.freeze ------------------------------------------------
CG=$CG2/freeze
cg2_create "$CG" 1G || bail_out "cannot create $CG"
# (spawn sh itself: cg2_exec, a function, would run in a subshell of its own)
spawn sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" \
	"$MEMSTOP" --freeze-below 700M -x job -- make -s -k -j4 -C "$W/build"
M=$SPAWNED
if wait_until 120 eval '[ -n "$(cg2_frozen "$CG")" ]'; then
	ok "build cgroup: jobs are frozen in cgroups of their own: $(cg2_frozen "$CG" | tr '\n' ' ')"
else
	not_ok "build cgroup: jobs are frozen in cgroups of their own" "$(find "$CG" -type d)"
fi
kill -KILL "$M"
wait "$M" 2>/dev/null
wait_until 10 eval '[ -z "$(cg2_frozen "$CG")$(stopped_in "$CG")" ]'
is "$(cg2_frozen "$CG")" "" "kill -9 of memstop: no cgroup is left frozen"
is "$(stopped_in "$CG")" "" "... and no process stopped"
cg2_remove_tree "$CG"

# --- watch mode: SIGSTOP -----------------------------------------------------------
rm -f "$W"/build/done*
CG=$CG2/freeze-watch
cg2_create "$CG" 1G || bail_out "cannot create $CG"
spawn sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" \
	"${NOBODY[@]}" "$MEMSTOP" --freeze-below 700M -x job -- make -s -k -j4 -C "$W/build"
M=$SPAWNED
if wait_until 120 eval '[ -n "$(stopped_in "$CG")" ]'; then
	ok "watch mode: jobs are stopped (SIGSTOP): $(stopped_in "$CG")"
else
	not_ok "watch mode: jobs are stopped (SIGSTOP)"
fi
kill -KILL "$M"
wait "$M" 2>/dev/null
wait_until 10 eval '[ -z "$(stopped_in "$CG")" ]'
is "$(stopped_in "$CG")" "" "kill -9 of memstop: no process is left stopped"
is "$(cg2_frozen "$CG")" "" "... and no cgroup frozen"
cg2_remove_tree "$CG"
done_testing
