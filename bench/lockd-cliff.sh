#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The thrash-cliff benchmark of memstop-lockd (../shared/BENCH.md, issue 3).
#
# 5 x `gcc -O2 -c` of a generated 60-function C file inside a 400 MiB v1
# memory cgroup in which an anonymous hog holds H MiB, caches dropped before
# each loop, without memstop-lockd and with it running outside the cgroup
# (lock_mode whole and segments, the default), in one run. Then: the time to lock the
# default GCC toolchain from a cold start, the daemon's RSS excluding the
# locked file pages, and the CPU of one /proc rescan with 500 processes.
#
# Usage (as root): bench/lockd-cliff.sh [BUILDDIR]
#   H=364          hog size in MiB; H=auto searches upward for a cliff
#   CAP=60         seconds after which an unprotected loop is stopped (a lower bound)
#   SEARCH_CAP=30  the same while searching H
#   RUNS=3         loops per configuration at H; medians are compared
#   LIMIT_MIB=400  the cgroup's limit
# The last line holds the figures the issue asks for.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build-lockd}
LOCKD=${LOCKD:-$build/lockd/memstop-lockd}
HELPER=${HELPER:-$build/bench/lockd/cliff-helper}
H=${H:-364}
CAP=${CAP:-60}
SEARCH_CAP=${SEARCH_CAP:-30}
RUNS=${RUNS:-3}
LIMIT_MIB=${LIMIT_MIB:-400}
CG=/sys/fs/cgroup/memory/memstop-lockd-cliff-$$

[ "$(id -u)" = 0 ] || { echo "lockd-cliff: needs root (cgroups, drop_caches, mlock)" >&2; exit 77; }
[ -d /sys/fs/cgroup/memory ] || { echo "lockd-cliff: needs the cgroup v1 memory controller" >&2; exit 77; }
for f in "$LOCKD" "$HELPER"; do
        [ -x "$f" ] || { echo "lockd-cliff: $f not built (meson compile -C $build)" >&2; exit 1; }
done
command -v gcc >/dev/null || { echo "lockd-cliff: gcc not installed" >&2; exit 77; }

