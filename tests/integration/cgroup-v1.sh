#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A real cgroup v1 memory cgroup with a 256 MiB limit, the real /proc: while
# a hog holds 200 MiB in it, a process started there with MEMSTOP_PERCENT=40
# is held (the host has plenty: only the cgroup's figures can hold it), and
# it is released when the hog exits. `memstop status` run there reports the
# cgroup. Its supervisor reads the memory pressure of the cgroup whose limit
# binds (on this hybrid host, the process's cgroup in the unified hierarchy),
# the host's without a limit (issue 11). Needs root and the v1 memory
# controller; skips elsewhere.

. "$(dirname "$0")/lib.sh"
need_env MEMSTOP MEMSTOP_SO HOG

V1=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] || skip_all "needs root to create a memory cgroup"
[ -f "$V1/cgroup.procs" ] && [ -f "$V1/memory.limit_in_bytes" ] ||
	skip_all "no cgroup v1 memory controller at $V1"
command -v python3 >/dev/null || skip_all "needs python3 to read JSON"

tmpdir
W=$TMPD
NAME=memstop-test-$$
CG=$V1/$NAME
LIMIT=268435456

cgroup_create "$CG" || bail_out "cannot create $CG"
echo 256M >"$CG/memory.limit_in_bytes" || bail_out "cannot set the limit of $CG"
is "$(cat "$CG/memory.limit_in_bytes")" "$LIMIT" "the cgroup's limit is 256 MiB"

# The figures status --json must show, read from its output by Python.
FIELDS='import json, sys
j = json.load(sys.stdin)
c, e = j["cgroup"], j["effective"]
print(c["version"], c["path"], c["limit"], c["limit_set_by"], e["total"], e["total_from"], e["available_from"])'

# "${in_cgroup[@]}" COMMAND...: run COMMAND inside the cgroup (the shell
# moves itself in, then execs, so the pid is the command's).
in_cgroup=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG")

spawn "${in_cgroup[@]}" "$HOG" 200M --hold forever --ready "$W/ready" >"$W/hog.out" 2>"$W/hog.err"
hog=$SPAWNED
if ! wait_until 60 test -e "$W/ready"; then
	bail_out "the hog did not get its 200 MiB: $(cat "$W/hog.err")"
fi
grep -qx "$hog" "$CG/cgroup.procs"
result "the hog runs in the cgroup" $? "cgroup.procs: $(cat "$CG/cgroup.procs")"
usage=$(cat "$CG/memory.usage_in_bytes")
result "the cgroup's usage is at least 200 MiB" "$([[ $usage -ge 209715200 ]]; echo $?)" "usage $usage"

# Held through the preload, real /proc, verbose.
M1=$W/marker-preload
spawn "${in_cgroup[@]}" env LD_PRELOAD="$PRELOAD" MEMSTOP_PERCENT=40 MEMSTOP_VERBOSE=1 touch "$M1" \
	>"$W/p.out" 2>"$W/p.err"
p1=$SPAWNED
# Held through the CLI, not verbose (the children's fast path with the CLI's hint).
M2=$W/marker-cli
spawn "${in_cgroup[@]}" "$MEMSTOP" --percent 40 -- touch "$M2" >"$W/c.out" 2>"$W/c.err"
p2=$SPAWNED

sleep 1
result "LD_PRELOAD, MEMSTOP_PERCENT=40 in the cgroup: held (alive, marker absent after 1 s)" \
	"$([[ ! -e $M1 ]] && alive "$p1"; echo $?)" "stderr: $(cat "$W/p.err")"
like "$(head -1 "$W/p.err")" '^==== memstop: 40% required, [0-9]+% available \([0-9]+ MB / 256 MB\) ====$' \
	"the verbose line shows the cgroup's figures (total 256 MB)"
is "$(sed -n 2p "$W/p.err")" "==== memstop hold ====" "the verbose hold line follows"
result "memstop --percent 40 in the cgroup: held" \
	"$([[ ! -e $M2 ]] && alive "$p2"; echo $?)" "stderr: $(cat "$W/c.err")"
