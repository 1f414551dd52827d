#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# memstop.so preloaded into real programs on fake trees: the seed's verbose
# lines byte for byte, silence when not verbose, bad variables (one line, the
# program runs), errno, unreadable figures, timeouts, the log file, gating
# only some programs, and never a byte on stdout.

. "$(dirname "$0")/lib.sh"
need_env MEMSTOP_SO ERRNO_PROBE

tmpdir
W=$TMPD
MARK=$W/marker
STDOUT_USED=()

# pre SECONDS VAR=VALUE... -- COMMAND...: COMMAND with memstop.so preloaded
# and the variables set (through env, which is not preloaded itself), run by
# bounded. Notes any byte it writes on stdout.
pre() {
	local limit=$1 vars=()
	shift
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	bounded "$limit" env LD_PRELOAD="$PRELOAD" "${vars[@]}" "$@"
	[ -s "$BOUT" ] && STDOUT_USED+=("${vars[*]} $*: $OUT")
	return 0
}

lines() {
	if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi
}

# Fake hosts of 8 GiB: 15% available (1234 MB), 5%, 50%.
H15=$W/h15
fake_host "$H15" "$TOTAL_KB" "$AVAIL15_KB"
H5=$W/h5
fake_host "$H5" "$TOTAL_KB" "$AVAIL5_KB"
H50=$W/h50
fake_host "$H50" "$TOTAL_KB" "$AVAIL50_KB"

# --- the seed's lines, byte for byte -------------------------------------------

printf '==== memstop: 10%% required, 15%% available (1234 MB / 8192 MB) ====\n' >"$W/seed-line"

pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 -- /bin/true
cmp -s "$BERR" "$W/seed-line"
result "MEMSTOP_VERBOSE=1: stderr is the seed's line, byte for byte" $? \
	"status $STATUS" "stderr: $(od -c "$BERR" | head -5)"
is "$STATUS" 0 "MEMSTOP_VERBOSE=1: the program ran (exit 0)"

for v in yes 1 true on; do
	pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=$v MEMSTOP_PERCENT=10 -- /bin/true
	cmp -s "$BERR" "$W/seed-line"
	result "MEMSTOP_VERBOSE=$v MEMSTOP_PERCENT=10: the same line" $? "stderr: $ERR"
done

# Held, then released when the fake meminfo shows enough.
HR=$W/hold-release
fake_host "$HR" "$TOTAL_KB" "$AVAIL15_KB"
printf '%s\n' '==== memstop: 20% required, 15% available (1234 MB / 8192 MB) ====' \
	'==== memstop hold ====' '==== memstop release ====' >"$W/seed-hold"
rm -f "$MARK"
spawn env LD_PRELOAD="$PRELOAD" MEMSTOP_SYSROOT="$HR" MEMSTOP_PERCENT=20 MEMSTOP_VERBOSE=1 \
	touch "$MARK" >"$W/hr.out" 2>"$W/hr.err"
hpid=$SPAWNED
wait_until 5 grep -q 'memstop hold' "$W/hr.err"
sleep 0.3
result "MEMSTOP_PERCENT=20 with 15% available: held (alive, touch has not run)" \
	"$([[ ! -e $MARK ]] && alive "$hpid"; echo $?)" "stderr: $(cat "$W/hr.err")"
fake_meminfo "$HR" "$TOTAL_KB" "$AVAIL50_KB"
if wait_until 5 eval '! alive $hpid'; then
	wait "$hpid"
	result "released when memory frees: exit 0, touch ran" \
		"$([[ $? == 0 && -e $MARK ]]; echo $?)"
else
	not_ok "released when memory frees: exit 0, touch ran" "still held 5 s after the rewrite"
fi
cmp -s "$W/hr.err" "$W/seed-hold"
result "held then released: the seed's three lines, byte for byte" $? "stderr: $(cat "$W/hr.err")"
[ -s "$W/hr.out" ] && STDOUT_USED+=("hold-release: $(cat "$W/hr.out")")

# --- silence unless verbose -------------------------------------------------------

