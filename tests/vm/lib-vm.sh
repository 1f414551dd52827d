# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# For test scripts that run inside the test VM (tests/vm/vm.sh boots it).
# Source it instead of tests/integration/lib.sh, which it sources, so that
# everything there works (plan, ok, check, bounded, tmpdir, cgroup_create...):
#
#   . "$(dirname "$0")/lib-vm.sh"
#   need_env MEMSTOP JOB
#   cg2_create "$CG2/mytest" 1G       # a child of the root cgroup, removed at exit
#   cg2_exec "$CG" make -j8           # run a command in it
#   cg2_oom_kills "$CG"               # memory.events oom_kill
#   known_broken "desc" "$status" "what is broken (issue, finding)" [diag...]
#
# Inside: the host's files at their paths (read-only host, changes in the
# VM's memory), root, TMPDIR=/scratch (a tmpfs), cgroup2 at /sys/fs/cgroup.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

[ -d /memstop-vm ] && [ "$(hostname)" = memstop-vm ] ||
	skip_all "not in the test VM (run it with tests/vm/vm.sh MODE SCRIPT)"

CG2=/sys/fs/cgroup
VM_MODE=${MEMSTOP_VM_MODE:-plain}

# cg2_create DIR [MEMORY_MAX]: a cgroup v2 directory (removed at exit, its
# processes killed), with memory.max set if given.
cg2_create() {
	cgroup_create "$1" || return 1
	[ $# -lt 2 ] || echo "$2" >"$1/memory.max"
}

# cg2_exec DIR COMMAND...: run COMMAND in the cgroup DIR (moved there before
# it execs, so that all its memory is charged there).
cg2_exec() {
	local cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# cg2_oom_kills DIR: the cgroup's oom_kill count (memory.events).
cg2_oom_kills() {
	awk '$1 == "oom_kill" { print $2; found = 1 } END { if (!found) print 0 }' "$1/memory.events"
}

# known_broken DESCRIPTION STATUS REASON [DIAGNOSTIC...]: a check of
# something known to be broken: when STATUS is not 0, "not ok ... # TODO
# REASON" (meson: expected failure); when it is 0, a plain "ok" and a note
# that the TODO can go (an "ok # TODO" would count as an unexpected pass).
known_broken() {
	local desc=$1 status=$2 reason=$3
	shift 3
	_tap_n=$((_tap_n + 1))
	if [ "$status" -eq 0 ]; then
		printf 'ok %d - %s\n' "$_tap_n" "$desc"
		diag "known broken, but it passed: the TODO ($reason) can go"
	else
		printf 'not ok %d - %s # TODO %s\n' "$_tap_n" "$desc" "$reason"
		[ $# -gt 0 ] && diag "$*"
	fi
	return 0
}
