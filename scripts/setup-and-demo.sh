#!/bin/bash
# Set memstop up on a fresh Debian 12 machine and show its main job:
# installs the build dependencies, builds, installs to /usr/local, then runs
# a memory-hungry parallel build in a 1 GiB memory cgroup twice: with plain
# `make -j8` (the OOM killer takes jobs) and with `memstop -- make -j8`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "$0: run as root (installs Debian packages)" >&2; exit 1; }
        exec sudo "$0" "$@"
fi
bash scripts/install-deps.sh >/dev/null
meson setup build-release -Dbuildtype=release >/dev/null 2>&1 || meson setup --reconfigure build-release >/dev/null
meson compile -C build-release >/dev/null
meson install -C build-release >/dev/null
ldconfig
echo "memstop installed: $(command -v memstop) ($(memstop --version)), preload $(ls /usr/local/lib/*/memstop/memstop.so)"
echo
memstop status
echo

cgroot=/sys/fs/cgroup/memory
if [ ! -w "$cgroot" ]; then
        echo "No writable cgroup v1 memory controller at $cgroot: skipping the OOM demonstration."
        exit 0
fi

work=$(mktemp -d /tmp/memstop-demo.XXXXXX)
cg=$cgroot/memstop-demo-$$
cleanup() {
        if [ -d "$cg" ]; then
                for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
                sleep 0.2
                rmdir "$cg" 2>/dev/null || true
        fi
        rm -rf "$work"
}
trap cleanup EXIT

# 8 jobs that each grow to 300 MiB over 0.6 s, hold 0.3 s: stand-ins for compilers.
job=$PWD/build-release/bench/job
mkdir -p "$work/done"
{
        printf 'all:'; for i in $(seq 8); do printf ' j%d' "$i"; done; echo
        for i in $(seq 8); do printf 'j%d:\n\t%s 300 0.6 0.3 %d %s/done/%d\n' "$i" "$job" "$i" "$work" "$i"; done
} >"$work/Makefile"

run() {
        local label=$1; shift
        rm -f "$work"/done/*
        mkdir "$cg"
        echo 1G >"$cg/memory.limit_in_bytes"
        local t0=$(date +%s.%N)
        XDG_CACHE_HOME=$work/cache sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cg" "$@" \
                make -s -k -j8 -C "$work" >/dev/null 2>&1 || true
        local t1=$(date +%s.%N)
        printf '%-28s %2d/8 jobs finished, %d OOM kills, %.1f s\n' "$label" "$(ls "$work/done" | wc -l)" \
                "$(awk '/^oom_kill /{print $2}' "$cg/memory.oom_control")" "$(echo "$t1 - $t0" | bc)"
        rmdir "$cg"
}
echo "A parallel build of 8 jobs x 300 MiB in a 1 GiB memory cgroup:"
run "make -k -j8"
run "memstop -- make -k -j8" memstop --
run "memstop -- make -k -j8 again" memstop --
