#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The memstop command line, run from the build tree: usage errors (exit 2,
# one line, nothing started), running commands (exit status, LD_PRELOAD, the
# exported settings), `status` on fake v1 and v2 trees, `wait`.

. "$(dirname "$0")/lib.sh"
need_env MEMSTOP MEMSTOP_SO EMPTY_SO

tmpdir
W=$TMPD
MARK=$W/marker

# run COMMAND...: STATUS, OUT and ERR (the whole of stdout and stderr).
run() {
	"$@" >"$W/out" 2>"$W/err" </dev/null
	STATUS=$?
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
}

lines() {
	if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi
}

# A host with plenty: 50% of 8 GiB available, no memory cgroup.
PLENTY=$W/plenty
fake_host "$PLENTY" "$TOTAL_KB" "$AVAIL50_KB"

# --- help and version --------------------------------------------------------

run "$MEMSTOP" --help
result "--help: exit 0, usage on stdout, nothing on stderr" \
	"$([[ $STATUS == 0 && $OUT == *"Usage: memstop"* && -z $ERR ]]; echo $?)" \
	"status $STATUS" "stdout: $OUT" "stderr: $ERR"

run "$MEMSTOP" --version
result "--version: exit 0, 'memstop VERSION' on stdout" \
	"$([[ $STATUS == 0 && $OUT =~ ^memstop\ [0-9]+\.[0-9]+ && -z $ERR ]]; echo $?)" \
	"status $STATUS" "stdout: $OUT" "stderr: $ERR"

# --- usage errors: exit 2, one line naming the value, nothing started ------

# usage_error DESCRIPTION NEEDLE ARGS...: memstop ARGS -- touch MARK must
# exit 2 with exactly one stderr line containing NEEDLE, and not run touch.
usage_error() {
	local desc=$1 needle=$2 why=()
	shift 2
	rm -f "$MARK"
	run "$MEMSTOP" "$@" -- touch "$MARK"
	[ "$STATUS" = 2 ] || why+=("exit status $STATUS, expected 2")
	[ "$(lines "$ERR")" = 1 ] || why+=("$(lines "$ERR") lines on stderr, expected 1")
	[[ $ERR == *"$needle"* ]] || why+=("stderr does not name $needle")
	[ -e "$MARK" ] && why+=("the command was started")
	[ -z "$OUT" ] || why+=("stdout not empty: $OUT")
	result "$desc" "${#why[@]}" "${why[@]}" "stderr: $ERR"
}

for v in abc 101 -1 1.5; do
	usage_error "--percent '$v' is refused" "'$v'" --percent "$v"
done
usage_error "-p abc is refused" "'abc'" -p abc
for v in 2X -1G ''; do
	usage_error "--min-available '$v' is refused" "'$v'" --min-available "$v"
done
for v in 10M -1; do
	usage_error "--timeout '$v' is refused" "'$v'" --timeout "$v"
done
usage_error "--on-timeout 'maybe' is refused" "'maybe'" --on-timeout maybe
for v in ',,' 'a/b'; do
	usage_error "--gate '$v' is refused" "'$v'" --gate "$v"
done
usage_error "--exempt 'a/b' is refused" "'a/b'" --exempt a/b
usage_error "--sysroot 'relative' is refused" "'relative'" --sysroot relative
usage_error "a bad value after valid ones is refused" "'abc'" --percent 20 --timeout 5 --percent abc

# An unknown option: getopt's line names it, then a pointer to --help.
rm -f "$MARK"
run "$MEMSTOP" --no-such-option -- touch "$MARK"
result "an unknown option: exit 2, named on stderr, nothing started" \
	"$([[ $STATUS == 2 && $ERR == *"--no-such-option"* && ! -e $MARK ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

# bad_env DESCRIPTION VAR VALUE: memstop must refuse the variable as an option.
bad_env() {
	local why=()
	rm -f "$MARK"
	run env "$2=$3" "$MEMSTOP" --sysroot "$PLENTY" -- touch "$MARK"
	[ "$STATUS" = 2 ] || why+=("exit status $STATUS, expected 2")
	[ "$(lines "$ERR")" = 1 ] || why+=("$(lines "$ERR") lines on stderr, expected 1")
	[[ $ERR == *"$2"*"'$3'"* ]] || why+=("stderr does not name $2 and '$3'")
	[ -e "$MARK" ] && why+=("the command was started")
	result "$1" "${#why[@]}" "${why[@]}" "stderr: $ERR"
}
bad_env "MEMSTOP_PERCENT=abc in the environment: exit 2, named" MEMSTOP_PERCENT abc
bad_env "MEMSTOP_VERBOSE=maybe in the environment: exit 2, named" MEMSTOP_VERBOSE maybe
bad_env "MEMSTOP_TIMEOUT=soon in the environment: exit 2, named" MEMSTOP_TIMEOUT soon

