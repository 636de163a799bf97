#!/usr/bin/env python3
"""`vmrelay fleet` and `vmrelay dlq` against two real workers.

Two vmrelay-worker processes (test:///default, a heartbeat every second)
run as two nodes on the embedded broker. `vmrelay fleet` must show both
live with their capacity; after one is SIGKILLed it must show it lost once
the grace period has passed, and still live under a long grace. A message
that is not a request, published with kcat to a node topic, must land in
<prefix>.dlq and be listed by `vmrelay dlq list` with its reason; `vmrelay
dlq replay` must refuse it without --force, and republish it with its key
to another topic and to its origin topic (where the worker refuses it
again) with --force.
Usage: test_fleet_dlq.py
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Pipeline, peer_value  # noqa: E402

HEARTBEAT_S = 1
GRACE_S = 2
BAD = "this is not a request {"
KEY = "VirtualMachine/default/dlqvm001"

t = Failures()


def wait_for(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    t.check(False, f"{what} within {timeout} s")
    return None


class Cli:
    def __init__(self, p):
        self.p = p
        self.vmrelay = os.path.join(p.bin, "producer", "cli", "vmrelay")

    def run(self, *args):
        proc = subprocess.run([self.vmrelay, *args, "--brokers", self.p.bootstrap, "--set",
                               f"topic.prefix={self.p.prefix}"],
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    def json(self, *args):
        code, out, err = self.run(*args, "--output", "json")
        if code != 0:
            print(f"vmrelay {' '.join(args)}: exit {code}: {err}", flush=True)
            return None
        return json.loads(out)

    def fleet(self, *args):
        nodes = self.json("fleet", *args)
        return {n["node"]: n for n in nodes} if nodes is not None else {}


def start_worker(p, node):
    p.start_one(f"worker-{node}", [
        f"{p.bin}/worker/main/vmrelay-worker", "--node", node, "--libvirt-uri", p.libvirt_uri,
        "--set", f"worker.heartbeat-seconds={HEARTBEAT_S}",
        "--set", f"worker.journal={p.logdir}/journal-{node}.db"] + p.common())


def read_topic(bootstrap, topic):
    """Every record of topic as (key, value)."""
    proc = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q",
                           "-f", "%k\t%s\n"], capture_output=True, text=True, timeout=30)
    return [tuple(line.split("\t", 1)) for line in proc.stdout.splitlines() if "\t" in line]


def check_fleet(p, cli, a, b):
    nodes = wait_for(lambda: (lambda f: f if all(f.get(n, {}).get("state") == "live"
                                                 for n in (a, b)) else None)(cli.fleet()),
                     "both nodes live in vmrelay fleet")
    if not nodes:
        return
    for n in (a, b):
        t.check(nodes[n]["cpus"] > 0, f"{n} has CPUs: {nodes[n]}")
        t.check(nodes[n]["free_memory_kib"] > 0, f"{n} has free memory: {nodes[n]}")
        t.check(nodes[n]["in_flight"] == 0, f"{n} has nothing in flight: {nodes[n]}")
        t.check(nodes[n]["silent_ms"] < 3 * HEARTBEAT_S * 1000, f"{n} is not silent: {nodes[n]}")
    code, out, _ = cli.run("fleet")
    t.check(code == 0 and "2 node(s), 2 live." in out, f"fleet text names both live: {out}")

    t.check(p.stop(f"worker-{b}", signal.SIGKILL) == -signal.SIGKILL, f"{b} is killed")
    killed = time.monotonic()
    # Under a long grace the dead node is still counted live.
    nodes = cli.fleet("--grace", "60")
    t.check(nodes.get(b, {}).get("state") == "live", f"{b} live under a 60 s grace: {nodes}")
    nodes = wait_for(lambda: (lambda f: f if f.get(b, {}).get("state") == "lost" else None)(
        cli.fleet("--grace", str(GRACE_S))), f"{b} lost after --grace {GRACE_S}", timeout=15)
    if nodes:
        # Lost no sooner than the grace (three intervals, when longer).
        t.check(time.monotonic() - killed >= max(GRACE_S, 3 * HEARTBEAT_S) - 1.5,
                f"{b} was not lost before its grace period")
        t.check(nodes[a]["state"] == "live", f"{a} stays live: {nodes}")
        t.check(nodes[b]["silent_ms"] >= max(GRACE_S, 3 * HEARTBEAT_S) * 1000,
                f"{b} silent longer than its grace: {nodes[b]}")
    code, out, _ = cli.run("fleet", "--set", f"fleet.grace-seconds={GRACE_S}")
    line = [ln for ln in out.splitlines() if ln.startswith(b + " ")]
    t.check(code == 0 and line and line[0].split()[1] == "lost" and "1 live." in out,
            f"fleet.grace-seconds={GRACE_S} shows {b} lost: {out}")


def dlq_records(cli, origin):
    records = cli.json("dlq", "list") or []
    return [r for r in records if r.get("topic") == origin]


def check_dlq(p, cli, a):
    origin = f"{p.prefix}.node.{a}"
    subprocess.run(["kcat", "-P", "-b", p.bootstrap, "-t", origin, "-k", KEY],
                   input=BAD.encode(), check=True, timeout=30)
    records = wait_for(lambda: dlq_records(cli, origin), f"a record from {origin} in the DLQ")
    if not records:
        return
    rec = records[0]
    t.check(len(records) == 1, f"one DLQ record: {records}")
    t.check(rec.get("payload") == BAD, f"the payload is kept: {rec}")
    t.check(rec.get("node") == a and rec.get("source") == "vmrelay-worker",
            f"node and source: {rec}")
    t.check("JSON" in rec.get("error", ""), f"the reason says it is not JSON: {rec}")
    t.check(rec.get("received_ms", 0) > 0, f"it has a time: {rec}")
    dlq = read_topic(p.bootstrap, f"{p.prefix}.dlq")
    t.check(len(dlq) == 1 and dlq[0][0] == KEY, f"the DLQ message has the original key: {dlq}")
    pos = f"{rec['dlq_partition']}:{rec['dlq_offset']}"

    code, out, _ = cli.run("dlq", "list")
    t.check(code == 0 and f"{pos} " in out and "not valid JSON" in out and BAD in out
            and "1 record(s)" in out, f"dlq list text shows the record and reason: {out}")

    # Not a request: refused without --force, nothing published.
    code, out, err = cli.run("dlq", "replay", "--offset", pos)
    t.check(code == 1 and "--force" in err, f"replay without --force refused: {code} {err}")
    other = f"{p.prefix}.replayed"
    code, out, err = cli.run("dlq", "replay", "--offset", pos, "--to-topic", other, "--force",
                             "--output", "json")
    t.check(code == 0, f"replay --to-topic --force: exit {code}: {err}")
    if code == 0:
        done = json.loads(out)
        t.check(done.get("topic") == other and done.get("key") == KEY, f"replay says: {done}")
    got = read_topic(p.bootstrap, other)
    t.check(got == [(KEY, BAD)], f"{other} holds the payload under its key: {got}")

    # To its origin: the worker refuses it again, a second record.
    code, out, err = cli.run("dlq", "replay", "--offset", pos, "--force")
    t.check(code == 0, f"replay --force: exit {code}: {err}")
    records = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(dlq_records(cli, origin)),
                       "the replayed message in the DLQ again")
    if records:
        t.check(records[1]["offset"] > records[0]["offset"] and records[1]["payload"] == BAD,
                f"the second record is a later message with the same payload: {records}")
    code, out, err = cli.run("dlq", "replay", "--offset", "0:999999")
    t.check(code == 2, f"replay of a missing record: exit {code}")


def main():
    bootstrap = peer_value("embedded-kafka", "bootstrap")
    with Pipeline(bootstrap, nodes=()) as p:
        cli = Cli(p)
        a, b = f"fa{p.tag}", f"fb{p.tag}"
        start_worker(p, a)
        start_worker(p, b)
        check_fleet(p, cli, a, b)
        check_dlq(p, cli, a)
        t.check(all(p.alive().values()), f"the live worker is still running: {p.alive()}")
        t.check(p.stop(f"worker-{a}") == 0, f"{a} exits 0 on SIGTERM")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
