#!/usr/bin/env python3
"""Faults injected into the whole pipeline while a stream of requests flows.

VMS VirtualMachine resources on two nodes (workers on the libvirt test
driver) each go through STEPS lifecycle requests, one after the other as a
client does (the next is written once the outcome of the previous one is in
the resource), so about VMS requests are in flight at any time. Meanwhile
one kind of fault is injected several times, at moments drawn at random
from the progress of the stream:

  status     vmrelay-status killed with SIGKILL, restarted after 0-1 s
  bridge     vmrelay-bridge killed with SIGKILL, restarted after 0-1 s
  kafka      the real Kafka broker stopped and started again (same data)
  apiserver  the API server stopped and started again, etcd data kept

Checked after the stream, for every request: its outcome reached its
resource (spec.lifecycle gone, status.lastRequest names its id with a final
phase, the reason its operation gives); the last outcome of every resource
is the one in it at the end; the node journal holds every id once, finished,
at attempt 1, and no id the resources never named (a request dispatched
twice under a second id); the results topic carries exactly one result
that was not a replay per id (a replay answers a redelivery from the
journal without running anything); the status writer wrote each outcome at
most once. One line of figures is printed at the end.

Usage: test_fault_pipeline.py status|bridge|kafka|apiserver [kafka|embedded-kafka]
Environment: VMRELAY_FAULT_VMS (30), VMRELAY_FAULT_SEED (random),
VMRELAY_FAULT_TIMEOUT (seconds for the stream, 150).
"""
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Kube, Pipeline, peer_value  # noqa: E402

KIND = "VirtualMachine"
NODES = ("faultnode1", "faultnode2")
ENV_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "env")

# (lifecycle, reason the outcome must carry); the first creates the VM.
STEPS = [
    (None, "Running"),
    ({"suspendVM": {}}, "Paused"),
    ({"resumeVM": {}}, "Running"),
    ({"stopVM": {}}, "Shutdown"),
    ({"startVM": {}}, "Running"),
    ({"stopVMForce": {}}, "Shutdown"),
]

# How many faults of each kind, and the pause of a killed process.
FAULTS = {"status": (4, 5), "bridge": (4, 5), "kafka": (2, 2), "apiserver": (2, 2)}

