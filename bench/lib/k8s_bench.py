"""Benchmarks that need the API server: end-to-end latency of the whole
pipeline on the real broker, the bridge's dispatch rate against kcat, and
the bridge's memory with many resources."""
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid

from common import (BRIDGE, STATUS, Procs, log, rss_kb, worker_argv)
from gen_node import domain_name
from gen_node import write as write_node

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "lib"))
from pipeline import Kube  # noqa: E402

PATCH_THREADS = 8
CREATE_THREADS = 8
FINISHED = ("Succeeded", "Failed", "Rejected")


class Conn:
    """One kept-alive HTTPS connection to the API server."""

    def __init__(self, kube):
        self.kube = kube
        host = kube.server.split("://", 1)[1]
        self.conn = http.client.HTTPSConnection(host, context=kube.ctx, timeout=60)

    def request(self, method, path, body=None, ctype="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": ctype} if data else {}
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt:
                    raise
        return None, None


def _parallel(kube, items, fn, threads):
    q = queue.Queue()
    for it in items:
        q.put(it)
    errors = []

    def run():
        c = Conn(kube)
        while True:
            try:
                it = q.get_nowait()
            except queue.Empty:
                return
            code = fn(c, it)
            if code not in (200, 201):
                errors.append(code)

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errors


def create_vms(kube, ns, names, node, lifecycle=None):
    def one(c, name):
        spec = {"nodeName": node}
        if lifecycle:
            spec["lifecycle"] = lifecycle
        obj = {"apiVersion": "cloudplus.io/v1alpha3", "kind": "VirtualMachine",
               "metadata": {"name": name, "namespace": ns, "labels": {"host": node}},
               "spec": spec}
        return c.request("POST", kube.path("VirtualMachine", ns), obj)[0]
    return _parallel(kube, names, one, CREATE_THREADS)


def delete_namespace_vms(kube, ns):
    Conn(kube).request("DELETE", kube.path("VirtualMachine", ns))


class Watcher(threading.Thread):
    """Watches the namespace and records when each resource's outcome is
    written: spec.lifecycle gone and a finished status.lastRequest whose id
    is new."""

    def __init__(self, kube, ns, on_done):
        super().__init__(daemon=True)
        self.kube, self.ns, self.on_done = kube, ns, on_done
        self.stop = False
        code, body = Conn(kube).request("GET", kube.path("VirtualMachine", ns) + "?limit=1")
        self.rv = json.loads(body)["metadata"]["resourceVersion"]
        self.ready = threading.Event()

    def run(self):
        host = self.kube.server.split("://", 1)[1]
        conn = http.client.HTTPSConnection(host, context=self.kube.ctx, timeout=3600)
        conn.request("GET", self.kube.path("VirtualMachine", self.ns) +
                     f"?watch=1&allowWatchBookmarks=false&resourceVersion={self.rv}")
        resp = conn.getresponse()
        self.ready.set()
        while not self.stop:
            line = resp.readline()
            if not line:
                return
            now = time.monotonic()
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            obj = ev.get("object", {})
            spec = obj.get("spec", {})
            last = obj.get("status", {}).get("lastRequest", {})
            if "lifecycle" in spec or last.get("phase") not in FINISHED:
                continue
            if not spec.get("status", {}).get("conditions", {}).get("state", {}).get("waiting"):
                continue
            self.on_done(obj["metadata"]["name"], last.get("id"), last.get("phase"), now)


def _pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * (len(v) - 1) + 0.5))]


