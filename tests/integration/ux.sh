#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What users see of a supervised build:
#  - the status bar under a pseudo-terminal (script(1)): a scroll region
#    reserving the bottom line, the build's lines intact and in order above
#    it, the bar cleared and the screen given back at the end; none with -q
#    or off a terminal (one summary line there); after a SIGKILL of memstop
#    its guard gives the screen back and removes the temporary directory;
#  - --report, --timeline, --trace: "-", /dev/stdout, a symlink, a FIFO,
#    /dev/full (exit 125, said), a missing directory (exit 2, nothing run),
#    no temporary file left; the per-job array and the trace's spans match
#    the jobs that ran; the SVG is valid XML with a lane per job slot and
#    round ticks; invalid UTF-8 in the command keeps JSON and SVG valid;
#  - a job frozen in a real v1 memory cgroup says so in the report, the
#    trace and the timeline (root only);
#  - `memstop history`: listed, --json, --forget.

. "$(dirname "$0")/lib.sh"
need_env MEMSTOP MEMSTOP_SO

tmpdir
W=$TMPD
tmpdir
_tap_bounded_dir=$TMPD # bounded's files, before TMPDIR changes
# Our own temporary directory, to see what memstop leaves there.
mkdir "$W/tmp"
export TMPDIR=$W/tmp

# A make build of N jobs, each printing LINES numbered lines (some in colour) with pauses.
printing_makefile() { # DIR N LINES
	mkdir -p "$1"
	{
		printf 'all:'; for i in $(seq "$2"); do printf ' j%d' "$i"; done; echo
		printf 'j%%:\n\t@for k in $$(seq %d); do printf "\\033[01;32mjob\\033[0m %%s line %%d of %d\\n" $@ $$k; sleep 0.07; done\n' "$3" "$3"
	} >"$1/Makefile"
}
printing_makefile "$W/print" 6 5

# py SCRIPT ARGS...: a Python check; its output is the diagnostic, its status the verdict.
py() {
	local code=$1
	shift
	PYOUT=$(python3 -c "$code" "$@" 2>&1)
}

# --- the status bar ---------------------------------------------------------------
if ! command -v script >/dev/null; then
	skip "script(1) missing (package bsdutils)" "the status bar under a pseudo-terminal"
else
	bounded 60 script -qec "stty rows 24 cols 80; TERM=xterm '$MEMSTOP' -- make -s -j3 -C '$W/print'" /dev/null
	printf '%s' "$OUT" >"$W/pty.out"
	py '
import re, sys
out = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
assert "\x1b[1;23r" in out, "no scroll region over rows 1-23"
assert "jobs: " in out and " running, " in out and " waiting, " in out, "no bar"
last_bar = out.rfind("jobs: ")
restore = out.rfind("\x1b7\x1b[r\x1b[24;1H\x1b[2K\x1b8")
assert restore > last_bar, "the screen is not given back after the last bar"
# What is left without our drawings is the build output: whole lines, in order.
text = re.sub(r"\x1b7.*?\x1b8", "", out, flags=re.S).replace("\x1b[1A", "")
text = re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r\n", "\n")
lines = [l for l in text.split("\n") if l.strip()]
assert not any("jobs:" in l for l in lines), "a bar left in the text"
for j in range(1, 7):
    mine = [l for l in lines if l.startswith("job j%d " % j)]
    want = ["job j%d line %d of 5" % (j, k) for k in range(1, 6)]
    assert mine == want, ("job", j, mine)
