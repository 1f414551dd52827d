#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# CPU used by processes that memstop holds (issue 4: "50 processes waiting
# for 10 s use <= 1 clock tick of CPU each except the head").
#
#   bench/waiters.sh [--build DIR] [--count N] [--seconds S]
#
# In a fresh cgroup v1 memory cgroup of 512 MiB in which bench/job holds
# 384 MiB, starts N (50) processes `memstop --percent=50 -- /bin/true` one
# after another (50% of the limit can never be available, so every one of
# them is held), waits S (10) seconds, and reads the CPU time (utime + stime,
# fields 14 and 15 of /proc/PID/stat, in clock ticks) of each waiting process
# (/bin/true, held in the gate) and of each supervising memstop. The head is
# the waiter that used the most CPU (the one that samples memory for the
# queue); the figure is the maximum over the others, and over all the
# supervisors. Then kills everything and removes the cgroup. Needs root. Last
# line: the figure.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh" # CGROOT, bench_build, bench_need_cgroups
LIMIT_MIB=512
HOG_MIB=384

usage() {
	echo "usage: ${0##*/} [--build DIR] [--count N] [--seconds S]" >&2
	exit 2
}

build=build count=50 seconds=10
while (($#)); do
	case $1 in
	--build) (($# >= 2)) || usage; build=$2; shift 2 ;;
	--build=*) build=${1#*=}; shift ;;
	--count) (($# >= 2)) || usage; count=$2; shift 2 ;;
	--count=*) count=${1#*=}; shift ;;
	--seconds) (($# >= 2)) || usage; seconds=$2; shift 2 ;;
	--seconds=*) seconds=${1#*=}; shift ;;
	-h | --help) awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) usage ;;
	esac
done
[[ $count =~ ^[1-9][0-9]*$ && $count -ge 2 ]] || usage
[[ $seconds =~ ^[0-9]+$ ]] || usage

die() { echo "waiters.sh: $*" >&2; exit 1; }

bench_build "$build" job
build=$BUILD
bench_need_cgroups

unset LD_PRELOAD
while read -r v; do unset "$v"; done < <(compgen -e | grep '^MEMSTOP_' || true)

TMP=$(mktemp -d /tmp/memstop-waiters.XXXXXX)
CG=$CGROOT/memstop-bench-waiters-$$
PIDS=() # the hog and the waiters, as started (each in $CG)

cleanup() {
	local rc=$? i pids
	trap - EXIT INT TERM
	# bash reports each killed background job on stderr: not worth reading.
	exec 3>&2 2>/dev/null
	if [[ -d $CG ]]; then
		for ((i = 0; i < 100; i++)); do
			pids=$(cat "$CG/cgroup.procs" 2>/dev/null || true)
			# shellcheck disable=SC2086
			[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
			rmdir "$CG" 2>/dev/null && break
			sleep 0.1
		done
		[[ ! -d $CG ]] || echo "waiters.sh: could not remove $CG" >&3
	fi
	# Reap our children (all killed above, or gone).
	for i in "${PIDS[@]}"; do wait "$i" 2>/dev/null || true; done
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_in_cg COMMAND...: start COMMAND in $CG, in the background; its pid
# (the same through the exec) is appended to PIDS.
start_in_cg() {
	# shellcheck disable=SC2016 # expanded by that shell
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@" </dev/null >>"$TMP/log" 2>&1 &
	PIDS+=($!)
}

# ticks PID: utime + stime of PID, or "-" when it is gone.
ticks() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -; return; }
	rest=${stat##*) } # fields from 3 on (comm may hold spaces and parens)
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13}))
}

state() { # PID: the state letter, or "-"
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -; return; }
	rest=${stat##*) }
	echo "${rest%% *}"
}

mkdir "$CG"
echo $((LIMIT_MIB * 1024 * 1024)) >"$CG/memory.limit_in_bytes"

# The hog: grows to HOG_MIB in 0.5 s and holds until killed.
start_in_cg "$JOB" "$HOG_MIB" 0.5 1000000
HOG=${PIDS[0]}
for ((i = 0; i < 100; i++)); do
	(($(<"$CG/memory.usage_in_bytes") >= HOG_MIB * 1024 * 1024)) && break
	kill -0 "$HOG" 2>/dev/null || die "the hog died (see the log)"
	sleep 0.1
done
(($(<"$CG/memory.usage_in_bytes") >= HOG_MIB * 1024 * 1024)) || die "the hog did not reach $HOG_MIB MiB"

export XDG_RUNTIME_DIR=$TMP/run XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_CACHE_HOME"
"$MEMSTOP" --version | sed 's/^/# /'
echo "# cgroup limit $LIMIT_MIB MiB, hog $HOG_MIB MiB, $count waiters: memstop --percent=50 -- /bin/true"
echo "# CLK_TCK $(getconf CLK_TCK) (1 tick = $((1000 / $(getconf CLK_TCK))) ms)"

for ((i = 0; i < count; i++)); do
	start_in_cg "$MEMSTOP" --percent=50 -- /bin/true
done
SUPERVISORS=("${PIDS[@]:1}")
sleep "$seconds"

# Each supervisor's child is the waiting process.
declare -a WAITERS
for ((i = 0; i < count; i++)); do
	c=$(cat "/proc/${SUPERVISORS[i]}/task/${SUPERVISORS[i]}/children" 2>/dev/null || true)
	WAITERS[i]=${c%% *}
	WAITERS[i]=${WAITERS[i]:-0}
done
# Read every waiter's and supervisor's CPU at (nearly) the same moment, then judge.
declare -a T S U
for ((i = 0; i < count; i++)); do
	T[i]=$(ticks "${WAITERS[i]}")
	S[i]=$(state "${WAITERS[i]}")
	U[i]=$(ticks "${SUPERVISORS[i]}")
done
max_sup=0
for ((i = 0; i < count; i++)); do
	[[ ${U[i]} == - ]] || ((U[i] <= max_sup)) || max_sup=${U[i]}
done
usage_mib=$(($(<"$CG/memory.usage_in_bytes") / 1024 / 1024))
oom=$(awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control")

alive=0 gone=0 head=-1 head_t=-1 total=0
declare -A hist
for ((i = 0; i < count; i++)); do
	if [[ ${T[i]} == - ]]; then
		gone=$((gone + 1))
		continue
	fi
	alive=$((alive + 1))
	total=$((total + T[i]))
	hist[${T[i]}]=$((${hist[${T[i]}]:-0} + 1))
	if ((T[i] > head_t)); then head=$i head_t=${T[i]}; fi
done
max_other=-1 over=0
for ((i = 0; i < count; i++)); do
	[[ ${T[i]} == - || $i == "$head" ]] && continue
	((T[i] > max_other)) && max_other=${T[i]}
	((T[i] > 1)) && over=$((over + 1))
done

echo "# after ${seconds}s: $alive waiting, $gone gone (admitted or failed); cgroup usage $usage_mib MiB, $oom OOM kills"
printf '# ticks per waiter (ticks:count):'
for k in $(printf '%s\n' "${!hist[@]}" | sort -n); do printf ' %s:%s' "$k" "${hist[$k]}"; done
echo
echo "# states: $(printf '%s\n' "${S[@]}" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')"
if ((head >= 0)); then
	echo "# head (most CPU): waiter $((head + 1)) of $count (pid ${WAITERS[head]}), ${head_t} ticks; first started: ${T[0]} ticks; all waiters: $total ticks"
fi

echo "# supervisors (memstop, the waiters' parents): max $max_sup ticks"

if ((gone > 0 || alive < 2)); then
	verdict="INVALID ($gone of $count were not held for the whole time)"
elif ((max_other <= 1 && max_sup <= 1)); then
	verdict=PASS
else
	verdict="FAIL ($over waiters over 1 tick, supervisors max $max_sup)"
fi
echo "waiters: $alive of $count held ${seconds}s: max $max_other ticks per non-head waiter (target <= 1), head $head_t ticks, supervisors max $max_sup ticks; $verdict"