T=$(mktemp -d /tmp/lockd-cliff.XXXXXX)
# The daemon started as root becomes an unprivileged user: it must reach the
# toolchain copy below $T.
chmod 755 "$T"
PIDS=()
cleanup() {
        local p
        for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        if [ -d "$CG" ]; then
                while read -r p; do kill -KILL "$p" 2>/dev/null; done < "$CG/cgroup.procs"
                for _ in $(seq 20); do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
        fi
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The 60-function file: about 0.3 s per compile at -O2 here.
for i in $(seq 60); do cat <<C
struct p$i { int a, b; long c; };
int f$i(struct p$i *p, int x) {
        int r = p->a * x + $i;
        if (r > p->b)
                r -= p->b ^ $i;
        p->c += r;
        return r + (int)(p->c >> 3);
}
C
done > "$T/gen.c"

# The compiles use a private copy of cc1 (gcc -B): on a shared machine another
# user's gcc would otherwise read cc1 first, its pages would be charged to
# that user's cgroup, and the build cgroup would never pay for (nor thrash
# on) them. memstop-lockd is told about the copy through compiler_dirs.
mkdir "$T/gcc"
cp "$(gcc -print-prog-name=cc1)" "$T/gcc/cc1"
PRIVATE=(-o "compiler_dirs=/usr/lib/gcc/*/*, $T/gcc" -o "allowed_paths=/usr, /bin, /sbin, /lib, /lib64, /opt, $T")

majflt() { awk '$1 == "total_pgmajfault" { print $2 }' "$CG/memory.stat"; }
ooms() { awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; }
now() { date +%s.%N; }

# loop HOG_MIB CAP_S: one measured loop; prints "WALL MAJFLT TIMED_OUT OOM STATUS"
# (STATUS "failed" when a compile failed, e.g. killed for lack of memory).
loop() {
        local hog=$1 cap=$2 hogpid t0 t1 m0 m1 o0 rc
        # A fresh cgroup each time: nothing charged by an earlier loop (page
        # cache, dentries) shifts the cliff.
        [ -d "$CG" ] && rmdir "$CG"
        mkdir "$CG"
        echo $((LIMIT_MIB << 20)) > "$CG/memory.limit_in_bytes"
        sync
        echo 3 > /proc/sys/vm/drop_caches
        (echo $BASHPID > "$CG/cgroup.procs"; exec "$HELPER" hog "$hog") > "$T/hog.out" &
        hogpid=$!
        PIDS+=("$hogpid")
        for _ in $(seq 600); do grep -q ready "$T/hog.out" 2>/dev/null && break; sleep 0.05; done
        m0=$(majflt)
        o0=$(ooms)
        t0=$(now)
        # TMPDIR: a compile stopped at the cap leaves its temporary .s file there.
        TMPDIR=$T timeout -s KILL "$cap" bash -c "echo \$\$ > $CG/cgroup.procs; for i in 1 2 3 4 5; do gcc -B$T/gcc/ -O2 -c $T/gen.c -o $T/gen.o || exit 1; done" 2>/dev/null
        rc=$?
        t1=$(now)
        m1=$(majflt)
        kill -KILL "$hogpid" 2>/dev/null
        wait "$hogpid" 2>/dev/null
        for _ in $(seq 50); do [ -s "$CG/cgroup.procs" ] || break; sleep 0.1; done
        echo "$(echo "$t1 - $t0" | bc) $((m1 - m0)) $([ $rc = 137 ] && echo 1 || echo 0) $(( $(ooms) - o0 )) $([ $rc = 0 ] || [ $rc = 137 ] && echo ok || echo failed)"
}

spawn_lockd() { # ARGS...: starts the daemon outside the cgroup
        mkdir -p "$T/root/run"
        rm -f "$T/root/run/memstop-lockd/state"
        "$LOCKD" --foreground --config /dev/null --state-root "$T/root" "$@" >> "$T/lockd.log" 2>&1 &
        LPID=$!
        PIDS+=("$LPID")
}
start_lockd() { # ARGS...: starts the daemon, waits for its state file (all locked)
        spawn_lockd "$@"
        for _ in $(seq 400); do [ -f "$T/root/run/memstop-lockd/state" ] && return 0; sleep 0.025; done
        echo "lockd-cliff: memstop-lockd did not start:" >&2
        cat "$T/lockd.log" >&2
        exit 1
}
stop_lockd() { kill -TERM "$LPID"; wait "$LPID" 2>/dev/null; }
state() { awk -v k="$1" '$1 == k { print $2 }' "$T/root/run/memstop-lockd/state"; }

if [ "$H" = auto ]; then
        # The cliff is narrow and not monotonic (one MiB more can be fast again,
        # a few more and cc1 is OOM-killed): try H from 362 to 396 MiB and keep
        # the one where the unprotected loop was slowest without an OOM kill.
        read -r base _ < <(loop 0 "$CAP")
        echo "# H search: no hog ${base}s"
        H=
        best=0
        for h in $(seq 362 2 396); do
                read -r w mf to oom st < <(loop "$h" "$SEARCH_CAP")
                echo "# H search: H=$h ${w}s, $mf major faults, stopped at the cap $to, OOM kills $oom, compiles $st"
                [ "$st" = ok ] && [ "$oom" = 0 ] || continue
                if [ "$(echo "$w > $best" | bc)" = 1 ]; then best=$w; H=$h; fi
                [ "$to" = 1 ] && break
        done
        [ -n "$H" ] || { echo "lockd-cliff: no H from 362 to 396 MiB let the compiles finish" >&2; exit 1; }
        echo "# H search: H=$H (${best}s)"
fi

echo "# thrash cliff: 5 x gcc -O2 -c (60 functions, private copy of cc1) in a ${LIMIT_MIB} MiB v1 memory cgroup, hog H=${H} MiB; caches dropped before each loop"
read -r w_ref mf_ref _ _ _ < <(loop 0 "$CAP")
# median_loop LABEL HOG CAP: RUNS loops, each kept in $T/runs.LABEL; prints the
# one with the median wall time.
median_loop() {
        local label=$1 i
        shift
        for i in $(seq "$RUNS"); do
                loop "$@" | sed "s/^/$i /" >> "$T/runs.$label"
        done
        sort -k2 -g "$T/runs.$label" | sed -n "$(( (RUNS + 1) / 2 ))p" | cut -d' ' -f2-
}
read -r w_off mf_off to_off oom_off st_off < <(median_loop without "$H" "$CAP")

# The daemon must touch the toolchain first: page-cache pages are charged to the
# cgroup that touched them first, and pages the build cgroup read in the loop
# above would stay charged there, locked (FACTS.md).
sync
echo 3 > /proc/sys/vm/drop_caches
start_lockd "${PRIVATE[@]}" -o lock_mode=whole
locked_whole=$(state locked_bytes)
read -r w_on mf_on to_on oom_on st_on < <(median_loop whole "$H" "$CAP")
read -r rss_other rss_libs rss_locked < <("$HELPER" smaps "$LPID")
rss_anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$LPID/status")
stop_lockd

sync
echo 3 > /proc/sys/vm/drop_caches
start_lockd "${PRIVATE[@]}" -o lock_mode=segments
locked_seg=$(state locked_bytes)
read -r w_seg mf_seg to_seg oom_seg st_seg < <(median_loop segments "$H" "$CAP")
stop_lockd

# Time to lock the default GCC toolchain after a cold start: the drivers, the
# back ends, as, ld.bfd, the linker plugin and all their libraries, mapped by
# the daemon and wholly resident.
gcc_files=()
for p in gcc g++ cpp as ld.bfd; do gcc_files+=("$(readlink -f "$(command -v "$p")")"); done
for p in cc1 cc1plus lto1 collect2 lto-wrapper; do gcc_files+=("$(readlink -f "$(gcc -print-prog-name=$p)")"); done
gcc_files+=("$(readlink -f "$(gcc -print-file-name=liblto_plugin.so)")")
for f in "${gcc_files[@]}"; do
        ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | xargs -r readlink -f | sort -u > "$T/libs"
mapfile -t libs < "$T/libs"
gcc_files+=("${libs[@]}")
mapfile -t gcc_files < <(printf '%s\n' "${gcc_files[@]}" | sort -u)
gcc_mib=$(du -cbL "${gcc_files[@]}" | awk 'END { printf "%.1f", $1 / 1048576 }')
sync
echo 3 > /proc/sys/vm/drop_caches
t0=$(now)
spawn_lockd
t_cold=$("$HELPER" waitlocked "$LPID" "$t0" 10 "${gcc_files[@]}")
for _ in $(seq 400); do [ -f "$T/root/run/memstop-lockd/state" ] && break; sleep 0.025; done
t_all=$(awk '/^start-up: holding/ { for (i = 1; i <= NF; i++) if ($i == "in") v = $(i + 1) } END { print v }' "$T/lockd.log")
stop_lockd
t0=$(now)
spawn_lockd
t_warm=$("$HELPER" waitlocked "$LPID" "$t0" 10 "${gcc_files[@]}")
stop_lockd

# CPU of one /proc rescan with 500 more processes: 10 s at 50 ms per scan,
# the daemon's utime+stime over the number of scans, and its own per-scan
# figure (verbose 2) as a cross-check.
for _ in $(seq 500); do sleep 3600 & PIDS+=($!); done
nproc=$(ls -d /proc/[0-9]* | wc -l)
start_lockd -o proactive=no -o scan_interval=50ms
sleep 1
cpu0=$(awk '{ print $14 + $15 }' "/proc/$LPID/stat")
sleep 10
cpu1=$(awk '{ print $14 + $15 }' "/proc/$LPID/stat")
stop_lockd
hz=$(getconf CLK_TCK)
scan_ms=$(echo "scale=3; ($cpu1 - $cpu0) * 1000 / $hz / 200" | bc)
: > "$T/lockd.log"
start_lockd -o proactive=no -o scan_interval=50ms -v -v
sleep 3
stop_lockd
scan_self=$(grep -o '[0-9]* us CPU' "$T/lockd.log" | awk '{ print $1 }' | tail -n +5 | sort -n |
            awk '{ a[NR] = $1 } END { if (NR) printf "%.3f", a[int((NR + 1) / 2)] / 1000; else print "?" }')
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=()

mib() { echo "scale=1; $1 / 1048576" | bc; }
lb() { [ "$1" = 1 ] && echo ">=" || echo ""; }
ratio() { echo "scale=1; $1 / $2" | bc; }
fewer() { [ "$2" = 0 ] && echo "n/a" || echo "scale=2; 100 * ($2 - $1) / $2" | bc; }

echo
echo "# each loop: WALL MAJFLT STOPPED_AT_CAP OOM_KILLS COMPILES"
for c in without whole segments; do sed "s/^/# $c run /" "$T/runs.$c"; done
printf '\n%-46s %12s %14s %9s %9s\n' "run (median of $RUNS)" "wall (s)" "major faults" "OOM kills" "compiles"
printf '%-46s %12.2f %14s %9s %9s\n' "no hog (reference)" "$w_ref" "$mf_ref" "-" "ok"
printf '%-46s %12s %14s %9s %9s\n' "H=$H, no memstop-lockd" "$(lb "$to_off")$(printf %.2f "$w_off")" "$(lb "$to_off")$mf_off" "$oom_off" "$([ "$to_off" = 1 ] && echo stopped || echo "$st_off")"
printf '%-46s %12.2f %14s %9s %9s\n' "H=$H, memstop-lockd (whole, $(mib "$locked_whole") MiB)" "$w_on" "$mf_on" "$oom_on" "$st_on"
printf '%-46s %12.2f %14s %9s %9s\n' "H=$H, memstop-lockd (segments*, $(mib "$locked_seg") MiB)" "$w_seg" "$mf_seg" "$oom_seg" "$st_seg"
echo
echo "without/with (whole): wall $(lb "$to_off")$(ratio "$w_off" "$w_on")x, major faults $(fewer "$mf_on" "$mf_off")% fewer"
echo "without/with (segments): wall $(lb "$to_off")$(ratio "$w_off" "$w_seg")x, major faults $(fewer "$mf_seg" "$mf_off")% fewer"
echo "locked: whole $(mib "$locked_whole") MiB, segments $(mib "$locked_seg") MiB (default configuration plus the private cc1; * the default lock_mode)"
echo "default GCC toolchain (${#gcc_files[@]} files, $gcc_mib MiB) locked after start: cold ${t_cold}s, warm ${t_warm}s; whole start-up set locked in ${t_all} ms (cold)"
echo "daemon RSS excluding locked file pages: $rss_other kB; plus its loader's mappings of files it locks (libc, ld.so) $rss_libs kB = $((rss_other + rss_libs)) kB; RssAnon $rss_anon kB; lock mappings $rss_locked kB"
echo "one /proc rescan with $nproc processes: $scan_ms ms CPU (utime+stime / scans), $scan_self ms (median, the daemon's own per-scan figure)"
echo "FIGURES: wall $(lb "$to_off")$(ratio "$w_off" "$w_seg")x less (>= 10x), major faults $(fewer "$mf_seg" "$mf_off")% fewer (>= 95%), GCC toolchain locked ${t_cold}s after a cold start (<= 0.5 s), RSS excl. locked file pages $(echo "scale=2; $rss_other / 1024" | bc) MiB (<= 2 MiB; $(echo "scale=2; ($rss_other + $rss_libs) / 1024" | bc) MiB counting its own libc/ld.so mappings), rescan $scan_ms ms CPU with $nproc processes (<= 5 ms)"
