#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Working-set locking against whole-segment locking (issue 14), side by side
# in one run, at the thrash cliff of bench/lockd-cliff.sh:
#
#  1. locked bytes: what memstop-lockd locks at start-up with the default
#     configuration in segments mode (every toolchain on PATH: gcc and clang)
#     against workingset mode after it learned from gcc builds only;
#  2. for each compiler (gcc C, gcc C++, and clang C when clang is
#     installed): the cliff H, the hog in a LIMIT_MIB memory cgroup at which 5
#     unprotected compiles take >= 100x their unpressured time (searched
#     upward, each try stopped at that cap), then 5 compiles at H with
#     segments locking and with working-set locking (learned from that
#     compiler's builds), caches dropped before each loop;
#  3. a simulated reboot: caches dropped, the working-set daemon restarted
#     with its learned state: how long it takes to lock the learned set, and
#     the first compile at the cliff against the warm ones of the same loop;
#  4. the daemon's own RSS (without the file pages it locks).
#
# gcc runs with private copies of cc1 and cc1plus, clang is a private copy
# with its libraries (another user's compiler must not read the pages first:
# they would be charged to that user's cgroup, never to the bench's).
#
# Usage (as root): bench/lockd-ws.sh [BUILDDIR]
#   LIMIT_MIB=400   the cgroup's limit
#   LANGS="c cxx clang"   which compilers (clang skipped if not installed)
#   LEARN_ROUNDS=3  compiles of each kind while the daemon learns
#   H_START=auto    first hog to try (auto: the limit less the compile's peak)
#   H_STEP=2        MiB between tries
# The daemons run outside the cgroup, as root (user = root) so that they may
# read the builds' /proc/PID/pagemap (the builds run as root here), with a
# 100 ms scan while learning. The last line holds the figures.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build-lockd}
LOCKD=${LOCKD:-$build/lockd/memstop-lockd}
HELPER=${HELPER:-$build/bench/lockd/cliff-helper}
LIMIT_MIB=${LIMIT_MIB:-400}
LANGS=${LANGS:-c cxx clang}
LEARN_ROUNDS=${LEARN_ROUNDS:-3}
H_START=${H_START:-auto}
H_STEP=${H_STEP:-2}
CG=/sys/fs/cgroup/memory/memstop-lockd-ws-$$

[ "$(id -u)" = 0 ] || { echo "lockd-ws: needs root (cgroups, drop_caches, mlock)" >&2; exit 77; }
[ -d /sys/fs/cgroup/memory ] || { echo "lockd-ws: needs the cgroup v1 memory controller" >&2; exit 77; }
for f in "$LOCKD" "$HELPER"; do
        [ -x "$f" ] || { echo "lockd-ws: $f not built (meson compile -C $build)" >&2; exit 1; }
done
command -v gcc >/dev/null && command -v g++ >/dev/null || { echo "lockd-ws: gcc/g++ not installed" >&2; exit 77; }
command -v clang >/dev/null || LANGS=${LANGS//clang/}

T=$(mktemp -d /tmp/lockd-ws.XXXXXX)
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

# The sources: 60 C functions (as bench/lockd-cliff.sh), and C++ with
# classes and templates but no library headers (cc1plus's own code is what
# thrashes; headers would only make each compile slower).
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
{
        echo 'template <typename T, int N> struct box { T v[N]; T sum() const { T s = T(); for (int i = 0; i < N; i++) s += v[i] * i; return s; } };'
        echo 'struct base { virtual ~base() {} virtual long run(long x) = 0; };'
        for i in $(seq 40); do cat <<CXX
struct d$i : base { box<long, $((i % 7 + 2))> b; long run(long x) override { b.v[0] = x; return b.sum() + $i; } };
template <typename T> T g$i(T x) { box<T, 4> b{{x, x + $i, x * 2, x - 1}}; return b.sum() + T($i); }
long h$i(long x) { d$i d; return d.run(x) + g$i<long>(x) + (long)g$i<double>((double)x); }
CXX
        done
} > "$T/gen.cc"

# Private copies of cc1 and cc1plus (gcc -B), as bench/lockd-cliff.sh does:
# another user's gcc must not read them first (pages are charged to the
# cgroup that touched them first).
mkdir "$T/gcc"
cp "$(gcc -print-prog-name=cc1)" "$T/gcc/cc1"
cp "$(gcc -print-prog-name=cc1plus)" "$T/gcc/cc1plus"
PRIVATE=(-o "compiler_dirs=/usr/lib/gcc/*/*, $T/gcc" -o "allowed_paths=/usr, /bin, /sbin, /lib, /lib64, /opt, $T")
# The same for clang: a copy of the binary and of its two big libraries
# (found through LD_LIBRARY_PATH), which other users' clang never reads.
if [[ " $LANGS " == *" clang "* ]]; then
        mkdir -p "$T/clang/bin" "$T/clang/lib"
        cp "$(readlink -f "$(command -v clang)")" "$T/clang/bin/clang"
        ldd "$T/clang/bin/clang" | awk '$1 ~ /^lib(LLVM|clang-cpp)/ { print $3 }' | xargs -r cp -L -t "$T/clang/lib"
fi

compile_cmd() {
        case $1 in
        c) echo "gcc -B$T/gcc/ -O2 -c $T/gen.c -o $T/gen.o" ;;
        cxx) echo "g++ -B$T/gcc/ -O2 -c $T/gen.cc -o $T/gen.o" ;;
        clang) echo "LD_LIBRARY_PATH=$T/clang/lib $T/clang/bin/clang -O2 -c $T/gen.c -o $T/gen.o" ;;
        esac
}