def latency_step(kube, ns, names, rate, seconds, latency_file=None):
    """Patches spec.lifecycle at rate for seconds, one request at a time per
    resource (suspendVM and resumeVM in turn), and measures patch to
    outcome."""
    lock = threading.Lock()
    state = {n: {"busy": False, "last_id": None, "t0": None, "step": 0} for n in names}
    free = queue.Queue()
    for n in names:
        free.put(n)
    lat, phases = [], {}
    work = queue.Queue()

    def on_done(name, rid, phase, now):
        with lock:
            s = state.get(name)
            if not s or not s["busy"] or rid == s["last_id"] or s["t0"] is None:
                return
            s["busy"], s["last_id"] = False, rid
            lat.append((now - s["t0"]) * 1000)
            phases[phase] = phases.get(phase, 0) + 1
        free.put(name)

    watcher = Watcher(kube, ns, on_done)
    watcher.start()
    watcher.ready.wait(10)
    patch_errors = []

    def patcher():
        c = Conn(kube)
        while True:
            item = work.get()
            if item is None:
                return
            name, op = item
            with lock:
                state[name]["t0"] = time.monotonic()
            code, _ = c.request("PATCH", kube.path("VirtualMachine", ns, name),
                                {"spec": {"lifecycle": {op: {}}}},
                                "application/merge-patch+json")
            if code != 200:
                patch_errors.append(code)

    threads = [threading.Thread(target=patcher, daemon=True) for _ in range(PATCH_THREADS)]
    for t in threads:
        t.start()
    total = int(rate * seconds)
    start = time.monotonic()
    sent = starved = 0
    for i in range(total):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            name = free.get(timeout=5)
        except queue.Empty:
            starved += 1
            continue
        with lock:
            s = state[name]
            s["busy"] = True
            op = "suspendVM" if s["step"] % 2 == 0 else "resumeVM"
            s["step"] += 1
        work.put((name, op))
        sent += 1
    send_s = time.monotonic() - start
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(lat) < sent:
        time.sleep(0.05)
    done_s = time.monotonic() - start
    for _ in threads:
        work.put(None)
    watcher.stop = True
    if latency_file:
        with open(latency_file, "w") as f:
            f.writelines(f"{v:.3f}\n" for v in sorted(lat))
    return {"offered": rate, "seconds": seconds, "sent": sent, "completed": len(lat),
            "send_s": send_s, "achieved": len(lat) / done_s if done_s else 0,
            "sent_rate": sent / send_s if send_s else 0, "harness_starved": starved,
            "patch_errors": len(patch_errors), "phases": phases,
            "latency_ms": {"p50": _pct(lat, 50), "p90": _pct(lat, 90), "p99": _pct(lat, 99),
                           "max": max(lat) if lat else None}}


def pipeline_argv(kube, bootstrap, prefix, ns, tag):
    common = ["--brokers", bootstrap, "--set", f"topic.prefix={prefix}",
              "--set", "log.level=warning"]
    bridge = [BRIDGE, "--kubeconfig", kube.kubeconfig, "--namespace", ns] + common
    status = [STATUS, "--kubeconfig", kube.kubeconfig,
              "--set", f"status.group=status-{tag}"] + common
    return bridge, status


def bench_e2e(out, bootstrap, short, rates=None, seconds=None):
    kube = Kube()
    tag = uuid.uuid4().hex[:6]
    ns, prefix, node = f"bench-{tag}", f"b{tag}", f"benchnode{tag}"
    resources = 100 if short else 1000
    rates = rates or ([50] if short else [200, 400, 800, 1200, 2000])
    seconds = seconds or (2 if short else 15)
    work = os.path.join(out, "work", "e2e")
    names = [domain_name(0, i) for i in range(resources)]
    node_xml = write_node(os.path.join(work, "node.xml"), 0, resources)
    errs = create_vms(kube, ns, names, node)
    if errs:
        raise RuntimeError(f"creating {resources} resources: {len(errs)} failed: {errs[:3]}")
    steps = []
    with Procs(work) as procs:
        procs.start("worker", worker_argv(node, bootstrap, f"test://{node_xml}", work, prefix,
                                          concurrency=16))
        bridge, status = pipeline_argv(kube, bootstrap, prefix, ns, tag)
        procs.start("bridge", bridge)
        procs.start("status", status)
        # Warm: one request through everything.
        warm = latency_step(kube, ns, names[:1], 1, 1)
        if warm["completed"] != 1:
            time.sleep(10)
            warm = latency_step(kube, ns, names[:1], 1, 1)
        log(f"e2e warm-up: {warm['completed']} of 1 outcome, "
            f"{warm['latency_ms']['p50']} ms")
        for rate in rates:
            lat_file = os.path.join(out, f"latency-e2e-{rate}.txt")
            r = latency_step(kube, ns, names, rate, seconds, lat_file)
            r["latency_file"] = os.path.basename(lat_file)
            r["cpu"] = {n: _cpu(procs.pid(n)) for n in ("worker", "bridge", "status")}
            log(f"e2e {rate}/s offered: {r['achieved']:.0f}/s achieved, p50 "
                f"{r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms, "
                f"{r['completed']}/{r['sent']} outcomes")
            steps.append(r)
            if r["completed"] < 0.9 * r["sent"]:
                break
    delete_namespace_vms(kube, ns)
    sustained = [s["offered"] for s in steps
                 if s["completed"] >= 0.99 * s["sent"] and s["achieved"] >= 0.9 * s["offered"]]
    return {"resources": resources, "steps": steps,
            "highest_sustained": max(sustained) if sustained else None,
            "target": {"p50_ms": 15, "p99_ms": 50, "at_rate": 200, "highest": 2000}}


