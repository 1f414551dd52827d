#!/bin/bash
# Build memstop warning-free and run every test: unit, integration, root, the
# VM suite (cgroup v2 and systemd in user-mode Linux) and the fuzz harnesses.
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
logs=("$build/meson-logs/testlog.json")

# The fuzz harnesses (fuzz/), briefly, from their seed corpora: a clang build
# of their own. Skipped (said so) where clang is missing; FUZZ=0 skips them.
fuzz=$build-fuzz
if [ "${FUZZ:-1}" = 0 ]; then
        echo "fuzzing skipped (FUZZ=0)"
elif ! command -v clang >/dev/null; then
        echo "fuzzing skipped: clang not installed"
else
        if [ ! -f "$fuzz/build.ninja" ]; then
                CC=clang meson setup "$fuzz" -Dfuzz=enabled -Dbuildtype=debugoptimized
        fi
        meson compile -C "$fuzz"
        meson test -C "$fuzz" --suite fuzz --print-errorlogs || status=$?
        logs+=("$fuzz/meson-logs/testlog.json")
fi

# One closing line that any CI reads: "N passed, N failed, N skipped".
python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for log in sys.argv[1:]:
    for line in open(log):
        if not line.strip():
            continue
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