majflt() { awk '$1 == "total_pgmajfault" { print $2 }' "$CG/memory.stat"; }
ooms() { awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; }
now() { date +%s.%N; }
fmt() { printf '%.2f' "$1"; }

# loop LANG HOG_MIB CAP_S: 5 compiles in a fresh cgroup with a hog, caches
# dropped first. Prints "WALL MAJFLT STOPPED OOM STATUS FIRST WARM PEAK_MIB"
# (FIRST: the first compile's seconds; WARM: the median of the others).
loop() {
        local lang=$1 hog=$2 cap=$3 hogpid t0 t1 m0 o0 rc cmd
        cmd=$(compile_cmd "$lang")
        [ -d "$CG" ] && rmdir "$CG"
        mkdir "$CG"
        echo $((LIMIT_MIB << 20)) > "$CG/memory.limit_in_bytes"
        sync
        echo 3 > /proc/sys/vm/drop_caches
        : > "$T/hog.out"
        if [ "$hog" -gt 0 ]; then
                (echo $BASHPID > "$CG/cgroup.procs"; exec "$HELPER" hog "$hog") > "$T/hog.out" &
                hogpid=$!
                PIDS+=("$hogpid")
                for _ in $(seq 600); do grep -q ready "$T/hog.out" 2>/dev/null && break; sleep 0.05; done
        fi
        m0=$(majflt)
        o0=$(ooms)
        : > "$T/times"
        t0=$(now)
        TMPDIR=$T timeout -s KILL "$cap" bash -c "echo \$\$ > $CG/cgroup.procs
                for i in 1 2 3 4 5; do a=\$(date +%s.%N); $cmd || exit 1; b=\$(date +%s.%N)
                        echo \"\$a \$b\" >> $T/times; done" 2>/dev/null
        rc=$?
        t1=$(now)
        local mf=$(( $(majflt) - m0 )) peak
        peak=$(( $(cat "$CG/memory.max_usage_in_bytes") >> 20 ))
        [ -n "${hogpid:-}" ] && { kill -KILL "$hogpid" 2>/dev/null; wait "$hogpid" 2>/dev/null; }
        for _ in $(seq 50); do [ -s "$CG/cgroup.procs" ] || break; sleep 0.1; done
        awk -v w="$(echo "$t1 - $t0" | bc)" -v mf="$mf" -v to="$([ $rc = 137 ] && echo 1 || echo 0)" \
            -v oom="$(( $(ooms) - o0 ))" -v st="$([ $rc = 0 ] || [ $rc = 137 ] && echo ok || echo failed)" -v pk="$peak" '
                { d[NR] = $2 - $1 }
                END { first = NR ? d[1] : -1; n = 0
                      for (i = 2; i <= NR; i++) r[++n] = d[i]
                      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[j] < r[i]) { x = r[i]; r[i] = r[j]; r[j] = x }
                      warm = n ? r[int((n + 1) / 2)] : -1
                      printf "%s %s %s %s %s %.3f %.3f %s\n", w, mf, to, oom, st, first, warm, pk }' "$T/times"
}

