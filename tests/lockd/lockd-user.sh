#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# With user = nobody the daemon runs as that user with only its two
# capabilities, and still locks the toolchain.
. "$(dirname "$0")/lib.sh"
need_root
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
command -v gcc >/dev/null || skip_all "gcc not installed"

conf=$T/lockd.conf
printf 'user = nobody\n' > "$conf"
if ! start_daemon "$conf"; then not_ok "the daemon starts"; finish; exit; fi
st=/proc/$DAEMON_PID/status
uid=$(id -u nobody)
check "runs as nobody (uid $uid)" grep -qE "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" "$st"
check "no supplementary groups" grep -qE '^Groups:\s*$' "$st"
for f in CapPrm CapEff CapBnd; do
        check "$f is exactly cap_ipc_lock,cap_sys_ptrace" grep -qx "$f:"$'\t'"0000000000084000" "$st"
done
check "NoNewPrivs" grep -qx $'NoNewPrivs:\t1' "$st"
cc1=$(readlink -f "$(gcc -print-prog-name=cc1)")
check "cc1 is locked" is_locked "$DAEMON_PID" "$cc1"
check "the state directory belongs to nobody" [ "$(stat -c %U "$T/root/run/memstop-lockd")" = nobody ]
stop_daemon
check "SIGTERM: exit status 0" [ $? = 0 ]
finish
