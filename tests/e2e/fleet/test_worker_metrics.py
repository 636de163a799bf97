#!/usr/bin/env python3
"""The worker's Prometheus endpoint after real requests.

One vmrelay-worker (test:///default, metrics.listen on a free loopback
port, a heartbeat every second) on the embedded broker. Before any request
/metrics serves every worker metric with HELP and TYPE and nothing
counted; then requests go through Kafka with `vmrelay submit --wait`
(some succeed, one fails in libvirt, one id is sent twice and answered
from the journal). /metrics must then count requests by operation and
outcome exactly as the results say, hold one duration and one dispatch
observation per request, count the replay, and at rest show nothing in
flight, no lag and a journal with one entry per id. /healthz and /readyz
answer 200.
Usage: test_worker_metrics.py
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Pipeline, peer_value  # noqa: E402

HEARTBEAT_S = 1
METRICS = {
    "vmrelay_worker_requests_total": "counter",
    "vmrelay_worker_request_duration_seconds": "histogram",
    "vmrelay_worker_dispatch_to_start_seconds": "histogram",
    "vmrelay_worker_replays_total": "counter",
    "vmrelay_worker_in_flight": "gauge",
    "vmrelay_worker_consumer_lag": "gauge",
    "vmrelay_worker_journal_entries": "gauge",
}
# (operation, params, succeeds) on the test driver's running domain "test".
STEPS = [
    ("suspendVM", "{}", True),
    ("resumeVM", "{}", True),
    ("resumeVM", "{}", False),  # not paused: LibvirtError
    ("resizeRAM", '{"size":"1048576","live":true}', True),
    ("stopVM", "{}", True),
]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

t = Failures()


def parse(text):
    """{name: {frozenset(labels): value}}, {name: type}, {name: help}."""
    samples, types, helps = {}, {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line.startswith("# HELP "):
            _, _, name, text_ = line.split(" ", 3)
            helps[name] = text_
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            if not t.check(m, f"a well-formed sample line: {line!r}"):
                continue
            labels = frozenset(LABEL.findall(m.group(3) or ""))
            samples.setdefault(m.group(1), {})[labels] = float(m.group(4))
    return samples, types, helps


def series(samples, name, **want):
    """The samples of name whose labels include want."""
    out = {}
    for labels, value in samples.get(name, {}).items():
        d = dict(labels)
        if all(d.get(k) == v for k, v in want.items()):
            out[labels] = value
    return out


def scrape(p):
    code, text = p.scrape("worker")
    t.check(code == 200, f"/metrics answers 200, got {code}")
    return parse(text)


def submit(p, node, op, params, req_id):
    vmrelay = os.path.join(p.bin, "producer", "cli", "vmrelay")
    proc = subprocess.run([vmrelay, "submit", "--node", node, "--kind", "VirtualMachine",
                           "--name", "test", "--op", op, "--params", params, "--id", req_id,
                           "--wait", "--timeout", "30", "--output", "json",
                           "--set", "validate.name-min=4"] + p.common(),
                          capture_output=True, text=True, timeout=60)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(f"submit {op}: exit {proc.returncode}: {proc.stdout} {proc.stderr}", flush=True)
        return proc.returncode, {}


def check_at_rest(p, journal_ids):
    """Gauges are refreshed with each heartbeat: wait for one after the last
    request."""
    time.sleep(2.5 * HEARTBEAT_S)
    samples, _, _ = scrape(p)
    flight = samples.get("vmrelay_worker_in_flight", {}).get(frozenset())
    lag = samples.get("vmrelay_worker_consumer_lag", {}).get(frozenset())
    journal = samples.get("vmrelay_worker_journal_entries", {}).get(frozenset())
    t.check(flight == 0, f"in_flight is 0 at rest, got {flight}")
    t.check(lag == 0, f"consumer_lag is 0 at rest, got {lag}")
    t.check(journal == journal_ids, f"journal_entries is {journal_ids}, got {journal}")
    return samples


def check_histogram(samples, name, counts):
    for op, n in counts.items():
        count = series(samples, name + "_count", operation=op)
        total = series(samples, name + "_sum", operation=op)
        buckets = sorted(((float(dict(k)["le"]), v) for k, v in
                          series(samples, name + "_bucket", operation=op).items()),
                         key=lambda b: b[0])
        t.check(list(count.values()) == [n], f"{name}_count{{{op}}} is {n}: {count}")
        t.check(len(total) == 1 and 0 <= list(total.values())[0] < 60 * n,
                f"{name}_sum{{{op}}} is sane: {total}")
        t.check(buckets and buckets[-1][0] == float("inf") and buckets[-1][1] == n,
                f"{name}_bucket{{{op},le=+Inf}} is {n}: {buckets}")
        t.check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])),
                f"{name} buckets of {op} never decrease: {buckets}")
    ops = {dict(k).get("operation") for k in samples.get(name + "_count", {})}
    t.check(ops == set(counts), f"{name} has exactly the operations run: {ops}")


def main():
    bootstrap = peer_value("embedded-kafka", "bootstrap")
    with Pipeline(bootstrap, nodes=()) as p:
        node = f"m{p.tag}"
        p.start_one("worker", [
            f"{p.bin}/worker/main/vmrelay-worker", "--node", node, "--libvirt-uri",
            p.libvirt_uri, "--set", f"worker.heartbeat-seconds={HEARTBEAT_S}",
            "--set", f"worker.journal={p.logdir}/journal-{node}.db"]
            + p.metrics_arg("worker") + p.common())

        deadline = time.monotonic() + 20
        samples = types = helps = None
        while time.monotonic() < deadline:
            try:
                samples, types, helps = scrape(p)
                break
            except OSError:
                time.sleep(0.2)
        if not t.check(samples is not None, "the worker serves /metrics within 20 s"):
            return t.finish()
        for name, kind in METRICS.items():
            t.check(types.get(name) == kind, f"{name} has TYPE {kind}: {types.get(name)}")
            t.check(helps.get(name), f"{name} has a HELP text")
        t.check(not series(samples, "vmrelay_worker_requests_total"),
                "no request counted before the first")
        code, body = p.scrape("worker", "/healthz")
        t.check(code == 200 and body.strip() == "ok", f"/healthz: {code} {body!r}")
        # Ready once the worker consumes its topic (READY=1), which may
        # follow the first /metrics by the group join.
        code, body = None, ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                code, body = p.scrape("worker", "/readyz")
                break
            except urllib.error.HTTPError as e:
                code, body = e.code, e.read().decode()
                t.check(code == 503 and body.strip() == "not ready",
                        f"/readyz before ready: {code} {body!r}")
                time.sleep(0.2)
        t.check(code == 200 and body.strip() == "ready", f"/readyz: {code} {body!r}")

        outcomes = Counter()
        per_op = Counter()
        ids = []
        for i, (op, params, ok) in enumerate(STEPS):
            req_id = f"{node}-{i:02d}-{op}"
            code, res = submit(p, node, op, params, req_id)
            t.check((code == 0) == ok and res.get("success") == ok,
                    f"{op} {'succeeds' if ok else 'fails'}: exit {code}, {res}")
            outcomes[(op, res.get("reason"))] += 1
            per_op[op] += 1
            ids.append(req_id)
        t.check(("resumeVM", "LibvirtError") in outcomes, f"one LibvirtError: {outcomes}")

        samples = check_at_rest(p, len(ids))
        got = {(dict(k)["operation"], dict(k)["outcome"]): v
               for k, v in series(samples, "vmrelay_worker_requests_total").items()}
        t.check(got == dict(outcomes), f"requests_total by operation and outcome: {got} "
                f"!= {dict(outcomes)}")
        check_histogram(samples, "vmrelay_worker_request_duration_seconds", per_op)
        check_histogram(samples, "vmrelay_worker_dispatch_to_start_seconds", per_op)
        replays = samples.get("vmrelay_worker_replays_total", {}).get(frozenset())
        t.check(replays == 0, f"no replay yet, got {replays}")

        # The same id again: answered from the journal, counted as a replay.
        code, res = submit(p, node, "stopVM", "{}", ids[-1])
        t.check(code == 0 and res.get("success"), f"the replayed stopVM succeeds: {res}")
        samples = check_at_rest(p, len(ids))
        replays = samples.get("vmrelay_worker_replays_total", {}).get(frozenset())
        t.check(replays == 1, f"one replay counted, got {replays}")
        got = {(dict(k)["operation"], dict(k)["outcome"]): v
               for k, v in series(samples, "vmrelay_worker_requests_total").items()}
        t.check(got == dict(outcomes), f"a replay does not run again: {got}")

        t.check(p.stop("worker", signal.SIGTERM) == 0, "the worker exits 0 on SIGTERM")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
