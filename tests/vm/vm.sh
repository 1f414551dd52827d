#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# vm.sh MODE SCRIPT: boot the test VM and run SCRIPT (a bash TAP test) in it;
# print its TAP and exit with its status, as if SCRIPT had run here.
#
#   MODE plain    the VM's init (tests/vm/init) runs SCRIPT as root with
#                 cgroup2 at /sys/fs/cgroup, +memory in its subtree_control;
#   MODE systemd  systemd 252 is PID 1 and memstop-vm-test.service
#                 (tests/vm/units) runs SCRIPT, then powers off.
#
# The VM is Debian's user-mode Linux (linux.uml, kernel 6.1) on the host's
# own / through hostfs, read-only, under an overlay whose upper layer is in
# the VM's memory: SCRIPT sees the host's files (the build tree included, at
# the same paths) and may change anything, the host sees none of it. The one
# directory shared for writing is a fresh temp dir, /memstop-vm inside, that
# carries the environment in and the TAP, stderr and exit status out.
#
# Environment: the variables named in MEMSTOP_VM_ENV (default: those the
# integration tests use) are passed to SCRIPT; MEMSTOP_VM_MEM (default 2G) is
# the VM's memory, MEMSTOP_VM_TIMEOUT (seconds, default 600) how long the VM
# may take from boot to result before it is killed; LINUX_UML the kernel;
# UML_XSTATE the built tests/vm/uml-xstate.so, preloaded into linux.uml (see
# there why UML 6.1 needs it on hosts with AVX-512 or AMX; meson sets it).
# The VM's programs run with glibc's AVX-512 string functions off
# (GLIBC_TUNABLES, MEMSTOP_VM_GLIBC_TUNABLES to change): UML 6.1 does not
# switch AVX-512 registers between its processes.
#
# Skips (TAP "1..0 # SKIP reason") where linux.uml is missing or cannot boot;
# a VM that booted but gave no result is a failure ("Bail out!"). Every UML
# process (one process group, its own session) is killed and the temp dir
# removed on every way out.
set -u
export LC_ALL=C

skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	exit "${TAP_SKIP_ALL_STATUS:-77}"
}
bail_out() {
	printf 'Bail out! %s\n' "$1"
	exit 1
}

[ $# -eq 2 ] || { echo "usage: $0 plain|systemd SCRIPT" >&2; exit 2; }
mode=$1
script=$(realpath -e "$2") || bail_out "no test script $2"
case $mode in plain | systemd) ;; *) bail_out "unknown mode $mode" ;; esac
harness=$(cd "$(dirname "$0")" && pwd)
timeout=${MEMSTOP_VM_TIMEOUT:-600}
mem=${MEMSTOP_VM_MEM:-2G}
pass_env=${MEMSTOP_VM_ENV:-MEMSTOP MEMSTOP_SO EMPTY_SO HOG ERRNO_PROBE JOB LATEJOB LOCKD LOCKD_UNIT LOCKD_CONF
	TESTS_SRCDIR TESTS_BUILDDIR TAP_SKIP_ALL_STATUS CMOCKA_MESSAGE_OUTPUT}

uml=${LINUX_UML:-$(command -v linux.uml)}
[ -n "$uml" ] || skip_all "no linux.uml (install Debian's package user-mode-linux)"
[ -x "$uml" ] || skip_all "$uml is not executable"
[ -d /dev/shm ] && [ -w /dev/shm ] || skip_all "no writable /dev/shm for the VM's memory"

