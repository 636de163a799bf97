#!/usr/bin/env python3
"""Many workers on one machine: 20 vmrelay-worker processes as 20 nodes on
the embedded broker, each with its own test:///default host and journal.

Once `vmrelay fleet` shows all of them live, 20 requests per node are
published straight to the node topics with kcat, in the schema of
schemas/request.schema.json, alternating suspendVM and resumeVM on the
node's domain "test" under one key, so each succeeds only if its node ran
them in order. Every request must get exactly one result, from its own
node, successful; nothing is lost or doubled (the results topic is read
again after a quiet second), nothing goes to the DLQ, and every worker
exits 0 on SIGTERM.
Usage: test_fleet_workers.py [NODES [REQUESTS]]
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Pipeline, peer_value  # noqa: E402

NODES = int(sys.argv[1]) if len(sys.argv) > 1 else 20
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
HEARTBEAT_S = 2
KEY = "VirtualMachine/default/test"

t = Failures()


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] \
        + "Z"


def read_topic(bootstrap, topic):
    proc = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q",
                           "-f", "%s\n"], capture_output=True, text=True, timeout=30)
    return [line for line in proc.stdout.splitlines() if line]


def fleet(p):
    proc = subprocess.run([os.path.join(p.bin, "producer", "cli", "vmrelay"), "fleet",
                           "--output", "json"] + p.common(),
                          capture_output=True, text=True, timeout=30)
    try:
        return {n["node"]: n["state"] for n in json.loads(proc.stdout)}
    except (json.JSONDecodeError, KeyError, TypeError):
        return {}


def requests_for(node, prefix):
    lines = []
    for i in range(REQUESTS):
        req = {"version": 1, "id": f"{prefix}-{node}-{i:03d}", "kind": "VirtualMachine",
               "operation": "suspendVM" if i % 2 == 0 else "resumeVM",
               "namespace": "default", "name": "test", "node": node, "params": {},
               "source": "fleet-test", "created_at": now_iso()}
        lines.append(f"{KEY}\t{json.dumps(req)}")
    return "\n".join(lines) + "\n"


def main():
    bootstrap = peer_value("embedded-kafka", "bootstrap")
    start = time.monotonic()
    with Pipeline(bootstrap, nodes=()) as p:
        nodes = [f"n{i:02d}{p.tag}" for i in range(NODES)]
        for node in nodes:
            p.start_one(f"worker-{node}", [
                f"{p.bin}/worker/main/vmrelay-worker", "--node", node,
                "--libvirt-uri", p.libvirt_uri,
                "--set", f"worker.heartbeat-seconds={HEARTBEAT_S}",
                "--set", f"worker.journal={p.logdir}/journal-{node}.db",
                "--set", "log.level=warning"] + p.common())

        deadline = time.monotonic() + 30
        states = {}
        while time.monotonic() < deadline:
            states = fleet(p)
            if all(states.get(n) == "live" for n in nodes):
                break
            time.sleep(0.5)
        live = sum(states.get(n) == "live" for n in nodes)
        t.check(live == NODES, f"all {NODES} workers live in vmrelay fleet, {live} are")
        print(f"{live} workers live after {time.monotonic() - start:.1f} s", flush=True)

        for node in nodes:
            subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", f"{p.prefix}.node.{node}",
                            "-K", "\t"], input=requests_for(node, p.prefix).encode(),
                           check=True, timeout=30)
        want = NODES * REQUESTS
        published = time.monotonic()

        results = []
        while time.monotonic() < published + 40:
            results = read_topic(bootstrap, f"{p.prefix}.results")
            if len(results) >= want:
                break
            time.sleep(0.5)
        print(f"{len(results)} results {time.monotonic() - published:.1f} s after publishing",
              flush=True)
        time.sleep(1)
        results = [json.loads(r) for r in read_topic(bootstrap, f"{p.prefix}.results")]

        ids = Counter(r.get("id") for r in results)
        expected = {f"{p.prefix}-{n}-{i:03d}": n for n in nodes for i in range(REQUESTS)}
        lost = [i for i in expected if ids[i] == 0]
        doubled = [i for i, c in ids.items() if c > 1]
        strange = [i for i in ids if i not in expected]
        t.check(not lost, f"no request lost: {len(lost)} without a result, e.g. {lost[:5]}")
        t.check(not doubled, f"no request answered twice: {doubled[:5]}")
        t.check(not strange, f"no result for an unknown id: {strange[:5]}")
        t.check(len(results) == want, f"{want} results, got {len(results)}")
        wrong_node = [r["id"] for r in results if expected.get(r.get("id")) != r.get("node")]
        t.check(not wrong_node, f"each result comes from its own node: {wrong_node[:5]}")
        failed = [(r.get("id"), r.get("reason"), r.get("message")) for r in results
                  if not r.get("success")]
        t.check(not failed, f"every request succeeds in order: {len(failed)} failed, "
                f"e.g. {failed[:3]}")
        dlq = read_topic(bootstrap, f"{p.prefix}.dlq")
        t.check(not dlq, f"nothing in the DLQ: {dlq[:2]}")

        alive = p.alive()
        t.check(all(alive.values()), f"every worker still runs: "
                f"{[n for n, a in alive.items() if not a]}")
        for name in list(p.procs):
            p.procs[name].send_signal(signal.SIGTERM)
        codes = {name: p.stop(name, signal.SIGTERM, timeout=30) for name in list(p.procs)}
        bad = {n: c for n, c in codes.items() if c != 0}
        t.check(not bad, f"every worker exits 0 on SIGTERM: {bad}")
    print(f"took {time.monotonic() - start:.1f} s", flush=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