mkdir -p "$W/empty-dir-0" "$W/empty-dir-unset"
for v in 0 unset; do
	if [ $v = unset ]; then set -- ; else set -- MEMSTOP_VERBOSE=0; fi
	pre 5 MEMSTOP_SYSROOT="$H15" "$@" -- /bin/true
	result "MEMSTOP_VERBOSE $v, enough memory: no output at all" \
		"$([[ $STATUS == 0 && -z $ERR && -z $OUT ]]; echo $?)" "status $STATUS" "stderr: $ERR"

	pre 5 MEMSTOP_SYSROOT="$W/empty-dir-$v" "$@" -- /bin/true
	result "MEMSTOP_VERBOSE $v, unreadable figures: no output at all" \
		"$([[ $STATUS == 0 && -z $ERR && -z $OUT ]]; echo $?)" "status $STATUS" "stderr: $ERR"

	fake_host "$HR" "$TOTAL_KB" "$AVAIL5_KB"
	rm -f "$MARK"
	spawn env LD_PRELOAD="$PRELOAD" MEMSTOP_SYSROOT="$HR" "$@" touch "$MARK" >"$W/q.out" 2>"$W/q.err"
	qpid=$SPAWNED
	sleep 0.5
	held=$([[ ! -e $MARK ]] && alive "$qpid"; echo $?)
	fake_meminfo "$HR" "$TOTAL_KB" "$AVAIL50_KB"
	wait_until 5 eval '! alive $qpid'
	wait "$qpid"
	result "MEMSTOP_VERBOSE $v, held and released: no output at all" \
		"$([[ $held == 0 && -e $MARK && ! -s $W/q.err && ! -s $W/q.out ]]; echo $?)" \
		"held: $held" "stderr: $(cat "$W/q.err")"
done

# --- bad variables: one line naming it, the program runs -----------------------

bad_var() { # VAR VALUE
	local why=()
	pre 5 MEMSTOP_SYSROOT="$H15" "$1=$2" -- sh -c 'exit 3'
	[ "$STATUS" = 3 ] || why+=("exit status $STATUS, expected 3 (the program's)")
	[ "$(lines "$ERR")" = 1 ] || why+=("$(lines "$ERR") lines on stderr, expected 1")
	[[ $ERR == *"$1"*"'$2'"* ]] || why+=("the line does not name $1 and '$2'")
	result "$1='$2': one line naming it, the program runs with its exit status" "${#why[@]}" \
		"${why[@]}" "stderr: $ERR"
}
bad_var MEMSTOP_PERCENT abc
bad_var MEMSTOP_PERCENT 101
bad_var MEMSTOP_PERCENT ''
bad_var MEMSTOP_PERCENT -5
bad_var MEMSTOP_MIN_AVAILABLE 2X
bad_var MEMSTOP_TIMEOUT soon
bad_var MEMSTOP_ON_TIMEOUT maybe
bad_var MEMSTOP_VERBOSE maybe
bad_var MEMSTOP_GATE ',,'
bad_var MEMSTOP_EXEMPT 'a/b'
bad_var MEMSTOP_LOG ''

# The default applies in place of a bad value: 10%, held at 5%.
pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_PERCENT=abc MEMSTOP_VERBOSE=1 -- /bin/true
is "$(printf '%s\n' "$ERR" | sed -n 2p)" "$(cat "$W/seed-line")" \
	"MEMSTOP_PERCENT=abc: the default 10% applies (verbose line)"
pre 5 MEMSTOP_SYSROOT="$H5" MEMSTOP_PERCENT=abc MEMSTOP_TIMEOUT=0.3 MEMSTOP_ON_TIMEOUT=fail -- /bin/true
is "$STATUS" 124 "MEMSTOP_PERCENT=abc with 5% available: held by the default 10% (not 0%)"

# --- errno ------------------------------------------------------------------------

