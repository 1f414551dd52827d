#!/bin/bash
# Set memstop up on a fresh Debian 12 machine and show its main job:
# installs the build dependencies, builds, installs to /usr/local, then runs
# a memory-hungry parallel build in a 1 GiB memory cgroup twice: with plain
# `make -j8` (the OOM killer takes jobs) and with `memstop -- make -j8`.
#
# The demonstration runs on cgroup v1 (a memory cgroup), on cgroup v2 under
# systemd (a transient scope: systemd-run --scope -p MemoryMax=1G -p
# OOMPolicy=continue) or on a writable cgroup v2 hierarchy (memory.max).
# MEMSTOP_DEMO_ONLY=1 skips the setup and uses $MEMSTOP and $JOB (the built
# memstop and bench/job): the VM tests run the demonstration that way.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "$0: run as root (installs Debian packages)" >&2; exit 1; }
        exec sudo "$0" "$@"
fi
memstop=${MEMSTOP:-memstop}
job=${JOB:-$PWD/build-release/bench/job}
if [ "${MEMSTOP_DEMO_ONLY:-0}" != 1 ]; then
        memstop=memstop
        job=$PWD/build-release/bench/job
        bash scripts/install-deps.sh >/dev/null
        meson setup build-release -Dbuildtype=release >/dev/null 2>&1 || meson setup --reconfigure build-release >/dev/null
        meson compile -C build-release >/dev/null
        meson install -C build-release >/dev/null
        ldconfig
        echo "memstop installed: $(command -v memstop) ($(memstop --version)), preload $(ls /usr/local/lib/*/memstop/memstop.so)"
        echo
        "$memstop" status
        echo
fi

# The demonstration needs a 1 GiB memory cgroup: the cgroup v1 memory
# controller (writable), cgroup v2 through systemd (a transient scope with
# MemoryMax, when systemd is PID 1), or a writable cgroup v2 hierarchy.
v1=/sys/fs/cgroup/memory
v2=/sys/fs/cgroup
if [ -w "$v1" ] && [ -f "$v1/cgroup.procs" ]; then
        mode=v1
elif grep -qw memory "$v2/cgroup.controllers" 2>/dev/null && [ -d /run/systemd/system ] &&
        command -v systemd-run >/dev/null; then
        mode=systemd
elif grep -qw memory "$v2/cgroup.controllers" 2>/dev/null && [ -w "$v2" ]; then
        mode=v2
        grep -qw memory "$v2/cgroup.subtree_control" || echo +memory >"$v2/cgroup.subtree_control" || mode=
else
        mode=
fi
if [ -z "$mode" ]; then
        echo "No writable memory cgroup (v1 at $v1, or v2 at $v2 with systemd or writable): skipping the OOM demonstration."
        exit 0
fi

work=$(mktemp -d /tmp/memstop-demo.XXXXXX)
chmod 0755 "$work"
cg=
cleanup() {
        if [ -n "$cg" ] && [ -d "$cg" ]; then
                for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
                sleep 0.2
                rmdir "$cg" 2>/dev/null || true
        fi
        rm -rf "$work"
}
trap cleanup EXIT

# 8 jobs that each grow to 300 MiB over 0.6 s, hold 0.3 s: stand-ins for compilers.
mkdir -p "$work/done"
{
        printf 'all:'; for i in $(seq 8); do printf ' j%d' "$i"; done; echo
        for i in $(seq 8); do printf 'j%d:\n\t%s 300 0.6 0.3 %d %s/done/%d\n' "$i" "$job" "$i" "$work" "$i"; done
} >"$work/Makefile"

# Inside the cgroup: the command, then the cgroup's OOM kills since it began
# (a transient scope is gone once its command ends).
cat >"$work/inside.sh" <<'SH'
#!/bin/sh
kills() {
        v1=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
        if [ -n "$v1" ] && [ -f "/sys/fs/cgroup/memory$v1/memory.oom_control" ]; then
                awk '/^oom_kill /{print $2}' "/sys/fs/cgroup/memory$v1/memory.oom_control"
        else
                awk '$1 == "oom_kill" {print $2}' "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)/memory.events"
        fi
}
k0=$(kills)
"$@" >/dev/null 2>&1
echo $(($(kills) - k0)) >"$DEMO_WORK/kills"
SH
chmod 0755 "$work/inside.sh"

n=0
run() {
        local label=$1 t0 t1; shift
        n=$((n + 1))
        rm -f "$work"/done/* "$work/kills"
        t0=$(date +%s.%N)
        case $mode in
        systemd)
                # OOMPolicy=continue: one job's OOM kill must not stop the whole scope.
                DEMO_WORK=$work XDG_CACHE_HOME=$work/cache systemd-run --quiet --scope --unit="memstop-demo-$$-$n" \
                        -p MemoryMax=1G -p OOMPolicy=continue \
                        "$work/inside.sh" "$@" make -s -k -j8 -C "$work" || true ;;
        *)
                if [ $mode = v1 ]; then cg=$v1/memstop-demo-$$; else cg=$v2/memstop-demo-$$; fi
                mkdir "$cg"
                if [ $mode = v1 ]; then echo 1G >"$cg/memory.limit_in_bytes"; else echo 1G >"$cg/memory.max"; fi
                DEMO_WORK=$work XDG_CACHE_HOME=$work/cache sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' \
                        sh "$cg" "$work/inside.sh" "$@" make -s -k -j8 -C "$work" || true
                rmdir "$cg" ;;
        esac
        t1=$(date +%s.%N)
        printf '%-28s %2d/8 jobs finished, %s OOM kills, %.1f s\n' "$label" "$(ls "$work/done" | wc -l)" \
                "$(cat "$work/kills" 2>/dev/null || echo '?')" "$(echo "$t1 - $t0" | bc)"
}
case $mode in
v1) where="a 1 GiB cgroup v1 memory cgroup" ;;
v2) where="a 1 GiB cgroup v2 cgroup (memory.max)" ;;
systemd) where="a systemd scope with MemoryMax=1G (cgroup v2)" ;;
esac
echo "A parallel build of 8 jobs x 300 MiB in $where:"
run "make -k -j8"
run "memstop -- make -k -j8" "$memstop" --
run "memstop -- make -k -j8 again" "$memstop" --