# --log and MEMSTOP_LOG take memstop's own -v lines too, as the gate's; a log
# that cannot be opened stops memstop before anything is started.
mkdir -p "$W/logs"
run "$MEMSTOP" -v --log "$W/logs/own-" --sysroot "$PLENTY" -- true
result "-v --log DIR/own-: memstop's own lines go to DIR/own-PID, none to stderr" \
	"$([[ $STATUS == 0 && $ERR != *"memory pressure"* ]] && grep -q '^memstop: memory pressure of the ' "$W"/logs/own-*; echo $?)" \
	"status $STATUS" "stderr: $ERR" "logs: $(cat "$W"/logs/own-*)"
rm -f "$W"/logs/own-*
run env MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/logs/own" "$MEMSTOP" --sysroot "$PLENTY" -- true
result "MEMSTOP_VERBOSE=1 MEMSTOP_LOG=FILE: memstop's own lines go to FILE, as with -v --log" \
	"$([[ $STATUS == 0 && $ERR != *"memory pressure"* ]] && grep -q '^memstop: memory pressure of the ' "$W/logs/own"; echo $?)" \
	"status $STATUS" "stderr: $ERR" "log: $(cat "$W/logs/own" 2>&1)"
echo precious >"$W/logs/target"
ln -sf "$W/logs/target" "$W/logs/link"
rm -f "$MARK"
run env MEMSTOP_VERBOSE=1 MEMSTOP_LOG="$W/logs/link" "$MEMSTOP" --sysroot "$PLENTY" -- touch "$MARK"
result "MEMSTOP_LOG=a symbolic link: exit 2, named, nothing started, its target untouched" \
	"$([[ $STATUS == 2 && $ERR == *"MEMSTOP_LOG='$W/logs/link'"*"symbolic link"* && ! -e $MARK && $(cat "$W/logs/target") == precious ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"
run "$MEMSTOP" -vv --log "$W/nowhere/log-" --sysroot "$PLENTY" -- touch "$MARK"
result "--log in a missing directory: exit 2, named, nothing started" \
	"$([[ $STATUS == 2 && $ERR == *"'$W/nowhere/log-' for --log"* && ! -e $MARK ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

# An option overrides the variable it stands for.
rm -f "$MARK"
run env MEMSTOP_PERCENT=abc "$MEMSTOP" --sysroot "$PLENTY" --percent 20 -- touch "$MARK"
result "--percent overrides a bad MEMSTOP_PERCENT" \
	"$([[ $STATUS == 0 && -e $MARK ]]; echo $?)" "status $STATUS" "stderr: $ERR"

run "$MEMSTOP"
result "no command: exit 2 with a message" \
	"$([[ $STATUS == 2 && $ERR == *"no command"* ]]; echo $?)" "status $STATUS" "stderr: $ERR"

run "$MEMSTOP" --percent 20 --
result "options but no command: exit 2" \
	"$([[ $STATUS == 2 && -n $ERR ]]; echo $?)" "status $STATUS" "stderr: $ERR"

# --- running a command -------------------------------------------------------

run "$MEMSTOP" --sysroot "$PLENTY" sh -c 'exit 42'
is "$STATUS" 42 "the command's exit status is passed through (42)"
run "$MEMSTOP" --sysroot "$PLENTY" false
is "$STATUS" 1 "the command's exit status is passed through (false: 1)"
# (bash would report "Terminated" on the test's stderr.)
{ run "$MEMSTOP" --sysroot "$PLENTY" sh -c 'kill -TERM $$'; } 2>/dev/null
is "$STATUS" 143 "a command killed by SIGTERM gives 128+15, as a shell reports it"

run "$MEMSTOP" --sysroot "$PLENTY" -- memstop-no-such-command-$$
result "a command not found: exit 127, named on stderr" \
	"$([[ $STATUS == 127 && $ERR == *"memstop-no-such-command-$$"* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

