# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# A small TAP library for memstop's integration tests. Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#   plan 3                  # or nothing, and done_testing at the end
#   ok "it works"           # or: not_ok "it broke" "diagnostic"
#   check "desc" cmd args   # ok if the command succeeds
#   is "$got" "$want" "desc"
#   skip "reason" "desc"
#   skip_all "reason"       # "1..0 # SKIP reason", exit 77
#
# Everything a test starts goes through spawn / tmpdir / cgroup_create, and
# the EXIT trap undoes it even when the test fails half-way: processes (and
# their descendants) are killed by pid and reaped, cgroups removed, temp
# directories deleted.

set -u

_tap_n=0
_tap_failed=0
_tap_planned=
_tap_pids=()
_tap_dirs=()
_tap_cgroups=()

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

plan() {
	_tap_planned=$1
	printf '1..%s\n' "$1"
}

ok() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s\n' "$_tap_n" "$1"
}

# not_ok DESCRIPTION [DIAGNOSTIC...]
# The failure goes to stderr as well: meson --print-errorlogs (CI's log)
# shows a failing test's stderr, not its TAP output.
not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	local text
	text=$(
		printf 'not ok %d - %s\n' "$_tap_n" "$1"
		shift
		[ $# -gt 0 ] && diag "$*"
	)
	printf '%s\n' "$text"
	printf '%s\n' "$text" >&2
	return 0
}

# result DESCRIPTION STATUS [DIAGNOSTIC...]: ok when STATUS is 0.
result() {
	local desc=$1 status=$2
	shift 2
	if [ "$status" -eq 0 ]; then ok "$desc"; else not_ok "$desc" "$@"; fi
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local desc=$1 out status
	shift
	out=$("$@" 2>&1)
	status=$?
	result "$desc" "$status" "command: $*" "exit status $status" "$out"
}

# is GOT EXPECTED DESCRIPTION
is() {
	if [ "$1" == "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "got:      '$1'" "expected: '$2'"
	fi
}

# like GOT REGEX DESCRIPTION (bash extended regex)
like() {
	if [[ $1 =~ $2 ]]; then
		ok "$3"
	else
		not_ok "$3" "got:      '$1'" "expected to match: $2"
	fi
}

skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "${2:-}" "$1"
}

# meson's TAP reader takes any non-zero exit for an error: meson.build sets
# TAP_SKIP_ALL_STATUS=0; by hand it is 77, as automake and others expect.
skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	_tap_planned=0
	exit "${TAP_SKIP_ALL_STATUS:-77}"
}

bail_out() {
	printf 'Bail out! %s\n' "$1"
	exit 1
}

done_testing() {
	[ -z "$_tap_planned" ] && printf '1..%d\n' "$_tap_n"
	_tap_planned=${_tap_planned:-$_tap_n}
	exit $((_tap_failed > 0 || _tap_n != _tap_planned))
}

# --- time -----------------------------------------------------------------

# Microseconds since some point, from bash's EPOCHREALTIME (no fork).
now_usec() {
	local t=${EPOCHREALTIME/[.,]/}
	printf '%s\n' "$((10#$t))"
}

# wait_until TIMEOUT_SECONDS COMMAND...: poll every 20 ms until COMMAND
# succeeds. Returns 0 as soon as it does, 1 at the timeout.
wait_until() {
	local timeout_usec deadline
	timeout_usec=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }')
	shift
	deadline=$(($(now_usec) + timeout_usec))
	while :; do
		"$@" && return 0
		[ "$(now_usec)" -ge "$deadline" ] && return 1
		sleep 0.02
	done
}

# --- processes ------------------------------------------------------------

# spawn COMMAND...: run in the background, remember the pid (in SPAWNED too).
# Redirections go around the call: spawn cmd >out 2>err.
spawn() {
	"$@" &
	SPAWNED=$!
	_tap_pids+=("$SPAWNED")
}

alive() {
	kill -0 "$1" 2>/dev/null && [ "$(proc_state "$1")" != Z ]
}

