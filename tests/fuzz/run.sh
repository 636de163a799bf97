#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz (see CMakeLists.txt).
#
#   run.sh build              configure with clang and build every target
#   run.sh run TARGET [SECS]  run one target (e.g. "request") for SECS seconds
#   run.sh all [SECS]         build, then run every target
#   run.sh list               print the target names
#
# Environment:
#   VMRELAY_FUZZ_BUILD_DIR  build folder (default <repo>/build/fuzz)
#   VMRELAY_FUZZ_SECONDS    time per target when SECS is not given (default 15)
#
# The seeds in tests/fuzz/corpus/<target> are read, never written: inputs
# libFuzzer finds go to <build>/corpus/<target>, kept between runs so that
# later runs start where earlier ones stopped. A crash, leak, sanitizer
# report or timeout fails the run and leaves the reproducer in
# <build>/artifacts/<target>/; replay it with
#   <build>/fuzz-<target> <build>/artifacts/<target>/crash-...
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VMRELAY_FUZZ_BUILD_DIR:-$repo/build/fuzz}
seconds_default=${VMRELAY_FUZZ_SECONDS:-15}

say() { echo "fuzz: $*"; }
fail() { echo "fuzz: FAILED: $*" >&2; exit 1; }

targets() {
	local f
	for f in "$here"/fuzz-*.c; do
		f=${f##*/fuzz-}
		echo "${f%.c}"
	done
}

cmd_build() {
	command -v clang >/dev/null || fail "clang is not installed (run tests/env/install-deps.sh)"
	# The configure step is skipped when the folder is already set up, so a
	# warm rebuild costs only what changed.
	if [ ! -f "$build/build.ninja" ]; then
		CC=clang cmake -S "$here" -B "$build" -G Ninja >/dev/null
	fi
	ninja -C "$build" -j "${VMRELAY_JOBS:-$(nproc)}"
}

cmd_run() {
	local target=${1:?run needs a target}
	local seconds=${2:-$seconds_default}
	local program=$build/fuzz-$target
	local corpus=$build/corpus/$target
	local artifacts=$build/artifacts/$target
	local seeds=$here/corpus/$target
	local log=$build/fuzz-$target.log
	local rc=0 runs

	[ -x "$program" ] || fail "$program is not built (run: $0 build)"
	[ -d "$seeds" ] || fail "no seed corpus in $seeds"
	mkdir -p "$corpus" "$artifacts"
	say "$target for ${seconds}s (log: $log)"
	# stdin is closed so that nothing a target reads can wait on a terminal.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		"$program" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
		"$corpus" "$seeds" </dev/null >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written|deadly signal' "$log" \
			| head -n 20 >&2 || true
		fail "$target exited with $rc; reproducer in $artifacts/ (full log: $log)"
	fi
	[ -n "$runs" ] || fail "$target printed no statistics (see $log)"
	say "$target: $runs runs in ${seconds}s, $((runs / seconds)) execs/s," \
		"$(find "$corpus" -type f | wc -l) inputs in the corpus"
}

case "${1:-}" in
build) cmd_build ;;
run) shift; cmd_run "$@" ;;
all)
	shift
	cmd_build
	for t in $(targets); do cmd_run "$t" "$@"; done
	;;
list) targets ;;
*)
	echo "usage: $0 {build|run TARGET [SECS]|all [SECS]|list}" >&2
	exit 2
	;;
esac