printf '#!/bin/sh\ntouch "%s"\n' "$MARK" >"$W/not-executable"
chmod 644 "$W/not-executable"
rm -f "$MARK"
run "$MEMSTOP" --sysroot "$PLENTY" -- "$W/not-executable"
result "a command that is not executable: exit 126, named on stderr" \
	"$([[ $STATUS == 126 && $ERR == *"not-executable"* && ! -e $MARK ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

run "$MEMSTOP" --sysroot "$PLENTY" -- "$W"
is "$STATUS" 126 "a directory as the command: exit 126"

# The child's LD_PRELOAD, one entry per line, each resolved to a real path.
preload_of_child() {
	run "$@" sh -c 'printf "%s\n" "$LD_PRELOAD"'
	PRELOADS=()
	local e
	for e in $(printf '%s' "$OUT" | tr ': ' '\n\n'); do
		PRELOADS+=("$(readlink -f -- "$e")")
	done
}
count_of() {
	local n=0 e want
	want=$(readlink -f -- "$1")
	for e in "${PRELOADS[@]}"; do [ "$e" = "$want" ] && n=$((n + 1)); done
	echo "$n"
}
SO_REAL=$(readlink -f -- "$MEMSTOP_SO")
EMPTY_REAL=$(readlink -f -- "$EMPTY_SO")

preload_of_child env -u LD_PRELOAD "$MEMSTOP" --sysroot "$PLENTY" --
is "${PRELOADS[*]}" "$SO_REAL" "without a previous LD_PRELOAD, the child's is memstop.so alone"

preload_of_child env LD_PRELOAD="$EMPTY_SO" "$MEMSTOP" --sysroot "$PLENTY" --
is "${PRELOADS[*]}" "$SO_REAL $EMPTY_REAL" \
	"the child's LD_PRELOAD is memstop.so, then the user's (kept, once)"

preload_of_child env LD_PRELOAD="$EMPTY_SO" "$MEMSTOP" --sysroot "$PLENTY" -- \
	"$MEMSTOP" --sysroot "$PLENTY" --
is "$(count_of "$MEMSTOP_SO") $(count_of "$EMPTY_SO") ${#PRELOADS[@]}" "1 1 2" \
	"memstop run under memstop adds memstop.so once, keeps the user's once"

preload_of_child env LD_PRELOAD="$EMPTY_SO:$MEMSTOP_SO" "$MEMSTOP" --sysroot "$PLENTY" --
is "$(count_of "$MEMSTOP_SO") $(count_of "$EMPTY_SO") ${#PRELOADS[@]}" "1 1 2" \
	"memstop.so already in the user's LD_PRELOAD (by another path) is not added twice"

# Every option is exported to the command as its MEMSTOP_* variable.
run env -u MEMSTOP_VERBOSE "$MEMSTOP" --percent 33 --min-available 1G --timeout 5m --on-timeout fail \
	--gate 'env,cc1*' --exempt 'sh,make' --log "$W/log-" -v --sysroot "$PLENTY" -- env
want="MEMSTOP_EXEMPT=sh,make
MEMSTOP_GATE=env,cc1*
MEMSTOP_LOG=$W/log-
MEMSTOP_MIN_AVAILABLE=1G
MEMSTOP_ON_TIMEOUT=fail
MEMSTOP_PERCENT=33
MEMSTOP_SYSROOT=$PLENTY
MEMSTOP_TIMEOUT=5m
MEMSTOP_VERBOSE=1"
is "$(printf '%s\n' "$OUT" | grep -E '^MEMSTOP_(EXEMPT|GATE|LOG|MIN_AVAILABLE|ON_TIMEOUT|PERCENT|SYSROOT|TIMEOUT|VERBOSE)=' | LC_ALL=C sort)" "$want" \
	"every option is exported to the command as MEMSTOP_*"

run env -u MEMSTOP_VERBOSE "$MEMSTOP" -vv -p 7 --sysroot "$PLENTY" -- env
is "$(printf '%s\n' "$OUT" | grep -E '^MEMSTOP_(VERBOSE|PERCENT)=' | LC_ALL=C sort | tr '\n' ' ')" \
	"MEMSTOP_PERCENT=7 MEMSTOP_VERBOSE=2 " "-vv exports MEMSTOP_VERBOSE=2, -p 7 MEMSTOP_PERCENT=7"

