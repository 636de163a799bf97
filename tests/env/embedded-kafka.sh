#!/usr/bin/env bash
# The embedded Kafka test peer: vmrelay-embedded-kafka (librdkafka's mock
# cluster) in the background.
#
#   embedded-kafka.sh start   start it (if not running) and wait until ready
#   embedded-kafka.sh check   exit 0 when ours runs and answers metadata
#   embedded-kafka.sh stop    stop ours
#
# Environment:
#   VMRELAY_PEERS_DIR     peer state root (default <repo>/build/peers); this
#                         peer lives in $VMRELAY_PEERS_DIR/embedded-kafka
#   VMRELAY_BINARY_DIR    the CMake build folder holding the program
#                         (default <repo>/build)
#   VMRELAY_EMBEDDED_KAFKA_BROKERS  brokers (default 1)
#
# The brokers listen on ports the kernel picks (librdkafka cannot be told
# one), so the address is only known from the "bootstrap" file it writes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
peers_dir=${VMRELAY_PEERS_DIR:-$repo/build/peers}
dir=$peers_dir/embedded-kafka
binary_dir=${VMRELAY_BINARY_DIR:-$repo/build}
program=$binary_dir/producer/embedded-kafka/vmrelay-embedded-kafka
brokers=${VMRELAY_EMBEDDED_KAFKA_BROKERS:-1}
start_timeout=20
stop_timeout=10
# The fixed topics of vmrelay; node topics are created on first use.
topics=vmrelay.results,vmrelay.events,vmrelay.heartbeats,vmrelay.dlq

say() { echo "embedded-kafka: $*"; }

fail() {
	echo "embedded-kafka: FAILED: $*" >&2
	if [ -s "$dir/embedded-kafka.log" ]; then
		echo "embedded-kafka: last lines of $dir/embedded-kafka.log:" >&2
		tail -n 30 "$dir/embedded-kafka.log" | sed 's/^/embedded-kafka|  /' >&2
	fi
	exit 1
}

running_pid() {
	local pid
	[ -s "$dir/pid" ] || return 1
	pid=$(cat "$dir/pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid must not be taken for ours.
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$program")" ] || return 1
	echo "$pid"
}

answers_metadata() {
	[ -s "$dir/bootstrap" ] && kcat -L -b "$(cat "$dir/bootstrap")" -m "${1:-3}" >/dev/null 2>&1
}

cmd_start() {
	local pid deadline
	[ -x "$program" ] || fail "$program is not built (set VMRELAY_BINARY_DIR to the build folder)"
	command -v kcat >/dev/null || fail "kcat is not installed (run tests/env/install-deps.sh)"
	mkdir -p "$dir"
	if pid=$(running_pid); then
		if answers_metadata 5; then
			say "already running (pid $pid) at $(cat "$dir/bootstrap")"
			return 0
		fi
		say "pid $pid does not answer; restarting it"
		cmd_stop
	fi
	rm -f "$dir/bootstrap"
	: >"$dir/embedded-kafka.log"
	setsid "$program" --brokers "$brokers" --topics "$topics" \
		--bootstrap-file "$dir/bootstrap" >>"$dir/embedded-kafka.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/pid"
	deadline=$((SECONDS + start_timeout))
	until answers_metadata 2; do
		kill -0 "$pid" 2>/dev/null || fail "the program (pid $pid) exited during start"
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "no answer from pid $pid within ${start_timeout}s"
		fi
		sleep 0.1
	done
	say "ready at $(cat "$dir/bootstrap") (pid $pid, log $dir/embedded-kafka.log)"
}

cmd_check() {
	local pid
	pid=$(running_pid) || fail "not running (no live program in $dir/pid)"
	answers_metadata 5 || fail "pid $pid does not answer metadata"
	say "up at $(cat "$dir/bootstrap") (pid $pid)"
}

cmd_stop() {
	local pid deadline
	if ! pid=$(running_pid); then
		rm -f "$dir/pid" "$dir/bootstrap"
		say "not running"
		return 0
	fi
	kill -TERM "$pid"
	deadline=$((SECONDS + stop_timeout))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			say "pid $pid ignored SIGTERM for ${stop_timeout}s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	rm -f "$dir/pid" "$dir/bootstrap"
	say "stopped (pid $pid)"
}

case "${1:-}" in
start) cmd_start ;;
check) cmd_check ;;
stop) cmd_stop ;;
*)
	echo "usage: $0 {start|check|stop}" >&2
	exit 2
	;;
esac
