#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The Debian packages: built from the source tree with dpkg-buildpackage
# (debian/), unpacked with dpkg -x into a throwaway root, and checked: each
# package's files, the preload alone in its Multi-Arch: same package and
# reachable through $LIB, an installed memstop that preloads the installed
# library (never a build tree's), the man pages, the completion, lintian.
# Skipped with the reason where dpkg-buildpackage or debhelper is missing.

. "$(dirname "$0")/../integration/lib.sh"
need_env TESTS_SRCDIR

command -v dpkg-buildpackage >/dev/null || skip_all "dpkg-buildpackage missing (package dpkg-dev)"
command -v dh >/dev/null || skip_all "debhelper missing (package debhelper)"
SRC=$(cd "$TESTS_SRCDIR/.." && pwd)
dpkg-checkbuilddeps "$SRC/debian/control" 2>/dev/null ||
	skip_all "build dependencies missing: $(dpkg-checkbuilddeps "$SRC/debian/control" 2>&1 | sed 's/.*: //')"

tmpdir
W=$TMPD
# The tracked files as they are now, committed or not.
mkdir "$W/src"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$W/src" 2>/dev/null) ||
	(cd "$SRC" && tar --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$W/src")
(cd "$W/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$W/build.log" 2>&1)
result "dpkg-buildpackage -us -uc -b builds the packages" $? "$(tail -20 "$W/build.log")"

ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
V=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
for p in memstop memstop-preload memstop-lockd; do
	deb=$W/${p}_${V}_$ARCH.deb
	if [ -f "$deb" ]; then
		mkdir -p "$W/root-$p" "$W/root"
		dpkg -x "$deb" "$W/root-$p" && dpkg -x "$deb" "$W/root"
		ok "$p built"
	else
		not_ok "$p built" "no $deb"
	fi
done

files() { (cd "$W/root-$1" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' '); }
is "$(files memstop)" "usr/bin/memstop usr/share/bash-completion/completions/memstop usr/share/doc/memstop/README.md.gz usr/share/doc/memstop/changelog.gz usr/share/doc/memstop/copyright usr/share/man/man1/memstop.1.gz usr/share/man/man7/memstop.7.gz " \
	"memstop: the command, its man pages, its completion, its documentation"
is "$(files memstop-preload)" "usr/lib/$MA/memstop/memstop-gate.so usr/lib/$MA/memstop/memstop.so usr/share/doc/memstop-preload/changelog.gz usr/share/doc/memstop-preload/copyright usr/share/lintian/overrides/memstop-preload " \
	"memstop-preload: the library and its slow path alone, in the multiarch directory (no lib/memstop symlink)"
like "$(files memstop-lockd)" "etc/memstop/lockd.conf .*usr/sbin/memstop-lockd .*man8/memstop-lockd.8.gz" \
	"memstop-lockd: the daemon, its configuration, its unit and man pages"
like "$(files memstop-lockd)" "systemd/system/memstop-lockd.service" "memstop-lockd: the unit"
is "$(dpkg-deb -f "$W/memstop-preload_${V}_$ARCH.deb" Multi-Arch)" "same" "memstop-preload is Multi-Arch: same"

# The installed memstop names the installed library, and nothing of a build tree.
R=$W/root
check "the installed memstop names /usr/lib/$MA/memstop/memstop.so" grep -q "/usr/lib/$MA/memstop/memstop.so" "$R/usr/bin/memstop"
result "the installed memstop holds no path of the build tree" "$(! grep -q "$W/src" "$R/usr/bin/memstop"; echo $?)"
# Its preload, found where ld.so's $LIB points under the throwaway root.
LIBSO=$(LD_DEBUG=files LD_PRELOAD="$R/usr/\$LIB/memstop/memstop.so" /bin/true 2>&1 | grep -c 'calling init: .*memstop.so')
is "$LIBSO" 1 "LD_PRELOAD='…/usr/\$LIB/memstop/memstop.so' loads the packaged library"
# A process that takes the slow path (verbose: it says what it sees) loads the
# packaged memstop-gate.so, beside it.
GATESO=$(LD_DEBUG=files LD_PRELOAD="$R/usr/\$LIB/memstop/memstop.so" MEMSTOP_VERBOSE=1 /bin/true 2>&1 |
	grep -c "calling init: $R/usr/lib/$MA/memstop/memstop-gate.so")
is "$GATESO" 1 "the slow path loads the packaged memstop-gate.so beside it"
zcat "$R/usr/share/man/man1/memstop.1.gz" >"$W/memstop.1"
result "the packaged memstop(1) renders without a warning" \
	"$([ -z "$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$W/memstop.1" 2>&1 >/dev/null)" ]; echo $?)"
result "the packaged memstop(7) names the installed path" \
	"$(zcat "$R/usr/share/man/man7/memstop.7.gz" | sed 's/\\&//g; s/\\//g' | grep -q "/usr/lib/$MA/memstop/memstop.so"; echo $?)"
check "the bash completion parses" bash -n "$R/usr/share/bash-completion/completions/memstop"

if command -v lintian >/dev/null; then
	# (its temporary files, mldbm-elf-*, in the test's directory, not /tmp)
	mkdir -p "$W/lintian-tmp"
	tags=$(TMPDIR=$W/lintian-tmp lintian --suppress-tags-from-file /dev/null "$W"/memstop_"$V"_"$ARCH".changes 2>&1 |
		grep -E '^[EW]: ')
	is "$tags" "" "lintian: no error or warning (overrides explained in debian/*.lintian-overrides)"
else
	skip "lintian missing (package lintian)" "lintian is clean"
fi

done_testing
