#!/usr/bin/env bash
# The real Kafka test peer: one Apache Kafka broker in KRaft mode (broker and
# controller in one JVM) on loopback, run from the official jars.
#
#   kafka.sh install   fetch the jars with Maven into the cache (once)
#   kafka.sh start     install, format on first start, start, wait until ready
#   kafka.sh check     exit 0 when our broker is running and answers metadata
#   kafka.sh stop      stop our broker (data is kept for the next start)
#   kafka.sh reset     stop and remove the data
#
# Every command is idempotent. Environment:
#   VMRELAY_PEERS_DIR          peer state root (default <repo>/build/peers);
#                              this peer lives in $VMRELAY_PEERS_DIR/kafka
#   VMRELAY_CACHE_DIR          jar cache root (default ~/.cache/vmrelay)
#   VMRELAY_TEST_KAFKA_PORT    client port (default 19092; controller = +1)
#   VMRELAY_KAFKA_START_TIMEOUT  seconds to wait for readiness (default 120)
#
# On start the address is written to $VMRELAY_PEERS_DIR/kafka/bootstrap,
# which tests read with peer_value("kafka", "bootstrap").
set -euo pipefail

KAFKA_VERSION=4.1.1 # keep in step with kafka.version in kafka/pom.xml

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
peers_dir=${VMRELAY_PEERS_DIR:-$repo/build/peers}
dir=$peers_dir/kafka
cache=${VMRELAY_CACHE_DIR:-$HOME/.cache/vmrelay}/kafka-$KAFKA_VERSION
libs=$cache/libs
port=${VMRELAY_TEST_KAFKA_PORT:-19092}
controller_port=$((port + 1))
start_timeout=${VMRELAY_KAFKA_START_TIMEOUT:-120}
stop_timeout=60
address=127.0.0.1:$port

say() { echo "kafka: $*"; }

# Prints why the peer failed, with the end of its log, and exits non-zero.
fail() {
	echo "kafka: FAILED: $*" >&2
	if [ -s "$dir/kafka.log" ]; then
		echo "kafka: last lines of $dir/kafka.log:" >&2
		tail -n 40 "$dir/kafka.log" | sed 's/^/kafka|  /' >&2
	fi
	exit 1
}