assert lines[-1].startswith("memstop: 6 jobs,"), lines[-1]
' "$W/pty.out"
	result "under a pseudo-terminal: a bar in a scroll region, the build's lines whole and in order, cleared at the end" \
		$? "$PYOUT" "status $STATUS"

	bounded 60 script -qec "stty rows 24 cols 80; TERM=xterm '$MEMSTOP' -q -- make -s -j3 -C '$W/print'" /dev/null
	result "--quiet on a terminal: no bar, no scroll region, no summary" \
		"$([[ $OUT != *"jobs: "* && $OUT != *$'\e[1;23r'* && $OUT != *"memstop:"* ]]; echo $?)" "$(printf '%q' "$OUT")"

	bounded 60 script -qec "stty rows 24 cols 80; TERM=dumb '$MEMSTOP' -- make -s -j3 -C '$W/print'" /dev/null
	result "TERM=dumb: no escape sequences of ours, a summary" \
		"$([[ $OUT != *$'\e7'* && $OUT == *"memstop: 6 jobs"* ]]; echo $?)" "$(printf '%q' "$OUT")"

	# SIGKILL: the guard gives the screen back and removes the temporary directory.
	spawn script -qec "stty rows 24 cols 80; TERM=xterm '$MEMSTOP' -- sleep 30; sleep 1" /dev/null >"$W/kill.out" 2>&1
	spid=$SPAWNED
	wait_until 10 grep -q 'jobs: ' "$W/kill.out"
	mpid=
	for p in $(_descendants "$spid"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = memstop ] && mpid=$p
	done
	had_tmp=$(ls "$TMPDIR" | wc -l)
	if [ -n "$mpid" ]; then
		orphans=$(_descendants "$mpid")
		kill -KILL "$mpid"
		wait_until 5 grep -q $'\e\[r' "$W/kill.out"
		for p in $orphans; do kill -TERM "$p" 2>/dev/null; done
	fi
	wait_until 5 eval '[ -z "$(ls "$TMPDIR")" ]'
	result "SIGKILL of memstop: its guard gives the screen back and removes its temporary directory" \
		"$([[ -n $mpid && $had_tmp == 1 && -z $(ls "$TMPDIR") ]] && grep -q $'\e\[r' "$W/kill.out"; echo $?)" \
		"memstop pid '$mpid', temporary directories before: $had_tmp, after: $(ls "$TMPDIR")" \
		"$(cat -v "$W/kill.out" | tail -c 400)"
	kill_tree "$spid"
fi

bounded 60 "$MEMSTOP" -- make -s -j3 -C "$W/print"
result "stderr not a terminal: no escape sequence, one summary line" \
	"$([[ $STATUS == 0 && $ERR != *$'\e'* && $(printf '%s\n' "$ERR" | wc -l) == 1 && $ERR == "memstop: 6 jobs,"* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"
is "$(ls "$TMPDIR")" "" "no temporary directory left behind"

# --- report files ---------------------------------------------------------------------
R=$W/reports
mkdir "$R"
JSONOK='import json, sys; json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))'

bounded 30 "$MEMSTOP" --report - -- true
py "$JSONOK" "$BOUT"
result "--report -: the JSON on standard output" $? "$PYOUT" "stdout: $OUT"
[ -e ./- ] && not_ok "--report - made no file named '-'" || ok "--report - made no file named '-'"

# The longest hold names a shell wrapper by what it runs, as the queue does.
bounded 30 "$MEMSTOP" --report "$R/wrapper.json" -- sh -c 'true'
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["longest_hold_program"])' "$R/wrapper.json")" \
	true "--report: sh -c 'true' is named true, not sh"

# /dev/stdout to a file: the file gets the report, /dev/stdout stays a symlink.
"$MEMSTOP" --report /dev/stdout -- true >"$R/stdout.json" 2>/dev/null
py "$JSONOK" "$R/stdout.json"
result "--report /dev/stdout: written to standard output's file, /dev/stdout still a symlink" \
	"$([[ $? == 0 && -L /dev/stdout ]]; echo $?)" "$PYOUT" "$(ls -l /dev/stdout)"
# Appended to, not truncated: the log opened for appending keeps its start.
printf 'log start\n' >"$R/append.log"
"$MEMSTOP" --report /dev/stdout -- true >>"$R/append.log" 2>/dev/null
is "$(head -1 "$R/append.log")" "log start" "--report /dev/stdout to a log opened for appending: the log is kept"

# A symlink to a regular file: written through, the link stays.
printf 'old\n' >"$R/target.json"
ln -s target.json "$R/link.json"
bounded 30 "$MEMSTOP" --report "$R/link.json" -- true
py "$JSONOK" "$R/target.json"
result "--report to a symlink: the target is written, the symlink stays" \
	"$([[ $? == 0 && -L $R/link.json ]]; echo $?)" "$PYOUT"

