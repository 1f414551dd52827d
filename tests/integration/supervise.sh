#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `memstop -- BUILD` supervises the build, in real v1 memory cgroups:
#  - late-growing jobs (small for their first second, then large) that a
#    start-time gate lets in together finish with 0 OOM kills; the JSON
#    report parses and says so; the SVG timeline is well-formed with the
#    limit line;
#  - SIGINT while jobs are frozen leaves no stopped process, and the exit
#    status is the build's;
#  - a command that exits while its jobs are frozen ends cleanly: nothing
#    left stopped;
#  - kill -9 of memstop while jobs are frozen: its guardian continues them,
#    nothing is left stopped (issue 12);
#  - where the v1 freezer hierarchy is mounted, jobs are frozen through a
#    cgroup of memstop's there, removed at the end, and by its guardian after
#    a kill -9 (the jobs moved back where they were); after a kill -9 of
#    memstop and its guardian too, by the next memstop that starts;
#  - OOM kills are counted from the start of the build (issue 11): a cgroup
#    with an earlier kill (watch mode: memstop does not own it) reports none
#    for clean runs; a real kill under memstop is counted once and named,
#    and only a process that died of SIGKILL is named;
#  - jobs that each grow slowly (3 MiB/s), too many together, are frozen
#    before the OOM killer comes;
#  - a file mapped by several processes counts once in the build's peak (a
#    sum of RSS would count it in each);
#  - the status line is absent when stderr is not a terminal (ux.sh tests
#    the bar under a pseudo-terminal).

. "$(dirname "$0")/lib.sh"
need_env MEMSTOP MEMSTOP_SO LATEJOB HOG JOB

V1=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] || skip_all "needs root (memory cgroups)"
[ -w "$V1" ] || skip_all "no writable cgroup v1 memory controller at $V1"

tmpdir
W=$TMPD
mkdir -m 0700 "$W/run" "$W/cache" "$W/tmp"
export XDG_RUNTIME_DIR=$W/run XDG_CACHE_HOME=$W/cache
# memstop's hold directory, which a memstop killed with its guardian leaves.
export TMPDIR=$W/tmp
unset MEMSTOP_SMALL MEMSTOP_WARNED

# makefile DIR N MIB RAMP HOLD: N late-growing jobs.
makefile() {
	mkdir -p "$1/done"
	{
		printf 'all:'; for i in $(seq "$2"); do printf ' t%d' "$i"; done; echo
		for i in $(seq "$2"); do
			printf 't%d:\n\t%s %s %s %s %d %s/done/%d\n' "$i" "$LATEJOB" "$3" "$4" "$5" "$i" "$1" "$i"
		done
	} >"$1/Makefile"
}

# new_cgroup NAME LIMIT: sets CG.
new_cgroup() {
	CG=$V1/memstop-test-sup-$$-$1
	cgroup_create "$CG" || bail_out "cannot create $CG"
	echo "$2" >"$CG/memory.limit_in_bytes"
}

oom_kills() { awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; }

# Pids of a process's descendants.
descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		printf '%s\n' "$c"
		descendants "$c"
	done
}

# guardian PID...: the one of the pids that is memstop's guardian, "" if none.
guardian() {
	local p
	for p in "$@"; do [[ $(cat "/proc/$p/comm" 2>/dev/null) != memstop-guard ]] || echo "$p"; done
}

# The v1 freezer cgroup of a process, "" outside the hierarchy.
FZ=/sys/fs/cgroup/freezer
freezer_of() { awk -F: '$2 == "freezer" { print $3 }' "/proc/$1/cgroup" 2>/dev/null; }

# stopped PID...: those in state T, or in a frozen v1 freezer cgroup (memstop
# freezes through that hierarchy where it is mounted).
stopped() {
	local p s f
	for p in "$@"; do
		s=$(proc_state "$p" 2>/dev/null) || continue
		f=$(freezer_of "$p")
		if [ "$s" = T ] || { [ -n "$f" ] && grep -Eq 'FROZEN|FREEZING' "$FZ$f/freezer.state" 2>/dev/null; }; then
			printf '%s ' "$p"
		fi
	done
	return 0
}

# Processes of PID... still in a memstop freezer cgroup, and the freezer
# cgroups memstop M made that are left.
in_memstop_freezer() {
	local p
	for p in "$@"; do
		case $(freezer_of "$p") in */memstop-freeze-*) printf '%s ' "$p" ;; esac
	done
	find "$FZ" -maxdepth 3 -type d -name "memstop-freeze-$M" 2>/dev/null
}

