#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The figures of the memory gate (issue 2), side by side in one run:
#  1. the cost per exec of memstop.so when memory is plentiful, over an empty
#     preloaded library linked the same way: bench/exec-overhead posix_spawns
#     /bin/true under each configuration, interleaved, and prints the median
#     of per-round differences. memstop.so gets the environment `memstop --`
#     really gives a build (MEMSTOP_CGROUP, MEMSTOP_SMALL), after one run
#     that taught it /bin/true; also shown: with reservations off, and as a
#     plain LD_PRELOAD without that environment (the first process of a tree);
#     and the same memstop.so read back from disk (memstop-reread), as the
#     page cache holds it after a reboot rather than as the linker wrote it;
#     and, as root with the v1 memory controller, inside cgroups with a
#     limit: 1 GiB, where the fast path reads the cgroup's usage, and half
#     the host's memory, where the host's figures leave it room.
#  2. the CPU a held process uses: one process held for 10 s by a fake
#     /proc/meminfo showing too little memory; utime+stime from /proc/PID/stat.
#
#   bench/gate-overhead.sh [--build DIR] [--rounds N] [--spawns N]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build rounds=21 spawns=300
while [ $# -gt 0 ]; do
        case $1 in
        --build) build=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --spawns) spawns=$2; shift 2 ;;
        *) echo "usage: $0 [--build DIR] [--rounds N] [--spawns N]" >&2; exit 2 ;;
        esac
done
memstop=$PWD/$build/cli/memstop so=$PWD/$build/preload/memstop.so empty=$PWD/$build/bench/empty.so
bench=$PWD/$build/bench/exec-overhead
for f in "$memstop" "$so" "$empty" "$bench"; do
        [ -e "$f" ] || { echo "$0: $f missing: build first (meson compile -C $build)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/memstop-gate-bench.XXXXXX)
held= cgs=()
# (set -e applies in the trap: the sleep's status 143 would skip the rm.)
cleanup() {
        if [ -n "$held" ]; then
                kill "$held" 2>/dev/null || true
                wait "$held" 2>/dev/null || true
        fi
        for cg in "${cgs[@]}"; do rmdir "$cg" 2>/dev/null || true; done
        rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 0700 "$work/run" "$work/cache"
export XDG_RUNTIME_DIR=$work/run XDG_CACHE_HOME=$work/cache
unset MEMSTOP_PERCENT MEMSTOP_VERBOSE MEMSTOP_CGROUP MEMSTOP_SMALL MEMSTOP_WARNED LD_PRELOAD

# What `memstop --` exports to a build, once it has seen /bin/true.
"$memstop" -- /bin/true
envs=$("$memstop" -- env | grep -E '^MEMSTOP_(CGROUP|SMALL)=' | paste -sd, -)
echo "# environment from memstop: $envs"

# The same bytes, read back from disk: dropped from the page cache (dd's
# documented idiom), then read (readahead fills the cache as an exec after a
# reboot does). Measured here (kernel 6.18): the first exec faults map all 29
# pages of its code against 25 when the linker's writes filled the cache,
# and it costs 8-10 us more per exec. A user meets this state; a fresh build
# does not.
# Inside a memory cgroup with a limit (a CI runner, a container), the fast
# path reads the cgroup's usage (an open, a read and a close) unless the
# host's own figures leave room under the limit: memstop-1g, a 1 GiB limit
# (the usage is read), memstop-limit, half the host's memory (not read).
limited=()
cgroup_config() { # LABEL LIMIT: a cgroup with that limit, and the hint memstop gives there
        local cg=/sys/fs/cgroup/memory/memstop-gate-bench.$$.$1 hint
        mkdir "$cg"
        cgs+=("$cg")
        echo "$2" >"$cg/memory.limit_in_bytes"
        hint=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -q -- env' sh "$cg" "$memstop" | grep '^MEMSTOP_CGROUP=')
        # MEMSTOP_SMALL as above (env is learned by now too).
        limited+=("$1=$so,$(echo "$envs" | tr , '\n' | grep -v '^MEMSTOP_CGROUP=' | paste -sd, -),$hint")
        echo "# $1: $hint"
}
if [ -w /sys/fs/cgroup/memory/cgroup.procs ]; then
        cgroup_config memstop-1g $((1 << 30))
        cgroup_config memstop-limit $(($(awk '/^MemTotal:/{print $2}' /proc/meminfo) * 512))
fi

reread=$work/memstop-reread.so
cp "$so" "$reread"
dd of="$reread" oflag=nocache conv=notrunc,fdatasync count=0 status=none
cat "$reread" >/dev/null
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"

# first-process: LD_PRELOAD and a setting only (opted in, no hint from a
# memstop above): the first process of a tree started from a shell that
# exports LD_PRELOAD (issue 10: <= 200 us over empty). minimal: the fast path
# with a minimal environment (SMALL=true, CGROUP=none), beside the full one.
out=$("$bench" -n "$spawns" -r "$rounds" none= empty="$empty" "memstop=$so,$envs" \
        "memstop-no-reserve=$so,MEMSTOP_RESERVE=0,$envs" "plain-preload=$so" \
        "first-process=$so,MEMSTOP_PERCENT=10" "minimal=$so,MEMSTOP_SMALL=true,MEMSTOP_CGROUP=none" \
        "memstop-reread=$reread,$envs" "${limited[@]}")
echo "$out"
cost=$(echo "$out" | awk '/^memstop over empty:/{print $4, $7}')
first=$(echo "$out" | awk '/^first-process over empty:/{print $4, $7}')
minimal=$(echo "$out" | awk '/^minimal over empty:/{print $4, $7}')
reread_cost=$(echo "$out" | awk '/^memstop-reread over empty:/{print $4, $7}')
cg_cost=$(echo "$out" | awk '/^memstop-1g over empty:/{c = $7} /^memstop-limit over empty:/{l = $7}
        END { print (c == "" ? "n/a" : c " us cpu with a 1 GiB limit, " l " us cpu with half the host memory") }')

# A held process: a fake root with 5% of memory available, 10% required.
root=$work/root
mkdir -p "$root/proc/self"
printf 'MemTotal: 8388608 kB\nMemFree: 419430 kB\nMemAvailable: 419430 kB\n' >"$root/proc/meminfo"
printf '0::/\n' >"$root/proc/self/cgroup"
printf '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n' >"$root/proc/self/mountinfo"
MEMSTOP_SYSROOT=$root LD_PRELOAD=$so sleep 1000 &
held=$!
sleep 0.5
read -r -a st <"/proc/$held/stat"
before=$((st[13] + st[14]))
sleep 10
read -r -a st <"/proc/$held/stat"
after=$((st[13] + st[14]))
echo "held process over 10 s: $((after - before)) clock ticks of CPU ($(getconf CLK_TCK) per second), state ${st[2]}"
echo "gate cost per exec over an empty preload: ${cost% *} us wall, ${cost#* } us cpu (minimal environment: ${minimal#* } us cpu; read back from disk: ${reread_cost#* } us cpu; in a cgroup: $cg_cost); first process of a tree: ${first% *} us wall, ${first#* } us cpu; a held process: $((after - before)) ticks in 10 s"