# A FIFO: written in place, never replaced.
mkfifo "$R/fifo"
spawn cat "$R/fifo" >"$R/fifo.out"
bounded 30 "$MEMSTOP" --report "$R/fifo" -- true
wait_until 5 eval '[ -s "$R/fifo.out" ]'
py "$JSONOK" "$R/fifo.out"
result "--report to a FIFO: the reader gets the JSON, the FIFO stays a FIFO" \
	"$([[ $? == 0 && -p $R/fifo && $STATUS == 0 ]]; echo $?)" "$PYOUT" "status $STATUS"

# A new file: made by rename of a temporary file in the same directory, none left, mode by umask.
mkdir "$R/new"
(umask 022; "$MEMSTOP" --report "$R/new/r.json" --trace "$R/new/t.json" --timeline "$R/new/t.svg" -- true 2>/dev/null)
is "$(cd "$R/new" && ls -A | tr '\n' ' ') $(stat -c %a "$R/new/r.json")" "r.json t.json t.svg  644" \
	"new report files: exactly those, mode 0644 under umask 022, no temporary file left"

bounded 30 "$MEMSTOP" --report /dev/full -- true
result "--report /dev/full: exit 125, says it could not write and why" \
	"$([[ $STATUS == 125 && $ERR == *"cannot write the report /dev/full: No space left on device"* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"
bounded 30 "$MEMSTOP" --trace /dev/full -- false
is "$STATUS" 1 "a failed build with an unwritable trace keeps the build's exit status"

rm -f "$R/ran"
bounded 30 "$MEMSTOP" --timeline "$R/no/such/dir/t.svg" -- touch "$R/ran"
result "--timeline into a missing directory: exit 2 before anything runs, the reason said" \
	"$([[ $STATUS == 2 && ! -e $R/ran && $ERR == *"No such file or directory"* ]]; echo $?)" "status $STATUS" "stderr: $ERR"
bounded 30 "$MEMSTOP" --report "$R" -- true
result "--report to a directory: exit 2, said" "$([[ $STATUS == 2 && $ERR == *"Is a directory"* ]]; echo $?)" \
	"status $STATUS" "stderr: $ERR"

# --- what the report, the trace and the timeline say --------------------------------------
bounded 60 "$MEMSTOP" --report "$R/p.json" --trace "$R/p-trace.json" --timeline "$R/p.svg" -- make -s -j3 -C "$W/print"
py '
import json, sys
r = json.load(open(sys.argv[1]))
jobs = r["jobs"]
assert len(jobs) == 6, len(jobs)
for j in jobs:
    assert "printf" in j["command"] and j["pid"] > 0, j
    assert j["queued_seconds"] <= (j["admitted_seconds"] or 0) <= j["ended_seconds"] <= r["wall_seconds"] + 0.001, j
    assert j["freezes"] == 0 and j["frozen_seconds"] == 0 and not j["oom_killed"], j
    assert j["peak_bytes"] > 0 and 0 <= j["lane"] < r["job_lanes"], j
assert 1 <= r["job_lanes"] <= 3, r["job_lanes"]
t = json.load(open(sys.argv[2]))
ev = t["traceEvents"]
lanes = [e for e in ev if e["ph"] == "M" and e["name"] == "thread_name"]
assert len(lanes) == r["job_lanes"], lanes
spans = {e["args"]["pid"] for e in ev if e["ph"] == "X"}
assert spans == {j["pid"] for j in jobs}, (spans, jobs)
assert all(e["dur"] >= 0 and e["tid"] >= 1 for e in ev if e["ph"] == "X")
assert any(e["ph"] == "C" and e["name"] == "memory" and e["args"]["used"] > 0 for e in ev)
' "$R/p.json" "$R/p-trace.json"
result "report: one entry per job that ran, times in order; trace: a span per job, a lane per job slot, memory counters" \
	$? "$PYOUT"

if command -v xmllint >/dev/null; then
	check "the timeline is valid XML" xmllint --noout "$R/p.svg"
	lanes=$(grep -c '<g class="lane"' "$R/p.svg")
	want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_lanes"])' "$R/p.json")
	is "$lanes" "$want" "the timeline has one lane per job slot"
else
	skip "xmllint missing (package libxml2-utils)" "the timeline is valid XML"
	skip "xmllint missing" "the timeline has one lane per job slot"