# '--' makes 'status' a command; without it, the subcommand.
mkdir -p "$W/bin"
printf '#!/bin/sh\ntouch "%s"\n' "$MARK" >"$W/bin/status"
chmod 755 "$W/bin/status"
rm -f "$MARK"
run env PATH="$W/bin:$PATH" "$MEMSTOP" --sysroot "$PLENTY" -- status
result "'memstop -- status' runs a command named status" \
	"$([[ $STATUS == 0 && -e $MARK ]]; echo $?)" "status $STATUS" "stderr: $ERR"
rm -f "$MARK"
run env PATH="$W/bin:$PATH" "$MEMSTOP" --sysroot "$PLENTY" status
result "'memstop status' is the subcommand, not the command" \
	"$([[ $STATUS == 0 && ! -e $MARK && $OUT == *verdict* ]]; echo $?)" "status $STATUS" "stdout: $OUT"

# --- status on fake trees -------------------------------------------------------

# json EXPRESSION: evaluate a Python expression on the JSON in $OUT (as j).
json() {
	printf '%s' "$OUT" | python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# A v1 tree: the process is in /build (limit 1 GiB, usage 700 MiB of which
# 100 MiB inactive file), under an unlimited root; the host has 8 GiB.
V1=$W/v1
mkdir -p "$V1/proc/self" "$V1/sys/fs/cgroup/memory/build"
fake_meminfo "$V1" "$TOTAL_KB" "$AVAIL50_KB"
printf '12:memory:/build\n11:cpu,cpuacct:/build\n0::/build\n' >"$V1/proc/self/cgroup"
cat >"$V1/proc/self/mountinfo" <<'EOF'
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:4 - tmpfs tmpfs rw,mode=755
35 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
36 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct
EOF
v1_cgroup() { # DIR LIMIT HIERARCHICAL_LIMIT USAGE INACTIVE_FILE
	printf '%s\n' "$2" >"$1/memory.limit_in_bytes"
	printf '%s\n' "$4" >"$1/memory.usage_in_bytes"
	printf 'cache 1000\nrss 2000\nhierarchical_memory_limit %s\ntotal_cache 1000\ntotal_inactive_file %s\n' \
		"$3" "$5" >"$1/memory.stat"
	printf 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n' >"$1/memory.oom_control"
}
UNLIM=9223372036854771712
v1_cgroup "$V1/sys/fs/cgroup/memory" $UNLIM $UNLIM 5000000000 0
v1_cgroup "$V1/sys/fs/cgroup/memory/build" 1073741824 1073741824 734003200 104857600
# available = limit - (usage - inactive_file)
V1_AVAIL=$((1073741824 - (734003200 - 104857600)))

run "$MEMSTOP" status --sysroot "$V1"
result "status on a v1 tree: exit 0, the cgroup, its limit, the binding side" \
	"$([[ $STATUS == 0 && $OUT == *"cgroup     v1 /build: 424M available of 1G limit set by /sys/fs/cgroup/memory/build"* &&
		$OUT == *"effective  424M available (from the cgroup) of 1G (from the cgroup)"* ]]; echo $?)" \
	"status $STATUS" "stdout: $OUT" "stderr: $ERR"

run "$MEMSTOP" status --json --sysroot "$V1"
printf '%s' "$OUT" | python3 -m json.tool >/dev/null 2>&1
result "status --json on a v1 tree parses" $? "stdout: $OUT"
is "$(json '[j["cgroup"]["version"], j["cgroup"]["path"], j["cgroup"]["limit"], j["cgroup"]["usage"], j["cgroup"]["inactive_file"], j["cgroup"]["limit_set_by"], j["cgroup"]["oom_kills"]]')" \
	"[1, '/build', 1073741824, 734003200, 104857600, '/sys/fs/cgroup/memory/build', 3]" \
	"status --json: the v1 cgroup's figures are the tree's"
is "$(json '[j["host"]["total"], j["host"]["available"], j["effective"]["total"], j["effective"]["available"], j["effective"]["total_from"], j["effective"]["available_from"]]')" \
	"[$((TOTAL_KB * 1024)), $((AVAIL50_KB * 1024)), 1073741824, $V1_AVAIL, 'cgroup', 'cgroup']" \
	"status --json: total = min(MemTotal, limit), available = limit - (usage - inactive_file)"
is "$(json '[j["threshold"]["percent"], j["threshold"]["required"], j["would_run"], j["held_because"]]')" \
	"[10, $((1073741824 / 10)), True, None]" "status --json: 10% of the cgroup's limit required, would run"