mkdir -p "$W/no-proc"
bounded 5 "$ERRNO_PROBE"
base=$OUT
is "$base" 0 "errno-probe alone prints 0 (the probe works)"
errno_case() { # DESCRIPTION VAR=VALUE...
	local desc=$1
	shift
	pre 5 "$@" -- "$ERRNO_PROBE"
	result "errno preserved: $desc" "$([[ $STATUS == 0 && $OUT == "$base" ]]; echo $?)" \
		"errno-probe printed '$OUT' (status $STATUS)" "stderr: $ERR"
	# Its output is expected: do not count it as the preload's.
	[ ${#STDOUT_USED[@]} -gt 0 ] && unset 'STDOUT_USED[-1]'
	return 0
}
errno_case "enough memory on a fake tree" MEMSTOP_SYSROOT="$H15"
errno_case "MEMSTOP_SYSROOT without proc/ (reads fail)" MEMSTOP_SYSROOT="$W/no-proc"
errno_case "MEMSTOP_SYSROOT without proc/, verbose" MEMSTOP_SYSROOT="$W/no-proc" MEMSTOP_VERBOSE=1
errno_case "MEMSTOP_SYSROOT does not exist" MEMSTOP_SYSROOT="$W/nowhere"
errno_case "a bad variable" MEMSTOP_SYSROOT="$H15" MEMSTOP_PERCENT=abc
errno_case "MEMSTOP_LOG cannot be opened" MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/nowhere/log"
errno_case "held until the timeout" MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=0.1
errno_case "the real /proc (no MEMSTOP_SYSROOT)" MEMSTOP_PERCENT=0
errno_case "not gated" MEMSTOP_GATE=cc1
# The fast path saves errno only where it may change (memstop.c): a small
# program with a hint; a hint (its directory is relative to /) whose usage
# file is missing; a job variable naming no process (its /proc read fails).
errno_case "the fast path (a small program, MEMSTOP_CGROUP=none)" MEMSTOP_CGROUP=none MEMSTOP_SMALL=errno-probe
errno_case "the fast path, the hint's usage file missing" MEMSTOP_CGROUP="v1:1073741824:${W#/}/nowhere" \
	MEMSTOP_SMALL=errno-probe
errno_case "MEMSTOP_JOB naming no process" MEMSTOP_CGROUP=none MEMSTOP_SMALL=errno-probe MEMSTOP_JOB=999999999.5

# --- unreadable figures: ungated, said only in verbose mode -------------------------

mkdir -p "$W/empty"
pre 5 MEMSTOP_SYSROOT="$W/empty" -- sh -c 'exit 7'
result "MEMSTOP_SYSROOT=an empty dir: runs ungated (exit 7), silent" \
	"$([[ $STATUS == 7 && -z $ERR ]]; echo $?)" "status $STATUS" "stderr: $ERR"
pre 5 MEMSTOP_SYSROOT="$W/empty" MEMSTOP_VERBOSE=1 -- sh -c 'exit 7'
result "MEMSTOP_SYSROOT=an empty dir, verbose: runs (exit 7), one line saying ungated" \
	"$([[ $STATUS == 7 && $(lines "$ERR") == 1 && $ERR == *ungated* ]]; echo $?)" "status $STATUS" "stderr: $ERR"

# proc/self/cgroup readable, proc/meminfo missing.
NOMEM=$W/no-meminfo
fake_host "$NOMEM" "$TOTAL_KB" "$AVAIL5_KB"
rm "$NOMEM/proc/meminfo"
pre 5 MEMSTOP_SYSROOT="$NOMEM" -- sh -c 'exit 7'
result "no proc/meminfo: runs ungated, silent" \
	"$([[ $STATUS == 7 && -z $ERR ]]; echo $?)" "status $STATUS" "stderr: $ERR"
pre 5 MEMSTOP_SYSROOT="$NOMEM" MEMSTOP_VERBOSE=1 -- sh -c 'exit 7'
result "no proc/meminfo, verbose: runs (exit 7), one line saying ungated" \
	"$([[ $STATUS == 7 && $(lines "$ERR") == 1 && $ERR == *ungated* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

# A v1 cgroup whose memory.stat cannot be read (too little host memory too:
# were it gated on the host alone, it would be held).
CGBAD=$W/cg-unreadable
fake_host "$CGBAD" "$TOTAL_KB" "$AVAIL5_KB"
printf '5:memory:/job\n' >"$CGBAD/proc/self/cgroup"
printf '35 22 0:30 / /sys/fs/cgroup/memory rw,relatime shared:15 - cgroup cgroup rw,memory\n' \
	>"$CGBAD/proc/self/mountinfo"
mkdir -p "$CGBAD/sys/fs/cgroup/memory/job"
printf '1000\n' >"$CGBAD/sys/fs/cgroup/memory/job/memory.usage_in_bytes"
pre 5 MEMSTOP_SYSROOT="$CGBAD" MEMSTOP_VERBOSE=1 -- sh -c 'exit 7'
result "cgroup files unreadable, verbose: runs ungated, one line saying so" \
	"$([[ $STATUS == 7 && $(lines "$ERR") == 1 && $ERR == *ungated* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

# --- timeouts ------------------------------------------------------------------------

rm -f "$MARK"
pre 10 MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=0.5 -- touch "$MARK"
result "MEMSTOP_TIMEOUT=0.5 with too little memory: runs anyway after the timeout" \
	"$([[ $STATUS == 0 && -e $MARK && $ELAPSED -ge 500000 && -z $ERR ]]; echo $?)" \
	"status $STATUS after $ELAPSED us" "stderr: $ERR"

rm -f "$MARK"
pre 10 MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=0.5 MEMSTOP_ON_TIMEOUT=fail -- touch "$MARK"
result "MEMSTOP_ON_TIMEOUT=fail: exit 124 after the timeout, touch did not run" \
	"$([[ $STATUS == 124 && ! -e $MARK && $ELAPSED -ge 500000 ]]; echo $?)" \
	"status $STATUS after $ELAPSED us" "stderr: $ERR"
result "MEMSTOP_ON_TIMEOUT=fail: one line on stderr naming the program" \
	"$([[ $(lines "$ERR") == 1 && $ERR == *touch* ]]; echo $?)" "stderr: $ERR"

rm -f "$MARK"
pre 10 MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=0.3 MEMSTOP_VERBOSE=1 -- touch "$MARK"
result "MEMSTOP_TIMEOUT, verbose: the seed's first two lines, then one saying it runs anyway" \
	"$([[ $(lines "$ERR") == 3 && $(sed -n 2p "$BERR") == '==== memstop hold ====' && $(sed -n 3p "$BERR") == *touch*anyway* ]]; echo $?)" \
	"stderr: $ERR"

# --- MEMSTOP_LOG -----------------------------------------------------------------------

mkdir -p "$W/logs"
pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/logs/log-" -- /bin/true
cmp -s "$W/logs/log-$PID" "$W/seed-line"
result "MEMSTOP_LOG=DIR/log-: the line goes to DIR/log-PID" $? \
	"files: $(ls "$W/logs")" "stderr: $ERR"
is "$ERR" "" "MEMSTOP_LOG=DIR/log-: nothing on stderr"
is "$(ls "$W/logs")" "log-$PID" "MEMSTOP_LOG=DIR/log-: no other file"

pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/logs/fixed" -- /bin/true
pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/logs/fixed" -- /bin/true
cat "$W/seed-line" "$W/seed-line" >"$W/seed-twice"
cmp -s "$W/logs/fixed" "$W/seed-twice"
result "MEMSTOP_LOG=FILE (no '-'): lines are appended to FILE" $? "FILE: $(cat "$W/logs/fixed" 2>&1)"

pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/nowhere/log" -- sh -c 'exit 4'
result "MEMSTOP_LOG unwritable: runs, says so on stderr, logs to stderr" \
	"$([[ $STATUS == 4 && $ERR == *MEMSTOP_LOG* && $ERR == *"$(cat "$W/seed-line")"* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

# --- which programs are gated --------------------------------------------------------------
# Too little memory; a gated program is held 0.3 s, then fails with 124.

gate_case() { # DESCRIPTION EXPECTED_STATUS VAR=VALUE...
	local desc=$1 want=$2
	shift 2
	pre 10 MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=0.3 MEMSTOP_ON_TIMEOUT=fail MEMSTOP_VERBOSE=1 "$@" -- /bin/true
	if [ "$want" = 0 ]; then
		result "$desc" "$([[ $STATUS == 0 && -z $ERR ]]; echo $?)" "status $STATUS" "stderr: $ERR"
	else
		result "$desc" "$([[ $STATUS == "$want" ]]; echo $?)" "status $STATUS" "stderr: $ERR"
	fi
}
gate_case "no MEMSTOP_GATE/EXEMPT: /bin/true is held (the control case)" 124
gate_case "MEMSTOP_EXEMPT=true: /bin/true is not held, nothing said" 0 MEMSTOP_EXEMPT=true
gate_case "MEMSTOP_EXEMPT='sh,tr*': /bin/true is not held" 0 'MEMSTOP_EXEMPT=sh,tr*'
gate_case "MEMSTOP_EXEMPT=sh: /bin/true is held" 124 MEMSTOP_EXEMPT=sh
gate_case "MEMSTOP_GATE=cc1: /bin/true is not held" 0 MEMSTOP_GATE=cc1
gate_case "MEMSTOP_GATE='cc1,true': /bin/true is held" 124 MEMSTOP_GATE=cc1,true
gate_case "MEMSTOP_GATE=true MEMSTOP_EXEMPT=true: exempt wins" 0 MEMSTOP_GATE=true MEMSTOP_EXEMPT=true

# --- issue 12/13: once per tree, too long, the kill switch ---------------------------------

# A bad value was reported by every process (a make -j64: thousands of times).
pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_PERCENT=abc -- sh -c 'true; /bin/true; sh -c /bin/true'
is "$(lines "$ERR")" 1 "MEMSTOP_PERCENT=abc in sh, /bin/true and a nested sh: one warning per process tree"
# A duration past 2^64 ns wrapped to 0.29 s: refused, with the reason.
bad_var MEMSTOP_TIMEOUT 18446744074s
like "$ERR" "too long" "MEMSTOP_TIMEOUT=18446744074s: the warning says it is too long"
pre 5 MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=18446744074s MEMSTOP_ON_TIMEOUT=fail -- /bin/true
is "$STATUS" hung "MEMSTOP_TIMEOUT=18446744074s: no 0.29 s timeout (still held after 5 s)"

# The kill switch releases held processes: the head and one waiting behind it.
KS=$W/killswitch
fake_host "$KS" "$TOTAL_KB" "$AVAIL5_KB"
for f in run/memstop/off etc/memstop/disable; do
	rm -f "$W/ks1" "$W/ks2" "$KS/run/memstop/off" "$KS/etc/memstop/disable"
	spawn env LD_PRELOAD="$PRELOAD" MEMSTOP_SYSROOT="$KS" touch "$W/ks1"
	p1=$SPAWNED
	spawn env LD_PRELOAD="$PRELOAD" MEMSTOP_SYSROOT="$KS" MEMSTOP_RESERVE=0 touch "$W/ks2"
	p2=$SPAWNED
	sleep 0.7
	held=$([[ ! -e $W/ks1 && ! -e $W/ks2 ]] && alive "$p1" && alive "$p2"; echo $?)
	mkdir -p "$(dirname "$KS/$f")"
	: >"$KS/$f"
	wait_until 30 eval '[ -e "$W/ks1" ] && [ -e "$W/ks2" ]'
	result "kill switch $f: the held processes (queued, plain) run" \
		"$([[ $held == 0 && -e $W/ks1 && -e $W/ks2 ]]; echo $?)" "held before: $held"
	kill_tree "$p1"; kill_tree "$p2"
	pre 5 MEMSTOP_SYSROOT="$KS" MEMSTOP_TIMEOUT=2 MEMSTOP_ON_TIMEOUT=fail -- /bin/true
	is "$STATUS" 0 "kill switch $f: a new process is not held at all"
done

# --- issue 12: MEMSTOP_LOG inherited from another user -------------------------------------

mkdir -p "$W/lg"
printf 'precious\n' >"$W/lg/target"
ln -s "$W/lg/target" "$W/lg/link"
pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/lg/link" -- sh -c 'true; /bin/true'
is "$(cat "$W/lg/target")" precious "MEMSTOP_LOG=a symlink: not followed (the target is untouched)"
is "$(grep -c 'MEMSTOP_LOG' "$BERR")" 1 "MEMSTOP_LOG=a symlink: one warning per process tree, naming it"
like "$ERR" "symbolic link" "MEMSTOP_LOG=a symlink: the warning says why"
mkfifo "$W/lg/fifo"
pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/lg/fifo" -- sh -c 'exit 5'
result "MEMSTOP_LOG=a FIFO: the process does not hang in its constructor, runs (exit 5)" \
	"$([[ $STATUS == 5 && $ERR == *"not a regular file"* ]]; echo $?)" "status $STATUS" "stderr: $ERR"
if [ "$(id -u)" = 0 ]; then
	: >"$W/lg/theirs"
	chown 65534 "$W/lg/theirs"
	pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/lg/theirs" -- /bin/true
	result "root with MEMSTOP_LOG=another user's file: not written to" \
		"$([[ ! -s $W/lg/theirs && $ERR == *"not the user's own"* ]]; echo $?)" "stderr: $ERR"
	mkdir "$W/lg/realdir"
	ln -s "$W/lg/realdir" "$W/lg/dirlink"
	pre 5 MEMSTOP_SYSROOT="$H15" MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/lg/dirlink/new" -- /bin/true
	result "root with MEMSTOP_LOG through a symlinked directory: nothing created" \
		"$([[ ! -e $W/lg/realdir/new ]]; echo $?)" "stderr: $ERR"
else
	skip "needs root" "root with MEMSTOP_LOG=another user's file: not written to"
	skip "needs root" "root with MEMSTOP_LOG through a symlinked directory: nothing created"
fi

# --- issue 12: the exit path -----------------------------------------------------------------

# A program that sandboxed itself (seccomp) and ends with _exit: the gate's
# _exit did file I/O and flock, and the program died of SIGSYS (status 159).
if [ -n "$ASAN_RUNTIME" ]; then
	# The sanitizer's own exit makes system calls the filter forbids.
	skip "the ASan runtime dies of SIGSYS by itself" \
		"a seccomp-sandboxed program admitted by the queue ends with _exit: status 0, its stdout kept"
else
	pre 5 MEMSTOP_SYSROOT="$H15" -- "$ERRNO_PROBE" sandboxed
	result "a seccomp-sandboxed program admitted by the queue ends with _exit: status 0, its stdout kept" \
		"$([[ $STATUS == 0 && $OUT == sandboxed ]]; echo $?)" "status $STATUS" "stdout: $OUT" "stderr: $ERR"
	[ ${#STDOUT_USED[@]} -gt 0 ] && unset 'STDOUT_USED[-1]'
fi
# A program that put its own locked file at the ledger fd's number: the
# gate's exit handler unlocked it (a child relying on the lock lost it).
pre 5 MEMSTOP_SYSROOT="$H15" -- "$ERRNO_PROBE" reuse-fd "$W/own-lock"
[ ${#STDOUT_USED[@]} -gt 0 ] && unset 'STDOUT_USED[-1]'
kept=$(flock -n "$W/own-lock" true && echo lost || echo kept)
result "the program's own lock at the ledger fd's number survives the gate's exit handler" \
	"$([[ $STATUS == 0 && $kept == kept ]]; echo $?)" "status $STATUS, lock $kept" "stdout: $OUT" "stderr: $ERR"
like "$OUT" "ledger fd ([5-9][0-9][0-9]|[0-9]{4})" "the ledger fd is kept out of the way (512 or above)"
[ ${#STDOUT_USED[@]} -gt 0 ] && unset 'STDOUT_USED[-1]'

# --- issue 12: someone else's HOME; strict overcommit ----------------------------------------

if [ "$(id -u)" = 0 ]; then
	mkdir -m 0755 "$W/userhome"
	chown 65534:65534 "$W/userhome"
	pre 5 MEMSTOP_SYSROOT="$H15" HOME="$W/userhome" XDG_CACHE_HOME= -- /bin/true
	result "root with a user's HOME (sudo -E): nothing created in it" \
		"$([[ $STATUS == 0 && ! -e $W/userhome/.cache ]]; echo $?)" "$(ls -la "$W/userhome")"
else
	skip "needs root" "root with a user's HOME (sudo -E): nothing created in it"
fi
OC=$W/overcommit
fake_host "$OC" "$TOTAL_KB" "$AVAIL50_KB"
mkdir -p "$OC/proc/sys/vm"
echo 2 >"$OC/proc/sys/vm/overcommit_memory"
printf 'Name:\ttrue\nVmData:\t  921600 kB\nVmStk:\t     132 kB\n' >"$OC/proc/self/status"
mkdir -m 0700 "$W/oc-cache"
pre 5 MEMSTOP_SYSROOT="$OC" XDG_CACHE_HOME="$W/oc-cache" -- /bin/true
peak=$(awk '{ print $4 }' "$W/oc-cache/memstop/peaks" 2>/dev/null | tail -1)
result "vm.overcommit_memory=2: the learned peak is what the job committed (VmData+VmStk), not its RSS" \
	"$([[ ${peak:-0} -ge 921732 ]]; echo $?)" "peak ${peak:-none} KiB"
echo 0 >"$OC/proc/sys/vm/overcommit_memory"
rm -rf "$W/oc-cache/memstop"
pre 5 MEMSTOP_SYSROOT="$OC" XDG_CACHE_HOME="$W/oc-cache" -- /bin/true
peak=$(awk '{ print $4 }' "$W/oc-cache/memstop/peaks" 2>/dev/null | tail -1)
result "vm.overcommit_memory=0: the learned peak is the RSS" "$([[ ${peak:-0} -gt 0 && ${peak:-0} -lt 921600 ]]; echo $?)" \
	"peak ${peak:-none} KiB"

# --- memstop-gate.so, the slow path, beside memstop.so ----------------------------------------
# memstop.so alone in a directory: the fast path and the first process of a
# tree with plenty of memory need nothing more; the slow path cannot be loaded:
# one line naming it, and the program runs ungated (on a host with too little
# memory, where it would be held).
mkdir -p "$W/alone"
cp "$MEMSTOP_SO" "$W/alone/memstop.so"
bounded 5 env LD_PRELOAD="$W/alone/memstop.so" MEMSTOP_PERCENT=10 sh -c 'exit 3'
result "memstop.so alone: the first process of a tree runs, without a word (memory is plentiful)" \
	"$([[ $STATUS == 3 && -z $ERR ]]; echo $?)" "status $STATUS" "stderr: $ERR"
bounded 5 env LD_PRELOAD="$W/alone/memstop.so" MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=3 MEMSTOP_ON_TIMEOUT=fail \
	sh -c 'exit 3'
result "memstop.so alone: the slow path cannot be loaded: one line naming it, the program runs ungated" \
	"$([[ $STATUS == 3 && $(lines "$ERR") == 1 && $ERR == *"$W/alone/memstop-gate.so"*"running ungated"* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"
pre 5 MEMSTOP_SYSROOT="$H5" MEMSTOP_TIMEOUT=0.3 MEMSTOP_ON_TIMEOUT=fail -- sh -c 'exit 3'
is "$STATUS" 124 "the same beside memstop-gate.so: held, then gives up (124)"
# The fast path with a hint of a cgroup with a limit reads the cgroup's usage
# (here missing: it takes the slow path, which memstop.so alone cannot load),
# unless the host's figures leave room under the limit (three quarters of
# memory here): then it reads nothing and runs.
ram=$(($(awk '/^MemTotal:/{print $2}' /proc/meminfo) * 1024))
bounded 5 env LD_PRELOAD="$W/alone/memstop.so" MEMSTOP_SMALL=sh MEMSTOP_CGROUP="v1:$((ram / 4 * 3)):${W#/}/nowhere" \
	sh -c 'exit 3'
result "fast path, a limit the host's figures leave room under: runs without reading the usage" \
	"$([[ $STATUS == 3 && -z $ERR ]]; echo $?)" "status $STATUS" "stderr: $ERR"
bounded 5 env LD_PRELOAD="$W/alone/memstop.so" MEMSTOP_SMALL=sh MEMSTOP_CGROUP="v1:$((64 << 20)):${W#/}/nowhere" \
	sh -c 'exit 3'
result "fast path, a 64 MiB limit: reads the usage (missing: the slow path, not loadable here)" \
	"$([[ $STATUS == 3 && $ERR == *"memstop-gate.so"*"running ungated"* ]]; echo $?)" "status $STATUS" "stderr: $ERR"

# --- stdout ------------------------------------------------------------------------------------

result "the preload never wrote to stdout (in any of the runs above)" "${#STDOUT_USED[@]}" \
	"${STDOUT_USED[@]}"

done_testing