t = Failures()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Stream:
    """The requests of every VM, written one after the other."""

    def __init__(self, kube, p, n_vms, iso_root):
        self.kube = kube
        self.p = p
        self.ns = p.namespace
        self.iso_root = iso_root
        self.names = [f"fvm{p.tag}{i:03d}" for i in range(n_vms)]
        self.node = {n: NODES[i % len(NODES)] for i, n in enumerate(self.names)}
        self.step = {n: 0 for n in self.names}       # index of the request in flight
        self.ids = {n: [] for n in self.names}       # id of every finished request
        self.reasons = {n: [] for n in self.names}
        self.written = {n: 0.0 for n in self.names}  # when the request in flight was written
        self.api_errors = 0
        self.wrong = 0
        self.total = n_vms * len(STEPS)

    def create_body(self, name):
        iso = os.path.join(self.iso_root, "install.iso")
        lifecycle = {"createAndStartVMFromISO": {
            "memory": "256", "vcpus": "1", "cdrom": iso,
            "disk": os.path.join(self.iso_root, f"{name}.qcow2") + ",size=1",
            "os_variant": "centos7.0", "graphics": "vnc,listen=0.0.0.0",
            "network": "type=bridge,source=virbr0", "noautoconsole": True}}
        node = self.node[name]
        return {"apiVersion": "cloudplus.io/v1alpha3", "kind": KIND,
                "metadata": {"name": name, "namespace": self.ns, "labels": {"host": node}},
                "spec": {"nodeName": node, "lifecycle": lifecycle}}

    def call(self, fn, *args):
        """One API call, retried while the API server is away (bounded). A
        starting server answers 404 (not JSON) until the CRDs are served
        again; the resources of this test are never deleted."""
        deadline = time.monotonic() + 60
        while True:
            try:
                code, body = fn(*args)
            except (OSError, ValueError) as e:
                code, body = None, str(e)
            if code is not None and code < 500 and code != 404:
                return code, body
            self.api_errors += 1
            if time.monotonic() > deadline:
                return code, body
            time.sleep(0.5)

    def write(self, name):
        i = self.step[name]
        lifecycle, _ = STEPS[i]
        if lifecycle is None:
            code, body = self.call(self.kube.create, self.create_body(name))
            # A create whose answer was lost to a restart may have happened.
            ok = code == 201 or (code == 409 and self.kube.get(KIND, self.ns, name)[0] == 200)
        else:
            code, body = self.call(self.kube.merge_patch, KIND, self.ns, name,
                                   {"spec": {"lifecycle": lifecycle}})
            ok = code == 200
        t.check(ok, f"{name}: writing request {i} answered {code}: {str(body)[:200]}")
        self.written[name] = time.monotonic()

    def op(self, name):
        lifecycle, _ = STEPS[self.step[name]]
        return "createAndStartVMFromISO" if lifecycle is None else next(iter(lifecycle))

    def list(self):
        code, body = self.call(self.kube.request, "GET", self.kube.path(KIND, self.ns))
        if code != 200:
            return None
        return {o["metadata"]["name"]: o for o in body.get("items", [])}

    def poll(self):
        """Moves every VM whose outcome is in; returns how many moved."""
        objs = self.list()
        if objs is None:
            return 0
        moved = 0
        for name in self.names:
            i = self.step[name]
            if i >= len(STEPS):
                continue
            obj = objs.get(name)
            if obj is None or "lifecycle" in obj.get("spec", {}):
                continue
            last = obj.get("status", {}).get("lastRequest", {})
            previous = self.ids[name][-1] if self.ids[name] else None
            if last.get("phase") not in ("Succeeded", "Failed", "Rejected") or \
                    last.get("id") in (None, previous):
                continue
            waiting = obj["spec"].get("status", {}).get("conditions", {}) \
                .get("state", {}).get("waiting", {})
            want = STEPS[i][1]
            if not t.check(last.get("operation") == self.op(name) and
                           waiting.get("reason") == want,
                           f"{name}: request {i} ({self.op(name)}) ended as "
                           f"{last.get('operation')} {last.get('phase')} "
                           f"{waiting.get('reason')!r} ({waiting.get('message')}), want {want}"):
                self.wrong += 1
            self.ids[name].append(last["id"])
            self.reasons[name].append(waiting.get("reason"))
            self.step[name] = i + 1
            moved += 1
            if self.step[name] < len(STEPS):
                self.write(name)
        return moved

    def done(self):
        return sum(len(v) for v in self.ids.values())

    def in_flight(self):
        return sum(1 for n in self.names if self.step[n] < len(STEPS))


class Injector:
    """Injects one kind of fault at progress points drawn at random."""

    def __init__(self, kind, p, kube, rng, total):
        self.kind = kind
        self.p = p
        self.kube = kube
        self.rng = rng
        lo, hi = FAULTS[kind]
        n = rng.randint(lo, hi)
        # Between 10% and 85% of the stream, so that every fault lands
        # while requests flow, and apart from each other.
        self.at = sorted(rng.sample(range(int(total * 0.10), int(total * 0.85)), n))
        self.injected = 0
        self.in_flight_at = []
        self.thread = None

    def busy(self):
        return self.thread is not None and self.thread.is_alive()

    def due(self, done):
        return not self.busy() and self.injected < len(self.at) and \
            done >= self.at[self.injected]

    def start(self, in_flight):
        """A peer restart runs beside the stream, so that clients keep
        writing (and retrying) while the peer is away; a kill is quick."""
        if self.kind in ("kafka", "apiserver"):
            self.thread = threading.Thread(target=self.inject, args=(in_flight,))
            self.thread.start()
        else:
            self.inject(in_flight)

    def join(self):
        if self.thread:
            self.thread.join(240)

    def script(self, name, cmd, extra_env=None):
        env = dict(os.environ, **(extra_env or {}))
        out = subprocess.run(["bash", os.path.join(ENV_DIR, name), cmd], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        text = out.stdout.decode(errors="replace").strip().splitlines()
        t.check(out.returncode == 0, f"{name} {cmd} exited {out.returncode}: {text[-5:]}")

    def inject(self, in_flight):
        self.injected += 1
        self.in_flight_at.append(in_flight)
        pause = self.rng.uniform(0.0, 1.0)
        log(f"fault {self.injected}/{len(self.at)}: {self.kind}, {in_flight} requests in "
            f"flight, pause {pause:.2f} s")
        if self.kind in ("status", "bridge"):
            proc = self.p.procs.get(self.kind)
            t.check(proc is not None and proc.poll() is None,
                    f"vmrelay-{self.kind} was running before fault {self.injected}")
            # A random moment: the process is in the middle of its work.
            time.sleep(self.rng.uniform(0.0, 0.3))
            self.p.stop(self.kind, sig=signal.SIGKILL)
            time.sleep(pause)
            (self.p.start_status if self.kind == "status" else self.p.start_bridge)(self.kube)
        elif self.kind == "kafka":
            self.script("kafka.sh", "stop")
            time.sleep(pause)
            self.script("kafka.sh", "start")
        elif self.kind == "apiserver":
            self.script("apiserver.sh", "stop")
            time.sleep(pause)
            self.script("apiserver.sh", "start", {"VMRELAY_APISERVER_KEEP_DATA": "1"})
        log(f"fault {self.injected}/{len(self.at)}: {self.kind} back")


def read_results(bootstrap, topic):
    """Every message of the results topic, parsed."""
    out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                          "-q", "-f", "%s\n"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=60)
    t.check(out.returncode == 0, f"kcat on {topic} exited {out.returncode}: "
            f"{out.stderr.decode(errors='replace')[-300:]}")
    results = []
    dec = json.JSONDecoder()
    text = out.stdout.decode(errors="replace")
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = dec.raw_decode(text, pos)
        results.append(obj)
    return results