run "$MEMSTOP" status --json --percent 50 --sysroot "$V1"
is "$(json '[j["threshold"]["percent"], j["threshold"]["required"], j["would_run"], j["held_because"]]')" \
	"[50, $((1073741824 / 2)), False, 'memory']" "status --json --percent 50: would be held, for memory"
run "$MEMSTOP" status --percent 50 --sysroot "$V1"
result "status --percent 50: the verdict says memory is short of the threshold" \
	"$([[ $OUT == *"verdict    a gated process would be held now: less memory available than the threshold requires"* ]]
	echo $?)" "stdout: $OUT"

# The host binds when it has less than the cgroup.
fake_meminfo "$V1" "$TOTAL_KB" 204800
run "$MEMSTOP" status --json --sysroot "$V1"
is "$(json '[j["effective"]["total"], j["effective"]["available"], j["effective"]["total_from"], j["effective"]["available_from"]]')" \
	"[1073741824, $((204800 * 1024)), 'cgroup', 'host']" \
	"status --json: with less available on the host, the host binds the available figure"
run "$MEMSTOP" status --sysroot "$V1"
like "$OUT" "effective  200M available \(from the host\) of 1G \(from the cgroup\)" \
	"status: says the host binds the available figure"
fake_meminfo "$V1" "$TOTAL_KB" "$AVAIL50_KB"

# v1 nested: the parent's limit binds an unlimited child (the parent's usage,
# hierarchical, is the child's: every limited level's usage binds).
mkdir -p "$V1/sys/fs/cgroup/memory/build/job"
printf '12:memory:/build/job\n0::/build/job\n' >"$V1/proc/self/cgroup"
v1_cgroup "$V1/sys/fs/cgroup/memory/build" 1073741824 1073741824 104857600 0
v1_cgroup "$V1/sys/fs/cgroup/memory/build/job" $UNLIM 1073741824 104857600 0
run "$MEMSTOP" status --json --sysroot "$V1"
is "$(json '[j["cgroup"]["path"], j["cgroup"]["limit"], j["cgroup"]["limit_set_by"], j["cgroup"]["available"]]')" \
	"['/build/job', 1073741824, '/sys/fs/cgroup/memory/build', $((1073741824 - 104857600))]" \
	"status --json on v1: an unlimited child gets the parent's (hierarchical) limit, set by the parent"

# A v2 tree: /a limits to 512 MiB, /a/b (the process's) has max.
V2=$W/v2
mkdir -p "$V2/proc/self" "$V2/sys/fs/cgroup/a/b"
fake_meminfo "$V2" "$TOTAL_KB" "$AVAIL50_KB"
printf '0::/a/b\n' >"$V2/proc/self/cgroup"
cat >"$V2/proc/self/mountinfo" <<'EOF'
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
EOF
CG2=$V2/sys/fs/cgroup
printf '999999999\n' >"$CG2/memory.current" # the root: no memory.max
for d in "$CG2/a" "$CG2/a/b"; do
	printf 'max\n' >"$d/memory.high"
	printf 'anon 1\nfile 2\ninactive_file 52428800\nactive_file 3\n' >"$d/memory.stat"
	printf 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 2\n' >"$d/memory.events"
done
printf '536870912\n' >"$CG2/a/memory.max"
printf '314572800\n' >"$CG2/a/memory.current" # hierarchical: /a/b's
printf 'max\n' >"$CG2/a/b/memory.max"
printf '314572800\n' >"$CG2/a/b/memory.current"

run "$MEMSTOP" status --json --sysroot "$V2"
printf '%s' "$OUT" | python3 -m json.tool >/dev/null 2>&1
result "status --json on a v2 tree parses" $? "stdout: $OUT" "stderr: $ERR"
is "$(json '[j["cgroup"]["version"], j["cgroup"]["path"], j["cgroup"]["limit"], j["cgroup"]["max"], j["cgroup"]["high"], j["cgroup"]["limit_set_by"], j["cgroup"]["available"], j["cgroup"]["oom_kills"]]')" \
	"[2, '/a/b', 536870912, 536870912, None, '/sys/fs/cgroup/a', $((536870912 - (314572800 - 52428800))), 2]" \
	"status --json on v2: the effective limit is the parent's 512 MiB ('max' below it is none)"
is "$(json '[j["effective"]["total"], j["effective"]["total_from"], j["effective"]["available_from"]]')" \
	"[536870912, 'cgroup', 'cgroup']" "status --json on v2: total and available from the cgroup"