# --- late growers: 0 OOM kills, report, timeline -------------------------------
makefile "$W/late" 6 150 0.8 0.3
# The sanitizer runtime, preloaded into every process of the build, adds tens
# of MiB to each: the same squeeze needs more room then.
LATE_LIMIT=512M
[ -n "$ASAN_RUNTIME" ] && LATE_LIMIT=768M
new_cgroup late "$LATE_LIMIT"
bounded 120 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
	"$MEMSTOP" --report "$W/late.json" --timeline "$W/late.svg" -- make -s -k -j6 -C "$W/late"
diag "late growers: status $STATUS, $((ELAPSED / 1000)) ms, stderr: $ERR"
is "$STATUS $(ls "$W/late/done" | wc -l) $(oom_kills)" "0 6 0" \
	"6 late-growing jobs of 150 MiB in $LATE_LIMIT under make -j6: all finish, 0 OOM kills"
check "the JSON report parses and matches (exit 0, 0 OOM kills, the limit, gated)" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit_status"] == 0, r
assert r["oom_kills"] == 0 and r["oom_killed"] == [], r
assert r["limit_bytes"] == int(sys.argv[2]) << 20, r
assert r["command"][0] == "make", r
assert r["gated"] >= 6, r
assert r["peak_bytes"] > 150 << 20, r
assert r["freezes"] >= r["resumes"] >= 0, r
' "$W/late.json" "${LATE_LIMIT%M}"
diag "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: r[k] for k in ("freezes","resumes","peak_bytes","held_seconds","wall_seconds")})' "$W/late.json")"
if command -v xmllint >/dev/null; then
	check "the SVG timeline is well-formed (xmllint)" xmllint --noout "$W/late.svg"
else
	skip "xmllint missing" "the SVG timeline is well-formed"
fi
check "the SVG shows the limit line" grep -q '<line id="limit"' "$W/late.svg"
cgroup_remove "$CG"

# --- slow growers together: 0 OOM kills ---------------------------------------
# Four jobs of 96 MiB, each growing smoothly by 3 MiB/s, let in at once (-x
# job: exempt from the gate) into 256M: slow one by one, 12 MiB/s together.
# When only growth from 4 MiB/s counted, none was frozen and two were
# OOM-killed at ~30 s.
mkdir -p "$W/slow"
{
	printf 'all: done1 done2 done3 done4\n'
	printf 'done%%:\n\t%s 96 32 1 $* $@\n' "$JOB"
} >"$W/slow/Makefile"
SLOW_LIMIT=256M
[ -n "$ASAN_RUNTIME" ] && SLOW_LIMIT=448M
new_cgroup slow "$SLOW_LIMIT"
bounded 300 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
	"$MEMSTOP" -x job -vv --log "$W/slow.log" --report "$W/slow.json" -- make -s -k -j4 -C "$W/slow"
diag "slow growers: status $STATUS, $((ELAPSED / 1000)) ms, stderr: $ERR"
is "$STATUS $(ls "$W/slow" | grep -c '^done') $(oom_kills)" "0 4 0" \
	"4 jobs of 96 MiB growing by 3 MiB/s each in $SLOW_LIMIT under make -j4: all finish, 0 OOM kills"
check "... some were frozen, none more than 3 times" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["freezes"] >= 1 and r["most_freezes_of_one_job"] <= 3, r
' "$W/slow.json"
# -vv --log FILE: the supervisor's lines (why it froze a job) go to FILE with the gate's.
result "-vv --log: 'froze job' lines in the log, one per freeze; none on stderr" \
	"$([[ $(grep -c '^memstop: froze job [0-9]* (.*): .*; memory is about to run short$' "$W/slow.log") == \
		$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["freezes"])' "$W/slow.json") && \
		$ERR != *"froze job"* ]]; echo $?)" "stderr: $ERR" "log: $(grep -v '^====' "$W/slow.log" | head -20)"
cgroup_remove "$CG"

# --- shared pages count once ---------------------------------------------------
# Four processes (exempt: all at once) map the same 150 MiB file, written in
# the cgroup: their RSS adds up to more than the 384 MiB limit; the cgroup is
# charged for the file once. The build's peak (report and summary) is what the
# cgroup was charged, not the sum. The interpreter itself, not a wrapper
# script such as pyenv's shim.
PY=$(python3 -c 'import sys; print(sys.executable)')
cat >"$W/map.py" <<'PY'
import mmap, sys, time
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    sum(m[i] for i in range(0, len(m), 4096))
    open(sys.argv[2], "w").close()
    time.sleep(1.5)
