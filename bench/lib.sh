# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Shared machinery of the memory-cgroup benchmarks (bench/admission.sh,
# bench/supervise.sh): sourced, not run. It defines functions and a few
# globals only; a script calls bench_setup_cleanup once its arguments are
# checked, then run_cg for each run.
#
# The sourcing script sets, before it calls run_cg:
#   LIMIT        the memory limit of each run's cgroup, in bytes
#   RUN_TIMEOUT  seconds per run before it is killed (timeout -k 5)
#   SDIR         directory holding the scenario's Makefile, jobs.txt and
#                build.ninja (those present are copied into each run dir)
# and may set RUN_SAMPLER and RUN_V2 (below).
# shellcheck disable=SC2034 # the globals are read by the sourcing script

CGROOT=/sys/fs/cgroup/memory
# The cgroup v2 hierarchy mounted beside the v1 controllers (a "hybrid"
# layout), if any: no controllers, but a memory.pressure file in each cgroup.
V2ROOT=/sys/fs/cgroup/unified
# The v1 cpuacct controller, if mounted: each run's CPU time (R_CPU).
CPUROOT=/sys/fs/cgroup/cpuacct

# --- cleanup: every process, cgroup and temp dir we made ------------------

TMP=           # the temp dir (bench_setup_cleanup)
CGROUPS=()     # cgroups created (removed at the end whatever happens)
CHILD=         # the run in progress (timeout's pid)
LOOP=          # the fake meminfo writer in progress
SAMPLER=       # the RUN_SAMPLER in progress

