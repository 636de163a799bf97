#!/usr/bin/env bash
# Runs one program under valgrind's memcheck and fails on any error it
# reports (invalid reads and writes, use of uninitialised values, bad
# frees, definite leaks) as well as on the program's own failure.
#
#   valgrind.sh PROGRAM [ARGS...]
#
# Suppressions for third-party noise are in tests/valgrind.supp.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# A distinct code tells valgrind's verdict from the program's own.
error_code=97

[ "$#" -ge 1 ] || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
log=$(mktemp "${TMPDIR:-/tmp}/vmrelay-valgrind.XXXXXX")
trap 'rm -f "$log"' EXIT

rc=0
valgrind --error-exitcode=$error_code --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --num-callers=30 --suppressions="$repo/tests/valgrind.supp" \
	--log-file="$log" "$@" || rc=$?
if [ "$rc" -eq "$error_code" ]; then
	cat "$log" >&2
	echo "valgrind: FAILED: errors in $1 (log above)" >&2
	exit 1
fi
grep -E 'ERROR SUMMARY' "$log" || true
exit "$rc"
