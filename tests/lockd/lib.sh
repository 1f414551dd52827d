# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by the memstop-lockd integration tests: TAP output, a temporary
# directory, starting and stopping the real daemon ($LOCKD), and cleaning up
# every process, cgroup and file a test made, whatever happens.
set -u

: "${LOCKD:?LOCKD must name the built memstop-lockd}"
T=$(mktemp -d /tmp/lockd-it.XXXXXX)
# The daemon started as root runs as an unprivileged user: it must reach
# the files the tests lock below $T.
chmod 755 "$T"
DAEMON_PID=
CGROUPS=()
CHILDREN=()
ntest=0
failed=0
# Program names of this run only: tests of another build tree may run at the
# same time, and their daemons must not see our processes nor ours theirs.
TOOL=lt$$a
OTHER=lt$$b

cleanup() {
        local pid cg
        for pid in "${CHILDREN[@]}" $DAEMON_PID; do
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
        done
        for cg in "${CGROUPS[@]}"; do
                if [ -d "$cg" ]; then
                        while read -r pid; do kill -KILL "$pid" 2>/dev/null; done < "$cg/cgroup.procs"
                        for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done
                fi
        done
        rm -rf "$T"
}
trap cleanup EXIT

skip_all() {
        echo "1..0 # SKIP $1"
        echo "skipped: $1" >&2
        exit 77
}

need_root() {
        [ "$(id -u)" = 0 ] || skip_all "needs root (CAP_IPC_LOCK, CAP_SYS_PTRACE)"
}

ok() { ntest=$((ntest + 1)); echo "ok $ntest - $1"; }
# The failure goes to stderr as well: meson --print-errorlogs (CI's log)
# shows a failing test's stderr, not its TAP output.
not_ok() {
        local text
        ntest=$((ntest + 1)); failed=$((failed + 1))
        text=$(
                echo "not ok $ntest - $1"
                shift
                [ $# -gt 0 ] && printf '# %s\n' "$@"
                if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then sed 's/^/# log: /' "$LOG" | tail -20; fi
        )
        printf '%s\n' "$text"
        printf '%s\n' "$text" >&2
}
# check DESCRIPTION COMMAND...: one TAP line for the command's success.
check() {
        local desc=$1
        shift
        if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}
finish() {
        echo "1..$ntest"
        [ "$failed" = 0 ]
}

# start_daemon CONFIG [ARGS...]: run it in the foreground, log to $LOG, wait
# until its state file exists (the start-up search is locked by then).
LOG=$T/lockd.log
STATE=$T/root/run/memstop-lockd/state
start_daemon() {
        local conf=$1
        shift
        mkdir -p "$T/root"
        rm -f "$STATE"
        "$LOCKD" --foreground --config "$conf" --state-root "$T/root" "$@" >> "$LOG" 2>&1 &
        DAEMON_PID=$!
        for _ in $(seq 200); do
                [ -f "$STATE" ] && return 0
                kill -0 "$DAEMON_PID" 2>/dev/null || break
                sleep 0.05
        done
        echo "# daemon did not start" >&2
        sed 's/^/# log: /' "$LOG" >&2
        return 1
}

# stop_daemon: SIGTERM, returns its exit status.
stop_daemon() {
        local rc
        kill -TERM "$DAEMON_PID"
        wait "$DAEMON_PID"
        rc=$?
        DAEMON_PID=
        return $rc
}

# locked_kb PID PATH: "LOCKED SIZE" in kB of PID's read-only shared mappings
# of PATH (the daemon's locks): LOCKED counts the parts whose VmFlags have
# "lo" (VM_LOCKED) and that are wholly resident (Rss = Size); in segments
# mode the unlocked rest of a file (section headers...) is a separate part.
# smaps' "Locked:" is proportional (Pss) and so is not used.
locked_kb() {
        # The path through the environment: awk -v would decode backslashes.
        LK_PATH=$2 awk '
                BEGIN { path = ENVIRON["LK_PATH"] }
                /^[0-9a-f]+-[0-9a-f]+ / { cur = ($2 == "r--s" && $NF == path); next }
                cur && /^Size:/ { size = $2; total += $2 }
                cur && /^Rss:/ { rss = $2 }
                cur && /^VmFlags:/ { if (/ lo( |$)/) { if (rss == size) locked += size; else bad = 1 } }
                END { printf "%d %d\n", bad ? 0 : locked, total }' "/proc/$1/smaps"
}

# is_locked PID PATH: the daemon holds (part of) PATH locked, every locked
# page resident.
is_locked() {
        local l s
        read -r l s < <(locked_kb "$1" "$2")
        [ "$s" -gt 0 ] && [ "$l" -gt 0 ]
}

# is_locked_whole PID PATH: all of PATH is locked and resident.
is_locked_whole() {
        local l s
        read -r l s < <(locked_kb "$1" "$2")
        [ "$s" -gt 0 ] && [ "$l" = "$s" ]
}

# total kB of the daemon's locked file mappings
total_locked_kb() {
        awk '/^[0-9a-f]+-[0-9a-f]+ / { cur = ($2 == "r--s"); next }
             cur && /^Size:/ { size = $2 }
             cur && /^VmFlags:/ { if (/ lo( |$)/) l += size }
             END { print l + 0 }' "/proc/$1/smaps"
}

state_field() { awk -v k="$1" '$1 == k { print $2 }' "$STATE"; }

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
        local n=$(( $1 * 20 ))
        shift
        for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
        return 1
}