run "$MEMSTOP" status --sysroot "$V2"
like "$OUT" "cgroup     v2 /a/b: 262M available of 512M limit set by /sys/fs/cgroup/a" \
	"status on v2 names the ancestor that sets the limit"

printf '268435456\n' >"$CG2/a/b/memory.max"
run "$MEMSTOP" status --json --sysroot "$V2"
is "$(json '[j["cgroup"]["limit"], j["cgroup"]["limit_set_by"]]')" "[268435456, '/sys/fs/cgroup/a/b']" \
	"status --json on v2: a smaller child limit is the effective one, set by the child"

printf '400000000\n' >"$CG2/a/memory.high"
run "$MEMSTOP" status --json --sysroot "$V2"
is "$(json '[j["cgroup"]["limit"], j["cgroup"]["max"], j["cgroup"]["high"], j["cgroup"]["limit_set_by"]]')" \
	"[268435456, 268435456, 400000000, '/sys/fs/cgroup/a/b']" \
	"status --json on v2: memory.high counts over the ancestors too"
printf 'max\n' >"$CG2/a/memory.high"

printf 'max\n' >"$CG2/a/b/memory.max"
printf 'max\n' >"$CG2/a/memory.max"
run "$MEMSTOP" status --json --sysroot "$V2"
is "$(json '[j["cgroup"]["limit"], j["cgroup"]["limit_set_by"], j["cgroup"]["available"], j["effective"]["total"], j["effective"]["total_from"]]')" \
	"[None, None, None, $((TOTAL_KB * 1024)), 'host']" \
	"status --json on v2: 'max' everywhere is no limit; the host's figures rule"
run "$MEMSTOP" status --sysroot "$V2"
like "$OUT" "cgroup     v2 /a/b: no memory limit" "status on v2 without a limit says so"

# Strict overcommit (vm.overcommit_memory=2): what CommitLimit leaves bounds available.
mkdir -p "$V2/proc/sys/vm"
printf 'MemTotal: %s kB\nMemFree: %s kB\nMemAvailable: %s kB\nCommitLimit: 2097152 kB\nCommitted_AS: 1835008 kB\n' \
	"$TOTAL_KB" "$((AVAIL50_KB / 2))" "$AVAIL50_KB" >"$V2/proc/meminfo"
echo 2 >"$V2/proc/sys/vm/overcommit_memory"
run "$MEMSTOP" status --sysroot "$V2"
result "status with vm.overcommit_memory=2: the commit line, available from the commit limit" \
	"$([[ $STATUS == 0 && $OUT == *"commit     limit 2G, committed 1.7G, left 256M (vm.overcommit_memory=2: a bound)"* &&
		$OUT == *"effective  256M available (from the commit limit) of 8G (from the host)"* ]]; echo $?)" \
	"status $STATUS" "stdout: $OUT" "stderr: $ERR"
run "$MEMSTOP" status --json --sysroot "$V2"
is "$(json '[j["commit"]["overcommit_memory"], j["commit"]["bound"], j["commit"]["limit"], j["commit"]["committed"], j["commit"]["left"], j["effective"]["available"], j["effective"]["available_from"], j["effective"]["total"], j["effective"]["total_from"]]')" \
	"[2, True, 2147483648, 1879048192, 268435456, 268435456, 'commit limit', $((TOTAL_KB * 1024)), 'host']" \
	"status --json, vm.overcommit_memory=2: commit figures; available = CommitLimit - Committed_AS; total stays memory"
echo 0 >"$V2/proc/sys/vm/overcommit_memory"
run "$MEMSTOP" status --json --sysroot "$V2"
is "$(json '[j["commit"]["overcommit_memory"], j["commit"]["bound"], j["commit"]["left"], j["effective"]["available_from"]]')" \
	"[0, False, None, 'host']" "status --json, vm.overcommit_memory=0: the commit limit is no bound"
run "$MEMSTOP" status --sysroot "$V2"
result "status, vm.overcommit_memory=0: no commit line" "$([[ $STATUS == 0 && $OUT != *commit* ]]; echo $?)" \
	"stdout: $OUT"
echo 2 >"$V2/proc/sys/vm/overcommit_memory"
printf 'MemTotal: %s kB\nMemFree: %s kB\nMemAvailable: %s kB\nCommitLimit: lots kB\nCommitted_AS: 1835008 kB\n' \
	"$TOTAL_KB" "$((AVAIL50_KB / 2))" "$AVAIL50_KB" >"$V2/proc/meminfo"