fi
py '
import re, sys
svg = open(sys.argv[1]).read()
y = re.findall(r"class=\"ytick\"[^>]*>([^<]*)<", svg)
x = re.findall(r"class=\"xtick\"[^>]*>([^<]*)<", svg)
assert y[0] == "0" and len(y) >= 3, y
def size(s):
    units = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    return float(s[:-1]) * units[s[-1]] if s != "0" else 0
steps = {size(b) - size(a) for a, b in zip(y, y[1:])}
assert len(steps) == 1, y
step = steps.pop()
ok = any(step == m * u for u in (1, 1 << 10, 1 << 20, 1 << 30) for m in (1, 2, 5, 10, 20, 50, 100, 128, 256, 512))
assert ok, (step, y)
assert x[0] in ("0.0s", "0s") and len(x) >= 3, x
assert "memory used" in svg and "time since the build started" in svg and ">jobs<" in svg
' "$R/p.svg"
result "the timeline: round size ticks (1-2-5 or powers of two), time ticks, axis titles" $? "$PYOUT"

# Invalid UTF-8 in the command line: JSON and SVG stay valid.
bounded 30 "$MEMSTOP" --report "$R/u.json" --trace "$R/u-trace.json" --timeline "$R/u.svg" -- \
	sh -c 'sleep 0.3 & wait' $'\xff<&>\x01' "caf"$'\xc3\xa9'
py '
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))
assert r["command"][3] == "\ufffd<&>\x01", r["command"]
assert r["command"][4] == "caf\u00e9", r["command"]
json.load(open(sys.argv[2], encoding="utf-8", errors="strict"))
' "$R/u.json" "$R/u-trace.json"
result "invalid UTF-8 in the command: the report and the trace are valid JSON, valid UTF-8 kept" $? "$PYOUT"
if command -v xmllint >/dev/null; then
	check "invalid UTF-8 and markup in the command: the timeline is valid XML" xmllint --noout "$R/u.svg"
fi

# --- a frozen job says so (root, a v1 memory cgroup) --------------------------------
V1=/sys/fs/cgroup/memory
if [ "$(id -u)" != 0 ] || [ ! -w "$V1" ] || [ -z "${LATEJOB:-}" ]; then
	skip "needs root, a writable cgroup v1 memory controller and LATEJOB" "a frozen job in the report, trace, timeline"
else
	mkdir -p "$W/late"
	{
		printf 'all: t1 t2 t3 t4\n'
		for i in 1 2 3 4; do printf 't%d:\n\t%s 150 0.8 0.3 %d\n' "$i" "$LATEJOB" "$i"; done
	} >"$W/late/Makefile"
	CG=$V1/memstop-test-ux-$$
	cgroup_create "$CG" || bail_out "cannot create $CG"
	# The sanitizer runtime in every process needs more room for the same squeeze.
	if [ -n "$ASAN_RUNTIME" ]; then echo 768M; else echo 512M; fi >"$CG/memory.limit_in_bytes"
	# Freezing when less than 250M is available: sure to come as 4 x 150M grow
	# (the jobs are exempt from the gate, which would let them in one by one).
	bounded 120 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" "$MEMSTOP" --no-learn --freeze-below 250M -x latejob \
		--report "$R/late.json" --trace "$R/late-trace.json" --timeline "$R/late.svg" -- make -s -j4 -C "$W/late"
	diag "late growers: status $STATUS, stderr: $ERR"
	py '
import json, sys
r = json.load(open(sys.argv[1]))
jobs = r["jobs"]
assert len(jobs) == 4 and r["exit_status"] == 0, r
assert sum(j["freezes"] for j in jobs) == r["freezes"], (r["freezes"], jobs)
frozen = [j for j in jobs if j["freezes"]]
assert frozen, "no job was frozen: nothing to check"
assert all(j["frozen_seconds"] > 0 for j in frozen), frozen
t = json.load(open(sys.argv[2]))
fz = [e for e in t["traceEvents"] if e.get("cat") == "frozen" and e["ph"] == "X"]
assert {e["args"]["pid"] for e in fz} == {j["pid"] for j in frozen}, fz
assert sum(1 for e in t["traceEvents"] if e["ph"] == "i" and e["name"] == "freeze") == r["freezes"]
' "$R/late.json" "$R/late-trace.json"
	result "a frozen job says so: its freezes and frozen time in the report, frozen spans and freeze instants in the trace" \
		$? "$PYOUT"
	check "... and frozen periods in its timeline lane" grep -q 'class="job-frozen"[^/]*><title>' "$R/late.svg"
	cgroup_remove "$CG"

	# A job bigger than the cgroup, never frozen: OOM-killed, and its entry says so.
	mkdir -p "$W/oom"
	# (b ends long after the kill: the OOM count names the job that vanished as it rose.)
	printf 'all: a b\na:\n\t%s 400 0.3 0.2 1\nb:\n\tsleep 4\n' "$LATEJOB" >"$W/oom/Makefile"
	CG=$V1/memstop-test-ux-oom-$$
	cgroup_create "$CG" || bail_out "cannot create $CG"
	echo 256M >"$CG/memory.limit_in_bytes"
	bounded 120 sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CG" "$MEMSTOP" --no-learn --no-freeze \
		--report "$R/oom.json" --trace "$R/oom-trace.json" -- make -s -k -j2 -C "$W/oom"
	py '