PY
new_cgroup shared 384M
sh -c 'echo $$ >"$0/cgroup.procs"; exec head -c $((150 << 20)) /dev/zero' "$CG" >"$W/shared.dat"
bounded 120 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" "$MEMSTOP" -x "${PY##*/}" --report "$W/shared.json" -- \
	sh -c 'for i in 1 2 3 4; do "$0" "$1" "$2" "$2.$i" & done; wait' "$PY" "$W/map.py" "$W/shared.dat"
diag "shared: status $STATUS, max usage $(($(cat "$CG/memory.max_usage_in_bytes") >> 20)) MiB, stderr: $ERR"
check "4 x 150 MiB of one mapped file in 384M: the peak is the cgroup's, not the RSS sum" python3 -c '
import json, os, sys
r = json.load(open(sys.argv[1]))
assert r["exit_status"] == 0, r
assert all(os.path.exists(sys.argv[3] + ".%d" % i) for i in range(1, 5)), "a mapping process did not finish"
assert r["peak_bytes"] <= int(sys.argv[2]) and r["peak_bytes"] < 384 << 20, (r["peak_bytes"], sys.argv[2])
' "$W/shared.json" "$(cat "$CG/memory.max_usage_in_bytes")" "$W/shared.dat"
like "$ERR" "peak [0-9.]+[KM]i?B? of 384M" "the summary's peak is below the limit"
cgroup_remove "$CG"
rm -f "$W/shared.dat"*

# frozen_build NAME [PREFIX...]: memstop runs 4 jobs of 200 MiB that hold
# long, in a 1G cgroup, with a high critical level so that it freezes early;
# returns once jobs are frozen (ok) with M the memstop and all its
# descendants.
frozen_build() {
	local name=$1
	shift
	makefile "$W/$name" 4 200 0.5 30
	new_cgroup "$name" 1G
	spawn "$@" sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
		"$MEMSTOP" --freeze-below 700M -- make -s -k -j4 -C "$W/$name" >"$W/$name.out" 2>"$W/$name.err"
	M=$SPAWNED
	all=
	if wait_until 30 eval '[ -n "$(stopped $(descendants $M))" ]'; then
		all=$(descendants "$M")
		ok "$name: jobs are frozen (stopped: $(stopped $all))"
	else
		not_ok "$name: jobs are frozen" "$(cat "$W/$name.err")"
	fi
	# Where the v1 freezer hierarchy is mounted, through a cgroup of memstop's there.
	if [ "$name" = int ] && [ -e "$FZ/cgroup.procs" ]; then
		local f=
		for p in $(stopped $all); do f=$(freezer_of "$p"); break; done
		result "v1: frozen jobs are in a frozen cgroup of memstop's freezer hierarchy ($f)" \
			"$([[ $f == */memstop-freeze-$M/job-* ]] && grep -q FROZEN "$FZ$f/freezer.state"; echo $?)" \
			"states: $(for p in $all; do printf '%s:%s ' "$p" "$(proc_state "$p")"; done)"
	fi
	# While jobs are frozen, memstop status (in the build's cgroup: its queue)
	# says a new job would be held by the supervisor, or by the line, whose
	# first waits for the frozen jobs.
	if [ "$name" = int ]; then
		wait_until 30 eval '[[ $(status_held) == @(supervisor|queue:frozen) ]]'
		result "status while jobs are frozen: held by the supervisor's hold" \
			"$([[ $(status_held) == @(supervisor|queue:frozen) ]]; echo $?)" "held: $(status_held)"
	fi
}

# status_held: why memstop status, run in CG, says a gated process would wait
# ("queue:" and the first waiting one's reason when others wait).
status_held() {
	sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" "$MEMSTOP" status --json 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)
h = j["held_because"]
print("queue:%s" % (j["queue"][0]["held"] or {}).get("reason") if h == "queue" else h)' 2>&1
}

# --- SIGINT while jobs are frozen -----------------------------------------------
# Background jobs of a script start with SIGINT ignored: give it back, as a
# terminal's foreground build has it.
frozen_build int env --default-signal=INT
kill -INT "$M"
if wait_until 20 eval '! alive $M'; then
	wait "$M"
	st=$?
	# make dies of SIGINT (130), or exits 2 when it saw its jobs interrupted first.
	result "SIGINT: memstop exits with the build's status (130 or make's 2)" \
		"$([[ $st == 130 || $st == 2 ]]; echo $?)" "status $st" "$(cat "$W/int.err")"
else
	not_ok "SIGINT: memstop exits" "$(cat "$W/int.err")"
fi
sleep 0.2
is "$(stopped $all)" "" "after SIGINT, no process of the build is left stopped"
is "$(in_memstop_freezer $all)" "" "after SIGINT, memstop's freezer cgroups are gone"
cgroup_remove "$CG"

# --- the command exits while jobs are frozen --------------------------------------
new_cgroup exit 1G
spawn sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
	"$MEMSTOP" --freeze-below 700M -- sh -c '
	for i in 1 2 3 4; do "$0" 200 0.5 3 $i & done
	# Exit once the test has seen jobs frozen (it creates $1), or after 60 s.
	n=0; while [ ! -e "$1" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
	exit 3' "$LATEJOB" "$W/exit.go" >"$W/exit.out" 2>"$W/exit.err"
M=$SPAWNED
all=
# Event order, not timing: the command exits only after jobs were seen frozen.
wait_until 60 eval '[ -n "$(stopped $(descendants $M))" ]' && all=$(descendants "$M")
guard=$(guardian $all)
touch "$W/exit.go"
if wait_until 30 eval '! alive $M'; then
	wait "$M"
	st=$?
	is "$st" 3 "the command exited while jobs were frozen: memstop exits with its status"
	# Nothing of memstop's outlives it (a cgroup it ran in can be removed at once).
	result "its guardian is gone (reaped) when memstop has exited" \
		"$([[ -n $guard ]] && ! kill -0 "$guard" 2>/dev/null; echo $?)" "guardian pid '${guard}'"
else
	not_ok "memstop exits after its command" "$(cat "$W/exit.err")"
fi
result "jobs had been frozen when the command exited" "$([ -n "$all" ]; echo $?)" "$(cat "$W/exit.err")"
sleep 0.2
is "$(stopped $all)" "" "no stopped leftovers after the command exited"
is "$(in_memstop_freezer $all)" "" "no freezer cgroups left after the command exited"
cgroup_remove "$CG"

# --- kill -9 of memstop while jobs are frozen ------------------------------------
frozen_build kill9 env
kill -KILL "$M"
wait "$M" 2>/dev/null
wait_until 10 eval '[ -z "$(stopped $all)" ]'
is "$(stopped $all)" "" "kill -9 of memstop while jobs are frozen: no process is left stopped"
wait_until 10 eval '[ -z "$(in_memstop_freezer $all)" ]'
is "$(in_memstop_freezer $all)" "" "kill -9: its guardian moved the jobs back and removed the freezer cgroups"
cgroup_remove "$CG"

# --- kill -9 of memstop and its guardian while jobs are frozen -----------------------
# Nothing is left to continue them: the next memstop to start resumes them,
# where it can (the v1 freezer keeps them in memstop's cgroup there; a job
# stopped with SIGSTOP cannot be told from one stopped on purpose).
if [ -e "$FZ/cgroup.procs" ]; then
	frozen_build kill9both env
	guard=$(guardian $all)
	kill -KILL $guard "$M"
	wait "$M" 2>/dev/null
	left=$(stopped $all)
	result "kill -9 of memstop and its guardian (${guard:-none found}): the frozen jobs stay stopped" \
		"$([ -n "$guard" ] && [ -n "$left" ]; echo $?)" "states: $(for p in $all; do printf '%s:%s ' "$p" "$(proc_state "$p")"; done)"
	bounded 60 "$MEMSTOP" -- true
	is "$STATUS" 0 "the next memstop runs its command"
	like "$ERR" "resumed [0-9]+ process(es)? left frozen in [0-9]+ freezer cgroups? of a memstop killed with its guardian" \
		"... and says it resumed the jobs left frozen"
	is "$(stopped $all)" "" "... no process is left stopped"
	is "$(in_memstop_freezer $all)" "" "... and the killed memstop's freezer cgroup is gone"
	cgroup_remove "$CG"
else
	skip "no v1 freezer hierarchy at $FZ" "kill -9 of memstop and its guardian: the next memstop resumes the jobs"
fi

# --- kill -9 of memstop and its guardian: the hold directory -----------------------
# Left in $TMPDIR (memstop-PIDNS-PID-XXXXXX); the next memstop to start
# removes it, and nothing else there: not another user's, not a live
# memstop's, not a name of another kind. (bounded keeps its files there too.)
pidns=$(stat -L -c %i /proc/self/ns/pid)
sh -c : &
dead=$!
wait "$dead"
mkdir "$TMPDIR/memstop-test.keep" "$TMPDIR/memstop-1-1-other" "$TMPDIR/memstop-$pidns-$dead-nobody"
chown nobody "$TMPDIR/memstop-$pidns-$dead-nobody"
spawn "$MEMSTOP" -- sleep 600
M=$SPAWNED
wait_until 30 eval '[ -n "$(guardian $(descendants "$M"))" ] && pgrep -x sleep -P "$M" >/dev/null'
all=$(descendants "$M")
guard=$(guardian $all)
kill -KILL $guard "$M"
wait "$M" 2>/dev/null
for p in $all; do kill -KILL "$p" 2>/dev/null; done
held=$(cd "$TMPDIR" && ls -d memstop-[0-9]*-"$M"-* 2>/dev/null)
result "kill -9 of memstop and its guardian (${guard:-none found}): its hold directory is left" \
	"$([ -n "$guard" ] && [ -e "$TMPDIR/$held/held" ]; echo $?)" "in $TMPDIR: $(ls "$TMPDIR")"
# Another memstop, alive, beside it.
spawn "$MEMSTOP" -- sleep 600
M2=$SPAWNED
wait_until 30 eval '[ "$(cd "$TMPDIR" && ls -d memstop-[0-9]*-"$M2"-* 2>/dev/null)" ]'
bounded 60 "$MEMSTOP" -- true
is "$STATUS" 0 "the next memstop runs its command"
is "$(cd "$TMPDIR" && LC_ALL=C ls -d memstop-[0-9]* memstop-test.keep | grep -v -- "-$M2-" | tr '\n' ' ')" \
	"memstop-1-1-other memstop-$pidns-$dead-nobody memstop-test.keep " \
	"... and removes the hold directory left, and nothing else (not another user's)"
result "... not the hold directory of a memstop that runs" \
	"$(cd "$TMPDIR" && ls -d memstop-[0-9]*-"$M2"-* >/dev/null 2>&1; echo $?)" "in $TMPDIR: $(ls "$TMPDIR")"
kill_tree "$M2"
rm -rf "$TMPDIR/memstop-test.keep" "$TMPDIR/memstop-1-1-other" "$TMPDIR/memstop-$pidns-$dead-nobody"

# --- OOM kills: this build's, from its start ------------------------------------
new_cgroup oom 200M
bounded 60 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" "$HOG" 300M --hold 0
is "$STATUS $(oom_kills)" "137 1" "an earlier OOM kill in the cgroup (a 300 MiB hog in 200M)"
for run in 1 2; do
	bounded 60 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
		"$MEMSTOP" --report "$W/oom$run.json" -- make -s -j6 -C "$W/late" -n
	result "clean run $run in that cgroup (watch mode): no OOM kill reported" \
		"$([[ $STATUS == 0 && $ERR != *OOM-killed* && $ERR == *" 0 OOM kills"* ]] && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["oom_kills"] == 0 and r["oom_killed"] == [] else 1)' "$W/oom$run.json"; echo $?)" \
		"status $STATUS, stderr: $ERR"
done
k0=$(oom_kills)
bounded 60 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" \
	"$MEMSTOP" --no-freeze --report "$W/oom3.json" -- sh -c '"$0" 300M --ramp 1.5 --hold 0; "$0" 1M --hold 0' "$HOG"
diag "a kill under memstop: status $STATUS, oom_kill +$(($(oom_kills) - k0)), stderr: $ERR"
# Its parent (sh) reaps it: the kernel tells how it died through a pidfd
# held on it from Linux 6.15 on; before, it is counted but not named.
check "a real OOM kill under memstop: counted once, and only the hog named" python3 -c '
import json, os, sys
r = json.load(open(sys.argv[1]))
assert r["oom_kills"] == int(sys.argv[2]) == 1, r
assert all("hog" in k["command"] and "300M" in k["command"] for k in r["oom_killed"]), r
v = tuple(int(x) for x in os.uname().release.split(".")[:2])
assert len(r["oom_killed"]) == (1 if v >= (6, 15) else len(r["oom_killed"])), r
' "$W/oom3.json" "$(($(oom_kills) - k0))"
cgroup_remove "$CG"

# --- the status line ------------------------------------------------------------
# The status bar, on and off a terminal, is tested in ux.sh.
bounded 20 "$MEMSTOP" -- sh -c 'sleep 0.6'
result "stderr not a terminal: no status line" "$([[ $STATUS == 0 && $ERR != *running,* && $ERR != *$'\e'* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

done_testing
