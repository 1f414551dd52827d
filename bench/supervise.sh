#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Supervision benchmark (issue 5, see bench/README.md): jobs that look small
# when they start and grow late (bench/latejob: under 32 MiB for their first
# second, then up to their peak), 16 x 400 MiB by default, built by a
# generated Makefile inside a fresh cgroup v1 memory cgroup with a 1.5 GiB
# hard limit, by
#   - `memstop -- make -k -jN` (N = number of jobs), supervising (freezing),
#     cold (empty history) and warm (the same history again),
#   - `memstop --no-freeze -- make -k -jN`, cold and warm,
#   - GNU parallel --memsuspend 400M -j N, shown the cgroup's memory,
#   - `make -k -jK` for a range of K, keeping the best fixed -j (fastest with
#     0 OOM kills and every job finished, in each of 2 runs; 1 with --quick).
# Per run: jobs finished, OOM kills, wall, peak usage, the freezes of
# memstop's --report, and stalls: /proc/pressure/memory sampled every 0.5 s
# (host-wide: a v1 cgroup has no pressure file of its own), its maximum
# `full avg10`, and the longest stretch of consecutive samples in each of
# which `full total` grew by more than half the time elapsed. Where a cgroup
# v2 hierarchy is mounted beside v1 (/sys/fs/cgroup/unified), each run also
# goes into a cgroup of its own there, whose memory.pressure gives the same
# two figures for the build alone, whatever else the host is doing.
# Prints a table, the targets met or not, and on the last line the figures
# that issue 5 asks for.
#
#   bench/supervise.sh [--build DIR] [--quick]
#
# Needs root and the cgroup v1 memory controller at /sys/fs/cgroup/memory.
# Environment: BENCH_TIMEOUT (seconds per run, default 180); BENCH_KEEP=1
# keeps the temp dir (Makefile, each run's log, psi.tsv, report.json);
# BENCH_FIXED_REPEAT (default 2, --quick 1) runs of each fixed -j;
# BENCH_RUNS (default "supervised nofreeze parallel fixed") runs only the
# configurations named; BENCH_JOBS (default "16 400 2.0 0.5": COUNT MIB
# RAMP_SECONDS HOLD_SECONDS); BENCH_MEMSUSPEND (default 400M);
# BENCH_MEMSTOP_ARGS, more options for every memstop run, word-split (e.g.
# "-vv --log=memstop.log", relative to the run dir); BENCH_SETTLE (default
# 15) seconds at most to wait before each run for the host's PSI full avg10
# to fall under 1%; BENCH_V2=0 leaves the v2 hierarchy alone (host-wide
# figures only); BENCH_MEMINFO_PERIOD (default 0.1 s) how often parallel's
# view of /proc/meminfo is refreshed.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh" # CGROOT, cleanup, run_cg, meminfo_*, ratio
RUN_TIMEOUT=${BENCH_TIMEOUT:-180}
FIXED_REPEAT=${BENCH_FIXED_REPEAT:-}
RUNS=" ${BENCH_RUNS:-supervised nofreeze parallel fixed} "
LIMIT=$((1536 * 1024 * 1024)) # L = 1.5 GiB
MEMSUSPEND=${BENCH_MEMSUSPEND:-400M}
SETTLE=${BENCH_SETTLE:-15}
PSI_PERIOD=0.5
RUN_V2=${BENCH_V2:-1}
# Targets of issue 5.
PSI_MAX_TARGET=40 STALL_TARGET=5 WALL_TARGET=1.2

usage() {
	echo "usage: ${0##*/} [--build DIR] [--quick]" >&2
	exit 2
}
die() { echo "supervise.sh: $*" >&2; exit 1; }
note() { echo "# $*"; }

build=build quick=0
while (($#)); do
	case $1 in
	--build) (($# >= 2)) || usage; build=$2; shift 2 ;;
	--build=*) build=${1#*=}; shift ;;
	--quick) quick=1; shift ;;
	-h | --help) awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) usage ;;
	esac
done
if [[ -z $FIXED_REPEAT ]]; then
	if ((quick)); then FIXED_REPEAT=1; else FIXED_REPEAT=2; fi
