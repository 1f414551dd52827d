# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Real C++ compiles for tests (issue 10): generated units that the system g++
# compiles as a build would (driver -> cc1plus -> as). Sourced by
# tests/integration/realcc.sh and tests/vm/v2-realcc.sh.

# cxx_gen FILE TAG N: a C++ unit of N template-heavy functions (cc1plus -O2 reaches
# about 25 MiB per function here, over a base of ~60 MiB).
cxx_gen() {
	{
		printf '#include <algorithm>\n#include <functional>\n#include <map>\n#include <sstream>\n'
		printf '#include <string>\n#include <vector>\n'
		for i in $(seq "$3"); do
			printf 'struct %s%d { int a; std::string s; bool operator<(const %s%d &o) const { return a < o.a; } };\n' \
				"$2" "$i" "$2" "$i"
			printf 'std::string f%s%d(int x) { std::map<%s%d, std::vector<std::string>> m;' "$2" "$i" "$2" "$i"
			printf ' for (int k = 0; k < x; k++) m[%s%d{k, std::to_string(k)}].push_back("v");' "$2" "$i"
			printf ' std::vector<%s%d> v; for (auto &p : m) v.push_back(p.first); std::sort(v.begin(), v.end());' "$2" "$i"
			printf ' std::ostringstream o; for (auto &e : v) o << e.a << e.s;'
			printf ' std::function<int(int)> g = [&](int y) { return y + (int)m.size(); }; return o.str() + std::to_string(g(x)); }\n'
		done
	} >"$1"
}

# cxx_pair DIR: two such units of 8 functions and a Makefile that compiles
# them (g++ -O2 -c), in DIR.
cxx_pair() {
	mkdir -p "$1"
	cxx_gen "$1/a.cpp" A 8
	cxx_gen "$1/b.cpp" B 8
	printf 'all: a.o b.o\n%%.o: %%.cpp\n\tg++ -O2 -c $< -o $@\n' >"$1/Makefile"
}

# cxx_workdir: W, a temporary directory with this user's state directories
# of its own (an empty history) and the pair in W/b.
cxx_workdir() {
	tmpdir
	W=$TMPD
	mkdir -m 0700 "$W/run" "$W/cache"
	export XDG_RUNTIME_DIR=$W/run XDG_CACHE_HOME=$W/cache
	unset MEMSTOP_SMALL MEMSTOP_WARNED MEMSTOP_JOB
	cxx_pair "$W/b"
}

# cxx_size_one DIR SECONDS: one compile of DIR's a.cpp alone (outside memstop,
# bounded), to size the cgroup for a pair: sets PEAK_KB, and LIMIT_MB to room
# for one compile and a half, not for two. Bails out if it fails.
cxx_size_one() {
	bounded "$2" python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' g++ -O2 -c "$1/a.cpp" -o "$1/one.o"
	PEAK_KB=$(printf '%s\n' "$OUT" | tail -1)
	[[ $STATUS == 0 && $PEAK_KB =~ ^[0-9]+$ ]] || bail_out "g++ alone failed: $STATUS $ERR"
	rm -f "$1/one.o"
	LIMIT_MB=$((PEAK_KB * 3 / 2 / 1024 + 48))
}
