#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# admission.sh's growth-curve pairs, many times over: two jobs of 400 MiB
# (bench/job, 1.0 s ramp, 0.3 s hold) under memstop -- make -j2 in a 700 MiB
# v1 memory cgroup, per round with a fresh history: cold, warm, then warm with
# both jobs holding 4 s longer than learned (the one let in on the other's
# predicted end must be frozen). One line per run: jobs finished, OOM kills,
# peak, and the later start minus the earlier end (negative: they overlapped).
# Which job make forked first joins the gate first only most of the time:
# many rounds cover both orders.
#
#   bench/curve-pairs.sh [--build DIR] [ROUNDS]
#
# Environment: MEMSTOP_ARGS (e.g. -vv) for the third run of each round, whose
# stderr is kept, with times, in the work directory (printed at the end).
# Needs root and the cgroup v1 memory controller.
set -euo pipefail

build=build
if [ "${1:-}" = --build ]; then
	build=$2
	shift 2
fi
rounds=${1:-5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "usage: ${0##*/} [--build DIR] [ROUNDS]" >&2; exit 2; }
MEMSTOP=$(realpath "$build/cli/memstop")
JOB=$(realpath "$build/bench/job")
V1=/sys/fs/cgroup/memory
[ -w "$V1" ] || { echo "${0##*/}: needs root and the v1 memory controller at $V1" >&2; exit 1; }

W=$(mktemp -d /tmp/memstop-pairs.XXXXXX)
mkdir -m 700 "$W/run" && mkdir -p "$W/mk/done"
export XDG_RUNTIME_DIR=$W/run
printf 'all: a b\na:\n\t%s 400 1.0 0.3 a %s/done/a\nb:\n\t%s 400 1.0 0.3 b %s/done/b\n' \
	"$JOB" "$W/mk" "$JOB" "$W/mk" >"$W/mk/Makefile"

pair() { # TAG MEMSTOP-ARGS...
	local tag=$1 cg=$V1/memstop-pairs-$$-$1 fin kills peak gap
	shift
	rm -f "$W/mk/done/"* "$W/trace"
	mkdir "$cg"
	echo 700M >"$cg/memory.limit_in_bytes"
	(echo $BASHPID >"$cg/cgroup.procs" && exec env BENCH_TRACE="$W/trace" "$MEMSTOP" "$@" -- \
		make -s -k -j2 -C "$W/mk") 2>&1 >/dev/null |
		awk -v t0="$(date +%s.%N)" '{ "date +%s.%N" | getline t; close("date +%s.%N"); printf "%.3f %s\n", t - t0, $0 }' \
			>"$W/err-$tag" || true
	fin=$(find "$W/mk/done" -type f | wc -l)
	kills=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.oom_control")
	peak=$(($(cat "$cg/memory.max_usage_in_bytes") >> 20))
	rmdir "$cg"
	gap=$(sort -k3 -n "$W/trace" 2>/dev/null | awk 'NR == 1 { e = $4 } NR == 2 { printf "%d", ($3 - e) * 1000 }')
	echo "$tag: $fin/2 finished, $kills OOM kills, peak ${peak}M, gap ${gap:-?} ms"
}
for i in $(seq "$rounds"); do
	export XDG_CACHE_HOME=$W/cache-$i
	mkdir -m 700 "$XDG_CACHE_HOME"
	pair "cold$i"
	pair "warm$i"
	# shellcheck disable=SC2086 # MEMSTOP_ARGS: words
	BENCH_EXTRA_HOLD=4 pair "late$i" ${MEMSTOP_ARGS:-}
done
echo "# stderr of each run, with times: $W/err-*"