# The state letter of /proc/PID/stat (after the command name in parentheses).
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	printf '%s\n' "${stat%% *}"
}

# The parent pid of a process.
proc_ppid() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	printf '%s\n' "$2"
}

# utime + stime of a process, in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# After the ")": state is field 3, utime 14 and stime 15 of the whole line.
	set -- $stat
	printf '%d\n' "$((${12} + ${13}))"
}

# The pids of a process's descendants, deepest first.
_descendants() {
	local child
	for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		_descendants "$child"
		printf '%s\n' "$child"
	done
}

# kill_tree PID: TERM the process and its descendants, by pid; KILL whatever
# is left after a second; reap the process if it is our child.
kill_tree() {
	local pid=$1 p all i
	all=$(_descendants "$pid"; printf '%s\n' "$pid")
	for p in $all; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 50); do
		local left=
		for p in $all; do alive "$p" && left=1; done
		[ -z "$left" ] && break
		sleep 0.02
	done
	for p in $all; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
	wait "$pid" 2>/dev/null
	return 0
}

# bounded SECONDS COMMAND...: run COMMAND (stdin from /dev/null), give it
# SECONDS to finish, kill it after that. Sets STATUS (exit status, or "hung",
# and then HUNG_PS: ps of the tree before it was killed),
# OUT and ERR (its whole stdout and stderr, also in the files BOUT and BERR
# until the next call), ELAPSED (microseconds) and PID.
bounded() {
	local limit=$1 t0
	shift
	[ -n "${_tap_bounded_dir:-}" ] || { tmpdir; _tap_bounded_dir=$TMPD; }
	BOUT=$_tap_bounded_dir/out
	BERR=$_tap_bounded_dir/err
	t0=$(now_usec)
	spawn "$@" >"$BOUT" 2>"$BERR" </dev/null
	PID=$SPAWNED
	if wait_until "$limit" eval '! alive $PID'; then
		wait "$PID"
		STATUS=$?
	else
		STATUS=hung
		# What was left, for the diagnostics: the tree as it hung.
		HUNG_PS=$(ps -o pid,ppid,stat,wchan:22,rss,etime,args -p \
			"$(_descendants "$PID" | tr '\n' ' ')$PID" 2>&1)
		kill_tree "$PID"
	fi
	ELAPSED=$(($(now_usec) - t0))
	OUT=$(cat "$BOUT")
	ERR=$(cat "$BERR")
}

# --- temporary directories and cgroups -----------------------------------

# tmpdir: a new directory, deleted at exit; its path in TMPD.
tmpdir() {
	TMPD=$(mktemp -d "${TMPDIR:-/tmp}/memstop-test.XXXXXX") || bail_out "mktemp -d failed"
	_tap_dirs+=("$TMPD")
}

# cgroup_create DIR: mkdir a cgroup, removed at exit (its processes killed).
cgroup_create() {
	mkdir "$1" || return 1
	_tap_cgroups+=("$1")
}

cgroup_remove() {
	local cg=$1 p i
	[ -d "$cg" ] || return 0
	for i in $(seq 50); do
		# Only processes this test put there can be in it.
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		rmdir "$cg" 2>/dev/null && return 0
		sleep 0.1
	done
	printf '# could not remove cgroup %s\n' "$cg" >&2
	return 1
}