# A v1 memory cgroup with a limit, removed at exit.
need_memcg() {
        [ -d /sys/fs/cgroup/memory ] && [ -w /sys/fs/cgroup/memory ] || skip_all "no writable cgroup v1 memory controller"
}
# make_memcg NAME LIMIT: sets MEMCG (not in a $(...): the cleanup list must
# be this shell's).
make_memcg() {
        MEMCG=/sys/fs/cgroup/memory/lockd-test-$$-$1
        mkdir "$MEMCG" || return 1
        CGROUPS+=("$MEMCG")
        echo "$2" > "$MEMCG/memory.limit_in_bytes"
}

# Two unprivileged users by number only (no passwd entry is needed):
# as_user UID COMMAND... runs COMMAND as UID with no supplementary groups;
# spawn_as UID COMMAND... starts it in the background (its pid in SPAWNED,
# killed at exit: setpriv execs the command, so that pid is the command's).
U1=61001
U2=61002
as_user() {
        local uid=$1
        shift
        setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"
}
spawn_as() {
        local uid=$1
        shift
        setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@" &
        SPAWNED=$!
        CHILDREN+=("$SPAWNED")
}
need_setpriv() {
        command -v setpriv >/dev/null || skip_all "setpriv (util-linux) not installed"
}

# maps_has PID PATH: PID maps PATH (the daemon holds it open, locked or not).
# (Five fields cut one by one: mawk, Debian's awk, has no {5}; with it this
# never matched, and "! maps_has" always held.)
maps_has() {
        LK_PATH=$2 awk '{ p = $0; for (i = 0; i < 5; i++) sub(/^[^ ]+ +/, "", p)
                if (p == ENVIRON["LK_PATH"]) found = 1 }
                END { exit !found }' "/proc/$1/maps"
}

# user_dirs: A=$T/allowed, with $A/u1 and $A/u2 belonging to $U1 and $U2.
user_dirs() {
        A=$T/allowed
        mkdir -p "$A/u1" "$A/u2"
        chown "$U1" "$A/u1"
        chown "$U2" "$A/u2"
}

# start_scanning PROGRAMS ALLOWED [KEY=VALUE...]: start the daemon (-v) with
# no start-up search, a 500ms /proc scan and the given keys; a failed start
# ends the test. A process not of the list is looked at again for an exec
# only in the two scans after it appears: 500ms leaves setpriv a second to
# exec the program on a loaded machine.
start_scanning() {
        local conf=$T/lockd.conf kv
        {
                printf 'programs = %s\nproactive = no\nallowed_paths = %s\nscan_interval = 500ms\n' "$1" "$2"
                shift 2
                for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
        } > "$conf"
        start_daemon "$conf" -v && return 0
        not_ok "the daemon starts"
        finish
        exit
}
