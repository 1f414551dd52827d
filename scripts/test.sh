#!/bin/bash
# Build memstop warning-free and run every test: unit, integration and root.
# Usage: scripts/test.sh [BUILD_DIR] [meson test arguments...]
# Tests that need root or a memory cgroup skip with a printed reason elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
shift || true

if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" -Dwerror=true -Dbuildtype=debugoptimized
fi
meson compile -C "$build"
status=0
meson test -C "$build" --print-errorlogs "$@" || status=$?

# One closing line that any CI reads: "N passed, N failed, N skipped".
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    res = r.get("result")
    if res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