_tap_cleanup() {
	local status=$? pid i
	trap - EXIT INT TERM HUP
	for ((i = ${#_tap_pids[@]} - 1; i >= 0; i--)); do
		# Only a child not yet reaped: a reaped pid may be someone else's now.
		[ "$(proc_ppid "${_tap_pids[i]}")" = $$ ] && kill_tree "${_tap_pids[i]}"
	done
	for ((i = ${#_tap_cgroups[@]} - 1; i >= 0; i--)); do
		cgroup_remove "${_tap_cgroups[i]}"
	done
	for ((i = ${#_tap_dirs[@]} - 1; i >= 0; i--)); do
		rm -rf -- "${_tap_dirs[i]}"
	done
	exit "$status"
}
trap _tap_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- fake /proc and /sys trees ----------------------------------------------

# write_atomic FILE CONTENT: a reader sees the old file or the new, never half.
write_atomic() {
	printf '%s' "$2" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# fake_meminfo ROOT TOTAL_KB AVAILABLE_KB
fake_meminfo() {
	mkdir -p "$1/proc"
	write_atomic "$1/proc/meminfo" "MemTotal:       $2 kB
MemFree:        $(($3 / 2)) kB
MemAvailable:   $3 kB
Buffers:           1024 kB
Cached:          $(($3 / 4)) kB
SwapCached:           0 kB
Shmem:             2048 kB
SReclaimable:      4096 kB
"
}

# fake_host ROOT TOTAL_KB AVAILABLE_KB: a tree with host figures and no
# memory cgroup (proc/self/cgroup and mountinfo present but without one).
fake_host() {
	mkdir -p "$1/proc/self"
	fake_meminfo "$1" "$2" "$3"
	printf '0::/\n' >"$1/proc/self/cgroup"
	printf '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n' >"$1/proc/self/mountinfo"
}

# The figures of the standard 8 GiB host: 15% (1234 MB) available.
TOTAL_KB=8388608
AVAIL15_KB=1263616
# 5% and 50% of it.
AVAIL5_KB=419430
AVAIL50_KB=4194304

# --- the preload under a sanitizer -----------------------------------------

# A memstop.so built with -fsanitize=address needs the ASan runtime loaded
# before everything else in an uninstrumented program (touch, sh...); ld.so
# does that when it is named first in LD_PRELOAD. PRELOAD is what the tests
# put in LD_PRELOAD; ASAN_RUNTIME is empty unless the .so needs the runtime
# (found by ldd, not guessed from the build directory's name).
ASAN_RUNTIME=
if [ -n "${MEMSTOP_SO:-}" ] && command -v ldd >/dev/null; then
	ASAN_RUNTIME=$(ldd "$MEMSTOP_SO" 2>/dev/null | awk '$1 ~ /^libasan\.so/ { print $3; exit }')
fi
if [ -n "$ASAN_RUNTIME" ]; then
	PRELOAD=$ASAN_RUNTIME:$MEMSTOP_SO
	# - detect_leaks=0: programs such as touch or sh do not free everything
	#   at exit, and LeakSanitizer would fail them (cli.sh checks memstop's
	#   own leaks separately);
	# - verify_asan_link_order=0: the children that `memstop` runs get
	#   LD_PRELOAD=memstop.so:..., with no runtime in front; they work
	#   without the check (the .so's own code is still instrumented).
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0
	# Undefined behaviour stops the program: a test then fails loudly.
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
else
	PRELOAD=${MEMSTOP_SO:-}
fi

# Settings from the caller's environment would change what is tested.
unset MEMSTOP_PERCENT MEMSTOP_MIN_AVAILABLE MEMSTOP_TIMEOUT MEMSTOP_ON_TIMEOUT MEMSTOP_VERBOSE \
	MEMSTOP_LOG MEMSTOP_GATE MEMSTOP_EXEMPT MEMSTOP_SYSROOT MEMSTOP_CGROUP MEMSTOP_RESERVE MEMSTOP_LEARN \
	MEMSTOP_SMALL MEMSTOP_WARNED MEMSTOP_REPORT MEMSTOP_SUPERVISOR LD_PRELOAD

# Every test has a queue and a history of its own: tests run in parallel,
# and none may wait behind another's held process, learn from another's
# jobs, or touch the user's. A test may point them elsewhere.
tmpdir
export XDG_RUNTIME_DIR=$TMPD/run XDG_CACHE_HOME=$TMPD/cache
mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_CACHE_HOME"

# need_env VAR...: skip_all unless meson (or the caller) set these.
need_env() {
	local v
	for v in "$@"; do
		[ -n "${!v:-}" ] || skip_all "$v is not set (run through meson test)"
	done
}
