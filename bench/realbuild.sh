#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Real-compiler benchmark (see bench/README.md and BENCH.md, "Real compilers"):
# what stand-in jobs hide. Every job here is a real compiler or interpreter,
# run side by side in one script, in fresh cgroup v1 memory cgroups.
#
#   cxx    heavy C++ translation units generated against Eigen (Debian's
#          libeigen3-dev; 400-800 MB per cc1plus with g++ -O2 -g), one large
#          -g link of them, and a -flto=auto program (lto1 workers through
#          make's jobserver), built by make and by ninja, with the system g++
#          (and clang++ with --compilers "g++ clang++"), in each --limits
#          cgroup. Runs: -j1, the best fixed -j with no kill (found by trying),
#          -jN (N = targets), GNU parallel --memsuspend (compiles only, then
#          the links), memstop cold (empty history) and warm.
#   manyc  this project's own C sources, gcc -O2 -g -c each, no memory limit
#          to speak of: plain make -j2 / ninja -j2 against memstop cold and
#          warm (with memory to spare memstop must cost nothing).
#   batch  eight python3 jobs that differ only in an argument, each growing to
#          300 MiB over about 1.5 s, in a 1 GiB cgroup: xargs -P1 (with the
#          j1 runs), -P8, the best fixed -P, memstop -- xargs -P8 cold and
#          warm.
# Prints a table per scenario, the ratios, and on the last line the figures
# that issue 10 asks for.
#
#   bench/realbuild.sh [--build DIR] [--scenario cxx|manyc|batch|all]
#                      [--limits "1G 2G"] [--drivers "make ninja"]
#                      [--compilers "g++ clang++"] [--quick] [--repeat N]
#
# --repeat N: N rounds, each of every configuration in turn (-j1, -P1 or plain
# -j2, each fixed -j or -P, memstop cold with an empty history, then warm);
# the medians are compared, and the medians of per-round ratios. One run of
# each is not enough on a machine whose same -j1 build varies by 25%. -jN,
# xargs -P8 and GNU parallel run in the first round only.
# --quick: 4 C++ units instead of 10, one limit (1G), make only, one run of
# each fixed -j. Needs root, the cgroup v1 memory controller, g++, make,
# ninja, python3 and libeigen3-dev (installed with apt-get when missing).
# Environment: BENCH_TIMEOUT (seconds per run, default 900), BENCH_KEEP=1
# keeps the temp dir, BENCH_RUNS (default "j1 fixed jn parallel memstop")
# runs only the configurations named, BENCH_REPORTS=DIR has each memstop run
# write its --report, --trace, --timeline and a -vv --log in DIR.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"
RUN_TIMEOUT=${BENCH_TIMEOUT:-900}
RUNS=" ${BENCH_RUNS:-j1 fixed jn parallel memstop} "
FIXED_REPEAT=1
REPEAT=1

usage() {
	echo "usage: ${0##*/} [--build DIR] [--scenario cxx|manyc|batch|all] [--limits \"1G 2G\"] [--drivers \"make ninja\"] [--compilers \"g++ clang++\"] [--quick] [--repeat N]" >&2
	exit 2
}
die() { echo "realbuild.sh: $*" >&2; exit 1; }
note() { echo "# $*"; }