fi
[[ $FIXED_REPEAT =~ ^[1-9][0-9]*$ ]] || die "BENCH_FIXED_REPEAT must be a positive integer"
[[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "BENCH_TIMEOUT must be a positive integer"
[[ $SETTLE =~ ^[0-9]+$ ]] || die "BENCH_SETTLE must be a number of seconds"
read -r NJOBS JOB_MIB JOB_RAMP JOB_HOLD extra <<<"${BENCH_JOBS:-16 400 2.0 0.5}" || true
[[ $NJOBS =~ ^[1-9][0-9]*$ && $JOB_MIB =~ ^[0-9]+$ && $JOB_RAMP =~ ^[0-9.]+$ &&
	$JOB_HOLD =~ ^[0-9.]+$ && -z $extra ]] || die "BENCH_JOBS must be 'COUNT MIB RAMP HOLD'"
# Every K from 2 up to the first whose jobs cannot fit side by side (make
# starts them in waves that stay in step, so K jobs peak together).
FIXED_RANGE=
for ((k = 2; k <= NJOBS; k++)); do
	if ((quick && k < 3)); then continue; fi
	FIXED_RANGE+="$k "
	((k * JOB_MIB * 1024 * 1024 <= LIMIT)) || break
done
FIXED_RANGE=${FIXED_RANGE% }
[[ $RUNS == *" fixed "* ]] || FIXED_RANGE=

bench_build "$build" latejob
build=$BUILD
bench_need_cgroups
[[ -r /proc/pressure/memory ]] || die "no /proc/pressure/memory (boot with psi=1)"
for t in make timeout unshare mount; do
	command -v "$t" >/dev/null || die "$t not found"
done
have_parallel=1
if [[ $RUNS == *" parallel "* ]] && ! command -v parallel >/dev/null; then
	note "installing GNU parallel"
	apt-get install -y parallel >/dev/null 2>&1 || true
	command -v parallel >/dev/null || { have_parallel=0; note "GNU parallel unavailable: skipped"; }
fi
# shellcheck disable=SC2206 # word-split on purpose
MEMSTOP_ARGS=(${BENCH_MEMSTOP_ARGS:-})

# Nothing from the caller's environment may change the runs.
unset MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS MAKEFILES LD_PRELOAD
while read -r v; do unset "$v"; done < <(compgen -e | grep '^MEMSTOP_' || true)

bench_setup_cleanup

# --- memory pressure ------------------------------------------------------------

# psi_read [FILE]: sets PSI_FULL10 (full avg10, %) and PSI_FULL_TOTAL (full
# total, us) from FILE (default /proc/pressure/memory); "-" if unreadable.
psi_read() {
	local kind a10 total
	PSI_FULL10=- PSI_FULL_TOTAL=-
	{
		while read -r kind a10 _ _ total; do
			[[ $kind == full ]] || continue
			PSI_FULL10=${a10#avg10=} PSI_FULL_TOTAL=${total#total=}
		done <"${1:-/proc/pressure/memory}"
	} 2>/dev/null || true
}

# RUN_SAMPLER of run_cg: every 0.5 s, and once more when told to stop, a
# line "SECONDS HOST_FULL_AVG10 HOST_FULL_TOTAL_US USAGE_MIB CG_FULL_AVG10
# CG_FULL_TOTAL_US" in RUNDIR/psi.tsv (the last two from the v2 cgroup's
# memory.pressure, "-" without one).
psi_sampler() { # CGROUP RUNDIR [V2CGROUP]
	set +e
	local cg=$1 out=$2/psi.tsv v2=${3:-}
	sample() {
		local u h10 htot
		psi_read
		h10=$PSI_FULL10 htot=$PSI_FULL_TOTAL
		PSI_FULL10=- PSI_FULL_TOTAL=-
		[[ -z $v2 ]] || psi_read "$v2/memory.pressure"
		{ read -r u <"$cg/memory.usage_in_bytes"; } 2>/dev/null || u=0
		echo "$EPOCHREALTIME $h10 $htot $((u / 1048576)) $PSI_FULL10 $PSI_FULL_TOTAL" >>"$out"
	}
	trap 'sample; exit 0' TERM
	while :; do
		sample
		sleep "$PSI_PERIOD"
	done
}

# Wait (at most BENCH_SETTLE s) for the host's full avg10 to fall under 1%,
# so that a run is not charged with the decaying stalls of the one before.
# Sets PRE_PSI to full avg10 when the run starts.
settle() {
	local i
	for ((i = 0; i < SETTLE * 2; i++)); do
		psi_read
		awk -v a="$PSI_FULL10" 'BEGIN { exit !(a < 1) }' && break
		sleep 0.5
	done
	psi_read
	PRE_PSI=$PSI_FULL10
}

# psi_stats FILE: from the host's columns, sets S_MAX (max full avg10 over
# the samples taken during the run, %) and S_STALL (the longest stretch, s,
# of consecutive sample intervals in each of which full total grew by more
# than half the interval); C_MAX and C_STALL the same from the v2 cgroup's
# columns ("-" without them).
psi_stats() {
	local out
	out=$(awk '
		function stat(a, tot, i) {
			if (a == "-" || tot == "-") { bad[i] = 1; return }
			if (a + 0 > max[i]) max[i] = a + 0
			if (n[i]++) {
				dt = $1 - pt[i]
				if (dt > 0 && (tot - ptot[i]) / 1e6 > 0.5 * dt) { cur[i] += dt; if (cur[i] > best[i]) best[i] = cur[i] }
				else cur[i] = 0
			}
			pt[i] = $1; ptot[i] = tot
		}
		function show(i) {
			if (bad[i] || !n[i]) return "- -"
			return sprintf("%.2f %.1f", max[i], best[i])
		}
		{ stat($2, $3, 0); stat($5, $6, 1) }
		END { print show(0), show(1) }' "$1" 2>/dev/null || true)
	read -r S_MAX S_STALL C_MAX C_STALL <<<"${out:-n/a n/a - -}"
}

# --- the scenario -----------------------------------------------------------------

gen_scenario() { # writes $SDIR/Makefile and $SDIR/jobs.txt
	local i specs=()
	for ((i = 1; i <= NJOBS; i++)); do specs+=("$JOB_MIB $JOB_RAMP $JOB_HOLD"); done
	SDIR=$TMP/late
	bench_makefile "$SDIR" "memstop supervision benchmark, late-growing jobs" "${specs[@]}"
}

# A number from memstop's JSON report (one key per line, as it writes it).
report_get() { # FILE KEY
	sed -n "s/^  \"$2\": \\([0-9.]*\\),\$/\\1/p" "$1" 2>/dev/null | head -n 1
}

FMT='| %-40s | %8s | %9s | %7s | %9s | %10s | %7s | %10s | %7s | %7s |%s\n'
header() {
	# shellcheck disable=SC2059
	printf "$FMT" run finished "OOM kills" wall "peak" "host full" stall "cg full" stall freezes ""
	echo "|------------------------------------------|----------|-----------|---------|-----------|------------|---------|------------|---------|---------|"
}

# measure KIND LABEL COMMAND...: settle, run_cg with the PSI sampler, one
# table row. Sets R_* (run_cg), S_MAX, S_STALL, R_FREEZES.
measure() {
	local kind=$1 label=$2 notes
	shift 2
	settle
	RUN_SAMPLER=psi_sampler
	run_cg "$kind" "$@"
	RUN_SAMPLER=
	psi_stats "$R_DIR/psi.tsv"
	R_FREEZES=-
	if [[ $kind == memstop ]]; then
		R_FREEZES=$(report_get "$R_DIR/report.json" freezes)
		[[ -n $R_FREEZES ]] || R_FREEZES="no report"
	fi
	notes=$R_NOTE
	awk -v a="$PRE_PSI" 'BEGIN { exit !(a >= 1) }' && notes+="${notes:+; }PSI full avg10 ${PRE_PSI}% at start"
	# shellcheck disable=SC2059
	printf "$FMT" "$label" "$R_FIN/$NJOBS" "$R_OOM" "${R_WALL}s" "$R_PEAK MiB" "${S_MAX}%" "${S_STALL}s" \
		"${C_MAX}%" "${C_STALL}s" "$R_FREEZES" "${notes:+ $notes}"
}

# What memstop's report says of a run, for the notes below the table.
report_line() { # LABEL
	local f=$R_DIR/report.json killed
	[[ -s $f ]] || { REPORTS+=("$1: no report written (exit $R_RC)"); return; }
	killed=$(grep -c '"pid":' "$f" || true)
	REPORTS+=("$1: exit $(report_get "$f" exit_status), gated $(report_get "$f" gated), held $(report_get "$f" held_seconds)s (longest $(report_get "$f" longest_hold_seconds)s), freezes $(report_get "$f" freezes), resumes $(report_get "$f" resumes), most frozen at once $(report_get "$f" most_frozen_at_once), frozen job-seconds $(report_get "$f" frozen_job_seconds), memstop's PSI full max $(report_get "$f" pressure_full_max_percent)%, OOM kills seen $(report_get "$f" oom_kills) ($killed named)")
}

# --- the runs ---------------------------------------------------------------------

gen_scenario
psi_read
echo "# memstop supervision benchmark: $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, build $build$( ((quick)) && echo ', quick')"
"$MEMSTOP" --version | sed 's/^/# /'
note "host PSI full avg10 ${PSI_FULL10}% now, load $(cut -d' ' -f1-3 /proc/loadavg) (PSI is host-wide: other load shows in it)"
echo
echo "## late-growing: $NJOBS jobs x $JOB_MIB MiB (16 MiB for 1 s, then ramp ${JOB_RAMP}s, hold ${JOB_HOLD}s), limit $((LIMIT / 1024 / 1024)) MiB, run timeout ${RUN_TIMEOUT}s"
echo
header

declare -A WALL OOM FIN MAXP STALL CMAXP CSTALL
REPORTS=()
for cfg in sup-cold sup-warm nf-cold nf-warm; do
	WALL[$cfg]=n/a OOM[$cfg]=- FIN[$cfg]=- MAXP[$cfg]=n/a STALL[$cfg]=n/a CMAXP[$cfg]=- CSTALL[$cfg]=-
done

memstop_run() { # CFG CACHE LABEL [OPTION...]
	local cfg=$1 cache=$2 label=$3 rt
	shift 3
	rt=$TMP/xdg-run-$cfg
	mkdir -m 700 "$rt"
	[[ -d $cache ]] || mkdir -m 700 "$cache"
	measure memstop "$label" env XDG_CACHE_HOME="$cache" XDG_RUNTIME_DIR="$rt" \
		"$MEMSTOP" --report=report.json "${MEMSTOP_ARGS[@]}" "$@" -- make -k -j"$NJOBS"
	WALL[$cfg]=$R_WALL OOM[$cfg]=$R_OOM FIN[$cfg]=$R_FIN MAXP[$cfg]=$S_MAX STALL[$cfg]=$S_STALL
	CMAXP[$cfg]=$C_MAX CSTALL[$cfg]=$C_STALL
	report_line "$label"
}

if [[ $RUNS == *" supervised "* ]]; then
	memstop_run sup-cold "$TMP/xdg-cache-sup" "memstop -- make -k -j$NJOBS (cold)"
	memstop_run sup-warm "$TMP/xdg-cache-sup" "memstop -- make -k -j$NJOBS (warm)"
fi
if [[ $RUNS == *" nofreeze "* ]]; then
	memstop_run nf-cold "$TMP/xdg-cache-nf" "memstop --no-freeze -- make -j$NJOBS (cold)" --no-freeze
	memstop_run nf-warm "$TMP/xdg-cache-nf" "memstop --no-freeze -- make -j$NJOBS (warm)" --no-freeze
fi
if ((have_parallel)) && [[ $RUNS == *" parallel "* ]]; then
	mkdir -p "$TMP/home/.parallel"
	: >"$TMP/home/.parallel/will-cite"
	measure parallel "parallel --memsuspend $MEMSUSPEND -j$NJOBS" env HOME="$TMP/home" TMPDIR="$TMP" \
		parallel --memsuspend "$MEMSUSPEND" -j"$NJOBS" -a jobs.txt
fi

run_fixed() { # K R: one measured run of make -k -jK
	measure make "make -k -j$1$( ((FIXED_REPEAT > 1)) && echo " (run $2)")" make -k -j"$1"
}
# shellcheck disable=SC2086 # FIXED_RANGE is a list of numbers
bench_best_fixed run_fixed $FIXED_RANGE
best_k=$BEST_K best_wall=$BEST_WALL

echo
echo "host full: the highest 'full avg10' of /proc/pressure/memory sampled during the run; stall: the longest"
echo "stretch of 0.5 s samples in each of which 'full' stall time grew by more than half the time elapsed;"
echo "cg full, stall: the same from the memory.pressure of the run's own cgroup in $V2ROOT (\"-\": none)."
((${#REPORTS[@]} == 0)) || printf 'report: %s\n' "${REPORTS[@]}"
if [[ -n $best_k ]]; then
	echo "best fixed: make -k -j$best_k, ${best_wall}s$( ((FIXED_REPEAT > 1)) && echo " (mean of $FIXED_REPEAT runs)")"
elif [[ -n $FIXED_RANGE ]]; then
	echo "best fixed: none of -j{${FIXED_RANGE// /,}} finished every job without an OOM kill"
else
	echo "best fixed: not run (BENCH_RUNS)"
fi

# --- figures ------------------------------------------------------------------------

verdict() { if "$@"; then echo PASS; else echo FAIL; fi; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a + 0 < b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a + 0 <= b + 0) }'; }
maxof() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[n-]/ || b ~ /^[n-]/) print "n/a"; else print (a + 0 > b + 0 ? a : b) }'; }

c=sup-cold w=sup-warm
psi_max=$(maxof "${MAXP[$c]}" "${MAXP[$w]}")
stall_max=$(maxof "${STALL[$c]}" "${STALL[$w]}")
r_cold=n/a r_warm=n/a
if [[ -n $best_k ]]; then
	r_cold=$(ratio "${WALL[$c]}" "$best_wall") r_warm=$(ratio "${WALL[$w]}" "$best_wall")
fi
echo
echo "supervised: cold ${FIN[$c]}/$NJOBS finished, ${OOM[$c]} OOM kills; warm ${FIN[$w]}/$NJOBS finished, ${OOM[$w]} OOM kills;" \
	"--no-freeze: cold ${FIN[nf-cold]}/$NJOBS, ${OOM[nf-cold]} kills; warm ${FIN[nf-warm]}/$NJOBS, ${OOM[nf-warm]} kills"
# shellcheck disable=SC2016 # expanded by eval
echo "targets: 0 OOM kills, all finished (cold, warm): $(verdict eval '[[ ${OOM[$c]} == 0 && ${OOM[$w]} == 0 && ${FIN[$c]} == "$NJOBS" && ${FIN[$w]} == "$NJOBS" ]]');" \
	"PSI full avg10 < ${PSI_MAX_TARGET}%: $(verdict lt "$psi_max" "$PSI_MAX_TARGET");" \
	"no stall > ${STALL_TARGET} s: $(verdict le "$stall_max" "$STALL_TARGET");" \
	"wall <= ${WALL_TARGET}x best fixed: cold $(verdict le "${r_cold%x}" "$WALL_TARGET"), warm $(verdict le "${r_warm%x}" "$WALL_TARGET")"
cpsi_max=$(maxof "${CMAXP[$c]}" "${CMAXP[$w]}")
cstall_max=$(maxof "${CSTALL[$c]}" "${CSTALL[$w]}")
echo "supervised, the build's own cgroup (v2 memory.pressure): max PSI full avg10 ${cpsi_max}%" \
	"($(verdict lt "$cpsi_max" "$PSI_MAX_TARGET")), longest stall ${cstall_max}s ($(verdict le "$cstall_max" "$STALL_TARGET"))"
if [[ ${OOM[$c]} == "${OOM[$w]}" ]]; then ooms=${OOM[$c]}; else ooms="${OOM[$c]}/${OOM[$w]}"; fi
echo "supervised: $ooms OOM kills cold/warm; max PSI full avg10 ${psi_max}% (< ${PSI_MAX_TARGET}%);" \
	"longest stall ${stall_max}s (< ${STALL_TARGET} s); wall cold $r_cold warm $r_warm best fixed -j${best_k:-none}"
