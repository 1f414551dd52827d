#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# memstop's man pages as built: each renders with man -l (groff) without a
# warning, no scdoc artefact (a stray '_' or '*', an unfilled @VAR@) is
# left, examples keep their lines, and the installed paths are filled in.

. "$(dirname "$0")/lib.sh"
need_env MANDIR
command -v man >/dev/null || skip_all "man missing (package man-db)"
command -v groff >/dev/null || skip_all "groff missing (package groff-base)"

for page in memstop.1 memstop.7; do
	f=$MANDIR/$page
	if [ ! -f "$f" ]; then
		skip "$f not built (scdoc missing or -Dman=disabled)" "$page renders"
		continue
	fi
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
	is "$warnings" "" "$page renders without a warning"
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" 2>/dev/null)
	result "$page: no scdoc artefact or unfilled variable" \
		"$([[ ! $text =~ (__|@[A-Z_]+@|\*[a-z]) ]]; echo $?)" "$(grep -nE '__|@[A-Z_]+@|\*[a-z]' <<<"$text" | head -5)"
	for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" FILES "SEE ALSO"; do
		result "$page has a $section section" "$(grep -q "^$section\$" <<<"$text"; echo $?)"
	done
done

if [ -f "$MANDIR/memstop.1" ]; then
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$MANDIR/memstop.1" 2>/dev/null)
	examples=$(sed -n '/^EXAMPLES$/,/^FILES$/p' <<<"$text" | sed -n 's/^ *\(memstop .*\)$/\1/p')
	is "$(printf '%s\n' "$examples" | head -3)" "memstop -- make -j32
memstop --percent 20 -v -- ninja
memstop --gate 'cc1*,cc1plus,ld*,lto1' -- make -j" "memstop(1): examples keep one command a line"
	like "$text" "wait --min-available 4G --timeout 10m && ./heavy-step" "memstop(1): the wait example is kept whole"
	for code in 0 1 2 124 125 126 127; do
		result "memstop(1) EXIT STATUS lists $code" "$(grep -qE "^ +$code\$" <<<"$text"; echo $?)"
	done
fi
if [ -f "$MANDIR/memstop.7" ]; then
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$MANDIR/memstop.7" 2>/dev/null)
	like "$text" "LD_PRELOAD='/[^ ]*/\\\$LIB/memstop/memstop.so'" "memstop(7): the synopsis preloads through \$LIB"
	like "$text" "R1 to R8" "memstop(7): the history's curve fields read as text"
fi

done_testing