run "$MEMSTOP" status --sysroot "$V2"
result "status, vm.overcommit_memory=2 and a malformed CommitLimit: says so, counts no bound, exit 0" \
	"$([[ $STATUS == 0 && $OUT == *"commit     unknown: CommitLimit or Committed_AS malformed in /proc/meminfo"* &&
		$OUT == *"(from the host)"* ]]; echo $?)" "status $STATUS" "stdout: $OUT" "stderr: $ERR"
rm -r "$V2/proc/sys"
fake_meminfo "$V2" "$TOTAL_KB" "$AVAIL50_KB"

# Pressure: the limiting cgroup's memory.pressure where it has one, else the host's.
run "$MEMSTOP" status --sysroot "$V2"
like "$OUT" "pressure   host: unavailable: " "status without a limit: the host's pressure (none in this tree)"
printf '536870912\n' >"$CG2/a/memory.max"
printf 'some avg10=1.50 avg60=0.50 avg300=0.10 total=1234\nfull avg10=0.75 avg60=0.25 avg300=0.05 total=567\n' \
	>"$CG2/a/memory.pressure"
run "$MEMSTOP" status --sysroot "$V2"
like "$OUT" "pressure   cgroup /sys/fs/cgroup/a: some 1.50 0.50 0.10, full 0.75 0.25 0.05" \
	"status under a v2 limit: the pressure of the cgroup that sets it"
run "$MEMSTOP" status --json --sysroot "$V2"
is "$(json '[j["pressure"]["from"], j["pressure"]["file"], j["pressure"]["some"]["avg10"], j["pressure"]["full"]["avg60"]]')" \
	"['cgroup', '/sys/fs/cgroup/a/memory.pressure', 1.5, 0.25]" "status --json: pressure from the limiting cgroup"
rm "$CG2/a/memory.pressure"
printf 'max\n' >"$CG2/a/memory.max"

run "$MEMSTOP" status --sysroot "$W/no-such-dir"
result "status with a missing sysroot: exit 1 with a message" \
	"$([[ $STATUS == 1 && -n $ERR ]]; echo $?)" "status $STATUS" "stderr: $ERR"

# --- wait ------------------------------------------------------------------------

LOW=$W/low
fake_host "$LOW" "$TOTAL_KB" "$AVAIL5_KB"

t0=$(now_usec)
run "$MEMSTOP" wait --sysroot "$PLENTY"
t=$(($(now_usec) - t0))
result "wait with memory available: exit 0 at once" \
	"$([[ $STATUS == 0 && $t -lt 1000000 ]]; echo $?)" "status $STATUS, took $t us" "stderr: $ERR"

t0=$(now_usec)
run "$MEMSTOP" wait --sysroot "$LOW" --timeout 1
t=$(($(now_usec) - t0))
result "wait without memory: exit 124 after about the timeout (1 s)" \
	"$([[ $STATUS == 124 && $t -ge 1000000 && $t -lt 3000000 ]]; echo $?)" \
	"status $STATUS, took $t us" "stderr: $ERR"
like "$ERR" "timed out" "wait says it timed out"

run "$MEMSTOP" wait --quiet --sysroot "$LOW" --timeout 0.2
result "wait --quiet: exit 124, nothing printed" \
	"$([[ $STATUS == 124 && -z $ERR && -z $OUT ]]; echo $?)" "status $STATUS" "stderr: $ERR"

run "$MEMSTOP" wait --sysroot "$LOW" --min-available 5G --percent 0 --timeout 0.2
is "$STATUS" 124 "wait --min-available 5G with 410 MiB available: 124"
run "$MEMSTOP" wait --sysroot "$PLENTY" --min-available 3G --percent 0 --timeout 0.2
is "$STATUS" 0 "wait --min-available 3G with 4 GiB available: 0"

# Memory frees while waiting: rewrite the fake meminfo.
W2=$W/freeing
fake_host "$W2" "$TOTAL_KB" "$AVAIL5_KB"
spawn "$MEMSTOP" wait --sysroot "$W2" --timeout 30 >"$W/wait.out" 2>"$W/wait.err"
wpid=$SPAWNED
sleep 0.5
if alive "$wpid"; then
	ok "wait is still waiting while memory is short"
else
	not_ok "wait is still waiting while memory is short" "it exited early"
