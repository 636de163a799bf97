#!/usr/bin/env bash
# The OVN test peer: a standalone ovsdb-server serving a fresh OVN
# northbound database on a unix socket. Nothing else of OVN runs (no
# northd, no southbound, no controller): the worker's OVN switch backend
# only writes the northbound database, and that is what the tests read.
#
#   ovn.sh start   create the database and start ovsdb-server (if not running)
#   ovn.sh check   exit 0 when ours runs and answers ovn-nbctl
#   ovn.sh stop    stop ours and remove the database
#
# Environment:
#   VMRELAY_PEERS_DIR  peer state root (default <repo>/build/peers); this
#                      peer lives in $VMRELAY_PEERS_DIR/ovn and writes the
#                      database address ("unix:<path>") to its file "nb".
#
# Packages (tests/env/install-deps.sh): openvswitch-common (ovsdb-server,
# ovsdb-tool), ovn-common (ovn-nbctl), ovn-central (the NB schema).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
peers_dir=${VMRELAY_PEERS_DIR:-$repo/build/peers}
dir=$peers_dir/ovn
schema=/usr/share/ovn/ovn-nb.ovsschema
server=/usr/sbin/ovsdb-server
start_timeout=10
stop_timeout=10

say() { echo "ovn: $*"; }

fail() {
	echo "ovn: FAILED: $*" >&2
	if [ -s "$dir/ovsdb-server.log" ]; then
		echo "ovn: last lines of $dir/ovsdb-server.log:" >&2
		tail -n 20 "$dir/ovsdb-server.log" | sed 's/^/ovn|  /' >&2
	fi
	exit 1
}

running_pid() {
	local pid
	[ -s "$dir/pid" ] || return 1
	pid=$(cat "$dir/pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid must not be taken for ours.
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$server")" ] || return 1
	echo "$pid"
}

answers() {
	ovn-nbctl --db="unix:$dir/nb.sock" --timeout=2 ls-list >/dev/null 2>&1
}

cmd_start() {
	local pid deadline
	for tool in "$server" /usr/bin/ovsdb-tool /usr/bin/ovn-nbctl "$schema"; do
		[ -e "$tool" ] || fail "$tool is missing (run tests/env/install-deps.sh)"
	done
	mkdir -p "$dir"
	if pid=$(running_pid); then
		if answers; then
			say "already running (pid $pid) at unix:$dir/nb.sock"
			return 0
		fi
		say "pid $pid does not answer; restarting it"
		cmd_stop
	fi
	rm -f "$dir/nb.db" "$dir/nb.sock" "$dir/nb"
	ovsdb-tool create "$dir/nb.db" "$schema" || fail "ovsdb-tool create failed"
	: >"$dir/ovsdb-server.log"
	# --detach would fork away from the pid we record; run it in the
	# foreground of its own session instead.
	setsid "$server" "$dir/nb.db" --remote="punix:$dir/nb.sock" \
		--unixctl="$dir/ovsdb-server.ctl" --log-file="$dir/ovsdb-server.log" \
		</dev/null >>"$dir/ovsdb-server.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	deadline=$((SECONDS + start_timeout))
	until answers; do
		kill -0 "$pid" 2>/dev/null || fail "ovsdb-server (pid $pid) exited during start"
		[ "$SECONDS" -lt "$deadline" ] || fail "no answer from pid $pid within ${start_timeout}s"
		sleep 0.1
	done
	echo "unix:$dir/nb.sock" >"$dir/nb"
	say "ready at unix:$dir/nb.sock (pid $pid, log $dir/ovsdb-server.log)"
}

cmd_check() {
	local pid
	pid=$(running_pid) || fail "not running (no live ovsdb-server in $dir/pid)"
	answers || fail "pid $pid does not answer ovn-nbctl"
	say "up at $(cat "$dir/nb") (pid $pid)"
}

cmd_stop() {
	local pid deadline
	if ! pid=$(running_pid); then
		rm -f "$dir/pid" "$dir/nb" "$dir/nb.sock" "$dir/nb.db"
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
	rm -f "$dir/pid" "$dir/nb" "$dir/nb.sock" "$dir/nb.db"
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