import json, sys
r = json.load(open(sys.argv[1]))
killed = [j for j in r["jobs"] if j["oom_killed"]]
assert r["oom_kills"] >= 1 and len(killed) == 1 and "latejob 400" in killed[0]["command"], r["jobs"]
assert killed[0]["exit_status"] in (None, 137), killed
other = [j for j in r["jobs"] if not j["oom_killed"]]
assert len(other) == 1 and other[0]["command"] == "sleep 4", other
t = json.load(open(sys.argv[2]))
assert any(e["ph"] == "i" and e["name"] == "OOM kill" for e in t["traceEvents"])
' "$R/oom.json" "$R/oom-trace.json"
	result "an OOM-killed job says so: in the report's job entry and as an instant in the trace" $? "$PYOUT" \
		"status $STATUS" "stderr: $ERR"
	cgroup_remove "$CG"
fi

# --- memstop history -------------------------------------------------------------------
H=$XDG_CACHE_HOME/memstop
mkdir -p -m 700 "$H"
cat >"$H/peaks" <<'HIST'
v1 00000000000000a1 00000000000000b1 524288 1700000000 cc1plus
v1 00000000000000a1 00000000000000b1 262144 1700000100 cc1plus
v2 00000000000000a2 00000000000000b2 1024 1700000200 1500 10 20 30 40 50 60 70 80 ld
garbage line
v1 00000000000000a3 00000000000000b3 2048 1700000300 cc1
HIST
chmod 600 "$H/peaks"
bounded 10 "$MEMSTOP" history --json
py '
import json, sys
h = json.loads(sys.stdin.read())
got = [(e["program"], e["job"], e["peak_bytes"], e["largest_bytes"], e["runs"], e["duration_seconds"]) for e in h]
want = [("cc1plus", "00000000000000a1", 262144 * 1024, 524288 * 1024, 2, None),
        ("ld", "00000000000000a2", 1024 * 1024, 1024 * 1024, 1, 1.5),
        ("cc1", "00000000000000a3", 2048 * 1024, 2048 * 1024, 1, None)]
assert got == want, got
' <"$BOUT"
result "history --json: each job with its program, newest and largest peak, runs, duration" $? "$PYOUT" "$OUT"
bounded 10 "$MEMSTOP" history
like "$OUT" "cc1plus +00000000000000a1 +256M +512M +\? +2 " "history: a job a line"
bounded 10 "$MEMSTOP" history --forget 'cc1*'
result "history --forget 'cc1*': says what it forgot" "$([[ $STATUS == 0 && $OUT == "forgot 3 records matching 'cc1*'" ]]; echo $?)" \
	"status $STATUS" "$OUT" "$ERR"
is "$(grep -c '' "$H/peaks") $(stat -c %a "$H/peaks")" "2 600" "... the others kept (the bad line too), the file still 0600"
bounded 10 "$MEMSTOP" history --forget 00000000000000a2
like "$OUT" "forgot 1 record matching" "history --forget JOBHASH forgets that job"
bounded 10 "$MEMSTOP" --forget x -- true
result "--forget outside 'history': exit 2" "$([[ $STATUS == 2 && $ERR == *history* ]]; echo $?)" "$ERR"

is "$(ls "$TMPDIR")" "" "no temporary directory left behind by any of these runs"

done_testing
