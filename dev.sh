#!/usr/bin/env bash
# The two entry points of the README, and a few helpers.
#
#   ./dev.sh demo    install what is missing, build, run the whole pipeline once
#   ./dev.sh test    install what is missing, build, run every test tier
#
# Both work on a fresh Debian 12 machine as root (or with sudo) and on a
# warm one, where they skip what is already there.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${VMRELAY_BUILD_DIR:-$top/build}
jobs=${VMRELAY_JOBS:-$(nproc)}

step() { printf '\n==> %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
	step "Debian packages"
	as_root bash "$top/tests/env/install-deps.sh"
}

# Fetches and builds what the test peers run (Kafka jars, the API server,
# the tiny guest). Each script caches under ~/.cache/vmrelay.
install_peers() {
	step "Test peers"
	for script in kafka.sh apiserver.sh; do
		if [ -x "$top/tests/env/$script" ]; then
			"$top/tests/env/$script" install
		fi
	done
	if [ -x "$top/tests/env/guest/build.sh" ]; then
		"$top/tests/env/guest/build.sh"
	fi
}

configure_and_build() {
	step "Build ($build)"
	cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	ninja -C "$build" -j "$jobs"
}

cmd_test() {
	install_packages
	install_peers
	configure_and_build
	step "Tests (every tier)"
	ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
}

cmd_demo() {
	install_packages
	if [ -x "$top/tests/env/apiserver.sh" ]; then
		"$top/tests/env/apiserver.sh" install
	fi
	configure_and_build
	step "Demo"
	exec "$build/producer/cli/vmrelay" demo --source-dir "$top" --state-dir "$build/demo" "$@"
}

case "${1:-}" in
test) shift; cmd_test "$@" ;;
demo) shift; cmd_demo "$@" ;;
build) shift; install_packages; configure_and_build "$@" ;;
*)
	echo "usage: $0 {demo|test|build} [args...]" >&2
	exit 2
	;;
esac
