#!/usr/bin/env bash
# Builds the whole tree with -DVMRELAY_SANITIZE=ON (gcc's AddressSanitizer
# and UndefinedBehaviorSanitizer) and runs its unit tier.
#
#   asan.sh [BUILD-DIR]     default <repo>/build/asan
#
# The folder is kept between runs, so a warm run rebuilds only what
# changed. The run fails on a failing test and on any sanitizer report,
# also one printed by a child process whose exit status a test ignored.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build/asan}
jobs=${VMRELAY_JOBS:-$(nproc)}

say() { echo "asan: $*"; }
fail() { echo "asan: FAILED: $*" >&2; exit 1; }

start=$SECONDS
# Debug (-O0) compiles fastest; the sanitizers do not need the optimizer.
if [ ! -f "$build/build.ninja" ]; then
	cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVMRELAY_SANITIZE=ON \
		>/dev/null || fail "cannot configure $build"
fi
ninja -C "$build" -j "$jobs" >"$build/asan-build.log" 2>&1 || {
	grep -E -A5 'FAILED|error' "$build/asan-build.log" | head -n 40 >&2
	fail "the sanitizer build failed (log: $build/asan-build.log)"
}
built=$SECONDS
say "build took $((built - start))s"

# abort_on_error turns every report into a failed test; the leak check
# runs at exit of each test program. The slow unwinder on malloc gives
# whole leak stacks through libraries built without frame pointers
# (libcjson), at a cost the unit tier can afford.
asan=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:fast_unwind_on_malloc=0
export ASAN_OPTIONS=$asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0
rc=0
ctest --test-dir "$build" -L unit --output-on-failure -j "$jobs" --timeout 600 || rc=$?
log=$build/Testing/Temporary/LastTest.log
reports='ERROR: (Address|Leak)Sanitizer|runtime error:'
if [ -f "$log" ] && grep -q -E "$reports" "$log"; then
	grep -E -n "$reports" "$log" | head -n 20 >&2 || true
	fail "sanitizer reports in the unit tier (see $log)"
fi
[ "$rc" -eq 0 ] || fail "unit tests failed under the sanitizers (see $log)"
say "unit tier clean under ASan/UBSan; tests took $((SECONDS - built))s"
