#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# In the test VM (plain mode): the cgroup v2 facts memstop relies on.
#  - cgroup2 at /sys/fs/cgroup has the memory controller enabled for children;
#  - a child with memory.max 200M OOM-kills a 300 MiB allocation, and its
#    memory.events counts oom_kill 1;
#  - memstop status, run in that cgroup, sees the 200M limit (v2).
. "$(dirname "$0")/lib-vm.sh"
need_env HOG MEMSTOP MEMSTOP_SO
plan 5

like "$(cat "$CG2/cgroup.subtree_control")" '(^| )memory( |$)' "+memory in the root's cgroup.subtree_control"

CG=$CG2/facts
cg2_create "$CG" 200M || bail_out "cannot create $CG"
is "$(cat "$CG/memory.max")" 209715200 "memory.max of the child is 200M"

bounded 300 cg2_exec "$CG" "$HOG" 300M --hold 0
is "$STATUS" 137 "a 300 MiB allocation in it dies of SIGKILL (exit 137)" "$ERR"
is "$(cg2_oom_kills "$CG")" 1 "memory.events shows oom_kill 1"

bounded 60 cg2_exec "$CG" "$MEMSTOP" status --json
check "memstop status in the cgroup sees the 200M limit" python3 -c '
import json, sys
c = json.loads(sys.argv[1])["cgroup"]
sys.exit(0 if c and c["limit"] == 200 * 1024 * 1024 else 1)' "$OUT"
[ "$_tap_failed" -gt 0 ] && diag "memstop status --json: $OUT $ERR"
done_testing