cg_destroy() { # CGROUP: kill everything in it, remove it (retrying)
	local cg=$1 i pids
	for ((i = 0; i < 100; i++)); do
		[[ -d $cg ]] || return 0
		pids=$(cat "$cg/cgroup.procs" 2>/dev/null || true)
		# shellcheck disable=SC2086
		[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
		rmdir "$cg" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "${0##*/}: could not remove $cg" >&"${ERRFD:-2}"
	return 1
}

cleanup() {
	local rc=$? cg
	trap - EXIT INT TERM
	# bash reports each killed background job on stderr: not worth reading.
	exec 3>&2 2>/dev/null
	ERRFD=3
	[[ -z $LOOP ]] || { kill "$LOOP" 2>/dev/null || true; wait "$LOOP" 2>/dev/null || true; }
	[[ -z $SAMPLER ]] || { kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; }
	[[ -z $CHILD ]] || kill -KILL "$CHILD" 2>/dev/null || true
	for cg in "${CGROUPS[@]}"; do cg_destroy "$cg" || true; done
	[[ -z $CHILD ]] || wait "$CHILD" 2>/dev/null || true
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		echo "# kept $TMP" >&3
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}

# Makes TMP and installs the traps that undo everything on exit, Ctrl-C and
# SIGTERM.
bench_setup_cleanup() {
	TMP=$(mktemp -d /tmp/memstop-bench.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# --- one run in a fresh memory cgroup ----------------------------------------

NRUN=0
# Results of the last run (R_DIR: its run dir, kept until exit).
R_FIN=0 R_OOM=0 R_WALL=0 R_PEAK=0 R_RC=0 R_NOTE=
R_DIR='' R_V2=''

oom_kills() { # CGROUP: the oom_kill count of memory.oom_control
	local k v
	while read -r k v; do
		[[ $k == oom_kill ]] && { echo "$v"; return; }
	done <"$1/memory.oom_control"
	echo 0
}

# Rewrite FILE in place (same inode, same length: readers never see it
# truncated) as a /proc/meminfo of a machine whose memory is the cgroup's:
# MemTotal = limit; MemFree = MemAvailable = limit - usage + inactive file
# pages (at least 1 kB); no cache, buffers or swap (GNU parallel counts
# MemFree + Buffers + Cached + SwapCached as free, so it sees exactly
# limit - working set).
meminfo_write() { # CGROUP FILE
	local cg=$1 file=$2 usage limit inactive=0 k v avail
	limit=$(<"$cg/memory.limit_in_bytes")
	usage=$(<"$cg/memory.usage_in_bytes")
	while read -r k v; do
		[[ $k == total_inactive_file ]] && { inactive=$v; break; }
	done <"$cg/memory.stat"
	avail=$(((limit - usage + inactive) / 1024))
	# Never 0: parallel takes 0 bytes free for a failed read, retries once,
	# then dies ("This should not happen"). A real machine never shows 0.
	((avail >= 1)) || avail=1
	printf 'MemTotal:       %12d kB\nMemFree:        %12d kB\nMemAvailable:   %12d kB\nBuffers:        %12d kB\nCached:         %12d kB\nSwapCached:     %12d kB\nSwapTotal:      %12d kB\nSwapFree:       %12d kB\n' \
		$((limit / 1024)) "$avail" "$avail" 0 0 0 0 0 1<>"$file"
}

meminfo_loop() { # CGROUP FILE: every 100 ms (BENCH_MEMINFO_PERIOD) until killed
	set +e
	trap 'exit 0' TERM
	while [[ -d $1 ]]; do
		meminfo_write "$1" "$2" 2>/dev/null
		sleep "${BENCH_MEMINFO_PERIOD:-0.1}"
	done
}

# run_cg KIND COMMAND...: run COMMAND in a new run dir (with the scenario's
# Makefile and an empty done/) inside a fresh memory cgroup limited to
# $LIMIT; KIND "parallel" shows it the cgroup's memory as /proc/meminfo.
# If RUN_V2=1 and V2ROOT holds memory.pressure, the command also goes into a
# fresh cgroup there (its memory pressure, apart from the rest of the host's).
# If RUN_SAMPLER names a function, it runs in the background (outside the
# cgroups) as `RUN_SAMPLER CGROUP RUNDIR [V2CGROUP]` from just before the
# command starts until just after it ends, when it gets SIGTERM.
# Sets R_FIN, R_OOM, R_WALL, R_PEAK, R_RC, R_NOTE, R_DIR, R_V2 (the v2
# cgroup, removed, or empty), and R_CPU: the seconds of CPU (user and system)
# of everything in the run, from a fresh cpuacct cgroup ("n/a" without one).
# The machine's speed drifts by a third from minute to minute here: wall per
# CPU second compares runs made minutes apart (bench/README.md).
run_cg() {
	local kind=$1 cg rundir oom0 t0 t1 fake='' v2=''
	shift
	NRUN=$((NRUN + 1))
	cg=$CGROOT/memstop-bench-$$-$NRUN
	rundir=$TMP/run-$NRUN
	R_DIR=$rundir
	mkdir -p "$rundir/done"
	local f
	for f in Makefile jobs.txt build.ninja; do
		[[ ! -e $SDIR/$f ]] || cp "$SDIR/$f" "$rundir/"
	done
	CGROUPS+=("$cg")
	mkdir "$cg"
	# shellcheck disable=SC2153 # LIMIT is the sourcing script's
	echo "$LIMIT" >"$cg/memory.limit_in_bytes"
	oom0=$(oom_kills "$cg")

	if [[ ${RUN_V2:-0} == 1 && -e $V2ROOT/memory.pressure ]]; then
		v2=$V2ROOT/memstop-bench-$$-$NRUN
		CGROUPS+=("$v2")
		mkdir "$v2"
	fi
	R_V2=$v2
	local cpu=''
	if [[ -w $CPUROOT/cgroup.procs ]]; then
		cpu=$CPUROOT/memstop-bench-$$-$NRUN
		CGROUPS+=("$cpu")
		mkdir "$cpu"
	fi

	# Into each cgroup named before "--", then the command.
	# shellcheck disable=SC2016 # expanded by that shell
	local wrap=(sh -c 'while [ "$1" != -- ]; do echo $$ >"$1/cgroup.procs" || exit 125; shift; done; shift; exec "$@"'
		sh "$cg" ${v2:+"$v2"} ${cpu:+"$cpu"} --)
	if [[ $kind == parallel ]]; then
		fake=$rundir/meminfo
		: >"$fake"
		meminfo_write "$cg" "$fake"
		meminfo_loop "$cg" "$fake" &
		LOOP=$!
		# Private mount namespace: only this run sees the fake file.
		# shellcheck disable=SC2016 # expanded by that shell
		wrap+=(unshare -m --propagation private sh -c 'mount --bind "$0" /proc/meminfo && exec "$@"' "$fake")
	fi
	if [[ -n ${RUN_SAMPLER:-} ]]; then
		"$RUN_SAMPLER" "$cg" "$rundir" ${v2:+"$v2"} &
		SAMPLER=$!
	fi

	R_RC=0
	t0=$EPOCHREALTIME
	(cd "$rundir" && exec timeout -k 5 "$RUN_TIMEOUT" "${wrap[@]}" "$@") \
		</dev/null >"$rundir/log" 2>&1 &
	CHILD=$!
	wait "$CHILD" || R_RC=$?
	t1=$EPOCHREALTIME
	CHILD=

	if [[ -n $SAMPLER ]]; then
		kill "$SAMPLER" 2>/dev/null || true
		wait "$SAMPLER" 2>/dev/null || true
		SAMPLER=
	fi
	if [[ -n $LOOP ]]; then
		kill "$LOOP" 2>/dev/null || true
		wait "$LOOP" 2>/dev/null || true
		LOOP=
	fi
	R_OOM=$(($(oom_kills "$cg") - oom0))
	R_PEAK=$(($(<"$cg/memory.max_usage_in_bytes") / 1024 / 1024))
	R_FIN=$(find "$rundir/done" -type f | wc -l)
	R_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	R_CPU=n/a
	[[ -z $cpu ]] || R_CPU=$(awk '{ printf "%.2f", $1 / 1e9 }' "$cpu/cpuacct.usage")
	R_NOTE=
	((R_RC != 124 && R_RC != 137)) || R_NOTE="TIMEOUT ${RUN_TIMEOUT}s"
	cg_destroy "$cg"
	[[ -z $v2 ]] || cg_destroy "$v2"
	[[ -z $cpu ]] || cg_destroy "$cpu"
	local keep=() c
	for c in "${CGROUPS[@]}"; do [[ $c == "$cg" || $c == "$v2" || $c == "$cpu" ]] || keep+=("$c"); done
	CGROUPS=("${keep[@]}")
}

# --- formatting -----------------------------------------------------------------

# bench_best_fixed RUN_ONE K...: the best fixed -j. RUN_ONE K R runs make -k
# -jK once (run R of FIXED_REPEAT) and sets R_OOM, R_FIN, R_RC and R_WALL. A K
# counts only if it finished all NJOBS jobs without an OOM kill in each of
# FIXED_REPEAT runs (one lucky run is not a -j a user can rely on); its wall
# is the mean over them. Sets BEST_K and BEST_WALL ("" if none counts).
bench_best_fixed() {
	local run_one=$1 k r ok sum mean
	shift
	BEST_K='' BEST_WALL=''
	for k in "$@"; do
		ok=1 sum=0
		for ((r = 1; r <= FIXED_REPEAT; r++)); do
			"$run_one" "$k" "$r"
			((R_OOM == 0 && R_FIN == NJOBS && R_RC == 0)) || { ok=0; break; }
			sum=$(awk -v a="$sum" -v b="$R_WALL" 'BEGIN { printf "%.3f", a + b }')
		done
		((ok)) || continue
		mean=$(awk -v a="$sum" -v n="$FIXED_REPEAT" 'BEGIN { printf "%.2f", a / n }')
		if [[ -z $BEST_K ]] || awk -v a="$mean" -v b="$BEST_WALL" 'BEGIN { exit !(a < b) }'; then
			BEST_K=$k BEST_WALL=$mean
		fi
	done
}

secs() { if [[ $1 == n/a ]]; then echo n/a; else echo "${1}s"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "n/a" }'; }

# bench_build DIR PROGRAM: the build directory made absolute (as given, else
# relative to the repository) in BUILD, memstop in MEMSTOP and
# DIR/bench/PROGRAM in JOB; dies (the caller's die) if any is missing.
bench_build() {
	local build=$1
	if [[ -d $build ]]; then
		build=$(cd "$build" && pwd)
	elif [[ -d $REPO/$build ]]; then
		build=$REPO/$build
	else
		die "no build directory '$build' (meson setup $build && meson compile -C $build, or pass --build DIR)"
	fi
	BUILD=$build
	MEMSTOP=$build/cli/memstop
	JOB=$build/bench/$2
	[[ -x $MEMSTOP ]] || die "$MEMSTOP missing: meson compile -C $build"
	[[ -x $JOB ]] || die "$JOB missing: meson compile -C $build"
}

# bench_need_cgroups: root and a writable cgroup v1 memory controller, or die.
bench_need_cgroups() {
	((EUID == 0)) || die "needs root (memory cgroups)"
	[[ -w $CGROOT/cgroup.procs && -e $CGROOT/memory.limit_in_bytes ]] ||
		die "no cgroup v1 memory controller at $CGROOT"
}

# bench_makefile DIR TITLE SPEC...: DIR/Makefile with one target per SPEC
# (the job's arguments before its id), recipes without shell metacharacters
# (make execs $JOB directly), and DIR/jobs.txt with the same commands, one
# per line, for GNU parallel. Job i gets id i and creates done/i.
bench_makefile() {
	local dir=$1 title=$2 i n
	shift 2
	n=$#
	mkdir -p "$dir"
	{
		echo "# $title: $n jobs, one target each."
		echo "# Recipes have no shell metacharacters: make execs the job directly."
		echo "JOB := $JOB"
		printf '.PHONY: all\nall:'
		for ((i = 1; i <= n; i++)); do printf ' done/%d' "$i"; done
		printf '\n'
		for ((i = 1; i <= n; i++)); do
			# shellcheck disable=SC2016 # $(JOB) is for make
			printf 'done/%d:\n\t$(JOB) %s %d done/%d\n' "$i" "${!i}" "$i" "$i"
		done
	} >"$dir/Makefile"
	for ((i = 1; i <= n; i++)); do
		printf '%s %s %d done/%d\n' "$JOB" "${!i}" "$i" "$i"
	done >"$dir/jobs.txt"
}