build=build scenario=all quick=0 limits='' drivers='' compilers='g++'
while (($#)); do
	case $1 in
	--build) (($# >= 2)) || usage; build=$2; shift 2 ;;
	--scenario) (($# >= 2)) || usage; scenario=$2; shift 2 ;;
	--limits) (($# >= 2)) || usage; limits=$2; shift 2 ;;
	--drivers) (($# >= 2)) || usage; drivers=$2; shift 2 ;;
	--compilers) (($# >= 2)) || usage; compilers=$2; shift 2 ;;
	--quick) quick=1; shift ;;
	--repeat)
		if (($# < 2)) || [[ ! $2 =~ ^[1-9][0-9]*$ ]]; then usage; fi
		REPEAT=$2
		shift 2
		;;
	-h | --help) awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) usage ;;
	esac
done
case $scenario in cxx | manyc | batch | all) ;; *) usage ;; esac
if ((quick)); then
	: "${limits:=1G}" "${drivers:=make}"
else
	: "${limits:=1G 2G}" "${drivers:=make ninja}"
fi
for l in $limits; do [[ $l =~ ^[1-9][0-9]*G$ ]] || die "bad limit '$l' (whole GiB, such as 1G)"; done
for d in $drivers; do [[ $d == make || $d == ninja ]] || die "bad driver '$d' (make or ninja)"; done
for c in $compilers; do [[ $c == g++ || $c == clang++ ]] || die "bad compiler '$c' (g++ or clang++)"; done

bench_build "$build" job
build=$BUILD
bench_need_cgroups
need_pkgs=()
for t in make:make ninja:ninja-build g++:g++ python3:python3 timeout:coreutils parallel:parallel; do
	command -v "${t%%:*}" >/dev/null || need_pkgs+=("${t#*:}")
done
[[ -e /usr/include/eigen3/Eigen/Dense ]] || need_pkgs+=(libeigen3-dev)
[[ $compilers != *clang++* ]] || command -v clang++ >/dev/null || need_pkgs+=(clang)
if ((${#need_pkgs[@]})); then
	note "installing ${need_pkgs[*]}"
	apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1 || die "cannot install ${need_pkgs[*]}"
fi

unset MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS MAKEFILES LD_PRELOAD
while read -r v; do unset "$v"; done < <(compgen -e | grep '^MEMSTOP_' || true)

bench_setup_cleanup

# --- generated sources -----------------------------------------------------------

# gen_eigen FILE NFUNCS SEED: a translation unit whose cc1plus peak grows with
# NFUNCS (measured with g++ 12 -O2 -g and Debian 12's Eigen: about 390 MB at
# 2, 770 MB at 3, 1.15 GB at 6; -O2 -flto without -g, 600 MB at 4):
# fixed-size Eigen matrices, LU decompositions and inverses of several sizes.
gen_eigen() {
	local file=$1 n=$2 seed=$3 i k
	{
		echo '#include <Eigen/Dense>'
		for ((i = 0; i < n; i++)); do
			k=$((3 + (i + seed) % 6))
			printf 'double f%d_%d(double x) { Eigen::Matrix<double, %d, %d> a; a.setConstant(x);\n' "$i" "$seed" "$k" "$k"
			printf '  Eigen::Matrix<double, %d, %d> b = a * a.transpose();\n' "$k" "$k"
			printf '  Eigen::FullPivLU<Eigen::Matrix<double, %d, %d>> lu(b); return lu.determinant() + b.inverse().sum(); }\n' "$k" "$k"
		done
	} >"$file"
}

# Adds one target to the Makefile and build.ninja being written (MK, NJ) and
# to jobs.txt (compiles only). Each recipe creates done/NAME on success, so
# that run_cg counts finished targets.
target() { # NAME DEPS COMMAND [jobs]
	local name=$1 deps=$2 cmd=$3 forjobs=${4:-}
	local mkcmd=$cmd
	[[ $cmd != *-flto=auto* ]] || mkcmd="+$cmd" # the jobserver reaches the LTO workers
	printf '%s:%s\n\t%s && touch done/%s\n' "$name" "${deps:+ $deps}" "$mkcmd" "$name" >>"$MK"
	printf 'build %s: run%s\n  cmd = %s && touch done/%s\n' "$name" "${deps:+ | $deps}" "$cmd" "$name" >>"$NJ"
	[[ -z $forjobs ]] || printf '%s && touch done/%s\n' "$cmd" "$name" >>"$JOBS"
	ALL+=("$name")
	NJOBS=$((NJOBS + 1))
}

begin_files() {
	mkdir -p "$SDIR"
	MK=$SDIR/Makefile NJ=$SDIR/build.ninja JOBS=$SDIR/jobs.txt
	: >"$MK"
	: >"$JOBS"
	# shellcheck disable=SC2016 # ninja's variables
	printf 'rule run\n  command = $cmd\n  description = $out\n\n' >"$NJ"
	ALL=() NJOBS=0
}

end_files() {
	{ printf '.PHONY: all\nall: %s\n' "${ALL[*]}"; cat "$MK"; } >"$MK.new" && mv "$MK.new" "$MK"
	printf 'default %s\n' "${ALL[*]}" >>"$NJ"
}

# gen_cxx COMPILER: $SDIR with 10 (quick: 4) heavy units, a -g link of them,
# and a -flto=auto program of 3 units.
gen_cxx() {
	local cxx=$1 sizes i n src=$TMP/src-cxx objs=()
	# At most 3 functions (~770 MB): each unit must fit a 1 GiB cgroup alone
	# (at 6, -j1 itself lost units to the OOM killer there).
	if ((quick)); then sizes=(2 3 1 2); else sizes=(2 3 1 2 3 1 2 2 1 3); fi
	mkdir -p "$src"
	SDIR=$TMP/cxx-$cxx
	begin_files
	echo 'int main() { return 0; }' >"$src/main.cpp"
	target main.o "" "$cxx -O2 -g -c $src/main.cpp -o main.o" jobs
	for ((i = 0; i < ${#sizes[@]}; i++)); do
		n=${sizes[i]}
		[[ -e $src/tu$i.cpp ]] || gen_eigen "$src/tu$i.cpp" "$n" "$i"
		target "tu$i.o" "" "$cxx -I/usr/include/eigen3 -O2 -g -c $src/tu$i.cpp -o tu$i.o" jobs
		objs+=("tu$i.o")
	done
	target app "main.o ${objs[*]}" "$cxx -g -o app main.o ${objs[*]}"
	for i in 0 1 2; do
		[[ -e $src/lto$i.cpp ]] || gen_eigen "$src/lto$i.cpp" 4 $((i + 20))
		target "lto$i.o" "" "$cxx -I/usr/include/eigen3 -O2 -flto -c $src/lto$i.cpp -o lto$i.o" jobs
	done
	target lto "main.o lto0.o lto1.o lto2.o" "$cxx -O2 -flto=auto -o lto main.o lto0.o lto1.o lto2.o"
	end_files
}

# gen_manyc: this project's own C files, each compiled as a build would.
gen_manyc() {
	local f n=0
	SDIR=$TMP/manyc
	begin_files
	while read -r f; do
		n=$((n + 1))
		target "c$n.o" "" "gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -I$REPO -I$REPO/libmemstop -I$build -c $REPO/$f -o c$n.o" jobs
	done < <(cd "$REPO" && find libmemstop cli lockd preload -name '*.c' | sort)
	end_files
}

# gen_batch: eight interpreter jobs that differ only in their argument.
gen_batch() {
	SDIR=$TMP/batch
	begin_files
	cat >"$SDIR/job.py" <<'PY'
import sys, time
# Grows to 300 MiB over about 1.5 s, touching every page, holds 0.5 s.
chunks = []
for _ in range(30):
    chunks.append(b"\1" * (10 << 20))
    time.sleep(0.05)
time.sleep(0.5)
open(sys.argv[2], "w").close()
PY
	local i
	for ((i = 1; i <= 8; i++)); do
		printf '%s %s %d %s\n' python3 "$SDIR/job.py" "$i" "done/$i" >>"$JOBS"
		ALL+=("$i")
	done
	NJOBS=8
	: >"$MK"
}

# --- runs and rows -------------------------------------------------------------------

row() { # LABEL
	printf '| %-44s | %8s | %9s | %8ss | %7s | %6s MiB |%s\n' "$1" "$R_FIN/$NJOBS" "$R_OOM" "$R_WALL" "$R_CPU" \
		"$R_PEAK" "${R_NOTE:+ $R_NOTE}"
}
header() {
	echo
	echo "## $1"
	echo
	printf '| %-44s | %8s | %9s | %9s | %7s | %10s |\n' run finished "OOM kills" wall "CPU s" "peak usage"
	echo "|----------------------------------------------|----------|-----------|-----------|---------|------------|"
}

DRIVER='make'
drive() { # K: the build command of DRIVER at -jK
	if [[ $DRIVER == make ]]; then echo "make -k -j$1"; else echo "ninja -k 0 -j$1"; fi
}

run_fixed() { # K R
	# shellcheck disable=SC2046 # the command's words
	run_cg make $(drive "$1")
	row "$(drive "$1")"
}

SUMMARY=()
WORST_COLD=n/a WORST_WARM_J1=n/a WORST_WARM_BEST=n/a MEMSTOP_OOM=0 WORST_PLAIN=n/a BATCH_WARM=n/a

# note_max VAR VALUE: VAR = max(VAR, VALUE); VAR is n/a until a scenario sets it
note_max() { printf -v "$1" '%s' "$(awk -v a="${!1}" -v b="$2" 'BEGIN { print (a == "n/a" || b + 0 > a + 0) ? b : a }')"; }

# With BENCH_REPORTS=DIR, each memstop run also writes its report (JSON), a
# Chrome trace, a timeline and a -vv log (every hold, admission and freeze,
# and why) there, named by run number: to see where a slow run lost time.
REPORT_ARGS=()
report_args() { # cold|warm
	REPORT_ARGS=()
	[[ -z ${BENCH_REPORTS:-} ]] || REPORT_ARGS=("--report=$BENCH_REPORTS/$NRUN-$1.json"
		"--trace=$BENCH_REPORTS/$NRUN-$1.trace.json" "--timeline=$BENCH_REPORTS/$NRUN-$1.svg"
		-vv "--log=$BENCH_REPORTS/$NRUN-$1.log")
}

# memstop_pair LABEL COMMAND...: cold then warm run, sets COLD_WALL WARM_WALL
memstop_pair() {
	local label=$1 cache=$TMP/xdg-cache-$NRUN
	shift
	mkdir -m 700 "$cache" "$cache.run-cold" "$cache.run-warm"
	report_args cold
	run_cg memstop env XDG_CACHE_HOME="$cache" XDG_RUNTIME_DIR="$cache.run-cold" "$MEMSTOP" "${REPORT_ARGS[@]}" -- "$@"
	row "memstop -- $label (cold)"
	COLD_WALL=$R_WALL
	MEMSTOP_OOM=$((MEMSTOP_OOM + R_OOM))
	report_args warm
	run_cg memstop env XDG_CACHE_HOME="$cache" XDG_RUNTIME_DIR="$cache.run-warm" "$MEMSTOP" "${REPORT_ARGS[@]}" -- "$@"
	row "memstop -- $label (warm)"
	WARM_WALL=$R_WALL
	MEMSTOP_OOM=$((MEMSTOP_OOM + R_OOM))
}

# median VALUE...: the median ("n/a" without values).
median() {
	printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $1 } END {
		if (n == 0) print "n/a"; else if (n % 2) print v[(n + 1) / 2]; else printf "%.2f\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

# paired_median "A..." "B...": the median of A[i]/B[i], each pair from one
# round (the machine's drift between rounds cancels out); "n/a" without pairs.
paired_median() {
	local -a a b q=()
	local i
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	for ((i = 0; i < ${#a[@]} && i < ${#b[@]}; i++)); do q+=("$(ratio "${a[i]}" "${b[i]}" | tr -d x)"); done
	median "${q[@]}" | sed 's/[0-9]$/&x/'
}

# per_cpu_median "WALLS_A" "CPUS_A" "WALLS_B" "CPUS_B": the median over rounds
# of (wall per CPU second of A) / (... of B): how much longer A took for the
# same work, with the machine's speed in that minute taken out (a build's CPU
# seconds grow with it: 44 s one minute, 67 s ten minutes later, here). "n/a"
# without CPU figures.
per_cpu_median() {
	local -a wa ca wb cb q=()
	local i
	read -ra wa <<<"$1"
	read -ra ca <<<"$2"
	read -ra wb <<<"$3"
	read -ra cb <<<"$4"
	for ((i = 0; i < ${#wa[@]} && i < ${#ca[@]} && i < ${#wb[@]} && i < ${#cb[@]}; i++)); do
		[[ ${ca[i]} != n/a && ${cb[i]} != n/a ]] || continue
		q+=("$(awk -v a="${wa[i]}" -v b="${ca[i]}" -v c="${wb[i]}" -v d="${cb[i]}" \
			'BEGIN { if (b > 0 && c > 0 && d > 0) printf "%.3f", (a / b) / (c / d) }')")
	done
	median "${q[@]}" | sed 's/[0-9]$/&x/'
}

# The fixed -j range tried: 2-3 in 1 GiB, 2-5 above.
fixed_range() { if [[ $1 == 1G ]]; then echo "2 3"; else echo "2 3 4 5"; fi; }

run_cxx() { # COMPILER LIMIT DRIVER
	local cxx=$1 limit=$2 j1=n/a best=n/a bestk='' r k m
	local -a j1w=() j1c=() coldw=() warmw=() warmc=()
	local -A fixw=() fixc=() fixbad=()
	DRIVER=$3
	LIMIT=$((${limit%G} * 1024 * 1024 * 1024))
	gen_cxx "$cxx"
	header "cxx: $cxx, $DRIVER, $NJOBS targets, limit $limit"
	# Rounds interleave the configurations: the machine's drift hits them alike.
	for ((r = 1; r <= REPEAT; r++)); do
		((REPEAT == 1)) || note "round $r of $REPEAT"
		# shellcheck disable=SC2046
		if [[ $RUNS == *" j1 "* ]]; then run_cg make $(drive 1); row "$(drive 1)"; j1w+=("$R_WALL") j1c+=("$R_CPU"); fi
		# shellcheck disable=SC2046
		if ((r == 1)) && [[ $RUNS == *" jn "* ]]; then run_cg make $(drive "$NJOBS"); row "$(drive "$NJOBS")"; fi
		if [[ $RUNS == *" fixed "* ]]; then
			for k in $(fixed_range "$limit"); do
				[[ -z ${fixbad[$k]:-} ]] || continue # lost jobs once: not a -j a user can rely on
				run_fixed "$k" "$r"
				if ((R_OOM == 0 && R_FIN == NJOBS && R_RC == 0)); then
					fixw[$k]+=" $R_WALL" fixc[$k]+=" $R_CPU"
				else
					fixbad[$k]=1
				fi
			done
		fi
		if ((r == 1)) && [[ $DRIVER == make && $RUNS == *" parallel "* ]]; then
			mkdir -p "$TMP/home/.parallel" && : >"$TMP/home/.parallel/will-cite"
			# shellcheck disable=SC2016
			run_cg parallel env HOME="$TMP/home" TMPDIR="$TMP" sh -c \
				'parallel --memsuspend 500M -j"$0" -a jobs.txt; make -k -j1' "$NJOBS"
			row "parallel --memsuspend 500M -j$NJOBS; make"
		fi
		if [[ $RUNS == *" memstop "* ]]; then
			# shellcheck disable=SC2046
			memstop_pair "$(drive "$NJOBS")" $(drive "$NJOBS")
			coldw+=("$COLD_WALL") warmw+=("$WARM_WALL") warmc+=("$R_CPU")
		fi
	done
	j1=$(median "${j1w[@]}")
	for k in $(fixed_range "$limit"); do
		[[ -z ${fixbad[$k]:-} && -n ${fixw[$k]:-} ]] || continue
		# shellcheck disable=SC2086 # the walls
		m=$(median ${fixw[$k]})
		if [[ $best == n/a ]] || awk -v a="$m" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$m bestk=$k; fi
	done
	# Every -j from 2 lost jobs: -j1 is the best fixed -j a user can rely on.
	if [[ -z $bestk && $RUNS == *" fixed "* && $j1 != n/a ]]; then
		best=$j1 bestk=1
		fixw[1]=" ${j1w[*]}" fixc[1]=" ${j1c[*]}"
	fi
	[[ -z $bestk ]] || note "best fixed: $(drive "$bestk"), ${best}s"
	# (no fixed run, as with BENCH_RUNS without "fixed": no best, and "n/a")
	local bestw= bestc=
	[[ -z $bestk ]] || bestw=${fixw[$bestk]:-} bestc=${fixc[$bestk]:-}
	if [[ $RUNS == *" memstop "* ]]; then
		COLD_WALL=$(median "${coldw[@]}") WARM_WALL=$(median "${warmw[@]}")
		echo
		((REPEAT == 1)) || echo "medians of $REPEAT rounds: -j1 $(secs "$j1"), best fixed $(secs "$best"), memstop cold $(secs "$COLD_WALL"), warm $(secs "$WARM_WALL")"
		echo "memstop cold/-j1 $(ratio "$COLD_WALL" "$j1"), warm/-j1 $(ratio "$WARM_WALL" "$j1"), warm/best-fixed $(ratio "$WARM_WALL" "$best")"
		# shellcheck disable=SC2086 # the walls
		((REPEAT == 1)) || echo "per-round ratios, median: cold/-j1 $(paired_median "${coldw[*]}" "${j1w[*]}"), warm/-j1 $(paired_median "${warmw[*]}" "${j1w[*]}"), warm/best-fixed $(paired_median "${warmw[*]}" "$bestw")"
		echo "per CPU second (the machine's speed taken out), median over rounds: warm/best-fixed $(per_cpu_median "${warmw[*]}" "${warmc[*]}" "$bestw" "$bestc")"
		note_max WORST_COLD "$(ratio "$COLD_WALL" "$j1" | tr -d x)"
		note_max WORST_WARM_J1 "$(ratio "$WARM_WALL" "$j1" | tr -d x)"
		note_max WORST_WARM_BEST "$(ratio "$WARM_WALL" "$best" | tr -d x)"
		SUMMARY+=("cxx $cxx $DRIVER $limit: cold $(ratio "$COLD_WALL" "$j1") warm $(ratio "$WARM_WALL" "$j1") of -j1, warm $(ratio "$WARM_WALL" "$best") of best")
	fi
}

run_manyc() {
	local plain r
	local -a plainw coldw warmw
	LIMIT=$((64 * 1024 * 1024 * 1024)) # above the machine's memory: no limit to speak of
	gen_manyc
	for DRIVER in $drivers; do
		header "manyc: $NJOBS C files, $DRIVER -j2, no memory limit"
		plainw=() coldw=() warmw=()
		for ((r = 1; r <= REPEAT; r++)); do
			((REPEAT == 1)) || note "round $r of $REPEAT"
			# shellcheck disable=SC2046
			run_cg make $(drive 2)
			row "$(drive 2)"
			plainw+=("$R_WALL")
			# shellcheck disable=SC2046
			memstop_pair "$(drive 2)" $(drive 2)
			coldw+=("$COLD_WALL") warmw+=("$WARM_WALL")
		done
		plain=$(median "${plainw[@]}")
		COLD_WALL=$(median "${coldw[@]}") WARM_WALL=$(median "${warmw[@]}")
		echo
		((REPEAT == 1)) || echo "medians of $REPEAT rounds: plain $(secs "$plain"), memstop cold $(secs "$COLD_WALL"), warm $(secs "$WARM_WALL")"
		echo "memstop/plain: cold $(ratio "$COLD_WALL" "$plain"), warm $(ratio "$WARM_WALL" "$plain")"
		((REPEAT == 1)) || echo "per-round ratios, median: cold $(paired_median "${coldw[*]}" "${plainw[*]}"), warm $(paired_median "${warmw[*]}" "${plainw[*]}")"
		note_max WORST_PLAIN "$(ratio "$COLD_WALL" "$plain" | tr -d x)"
		note_max WORST_PLAIN "$(ratio "$WARM_WALL" "$plain" | tr -d x)"
		SUMMARY+=("manyc $DRIVER: cold $(ratio "$COLD_WALL" "$plain") warm $(ratio "$WARM_WALL" "$plain") of plain -j2")
	done
}

run_batch() {
	local best=n/a bestk='' p1=n/a r k m
	local -a p1w=() coldw=() warmw=()
	local -A fixw=() fixbad=()
	LIMIT=$((1024 * 1024 * 1024))
	gen_batch
	header "batch: 8 python3 jobs x 300 MiB, limit 1G"
	for ((r = 1; r <= REPEAT; r++)); do
		((REPEAT == 1)) || note "round $r of $REPEAT"
		if [[ $RUNS == *" j1 "* ]]; then run_batch_fixed 1; p1w+=("$R_WALL"); fi
		if ((r == 1)); then
			run_cg make xargs -P8 -L1 -a jobs.txt sh -c '"$@"' sh
			row "xargs -P8"
		fi
		for k in 2 3 4; do
			[[ -z ${fixbad[$k]:-} ]] || continue
			run_batch_fixed "$k"
			if ((R_OOM == 0 && R_FIN == NJOBS && R_RC == 0)); then fixw[$k]+=" $R_WALL"; else fixbad[$k]=1; fi
		done
		memstop_pair "xargs -P8" xargs -P8 -L1 -a jobs.txt sh -c '"$@"' sh
		coldw+=("$COLD_WALL") warmw+=("$WARM_WALL")
	done
	p1=$(median "${p1w[@]}")
	for k in 2 3 4; do
		[[ -z ${fixbad[$k]:-} && -n ${fixw[$k]:-} ]] || continue
		# shellcheck disable=SC2086 # the walls
		m=$(median ${fixw[$k]})
		if [[ $best == n/a ]] || awk -v a="$m" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$m bestk=$k; fi
	done
	[[ -z $bestk ]] || note "best fixed: xargs -P$bestk, ${best}s"
	local bestw=
	[[ -z $bestk ]] || bestw=${fixw[$bestk]:-}
	COLD_WALL=$(median "${coldw[@]}") WARM_WALL=$(median "${warmw[@]}")
	echo
	((REPEAT == 1)) || echo "medians of $REPEAT rounds: -P1 $(secs "$p1"), best fixed $(secs "$best"), memstop cold $(secs "$COLD_WALL"), warm $(secs "$WARM_WALL")"
	echo "memstop/-P1: cold $(ratio "$COLD_WALL" "$p1"), warm $(ratio "$WARM_WALL" "$p1")"
	echo "memstop/best-fixed: cold $(ratio "$COLD_WALL" "$best"), warm $(ratio "$WARM_WALL" "$best")"
	((REPEAT == 1)) || echo "per-round ratios, median: warm/best-fixed $(paired_median "${warmw[*]}" "$bestw")"
	BATCH_WARM=$(ratio "$WARM_WALL" "$best")
	SUMMARY+=("batch: cold $(ratio "$COLD_WALL" "$p1") warm $(ratio "$WARM_WALL" "$p1") of -P1, cold $(ratio "$COLD_WALL" "$best") warm $(ratio "$WARM_WALL" "$best") of best -P${bestk:-?}")
}

# run_batch_fixed K: xargs -PK over the batch.
run_batch_fixed() { run_cg make xargs -P"$1" -L1 -a jobs.txt sh -c '"$@"' sh; row "xargs -P$1"; }

echo "# memstop real-compiler benchmark: $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, build $build$( ((quick)) && echo ', quick')"
"$MEMSTOP" --version | sed 's/^/# /'
g++ --version | head -1 | sed 's/^/# /'
if [[ $scenario == cxx || $scenario == all ]]; then
	for c in $compilers; do
		for l in $limits; do
			for d in $drivers; do run_cxx "$c" "$l" "$d"; done
		done
	done
fi
[[ $scenario != manyc && $scenario != all ]] || run_manyc
[[ $scenario != batch && $scenario != all ]] || run_batch

echo
(IFS=';'; s="${SUMMARY[*]}"; echo "${s//;/; }")
echo "figures: memstop OOM kills $MEMSTOP_OOM; worst cold/-j1 ${WORST_COLD/%[0-9]/&x} (<= 0.85), worst warm/-j1 ${WORST_WARM_J1/%[0-9]/&x} (<= 0.65), worst warm/best ${WORST_WARM_BEST/%[0-9]/&x} (<= 1.0); no limit: worst memstop/plain ${WORST_PLAIN/%[0-9]/&x} (<= 1.05); batch warm/best $BATCH_WARM"