def _cpu(pid):
    from common import cpu_s
    return cpu_s(pid)


def _kcat_messages(bootstrap, topic, expect, timeout):
    """Timestamps (ms) and sizes of the messages on topic, once there are
    expect of them or timeout passed."""
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning",
                              "-e", "-q", "-f", "%T %S\n"], capture_output=True, text=True,
                             timeout=120).stdout.split("\n")
        rows = [tuple(int(x) for x in line.split()) for line in out if line.strip()]
        if len(rows) >= expect or time.monotonic() > deadline:
            return rows
        time.sleep(1)


def bench_bridge(out, bootstrap, short):
    """The bridge lists N resources that each carry a request and
    dispatches them; the rate from the first message to the last on the
    node topic, against kcat producing as many messages of the same size
    to the same broker."""
    kube = Kube()
    tag = uuid.uuid4().hex[:6]
    n = 200 if short else int(os.environ.get("VMRELAY_BENCH_BRIDGE_RESOURCES", "20000"))
    ns, prefix, node = f"benchb-{tag}", f"bb{tag}", f"bridgenode{tag}"
    work = os.path.join(out, "work", "bridge")
    os.makedirs(work, exist_ok=True)
    names = [f"br{tag}{i:06d}" for i in range(n)]
    t0 = time.monotonic()
    errs = create_vms(kube, ns, names, node, lifecycle={"suspendVM": {}})
    create_s = time.monotonic() - t0
    log(f"bridge: created {n - len(errs)} resources in {create_s:.1f} s")
    topic = f"{prefix}.node.{node}"
    with Procs(work) as procs:
        bridge, _ = pipeline_argv(kube, bootstrap, prefix, ns, tag)
        procs.start("bridge", bridge)
        pid = procs.pid("bridge")
        rows = _kcat_messages(bootstrap, topic, n, 120 if short else 900)
        rss_peak = rss_kb(pid, "VmHWM")
        rss_now = rss_kb(pid)
    delete_namespace_vms(kube, ns)
    ts = [r[0] for r in rows]
    size = sum(r[1] for r in rows) // max(1, len(rows))
    span = (max(ts) - min(ts)) / 1000 if len(ts) > 1 else 0
    bridge_rate = (len(ts) - 1) / span if span else None
    # kcat: the same count of messages of the same size, keyed alike.
    payload = os.path.join(work, "kcat-input.txt")
    with open(payload, "w") as f:
        for i in range(n):
            key = f"VirtualMachine/{ns}/{names[i]}"
            f.write(key + "|" + "x" * max(1, size) + "\n")
    t0 = time.monotonic()
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", f"{prefix}.kcat", "-K", "|",
                    "-X", "acks=all", "-l", payload], check=True, timeout=600)
    kcat_s = time.monotonic() - t0
    kcat_rate = n / kcat_s
    return {"resources": n, "create_s": create_s, "dispatched": len(ts),
            "message_bytes": size, "bridge_rate": bridge_rate, "kcat_rate": kcat_rate,
            "ratio": bridge_rate / kcat_rate if bridge_rate else None,
            "bridge_rss_kb": rss_now, "bridge_rss_peak_kb": rss_peak,
            "target": {"ratio": 0.5, "bridge_rss_mb": 100}}