def read_journal(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT id, name, operation, attempt, result IS NOT NULL "
                          "FROM requests").fetchall()
    finally:
        db.close()


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "status"
    broker = sys.argv[2] if len(sys.argv) > 2 else "kafka"
    if kind not in FAULTS:
        raise SystemExit(f"unknown fault kind {kind!r}; one of {', '.join(FAULTS)}")
    seed = int(os.environ.get("VMRELAY_FAULT_SEED") or random.SystemRandom().randrange(1 << 30))
    n_vms = int(os.environ.get("VMRELAY_FAULT_VMS", "30"))
    timeout = float(os.environ.get("VMRELAY_FAULT_TIMEOUT", "150"))
    rng = random.Random(seed)
    log(f"fault {kind}, broker {broker}, {n_vms} VMs x {len(STEPS)} requests, seed {seed}")

    kube = Kube()
    bootstrap = peer_value(broker, "bootstrap")
    iso_root = tempfile.mkdtemp(prefix="vmrelay-fault-iso-")
    with open(os.path.join(iso_root, "install.iso"), "wb") as f:
        f.write(b"\0" * 4096)
    journal_dir = tempfile.mkdtemp(prefix="vmrelay-fault-journal-")
    # A killed consumer keeps its partitions until its session times out
    # (45 s by default); the broker's minimum keeps the test short.
    extra = ["--set", f"paths.roots=/var/lib/libvirt,{iso_root}",
             "--set", "kafka.session.timeout.ms=6000"]

    with Pipeline(bootstrap, nodes=NODES, extra=extra, journal_dir=journal_dir) as p:
        p.start(kube)
        s = Stream(kube, p, n_vms, iso_root)
        inj = Injector(kind, p, kube, rng, s.total)
        log(f"faults at {inj.at} of {s.total} outcomes; namespace {s.ns}")
        for name in s.names:
            s.write(name)
        start = time.monotonic()
        deadline = start + timeout
        while s.in_flight() and time.monotonic() < deadline:
            if inj.due(s.done()):
                inj.start(s.in_flight())
                continue
            if s.poll() == 0:
                time.sleep(0.1)
        elapsed = time.monotonic() - start
        inj.join()
        t.check(not inj.busy(), "the last peer restart finished")

        lost = []
        for name in s.names:
            if s.step[name] < len(STEPS):
                lost.append(f"{name} request {s.step[name]} ({s.op(name)})")
        t.check(not lost, f"{len(lost)} requests without an outcome after {timeout:.0f} s: "
                f"{lost[:5]}")
        t.check(inj.injected == len(inj.at), f"injected {inj.injected} of {len(inj.at)} faults")
        alive = p.alive()
        t.check(all(alive.values()), f"every program still runs: {alive}")

        # Anything still on its way (a stale result, a second dispatch) has
        # time to land before the resources are read for the last time.
        time.sleep(3)
        objs = s.list() or {}
        for name in s.names:
            obj = objs.get(name)
            if not t.check(obj is not None, f"{name}: resource exists at the end"):
                continue
            last = obj.get("status", {}).get("lastRequest", {})
            waiting = obj["spec"].get("status", {}).get("conditions", {}) \
                .get("state", {}).get("waiting", {})
            t.check("lifecycle" not in obj["spec"], f"{name}: spec.lifecycle gone at the end")
            if s.ids[name]:
                t.check(last.get("id") == s.ids[name][-1] and
                        waiting.get("reason") == s.reasons[name][-1],
                        f"{name}: the last outcome ({s.ids[name][-1]}, {s.reasons[name][-1]}) "
                        f"is in the resource at the end, found {last.get('id')} "
                        f"{waiting.get('reason')}")
            t.check(len(set(s.ids[name])) == len(s.ids[name]),
                    f"{name}: every request has an id of its own: {s.ids[name]}")

        # Workers stop cleanly, so their journals are complete on disk.
        for node in NODES:
            code = p.stop(f"worker-{node}")
            t.check(code == 0, f"worker {node} exited {code}")
        p.stop("bridge")
        p.stop("status")

        expected = {i: name for name in s.names for i in s.ids[name]}
        journal_ids = {}
        attempts_over_1 = []
        unfinished = []
        for node in NODES:
            for rid, name, op, attempt, finished in read_journal(p.journal_path(node)):
                journal_ids[rid] = journal_ids.get(rid, 0) + 1
                if attempt != 1:
                    attempts_over_1.append((rid, name, op, attempt))
                if not finished:
                    unfinished.append((rid, name, op))
        extra_ids = sorted(set(journal_ids) - set(expected))
        missing = sorted(set(expected) - set(journal_ids))
        t.check(not extra_ids, f"{len(extra_ids)} ids in the journals that no resource named "
                f"(dispatched twice under a second id): {extra_ids[:5]}")
        t.check(not missing, f"{len(missing)} finished ids missing from the journals: "
                f"{missing[:5]}")
        t.check(all(c == 1 for c in journal_ids.values()), "every id once in the journals")
        t.check(not attempts_over_1, f"ids run more than once: {attempts_over_1[:5]}")
        t.check(not unfinished, f"ids started and never finished: {unfinished[:5]}")

        results = read_results(bootstrap, f"{p.prefix}.results")
        runs, replays = {}, 0
        for r in results:
            if r.get("replayed"):
                replays += 1
                continue
            runs[r.get("id")] = runs.get(r.get("id"), 0) + 1
        dup_runs = sum(c - 1 for c in runs.values() if c > 1)
        t.check(dup_runs == 0, f"{dup_runs} duplicate executions on the results topic: "
                f"{[i for i, c in runs.items() if c > 1][:5]}")
        t.check(set(runs) == set(expected),
                f"one executed result per request: {len(set(expected) - set(runs))} missing, "
                f"{len(set(runs) - set(expected))} unknown")

        # The status writer's own account: an outcome is written once.
        writes = {}
        with open(os.path.join(p.logdir, "status.log"), errors="replace") as f:
            for line in f:
                if "Wrote the outcome" in line:
                    for rid in expected:
                        if rid in line:
                            writes[rid] = writes.get(rid, 0) + 1
                            break
        rewrites = sum(c - 1 for c in writes.values() if c > 1)
        t.check(rewrites == 0, f"{rewrites} outcomes written more than once: "
                f"{[i for i, c in writes.items() if c > 1][:5]}")

        duplicates = dup_runs + len(extra_ids) + len(attempts_over_1)
        print(f"FIGURES fault={kind} broker={broker} seed={seed} faults={inj.injected} "
              f"in_flight_at_faults={inj.in_flight_at} requests={s.total} "
              f"outcomes={s.done()} lost={len(lost)} duplicates={duplicates} "
              f"replays={replays} outcome_rewrites={rewrites} wrong={s.wrong} "
              f"api_retries={s.api_errors} seconds={elapsed:.1f}", flush=True)
    code = t.finish()
    # The journals stay for a look at a failure; the program logs always.
    if code == 0:
        shutil.rmtree(journal_dir, ignore_errors=True)
    shutil.rmtree(iso_root, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