fi
fake_meminfo "$W2" "$TOTAL_KB" "$AVAIL50_KB"
t0=$(now_usec)
if wait_until 2 eval '! alive $wpid'; then
	wait "$wpid"
	st=$?
	t=$(($(now_usec) - t0))
	result "wait returns 0 when memory becomes available" "$st" "exit status $st" "$(cat "$W/wait.err")"
	diag "released $t us after the rewrite"
else
	not_ok "wait returns 0 when memory becomes available" "still waiting 2 s after the rewrite"
fi

for args in "wait extra" "status extra" "wait --percent 101" "status --json --percent abc" "--json wait" "--json true"; do
	# shellcheck disable=SC2086
	run "$MEMSTOP" --sysroot "$PLENTY" $args
	result "memstop $args: exit 2 with one line" \
		"$([[ $STATUS == 2 && $(lines "$ERR") == 1 ]]; echo $?)" "status $STATUS" "stderr: $ERR"
done
run "$MEMSTOP" wait extra
like "$ERR" "'extra'" "memstop wait extra names the extra argument"

# --- errors say why; options that do not apply are refused ---------------------------

run "$MEMSTOP" --help
result "--help shows percentages as '%', not '%%'" "$([[ $OUT == *"N% of total memory"* && $OUT != *%%* ]]; echo $?)" \
	"$(printf '%s\n' "$OUT" | grep -i percent)"
usage_error "--percent 101 names the allowed range" "0 to 100" --percent 101
usage_error "--min-available 2X says what a size looks like" "a size such as" --min-available 2X
usage_error "--freeze-below 100K names the minimum" "minimum, 1M" --freeze-below 100K
usage_error "--freeze-below abc says what a size looks like" "a size such as" --freeze-below abc
usage_error "--report '' says it is empty" "empty file name" --report ''

# not_for ARGS...: exit 2 with one line naming the option, nothing printed on stdout.
not_for() {
	local desc="memstop $*: refused (exit 2, one line naming the option)"
	run "$MEMSTOP" --sysroot "$PLENTY" "$@"
	result "$desc" "$([[ $STATUS == 2 && $(lines "$ERR") == 1 && $ERR == *"does not apply"* && -z $OUT ]]; echo $?)" \
		"status $STATUS" "stderr: $ERR"
}
not_for wait --gate cc1
not_for wait --exempt sh
not_for wait --no-learn
not_for wait -v
not_for status -q
not_for status --timeout 5
not_for status --on-timeout fail
not_for --log "$W/log" status
not_for history --percent 20

run "$MEMSTOP" wait --sysroot "$LOW" --timeout 0.2 --on-timeout run
result "wait --on-timeout run: exit 0 after the timeout, says it goes on" \
	"$([[ $STATUS == 0 && $ERR == *"going on"* ]]; echo $?)" "status $STATUS" "stderr: $ERR"
run env MEMSTOP_ON_TIMEOUT=fail "$MEMSTOP" wait --sysroot "$LOW" --timeout 0.2
is "$STATUS" 124 "wait with MEMSTOP_ON_TIMEOUT=fail: 124"

run "$MEMSTOP" --sysroot "$PLENTY" -- ''
result "memstop -- '': exit 2, 'empty command'" "$([[ $STATUS == 2 && $ERR == "memstop: empty command" ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

run "$MEMSTOP" status --json --sysroot "$V2"
is "$(json '[j["cgroup"]["dir"][:1], (j["cgroup"]["limit_set_by"] or "/")[:1]]')" "['/', '/']" \
	"status --json: the cgroup's directories are absolute"

# --- under AddressSanitizer: memstop's own leaks ---------------------------------
# lib.sh turns leak detection off for the programs memstop runs; memstop's
# own paths that return (status, wait, errors) are checked here.
if ldd "$MEMSTOP" 2>/dev/null | grep -q libasan; then
	for args in "status --sysroot $V1" "status --json --sysroot $V2" "wait --sysroot $PLENTY" \
		"wait --timeout 0.1 --sysroot $LOW" "--percent abc true" "status --sysroot $W/no-such-dir"; do
		# shellcheck disable=SC2086
		run env ASAN_OPTIONS=detect_leaks=1 "$MEMSTOP" $args
		result "no leak in memstop ${args%% --sysroot*} (LeakSanitizer)" \
			"$([[ $ERR != *LeakSanitizer* && $ERR != *runtime\ error* ]]; echo $?)" "stderr: $ERR"
	done
else
	skip "memstop is not built with -fsanitize=address" "memstop's own leaks (LeakSanitizer)"
fi

done_testing
