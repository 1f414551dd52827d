#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (systemd mode, systemd 252 as PID 1): the shipped
# memstop-lockd.service (the build tree's configured copy, ExecStart pointed
# at the build tree's daemon by a drop-in) starts under its own hardening
# (issue 11: SystemCallFilter=~@privileged forbade the capset(2) the daemon
# always made): it is active, runs as its dynamic user with exactly
# CAP_IPC_LOCK and CAP_SYS_PTRACE effective, holds the toolchain locked,
# writes its state, logs with priorities the journal understands, and
# systemctl stop leaves no process. systemd-analyze security's exposure level
# is printed as a diagnostic.
. "$(dirname "$0")/lib-vm.sh"
need_env LOCKD LOCKD_UNIT LOCKD_CONF
[ "$VM_MODE" = systemd ] || skip_all "needs the VM's systemd mode"
plan 15
unit=memstop-lockd.service

check "systemctl talks to systemd (is-system-running)" \
	sh -c 'systemctl is-system-running; [ $? -le 1 ]'
cp "$LOCKD_UNIT" /etc/systemd/system/$unit
# The unit has PrivateTmp=yes: a build tree below /tmp (a CI clone may be
# there) is not what the service sees. Copies in the VM's own /usr/local are.
vmdir=/usr/local/libexec/memstop-vm
install -D -m 0755 "$LOCKD" "$vmdir/memstop-lockd" && install -D -m 0644 "$LOCKD_CONF" "$vmdir/lockd.conf" ||
	bail_out "cannot copy the daemon into the VM's /usr/local"
LOCKD=$vmdir/memstop-lockd LOCKD_CONF=$vmdir/lockd.conf
mkdir -p /etc/systemd/system/$unit.d
printf '[Service]\nExecStart=\nExecStart=%s --foreground --config %s\n' "$LOCKD" "$LOCKD_CONF" \
	>/etc/systemd/system/$unit.d/build-tree.conf
check "systemctl daemon-reload" systemctl daemon-reload

bounded 300 systemctl start $unit
start_status=$STATUS
show=$(systemctl show -p ActiveState -p SubState -p Result -p MainPID -p NRestarts $unit)
diag "systemctl start $unit: exit $start_status; $(tr '\n' ' ' <<<"$show")"
grep -qx 'ActiveState=active' <<<"$show"
result "$unit starts and is active" $? "journal: $(journalctl -u $unit -n 8 --no-pager -o cat 2>&1)"
pid=$(sed -n 's/^MainPID=//p' <<<"$show")
st=/proc/$pid/status
is "$(awk '/^CapEff:/ { print $2 }' "$st" 2>/dev/null)" 0000000000084000 "CapEff is exactly cap_ipc_lock,cap_sys_ptrace"
is "$(awk '/^CapPrm:/ { print $2 }' "$st" 2>/dev/null)" 0000000000084000 "CapPrm is the same"
is "$(awk '/^CapAmb:/ { print $2 }' "$st" 2>/dev/null)" 0000000000000000 "no ambient capabilities left for report_command"
uid=$(awk '/^Uid:/ { print $2 }' "$st" 2>/dev/null)
diag "uid $uid ($(getent passwd "$uid" 2>/dev/null | cut -d: -f1))"
check "not uid 0 (uid $uid)" test -n "$uid" -a "$uid" != 0
vmlck=$(awk '/^VmLck:/ { print $2 }' "$st" 2>/dev/null)
diag "VmLck $vmlck kB; $("$LOCKD" --status 2>&1 | tr '\n' ' ')"
check "the toolchain is locked (VmLck $vmlck kB > 0)" test "${vmlck:-0}" -gt 1024
check "its state file is written" test -s /run/memstop-lockd/state
# A program the start-up search did not find, on the overlay's upper layer:
# stat() there shows overlayfs's device, /proc/PID/maps tmpfs's; the daemon
# must still recognise the file mapped as the file it opens.
cp /bin/sleep /usr/local/bin/lld-99
/usr/local/bin/lld-99 60 &
tool=$!
check "a program found by the /proc scan on the overlay is locked" \
	sh -c "for i in \$(seq 50); do grep -q ' /usr/local/bin/lld-99\$' /proc/$pid/maps && exit 0; sleep 0.2; done; exit 1"
kill "$tool"
wait "$tool" 2>/dev/null
check "the journal has its start-up line at priority info" \
	sh -c "journalctl -u $unit -p info --no-pager -o cat | grep -q '^memstop-lockd: start-up: holding'"
check "and no error" sh -c "[ -z \"\$(journalctl -u $unit -p err --no-pager -o cat)\" ]"

bounded 120 systemctl stop $unit
check "systemctl stop: inactive" sh -c "systemctl show -p ActiveState $unit | grep -qx ActiveState=inactive"
check "no process left: nothing stays locked" sh -c "! kill -0 $pid 2>/dev/null"
diag "$(systemd-analyze security $unit 2>&1 | tail -1)"

# <3> reaches the journal as an error: a bad -o makes the start fail.
printf '[Service]\nExecStart=\nExecStart=%s --foreground --config %s -o max_locked=lots\n' "$LOCKD" "$LOCKD_CONF" \
	>/etc/systemd/system/$unit.d/build-tree.conf
systemctl daemon-reload
bounded 120 systemctl start $unit
check "a configuration error is logged at priority err" \
	sh -c "journalctl -u $unit -p err --no-pager -o cat | grep -q 'max_locked: bad value \"lots\"'"
done_testing
