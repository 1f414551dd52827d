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
#   vm_makefile DIR N MIB RAMP HOLD   # N jobs of bench/job, each leaves DIR/doneI
#   vm_build CG LABEL CMD...          # CMD make -s -k -jN -C DIR in CG: STATUS, DONE, KILLS
#   vm_unhang LABEL                   # after bounded: STATUS hung said, and made 124
#   nobody_setup; "${NOBODY[@]}" CMD  # CMD as an unprivileged user (a container's)
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

# vm_makefile DIR N MIB RAMP HOLD: N targets, each a job of MIB MiB (bench/job)
# that leaves DIR/doneI.
vm_makefile() {
	local i
	mkdir -p "$1"
	{
		printf 'all:'
		for i in $(seq "$2"); do printf ' done%d' "$i"; done
		printf '\ndone%%:\n\t%s %s %s %s $* $@\n' "$JOB" "$3" "$4" "$5"
	} >"$1/Makefile"
}

# vm_build CG DIR N LABEL [PREFIX...]: PREFIX make -s -k -jN -C DIR, in the
# cgroup CG (as given: cg2_exec, as_nobody...): sets STATUS (124 if it had to
# be killed after 900 s), ERR, ELAPSED, DONE (jobs done) and KILLS
# (memory.events oom_kill delta of CG), and says so.
vm_build() {
	local cg=$1 dir=$2 n=$3 label=$4 k0
	shift 4
	rm -f "$dir"/done*
	k0=$(cg2_oom_kills "$cg")
	bounded 900 cg2_exec "$cg" "$@" make -s -k -j"$n" -C "$dir"
	vm_unhang "$label"
	KILLS=$(($(cg2_oom_kills "$cg") - k0))
	DONE=$(find "$dir" -name 'done*' | wc -l)
	diag "$label: exit $STATUS, $DONE of $n jobs done, $KILLS OOM kills (memory.events), $((ELAPSED / 1000)) ms"
}

# vm_unhang LABEL: after bounded, a command that had to be killed (STATUS
# hung) is said so, with its processes as they were and the end of its
# stderr, and STATUS becomes 124 (as timeout(1) says it), so that the checks
# that follow fail with their message rather than bash on a non-number.
vm_unhang() {
	[ "$STATUS" = hung ] || return 0
	diag "$1: not done in time; its processes then:"
	diag "$HUNG_PS"
	diag "its stderr (last lines):"
	diag "$(tail -n 30 "$BERR")"
	STATUS=124
}

# nobody_setup: NOBODY=(prefix...) runs a command as the user nobody with no
# groups (a container's user, who cannot write the cgroup it is in), with a
# home and XDG dirs of its own; NOBODY_DIR is a directory it may write.
nobody_setup() {
	NOBODY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/memstop-nobody.XXXXXX") || bail_out "mktemp -d failed"
	_tap_dirs+=("$NOBODY_DIR")
	mkdir -p "$NOBODY_DIR/run" "$NOBODY_DIR/cache"
	chmod 0755 "$NOBODY_DIR"
	chmod 0700 "$NOBODY_DIR/run"
	chown -R nobody: "$NOBODY_DIR"
	NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$NOBODY_DIR"
		XDG_RUNTIME_DIR="$NOBODY_DIR/run" XDG_CACHE_HOME="$NOBODY_DIR/cache")
}

# cg2_remove_tree DIR: kill every process in DIR and below (cgroup.kill), then
# remove DIR and its children, deepest first.
cg2_remove_tree() {
	local i d
	[ -d "$1" ] || return 0
	echo 1 >"$1/cgroup.kill" 2>/dev/null
	for i in $(seq 50); do
		# (no process substitution: the VM has no /dev/fd)
		find "$1" -depth -type d | while read -r d; do rmdir "$d" 2>/dev/null; done
		[ -d "$1" ] || return 0
		sleep 0.1
	done
	printf '# could not remove cgroup %s\n' "$1" >&2
	return 1
}

# cg2_frozen DIR: the cgroups at or below DIR that are frozen (cgroup.events).
cg2_frozen() {
	grep -l '^frozen 1' $(find "$1" -name cgroup.events) 2>/dev/null | xargs -r -n1 dirname
}