# Daemons, outside the cgroup. start_lockd ROOT ARGS...: waits for its state file.
start_lockd() {
        local root=$1
        shift
        mkdir -p "$root/run"
        rm -f "$root/run/memstop-lockd/state"
        "$LOCKD" --foreground --config /dev/null --state-root "$root" -o user=root "${PRIVATE[@]}" "$@" \
                >> "$T/lockd.log" 2>&1 &
        LPID=$!
        PIDS+=("$LPID")
        for _ in $(seq 800); do [ -f "$root/run/memstop-lockd/state" ] && return 0; sleep 0.025; done
        echo "lockd-ws: memstop-lockd did not start:" >&2
        tail "$T/lockd.log" >&2
        exit 1
}
stop_lockd() { kill -TERM "$LPID"; wait "$LPID" 2>/dev/null; }
state() { awk -v k="$2" '$1 == k { print $2 }' "$1/run/memstop-lockd/state"; }
mib() { echo "scale=1; $1 / 1048576" | bc; }

# learn ROOT LANGS... [-o KEY=VALUE...]: a fresh working-set daemon watches
# LEARN_ROUNDS compiles of each kind (no cgroup, no pressure) and saves what
# it learned.
learn() {
        local root=$1 lang r langs=() opts=()
        shift
        while [ $# -gt 0 ]; do
                if [ "$1" = -o ]; then opts+=(-o "$2"); shift 2; else langs+=("$1"); shift; fi
        done
        rm -rf "$root"
        start_lockd "$root" -o scan_interval=100ms "${opts[@]}"
        for r in $(seq "$LEARN_ROUNDS"); do
                for lang in "${langs[@]}"; do
                        TMPDIR=$T bash -c "$(compile_cmd "$lang")" || echo "lockd-ws: $lang compile failed" >&2
                        sleep 0.5 # a scan sees it gone: its segments give way to its set
                done
        done
        stop_lockd
}

echo "# lockd-ws: LIMIT_MIB=$LIMIT_MIB LANGS=\"$LANGS\" LEARN_ROUNDS=$LEARN_ROUNDS, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. Locked bytes. Today's configuration: segments, every toolchain found.
"$LOCKD" --dry-run --config /dev/null -o lock_mode=segments > "$T/dry.seg" 2>/dev/null
seg_would=$(awk '/^would lock/ { print $3, $5 }' "$T/dry.seg")
seg_default=$(numfmt --from=iec "${seg_would#* }" 2>/dev/null || echo 0)
learn "$T/ws-gcc" c cxx
sync
echo 3 > /proc/sys/vm/drop_caches
t0=$(now)
start_lockd "$T/ws-gcc"
t_ready=$(echo "$(now) - $t0" | bc)
ws_locked=$(state "$T/ws-gcc" locked_bytes)
ws_files=$(state "$T/ws-gcc" locked_files)
t_learned=$(grep -o 'learned: [0-9]* files, locked [0-9]* ([^)]*) in [0-9]* ms' "$T/lockd.log" | tail -1)
read -r rss_other rss_libs rss_locked < <("$HELPER" smaps "$LPID")
"$LOCKD" --status --state-root "$T/ws-gcc" > "$T/status.gcc"
stop_lockd
start_lockd "$T/seg" -o lock_mode=segments
seg_locked=$(state "$T/seg" locked_bytes)
stop_lockd
# The same learning as the daemon's own user (nobody here), which may not
# read root's pagemap: from page-cache residency, readahead included.
learn "$T/ws-res" c cxx -o user=nobody
sync
echo 3 > /proc/sys/vm/drop_caches
start_lockd "$T/ws-res" -o user=nobody
res_locked=$(state "$T/ws-res" locked_bytes)
stop_lockd

# 2. and 3. The cliff, per compiler.
results=()
for lang in $LANGS; do
        read -r w_ref _ _ _ _ _ _ peak < <(loop "$lang" 0 600)
        cap=$(echo "c = $w_ref * 100; if (c < 20) c = 20; c" | bc)
        cap=${cap%.*}
        h=$H_START
        [ "$h" = auto ] && h=$(( LIMIT_MIB - peak ))
        echo "# $lang: no hog ${w_ref}s for 5 compiles, peak ${peak} MiB; the cliff: >= ${cap}s"
        H=
        while [ "$h" -lt "$LIMIT_MIB" ]; do
                read -r w mf to oom st _ _ _ < <(loop "$lang" "$h" "$cap")
                echo "# $lang: H=$h ${w}s, $mf major faults, stopped $to, OOM kills $oom, compiles $st"
                if [ "$to" = 1 ] && [ "$oom" = 0 ]; then H=$h; w_off=$w; mf_off=$mf; break; fi
                # Far from the cliff (under 3x the unpressured time): bigger steps.
                if [ "$(echo "$w < 3 * $w_ref" | bc)" = 1 ]; then h=$((h + 4 * H_STEP)); else h=$((h + H_STEP)); fi
        done
        if [ -z "$H" ]; then
                echo "# $lang: no cliff found below ${LIMIT_MIB} MiB"
                results+=("$lang: no cliff found")
                continue
        fi
        # Whole segments (today's default), every toolchain, all of it locked;
        # one compile outside the cgroup first, so that it also holds what its
        # start-up search cannot find (the private clang's libraries).
        sync; echo 3 > /proc/sys/vm/drop_caches
        start_lockd "$T/seg" -o lock_mode=segments -o scan_interval=100ms
        TMPDIR=$T bash -c "$(compile_cmd "$lang")"
        sleep 1
        read -r w_seg mf_seg _ oom_seg st_seg _ _ _ < <(loop "$lang" "$H" "$cap")
        stop_lockd
        # The working set learned from this compiler's builds, after a
        # simulated reboot (caches dropped, daemon restarted with its state).
        if [ "$lang" = clang ]; then learn "$T/ws-clang" clang; wsroot=$T/ws-clang; else wsroot=$T/ws-gcc; fi
        sync; echo 3 > /proc/sys/vm/drop_caches
        start_lockd "$wsroot"
        ws_l=$(state "$wsroot" locked_bytes)
        read -r w_ws mf_ws _ oom_ws st_ws first_ws warm_ws _ < <(loop "$lang" "$H" "$cap")
        stop_lockd
        echo "# $lang at H=$H: none ${w_off}s ($mf_off major faults); segments ${w_seg}s ($mf_seg, OOM $oom_seg, $st_seg);" \
             "working set ${w_ws}s ($mf_ws, OOM $oom_ws, $st_ws, $(mib "$ws_l") MiB locked), first compile ${first_ws}s, warm ${warm_ws}s"
        results+=("$lang H=$H: none >=$(fmt "$w_off")s, segments $(fmt "$w_seg")s, working set $(fmt "$w_ws")s = $(fmt "$(echo "scale=3; $w_ws / $w_seg" | bc)")x segments (<= 1.5); after reboot first compile $(fmt "$first_ws")s = $(fmt "$(echo "scale=3; $first_ws / $warm_ws" | bc)")x a warm one (<= 1.5)")
done

echo
echo "segments mode, default configuration (dry run): would lock $seg_would (files, size)"
echo "segments mode as run here (plus the private cc1/cc1plus copies): $(mib "$seg_locked") MiB"
echo "workingset mode after learning gcc C and C++ only: $(mib "$ws_locked") MiB in $ws_files files" \
     "= $(fmt "$(echo "scale=4; $ws_locked / $seg_default" | bc)") of the default segments mode," \
     "$(fmt "$(echo "scale=4; $ws_locked / $seg_locked" | bc)") of segments mode as run"
echo "the same learned as the daemon's own user (residency, read_ahead_kb $(cat /sys/block/*/queue/read_ahead_kb 2>/dev/null | sort -n | tail -1) KiB at most here): $(mib "$res_locked") MiB"
sed 's/^/  /' "$T/status.gcc" | head -60
echo "after a simulated reboot: $t_learned; ready ${t_ready}s after start"
echo "daemon RSS excluding locked file pages: $rss_other kB (+ its loader's mappings of files it locks $rss_libs kB)"
for r in "${results[@]}"; do echo "$r"; done
figs=$(printf '%s; ' "${results[@]}")
echo "FIGURES: locked $(mib "$ws_locked") MiB working set vs $(mib "$seg_default") MiB segments by default ($(fmt "$(echo "scale=3; $ws_locked * 100 / $seg_default" | bc)")%, <= 25%); ${figs}start-up lock of the learned set: $t_learned; RSS $rss_other kB"
