"""Helpers for tests that run vmrelay's programs against the real peers.

A Pipeline starts vmrelay-worker(s), vmrelay-bridge and vmrelay-status as
child processes with a topic prefix and namespace of their own, so tests do
not see each other's messages or resources, and stops them at the end. Kube
talks to the API server with the client certificate the apiserver peer
wrote. Only the Python standard library is used.
"""
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid

GROUP = "cloudplus.io"
VERSION = "v1alpha3"
PLURALS = {
    "VirtualMachine": "virtualmachines",
    "VirtualMachineSnapshot": "virtualmachinesnapshots",
    "VirtualMachinePool": "virtualmachinepools",
    "VirtualMachineNetwork": "virtualmachinenetworks",
    "VirtualMachineImage": "virtualmachineimages",
    "VirtualMachineDisk": "virtualmachinedisks",
    "VirtualMachineDiskImage": "virtualmachinediskimages",
}


def peer_value(peer, name):
    path = os.path.join(os.environ["VMRELAY_PEERS_DIR"], peer, name)
    try:
        with open(path) as f:
            return f.readline().strip()
    except OSError as e:
        raise SystemExit(f"peer '{peer}' is not up: {path}: {e.strerror}")


class Failures:
    """Counts checks; prints 'N passed, N failed' at the end."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"check failed: {what}", flush=True)
        return ok

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        if self.passed == 0 and self.failed == 0:
            return 1
        return 0 if self.failed == 0 else 1


class Kube:
    def __init__(self):
        pki = os.path.join(os.environ["VMRELAY_PEERS_DIR"], "apiserver", "pki")
        self.server = peer_value("apiserver", "server")
        self.kubeconfig = os.path.join(os.environ["VMRELAY_PEERS_DIR"], "apiserver",
                                       "kubeconfig")
        self.ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        self.ctx.load_cert_chain(os.path.join(pki, "client.crt"), os.path.join(pki, "client.key"))

    def path(self, kind, namespace, name=None, sub=None):
        p = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURALS[kind]}"
        if name:
            p += "/" + name
        if sub:
            p += "/" + sub
        return p

    def request(self, method, path, body=None, content_type="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def create(self, obj):
        ns = obj["metadata"].get("namespace", "default")
        return self.request("POST", self.path(obj["kind"], ns), obj)

    def get(self, kind, namespace, name):
        return self.request("GET", self.path(kind, namespace, name))

    def merge_patch(self, kind, namespace, name, patch):
        return self.request("PATCH", self.path(kind, namespace, name), patch,
                            "application/merge-patch+json")

    def last_request_id(self, kind, namespace, name):
        code, obj = self.get(kind, namespace, name)
        if code != 200:
            return None
        return obj.get("status", {}).get("lastRequest", {}).get("id")

    def wait_outcome(self, kind, namespace, name, timeout=30.0, previous_id=None):
        """Waits until spec.lifecycle is gone and status.lastRequest records
        a finished request other than previous_id; returns the object, or
        None when the resource was deleted, or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, obj = self.get(kind, namespace, name)
            if code == 404:
                return None
            if code == 200 and "lifecycle" not in obj.get("spec", {}):
                waiting = obj["spec"].get("status", {}).get("conditions", {}) \
                    .get("state", {}).get("waiting")
                last = obj.get("status", {}).get("lastRequest", {})
                # The status patch follows the spec patch; wait for both.
                if waiting and last.get("phase") in ("Succeeded", "Failed", "Rejected") \
                        and last.get("id") != previous_id:
                    return obj
            time.sleep(0.1)
        raise TimeoutError(f"{kind}/{namespace}/{name}: no outcome within {timeout} s")


def waiting_of(obj):
    return obj["spec"]["status"]["conditions"]["state"]["waiting"]


class Pipeline:
    """Starts the programs; use as a context manager."""

    def __init__(self, bootstrap, nodes=("node1",), libvirt_uri="test:///default",
                 extra=None, journal_dir=None):
        self.bin = os.environ["VMRELAY_BINARY_DIR"]
        self.bootstrap = bootstrap
        self.nodes = nodes
        self.libvirt_uri = libvirt_uri
        self.tag = uuid.uuid4().hex[:8]
        self.prefix = f"t{self.tag}"
        self.namespace = f"ns-{self.tag}"
        self.extra = list(extra or [])
        self.logdir = os.path.join(self.bin, "tests-tmp", f"pipeline-{self.tag}")
        self.procs = {}
        self.metrics = {}
        # When set, each worker keeps its journal there as journal-<node>.db.
        self.journal_dir = journal_dir

    def metrics_arg(self, name):
        """A --set for a free loopback port, remembered under name."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.metrics[name] = f"127.0.0.1:{port}"
        return ["--set", f"metrics.listen={self.metrics[name]}"]

    def scrape(self, name, path="/metrics"):
        with urllib.request.urlopen(f"http://{self.metrics[name]}{path}", timeout=10) as resp:
            return resp.status, resp.read().decode()

    def common(self):
        return ["--brokers", self.bootstrap, "--set", f"topic.prefix={self.prefix}"] + self.extra

    def start_one(self, name, argv):
        os.makedirs(self.logdir, exist_ok=True)
        log = open(os.path.join(self.logdir, f"{name}.log"), "ab")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def journal_path(self, node):
        return os.path.join(self.journal_dir, f"journal-{node}.db") if self.journal_dir else None

    def start_worker(self, node):
        journal = ["--set", f"worker.journal={self.journal_path(node)}"] \
            if self.journal_dir else []
        self.start_one(f"worker-{node}", [
            f"{self.bin}/worker/main/vmrelay-worker", "--node", node,
            "--libvirt-uri", self.libvirt_uri] + journal + self.common())

    def start_bridge(self, kube):
        self.start_one("bridge", [
            f"{self.bin}/producer/bridge/vmrelay-bridge", "--kubeconfig", kube.kubeconfig,
            "--namespace", self.namespace] + self.metrics_arg("bridge") + self.common())

    def start_status(self, kube):
        self.start_one("status", [
            f"{self.bin}/producer/status/vmrelay-status", "--kubeconfig", kube.kubeconfig,
            "--set", f"status.group=status-{self.tag}"] + self.metrics_arg("status")
            + self.common())

    def start(self, kube):
        for node in self.nodes:
            self.start_worker(node)
        self.start_bridge(kube)
        self.start_status(kube)
        return self

    def stop(self, name, sig=signal.SIGTERM, timeout=20):
        proc = self.procs.pop(name, None)
        if not proc:
            return None
        proc.send_signal(sig)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)

    def alive(self):
        return {n: p.poll() is None for n, p in self.procs.items()}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()
        print(f"program logs: {self.logdir}", flush=True)
