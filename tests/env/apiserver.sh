#!/usr/bin/env bash
# The Kubernetes API server test peer: k8s.io/apiextensions-apiserver with an
# embedded etcd (tests/env/apiserver/), serving vmrelay's seven CRDs.
#
#   apiserver.sh install   build the server once per source hash (cached)
#   apiserver.sh start     install, start in the background, apply the CRDs
#                          and wait until they are Established
#   apiserver.sh check     is it serving, with every CRD Established?
#   apiserver.sh stop      stop it (nothing running is fine)
#
# State lives in $VMRELAY_PEERS_DIR/apiserver (default build/peers/apiserver):
#   kubeconfig           YAML, PEM files referred to by absolute path
#   kubeconfig-embedded  YAML, the same with *-data fields (base64 PEM)
#   pki/                 ca.crt, client.crt/.key (CN=vmrelay-test,
#                        O=system:masters), server.crt/.key
#   server               the URL, https://127.0.0.1:16443
#   etcd/ etcd.log apiserver.log apiserver.pid ready
# A fresh start wipes the etcd data so every run begins empty; set
# VMRELAY_APISERVER_KEEP_DATA=1 to keep it. Ports are fixed per machine
# (API 16443, etcd 12379 and 12380); to run a second instance beside one,
# set VMRELAY_APISERVER_PORT and VMRELAY_APISERVER_ETCD_PORT (etcd's peer
# port is the next one) in the environment of ctest or of this script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
module=$here/apiserver
crd_dir=$root/schemas/crds
peers=${VMRELAY_PEERS_DIR:-$root/build/peers}
dir=$peers/apiserver
port=${VMRELAY_APISERVER_PORT:-16443}
etcd_port=${VMRELAY_APISERVER_ETCD_PORT:-12379}
etcd_peer_port=$((etcd_port + 1))
url=https://127.0.0.1:$port
log=$dir/apiserver.log
pidfile=$dir/apiserver.pid

# The cache key covers every input of the build, so an edit rebuilds.
hash=$(cat "$module"/go.mod "$module"/go.sum "$module"/*.go | sha256sum | cut -c1-16)
bin_dir=${HOME:-/root}/.cache/vmrelay/apiserver-$hash
bin=$bin_dir/vmrelay-apiserver

# The log is shown only once it is this run's (or when checking a server).
show_log=0
fail() {
	echo "apiserver: $*" >&2
	if [ "$show_log" = 1 ] && [ -s "$log" ]; then
		echo "apiserver: last lines of $log:" >&2
		tail -n 25 "$log" >&2
	fi
	exit 1
}

install() {
	if [ -x "$bin" ]; then
		echo "apiserver: using cached $bin"
		return 0
	fi
	mkdir -p "$bin_dir"
	# Two fixtures or shells may install at once; one builds, the other waits.
	exec 9>"$bin_dir/.lock"
	flock 9
	if [ ! -x "$bin" ]; then
		echo "apiserver: building $bin (cold: about 5 minutes on 2 cores)"
		local start=$SECONDS
		(cd "$module" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$bin.tmp" .) ||
			{ exec 9>&-; echo "apiserver: go build failed in $module" >&2; exit 1; }
		mv "$bin.tmp" "$bin"
		echo "apiserver: built in $((SECONDS - start)) s"
	fi
	exec 9>&-
}

running() {
	[ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

api() {
	curl -sS --fail --max-time 5 --cacert "$dir/pki/ca.crt" \
		--cert "$dir/pki/client.crt" --key "$dir/pki/client.key" "$url$1"
}

# Prints nothing and succeeds when every CRD file's CRD is Established.
crds_established() {
	local f name body
	for f in "$crd_dir"/*.yaml; do
		name=$(sed -n 's/^  name: *\([a-z]*\.cloudplus\.io\) *$/\1/p' "$f")
		[ -n "$name" ] || { echo "no metadata.name in $f"; return 1; }
		body=$(api "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$name" 2>&1) ||
			{ echo "GET $name: $body"; return 1; }
		python3 -c '
import json, sys
conds = json.load(sys.stdin).get("status", {}).get("conditions", [])
ok = any(c["type"] == "Established" and c["status"] == "True" for c in conds)
sys.exit(0 if ok else 1)' <<<"$body" || { echo "$name is not Established"; return 1; }
	done
}

check() {
	show_log=1
	running || fail "not running (no live process in $pidfile)"
	local out
	out=$(api /readyz 2>&1) || fail "GET $url/readyz: $out"
	out=$(crds_established) || fail "$out"
	echo "apiserver: serving $url with $(ls "$crd_dir"/*.yaml | wc -l) CRDs Established"
}

start() {
	install
	mkdir -p "$dir"
	if running; then
		echo "apiserver: already running (pid $(cat "$pidfile"))"
		check
		return 0
	fi
	local busy
	busy=$(ss -Htlnp "( sport = :$port or sport = :$etcd_port or sport = :$etcd_peer_port )" \
		2>/dev/null || true)
	[ -z "$busy" ] || fail "ports $port/$etcd_port/$etcd_peer_port are taken: $busy"
	if [ "${VMRELAY_APISERVER_KEEP_DATA:-0}" != 1 ]; then
		rm -rf "$dir/etcd"
	fi
	rm -f "$dir/ready"
	local start=$SECONDS
	# Detached with its own session and no inherited pipes, so that ctest,
	# which waits for a test's output to close, does not wait on the server.
	setsid "$bin" --dir "$dir" --crd-dir "$crd_dir" --port "$port" \
		--etcd-client-port "$etcd_port" --etcd-peer-port "$etcd_peer_port" \
		</dev/null >"$log" 2>&1 &
	echo $! >"$pidfile"
	show_log=1
	echo "$url" >"$dir/server"
	local deadline=$((SECONDS + 90))
	while [ ! -e "$dir/ready" ]; do
		running || fail "the server exited during startup"
		[ $SECONDS -lt $deadline ] || fail "CRDs not Established within 90 s"
		sleep 0.2
	done
	check
	echo "apiserver: started in $((SECONDS - start)) s; kubeconfig $dir/kubeconfig"
}

stop() {
	if ! running; then
		rm -f "$pidfile"
		echo "apiserver: not running"
		return 0
	fi
	local pid
	pid=$(cat "$pidfile")
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "apiserver: pid $pid ignored SIGTERM for 20 s; killing it" >&2
		kill -KILL "$pid"
	fi
	rm -f "$pidfile" "$dir/ready"
	echo "apiserver: stopped"
}

case "${1:-}" in
install | start | check | stop) "$1" ;;
*)
	echo "usage: $0 {install|start|check|stop}" >&2
	exit 2
	;;
esac
