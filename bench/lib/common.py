"""What every benchmark of bench/ shares: processes, peers, memory, load."""
import json
import os
import platform
import signal
import statistics
import subprocess
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("VMRELAY_BINARY_DIR", os.path.join(REPO, "build"))
LOADGEN = os.path.join(BIN, "tests", "vmrelay-bench-load")
WORKER = os.path.join(BIN, "worker", "main", "vmrelay-worker")
BRIDGE = os.path.join(BIN, "producer", "bridge", "vmrelay-bridge")
STATUS = os.path.join(BIN, "producer", "status", "vmrelay-status")
EMBEDDED = os.path.join(BIN, "producer", "embedded-kafka", "vmrelay-embedded-kafka")
# Every worker of a benchmark rejoins a fresh group; the embedded broker's
# coordinator waits session.timeout.ms less a second for a group whose last
# member left (shared/kafka/embedded.h), so keep it short.
FAST_GROUP = ["--set", "kafka.session.timeout.ms=6000"]


def log(msg):
    print(f"bench: {msg}", flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {"nproc": os.cpu_count(), "cpu": model, "memory_mib": mem_kb // 1024,
            "kernel": platform.release(), "loadavg": os.getloadavg(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_s(pid):
    """User+system CPU seconds of a process so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


class Procs:
    """Child processes of one benchmark case, stopped at the end."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = {}
        os.makedirs(workdir, exist_ok=True)

    def start(self, name, argv, env=None):
        logf = open(os.path.join(self.workdir, f"{name}.log"), "ab")
        self.procs[name] = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env)
        logf.close()
        return self.procs[name]

    def pid(self, name):
        return self.procs[name].pid

    def stop(self, name, timeout=30):
        proc = self.procs.pop(name, None)
        if not proc:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def stop_all(self):
        # All at once, then wait: 200 workers each draining one by one
        # would take minutes.
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name in list(self.procs):
            self.stop(name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()


class EmbeddedBroker:
    """A private vmrelay-embedded-kafka for one case: a fresh broker per case
    keeps old messages and its per-partition bound out of the figures."""

    def __init__(self, procs, topics, partitions=4, name="embedded-kafka"):
        self.bootstrap_file = os.path.join(procs.workdir, f"{name}.bootstrap")
        if os.path.exists(self.bootstrap_file):
            os.unlink(self.bootstrap_file)
        self.proc = procs.start(name, [EMBEDDED, "--topics", ",".join(topics),
                                       "--partitions", str(partitions),
                                       "--bootstrap-file", self.bootstrap_file,
                                       "--log-level", "warning"])
        deadline = time.monotonic() + 60
        while not os.path.exists(self.bootstrap_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {procs.workdir}/{name}.log")
            time.sleep(0.05)
        with open(self.bootstrap_file) as f:
            self.bootstrap = f.readline().strip()


def topics_for(prefix, nodes):
    return [f"{prefix}.results", f"{prefix}.dlq", f"{prefix}.events",
            f"{prefix}.heartbeats"] + [f"{prefix}.node.{n}" for n in nodes]


def worker_argv(node, bootstrap, uri, workdir, prefix="vmrelay", concurrency=None, extra=()):
    argv = [WORKER, "--node", node, "--brokers", bootstrap, "--libvirt-uri", uri,
            "--set", f"topic.prefix={prefix}",
            "--set", f"worker.journal={workdir}/journal-{node}.db",
            "--set", f"worker.storage-dir={workdir}/storage",
            "--set", "log.level=warning"] + FAST_GROUP
    if concurrency:
        argv += ["--set", f"worker.concurrency={concurrency}"]
    return argv + list(extra)


def load(bootstrap, count, *, prefix="vmrelay", nodes=1, node_prefix="bench", domains=1000,
         ops=None, rate=0, results=True, timeout=300, latency_file=None, run_id=None):
    """Runs vmrelay-bench-load and returns its JSON summary."""
    argv = [LOADGEN, "--brokers", bootstrap, "--count", str(count), "--prefix", prefix,
            "--nodes", str(nodes), "--node-prefix", node_prefix, "--domains", str(domains),
            "--rate", str(rate), "--timeout", str(timeout),
            "--run-id", run_id or uuid.uuid4().hex[:10]]
    if ops:
        argv += ["--ops", ",".join(ops)]
    if results:
        argv.append("--results")
    if latency_file:
        argv += ["--latency-file", latency_file]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=timeout + 120)
    return json.loads(out.stdout)


def warm_up(bootstrap, nodes=1, node_prefix="bench", prefix="vmrelay", timeout=90):
    """One request per node, waited for: afterwards every worker has joined
    its group and opened libvirt, so the measured load starts warm.
    resizeRAM of domain 0 changes no power state the measured requests
    depend on (on a shut-off domain it fails; that is fine: only its
    arrival counts)."""
    r = load(bootstrap, nodes, prefix=prefix, nodes=nodes, node_prefix=node_prefix, domains=1,
             ops=["resizeRAM"], timeout=timeout)
    if r.get("completed") != nodes:
        raise RuntimeError(f"warm-up: {r.get('completed')} of {nodes} workers answered")
    return r


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
