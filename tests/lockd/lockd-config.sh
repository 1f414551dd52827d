#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The command line: configuration errors name file, line and value and fail;
# --dry-run, --status, --help, --version. Needs no root.
. "$(dirname "$0")/lib.sh"

conf=$T/bad.conf
printf '# memstop-lockd\nscan_interval = 1s\nmax_locked = lots\nfrobnicate = yes\n' > "$conf"
out=$("$LOCKD" --config "$conf" --dry-run 2>&1)
rc=$?
check "a bad configuration fails (exit $rc)" [ "$rc" != 0 ]
check "the bad value is named with file:line" grep -qF "$conf:3: max_locked: bad value \"lots\"" <<< "$out"
check "every bad line is reported" grep -qF "$conf:4: unknown key \"frobnicate\"" <<< "$out"
check "with a count" grep -q "2 errors in the configuration" <<< "$out"

out=$("$LOCKD" --config "$T/none.conf" --dry-run 2>&1)
check "a missing --config file fails" [ $? != 0 ]
check "naming it" grep -qF "$T/none.conf: cannot open" <<< "$out"
out=$("$LOCKD" --config /dev/null -o lock_mode=sometimes --dry-run 2>&1)
check "a bad -o fails" [ $? != 0 ]
check "naming the command line and value" grep -qF 'command line: lock_mode: bad value "sometimes"' <<< "$out"

out=$("$LOCKD" --version)
check "--version: $out" grep -qE '^memstop-lockd [0-9]+\.[0-9]+' <<< "$out"
check "--help" bash -c "'$LOCKD' --help | grep -q -- --dry-run"
# Issue 13: a usage error is one line naming the option, and exit status 2.
out=$("$LOCKD" --frobnicate 2>&1)
rc=$?
check "an unknown option: exit 2 (got $rc)" [ "$rc" = 2 ]
check "in one line: $out" [ "$out" = "memstop-lockd: unknown option '--frobnicate'; see --help" ]
out=$("$LOCKD" -x 2>&1)
check "an unknown short option: $out" [ "$out" = "memstop-lockd: unknown option '-x'; see --help" ]
out=$("$LOCKD" --config 2>&1)
rc=$?
check "a missing value: exit 2, one line ($out)" [ "$rc" = 2 ] && [ "$(wc -l <<< "$out")" = 1 ]
out=$("$LOCKD" --dry-run extra 2>&1)
rc=$?
check "an extra argument: exit 2 ($out)" [ "$rc" = 2 ] && grep -qx "memstop-lockd: unexpected argument 'extra'; see --help" <<< "$out"
# Every message starts with memstop-lockd:, and with <N> priorities when
# standard error is the journal (JOURNAL_STREAM names it).
"$LOCKD" --config "$conf" --dry-run 2> "$T/err"
check "every line starts with memstop-lockd:" bash -c "! grep -v '^memstop-lockd: ' '$T/err'"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/err") "$LOCKD" --config "$conf" --dry-run 2> "$T/err"
check "under the journal, errors carry <3>" grep -qF "<3>memstop-lockd: error: $conf:3: max_locked: bad value" "$T/err"
check "every line carries a priority" bash -c "! grep -v '^<[0-7]>memstop-lockd: ' '$T/err'"
JOURNAL_STREAM=1:1 "$LOCKD" --config "$conf" --dry-run 2> "$T/err"
check "not when JOURNAL_STREAM names another file" bash -c "! grep -q '^<' '$T/err'"

# Issue 12: a budget without bound is refused; only regular files are read
# as configuration (a FIFO would block it forever).
out=$("$LOCKD" --config /dev/null -o max_locked=0 -o max_locked_percent=0 --dry-run 2>&1)
check "max_locked = 0 with max_locked_percent = 0 fails" [ $? = 1 ]
check "saying why" grep -q "both 0: locked memory would have no bound" <<< "$out"
mkfifo "$T/fifo.conf"
out=$(timeout 10 "$LOCKD" --config "$T/fifo.conf" --dry-run 2>&1)
rc=$?
check "a FIFO as configuration fails at once (exit $rc)" [ "$rc" = 1 ]
check "as not a regular file" grep -qF "$T/fifo.conf: not a regular file" <<< "$out"

if command -v gcc >/dev/null; then
        cc1=$(readlink -f "$(gcc -print-prog-name=cc1)")
        out=$("$LOCKD" --config /dev/null --dry-run 2>&1)
        check "--dry-run succeeds" [ $? = 0 ]
        check "--dry-run would lock cc1" grep -qE "^lock +[0-9.]+[KMG]? +$cc1 " <<< "$out"
        check "--dry-run shows the budget" grep -q "^budget " <<< "$out"
        out=$("$LOCKD" --config /dev/null -o max_file_size=10M --dry-run 2>&1)
        check "--dry-run shows skipped files and why" grep -qE "^skip +[0-9.]+M +$cc1 .*larger than max_file_size" <<< "$out"
        out=$("$LOCKD" --config /dev/null -o max_locked=20M --dry-run 2>&1)
        total=$(awk '/^would lock/ { print $5 }' <<< "$out")
        check "--dry-run stays within a 20M budget ($total)" grep -qE "^would lock [0-9]+ files, ([0-9.]+[BK]|1?[0-9](\.[0-9])?M|20M) of a 20M budget" <<< "$out"
fi

mkdir -p "$T/root/run"
out=$("$LOCKD" --status --state-root "$T/root")
check "--status without a daemon: exit 3" [ $? = 3 ]
check "and says so" grep -q "not running" <<< "$out"
mkdir -p "$T/root/run/memstop-lockd"
sleep 0 & dead=$!
wait $dead
printf 'pid %d\nstarted 1\nupdated 1\nlocked_bytes 1\nlocked_files 1\nbudget_bytes 1\nskipped_files 0\n' "$dead" \
        > "$T/root/run/memstop-lockd/state"
out=$("$LOCKD" --status --state-root "$T/root")
check "a stale state file is not taken for a running daemon" [ $? = 3 ]
check "and called stale" grep -q "stale" <<< "$out"
finish