dir=
uml_pid=
cleanup() {
	local status=$? i
	trap - EXIT INT TERM HUP
	if [ -n "$uml_pid" ]; then
		# UML runs as several host processes, all in the process group it
		# leads (setsid below): kill that group, by its id, then reap.
		kill -KILL -- "-$uml_pid" 2>/dev/null
		wait "$uml_pid" 2>/dev/null
		for i in $(seq 100); do
			pgrep -g "$uml_pid" >/dev/null || break
			sleep 0.1
		done
		pgrep -g "$uml_pid" >/dev/null && echo "$0: UML processes of group $uml_pid are left" >&2
	fi
	[ -n "$dir" ] && rm -rf -- "$dir"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

dir=$(mktemp -d "${TMPDIR:-/tmp}/memstop-vm.XXXXXX") || bail_out "mktemp -d failed"
shared=$dir/shared
mkdir "$shared" "$dir/uml"
{
	for v in $pass_env; do
		[ -n "${!v+set}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'export MEMSTOP_VM_MODE=%q MEMSTOP_VM_SCRIPT=%q\n' "$mode" "$script"
} >"$shared/env"

# The VM's memory is a file UML creates and unlinks at once in $TMPDIR: a
# tmpfs, so that it costs no disk writes. uml_dir keeps its pid file and
# management socket in the temp dir instead of ~/.uml.
console=$dir/console
tunables=${MEMSTOP_VM_GLIBC_TUNABLES-glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD}
t0=$(date +%s.%N)
TMPDIR=/dev/shm LD_PRELOAD=${UML_XSTATE:-} setsid "$uml" mem="$mem" root=/dev/root rootfstype=hostfs rootflags=/ ro \
	init="$harness/init" uml_dir="$dir/uml" umid=memstop-vm \
	con=null ssl=null con0=fd:0,fd:1 \
	MEMSTOP_VM_MODE="$mode" MEMSTOP_VM_SHARED="$shared" MEMSTOP_VM_HARNESS="$harness" \
	GLIBC_TUNABLES="$tunables" \
	</dev/null >"$console" 2>&1 &
uml_pid=$!

# Wait for the result, the VM's end, or the timeout; the result complete,
# give the VM a while to power off (it is killed anyway afterwards).
deadline=$(($(date +%s) + timeout))
t_result=
while kill -0 "$uml_pid" 2>/dev/null; do
	if [ -z "$t_result" ] && [ -e "$shared/status" ]; then
		t_result=$(date +%s.%N)
		deadline=$(($(date +%s) + 60))
	fi
	grep -q '^memstop-vm: \(SKIP\|FAIL\) ' "$console" && break
	[ "$(date +%s)" -ge "$deadline" ] && break
	sleep 0.2
done
timed_out=
kill -0 "$uml_pid" 2>/dev/null && [ -z "$t_result" ] && timed_out=1
[ -z "$t_result" ] && [ -e "$shared/status" ] && t_result=$(date +%s.%N)

console_tail() {
	tr -d '\r' <"$console" | tail -n "${1:-30}" | sed 's/^/# console: /' >&2
}

if ! grep -q '^memstop-vm: init' "$console"; then
	console_tail 15
	if [ -n "$timed_out" ]; then
		bail_out "linux.uml did not reach init within $timeout s (mode $mode)"
	fi
	skip_all "linux.uml cannot boot here: $(tr -d '\r' <"$console" | grep -v '^\s*$' | tail -n 1)"
fi
reason=$(sed -n 's/^memstop-vm: SKIP //p' "$console" | tr -d '\r' | head -n 1)
[ -n "$reason" ] && { console_tail 15; skip_all "test VM: $reason"; }
reason=$(sed -n 's/^memstop-vm: FAIL //p' "$console" | tr -d '\r' | head -n 1)
if [ -n "$reason" ]; then
	console_tail 30
	bail_out "test VM ($mode) setup failed: $reason"
fi
if [ ! -e "$shared/status" ]; then
	[ -s "$shared/tap" ] && cat "$shared/tap"
	[ -s "$shared/stderr" ] && cat "$shared/stderr" >&2
	console_tail 40
	if [ -n "$timed_out" ]; then
		bail_out "test VM ($mode): no result within $timeout s; killed"
	fi
	bail_out "test VM ($mode) ended without a result"
fi

cat "$shared/tap"
[ -s "$shared/stderr" ] && cat "$shared/stderr" >&2
status=$(cat "$shared/status")
# Where the time went: the host's clock for boot-to-result, the VM's uptime
# for its kernel and init, the host's clock again for the test itself.
awk -v t0="$t0" -v tr="$t_result" -v mode="$mode" \
	-v ts="$(cat "$shared/t-start" 2>/dev/null)" -v te="$(cat "$shared/t-end" 2>/dev/null)" \
	-v us="$(cut -d' ' -f1 "$shared/uptime-start" 2>/dev/null)" 'BEGIN {
	printf "# vm %s: boot-to-result %.1f s (VM start to test start %.1f s, uptime at test start %.1f s; test %.1f s)\n",
		mode, tr - t0, ts - t0, us, te - ts
}'
case $status in
'' | *[!0-9]*) bail_out "test VM ($mode): bad status '$status'" ;;
esac
exit "$status"