# The pid of our broker when it is alive, else nothing.
running_pid() {
	local pid
	[ -s "$dir/pid" ] || return 1
	pid=$(cat "$dir/pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid must not be taken for the broker.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
	echo "$pid"
}

# True when something accepts connections on the port: cheap, so the wait
# below asks kcat (which waits out its whole timeout on a closed port) only
# once the broker listens.
listening() {
	(: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

answers_metadata() {
	listening && kcat -L -b "$address" -m "${1:-3}" >/dev/null 2>&1
}

# Marker of a complete fetch: the pom's checksum, so an edited pom refetches.
pom_sum() { sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1; }

cmd_install() {
	command -v java >/dev/null || fail "java is not installed (run tests/env/install-deps.sh)"
	command -v mvn >/dev/null || fail "mvn is not installed (run tests/env/install-deps.sh)"
	command -v kcat >/dev/null || fail "kcat is not installed (run tests/env/install-deps.sh)"
	if [ -f "$cache/complete" ] && [ "$(cat "$cache/complete")" = "$(pom_sum)" ]; then
		return 0
	fi
	say "fetching Kafka $KAFKA_VERSION jars into $libs"
	mkdir -p "$cache"
	rm -rf "$libs.tmp"
	if ! (cd "$here/kafka" && mvn -q -B dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$libs.tmp") >"$cache/mvn.log" 2>&1; then
		tail -n 30 "$cache/mvn.log" >&2
		fail "Maven could not fetch the Kafka jars (log: $cache/mvn.log)"
	fi
	rm -rf "$libs"
	mv "$libs.tmp" "$libs"
	pom_sum >"$cache/complete"
}

write_config() {
	mkdir -p "$dir/data"
	cat >"$dir/server.properties" <<EOF
# Written by tests/env/kafka.sh; edits are lost on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
# Few offset partitions: the first consumer group then comes up in
# well under a second instead of creating fifty partitions.
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# A two-core machine shared with other peers.
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
# The cleaner serves the compacted heartbeats topic; its default 128 MiB
# buffer would take a quarter of the heap.
log.cleaner.dedupe.buffer.size=16777216
log.cleaner.threads=1
log.retention.hours=24
EOF
	cat >"$dir/log4j2.properties" <<EOF
# Everything at INFO into kafka.log (stdout); at WARN the request and
# state-change loggers and the dump of every configuration value (a
# thousand lines per start).
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = WARN
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
EOF
}

java_opts=(
	-Xmx512m -Xms128m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError
	# C1 only: the broker reaches readiness seconds sooner, and test loads
	# never need C2's peak speed.
	-XX:TieredStopAtLevel=1
	-Djava.awt.headless=true
	-Dlog4j2.configurationFile="$dir/log4j2.properties"
	-Dkafka.logs.dir="$dir/logs"
)

# Class data sharing halves the JVM's start (about 2.4 s to 1.2 s here): the
# first broker records the classes it loaded into an archive when it exits,
# later ones map it. The archive belongs to the jar cache; a start after a
# refetch records a new one. A stale or broken archive is only ignored by
# the JVM, never fatal.
cds=$cache/kafka.jsa
cds_choose() {
	if [ -f "$cds" ] && [ "$cache/complete" -nt "$cds" ]; then
		rm -f "$cds"
	fi
	if [ -f "$cds" ]; then
		cds_arg=-XX:SharedArchiveFile=$cds
	else
		# Written at exit under a private name, moved in place by stop.
		echo "$cds.$$" >"$dir/cds-pending"
		cds_arg=-XX:ArchiveClassesAtExit=$cds.$$
	fi
}

# After our broker exited: adopt the archive it recorded, if it finished.
cds_adopt() {
	local pending
	[ -s "$dir/cds-pending" ] || return 0
	pending=$(cat "$dir/cds-pending")
	rm -f "$dir/cds-pending"
	if [ "$stopped_cleanly" = 1 ] && [ -s "$pending" ]; then
		mv -f "$pending" "$cds"
	else
		rm -f "$pending"
	fi
}

format_storage() {
	[ -f "$dir/data/meta.properties" ] && return 0
	local id
	# A Kafka cluster id is 16 random bytes in URL-safe base64 without padding.
	id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
	say "formatting $dir/data (cluster $id)"
	if ! java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
		-t "$id" -c "$dir/server.properties" >"$dir/format.log" 2>&1; then
		cat "$dir/format.log" >&2
		fail "the storage tool could not format $dir/data"
	fi
}

cmd_start() {
	local pid deadline holder
	cmd_install
	mkdir -p "$dir"
	if pid=$(running_pid); then
		if answers_metadata 5; then
			echo "$address" >"$dir/bootstrap"
			say "already running (pid $pid) at $address"
			return 0
		fi
		say "pid $pid does not answer; restarting it"
		cmd_stop
	fi
	rm -f "$dir/bootstrap"
	if answers_metadata 2; then
		holder=$(ss -Htlnp "sport = :$port" 2>/dev/null | head -n 1)
		fail "port $port already serves another Kafka not started from $dir ($holder);" \
			"stop it or set VMRELAY_TEST_KAFKA_PORT"
	fi
	write_config
	format_storage
	: >"$dir/kafka.log"
	# setsid: the broker outlives this script and ctest's process group, and
	# stop ends it by its pid.
	cds_choose
	setsid java "${java_opts[@]}" "$cds_arg" -cp "$libs/*" kafka.Kafka \
		"$dir/server.properties" >>"$dir/kafka.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/pid"
	deadline=$((SECONDS + start_timeout))
	until answers_metadata 5; do
		kill -0 "$pid" 2>/dev/null || fail "the broker (pid $pid) exited during start"
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "the broker (pid $pid) did not answer on $address within ${start_timeout}s"
		fi
		sleep 0.1
	done
	echo "$address" >"$dir/bootstrap"
	say "ready at $address (pid $pid, log $dir/kafka.log)"
}

cmd_check() {
	local pid
	pid=$(running_pid) || fail "not running (no live broker in $dir/pid)"
	answers_metadata 5 || fail "pid $pid does not answer metadata on $address"
	[ -s "$dir/bootstrap" ] || fail "$dir/bootstrap is missing"
	say "up at $address (pid $pid)"
}

cmd_stop() {
	local pid deadline
	rm -f "$dir/bootstrap"
	if ! pid=$(running_pid); then
		rm -f "$dir/pid"
		stopped_cleanly=0
		cds_adopt
		say "not running"
		return 0
	fi
	kill -TERM "$pid"
	stopped_cleanly=1
	deadline=$((SECONDS + stop_timeout))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			say "pid $pid ignored SIGTERM for ${stop_timeout}s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			stopped_cleanly=0
			break
		fi
		sleep 0.2
	done
	rm -f "$dir/pid"
	cds_adopt
	say "stopped (pid $pid)"
}

cmd_reset() {
	cmd_stop
	rm -rf "$dir/data" "$dir/logs"
	say "data removed"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
check) cmd_check ;;
stop) cmd_stop ;;
reset) cmd_reset ;;
*)
	echo "usage: $0 {install|start|check|stop|reset}" >&2
	exit 2
	;;
esac