grep -qx "$p1" "$CG/cgroup.procs" && grep -qx "$p2" "$CG/cgroup.procs"
result "the held processes are in the cgroup" $? "cgroup.procs: $(cat "$CG/cgroup.procs")"

# memstop status inside the cgroup.
OUT=$("${in_cgroup[@]}" "$MEMSTOP" status --json 2>"$W/s.err")
st=$?
result "memstop status --json in the cgroup: exit 0, valid JSON" "$([[ $st == 0 ]] && printf '%s' "$OUT" | python3 -m json.tool >/dev/null 2>&1; echo $?)" \
	"status $st" "stdout: $OUT" "stderr: $(cat "$W/s.err")"
got=$(printf '%s' "$OUT" | python3 -c "$FIELDS" 2>&1)
is "$got" "1 /$NAME $LIMIT /sys/fs/cgroup/memory/$NAME $LIMIT cgroup cgroup" \
	"status --json: version 1, limit 268435456 set by the cgroup, which binds total and available"
OUT=$("${in_cgroup[@]}" "$MEMSTOP" status 2>&1)
like "$OUT" "cgroup     v1 /$NAME: [^ ]+ available of 256M limit set by /sys/fs/cgroup/memory/$NAME" \
	"memstop status in the cgroup names it and its limit"
like "$OUT" "effective  [^ ]+ available \(from the cgroup\) of 256M \(from the cgroup\)" \
	"memstop status in the cgroup: the cgroup binds"

"${in_cgroup[@]}" "$MEMSTOP" wait --percent 40 --timeout 0.5 --quiet
is "$?" 124 "memstop wait --percent 40 in the cgroup times out (124)"

# The hog exits: both are released.
kill -TERM "$hog"
wait "$hog"
is "$?" 0 "the hog exits 0 on SIGTERM"
wait_until 30 test -e "$M1" -a -e "$M2"
result "released after the hog's exit" $? "markers: $(ls "$W")" \
	"stderr: $(cat "$W/p.err" "$W/c.err")"
wait_until 2 eval '! alive $p1 && ! alive $p2'
wait "$p1"
s1=$?
wait "$p2"
s2=$?
is "$s1 $s2" "0 0" "both exit 0"
is "$(tail -1 "$W/p.err")" "==== memstop release ====" "the verbose release line comes last"
# Off a terminal, memstop's one summary line alone (ux.sh tests it).
result "nothing on stdout, on stderr only memstop's summary when not verbose" \
	"$([[ ! -s $W/p.out && ! -s $W/c.out && $(grep -vc '^memstop: [0-9]* jobs\?, ' "$W/c.err") == 0 ]]; echo $?)" \
	"stdout: $(cat "$W/p.out" "$W/c.out")" "stderr: $(cat "$W/c.err")"

# --- pressure: the limiting cgroup's, through the hybrid hierarchy ------------------
U=/sys/fs/cgroup/unified
if [ -f "$U/cgroup.procs" ] && [ -r /proc/pressure/memory ] && [ -w "$U" ]; then
	UCG=$U/$NAME
	cgroup_create "$UCG" || bail_out "cannot create $UCG"
	bounded 30 sh -c 'echo $$ >"$0/cgroup.procs" && echo $$ >"$1/cgroup.procs" && shift && exec "$@"' "$CG" "$UCG" \
		"$MEMSTOP" -v -- true
	like "$ERR" "memory pressure of the cgroup /sys/fs/cgroup/unified/$NAME" \
		"under a v1 limit: the pressure of its unified cgroup ($UCG)"
	bounded 30 sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$UCG" "$MEMSTOP" -v -- true
	like "$ERR" "memory pressure of the host" "without a limit: the host's pressure"
else
	skip "no writable hybrid hierarchy with PSI at $U" "under a v1 limit: the pressure of its unified cgroup"
	skip "no writable hybrid hierarchy with PSI at $U" "without a limit: the host's pressure"
fi

done_testing
