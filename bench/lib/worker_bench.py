"""Benchmarks of the worker alone: throughput against one virsh process per
request, latency against offered load, instructions per stage, footprint,
and the fleet of many workers. All on the embedded broker and libvirt's
test driver."""
import os
import re
import subprocess
import time

from common import (LOADGEN, WORKER, EmbeddedBroker, Procs, cpu_s, load, log, median, rss_kb,
                    topics_for, warm_up, worker_argv)
from gen_node import domain_name
from gen_node import write as write_node

CHEAP_OPS = ["suspendVM", "resumeVM", "resizeRAM", "changeNumberOfCPU"]
VIRSH_CMDS = [["suspend"], ["resume"], ["setmem", None, "524288", "--live"],
              ["setvcpus", None, "2", "--live"]]


def _virsh_argv(uri, step, name):
    cmd = VIRSH_CMDS[step % len(VIRSH_CMDS)]
    argv = ["virsh", "-q", "-c", uri, cmd[0], name]
    return argv + [a for a in cmd[2:]]


def virsh_rate(uri, domains, count):
    """The older backend: one virsh process per request, one after another.
    Each process opens the test driver anew, so it parses the whole node
    file and starts from its state: fine for cost (state does not matter
    for timing), and it is why every virsh request here succeeds or fails
    the same way. Returns requests/s and the failures."""
    failures = 0
    start = time.monotonic()
    for i in range(count):
        r = subprocess.run(_virsh_argv(uri, i // domains, domain_name(0, i % domains)),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        failures += r.returncode != 0
    elapsed = time.monotonic() - start
    return {"count": count, "seconds": elapsed, "rate": count / elapsed, "failed": failures}


def throughput_case(workdir, domains, count, concurrency, uri_file, latency_file=None):
    """One worker drains a backlog of cheap requests; returns the load
    generator's summary with the worker's CPU and memory added."""
    with Procs(workdir) as procs:
        broker = EmbeddedBroker(procs, topics_for("vmrelay", ["bench000"]))
        procs.start("worker", worker_argv("bench000", broker.bootstrap, f"test://{uri_file}",
                                          workdir, concurrency=concurrency))
        pid = procs.pid("worker")
        warm_up(broker.bootstrap)
        idle_rss = rss_kb(pid)
        cpu0 = cpu_s(pid)
        r = load(broker.bootstrap, count, domains=domains, ops=CHEAP_OPS,
                 latency_file=latency_file)
        r["worker_cpu_s"] = cpu_s(pid) - cpu0
        r["worker_cpu_us_per_request"] = r["worker_cpu_s"] / max(1, r["completed"]) * 1e6
        r["worker_rss_idle_kb"] = idle_rss
        r["worker_rss_after_kb"] = rss_kb(pid)
        r["worker_rss_peak_kb"] = rss_kb(pid, "VmHWM")
        r["concurrency"] = concurrency
        return r


def bench_throughput(out, short, reps):
    domains = 100 if short else 1000
    count = 400 if short else 8000
    virsh_count = 20 if short else 200
    node = write_node(os.path.join(out, "work", "node-throughput.xml"), 0, domains)
    small = write_node(os.path.join(out, "work", "node-one.xml"), 0, 1)
    levels = [4] if short else [1, 4, 16, 64]
    runs = {c: [] for c in levels}
    virsh_big, virsh_small = [], []
    for rep in range(reps):
        for c in levels:
            lat = os.path.join(out, f"latency-throughput-c{c}-{rep}.txt")
            r = throughput_case(os.path.join(out, "work", f"tp-c{c}-{rep}"), domains, count, c,
                                node, latency_file=lat)
            log(f"throughput rep {rep} concurrency {c}: {r['drain_throughput']:.0f} req/s "
                f"({r['completed']}/{count} done, {r['failed']} failed)")
            runs[c].append(r)
        # Side by side, in the same repetition.
        virsh_big.append(virsh_rate(f"test://{node}", domains, virsh_count))
        virsh_small.append(virsh_rate(f"test://{small}", 1, virsh_count))
        log(f"virsh rep {rep}: {virsh_big[-1]['rate']:.1f} req/s with {domains} domains, "
            f"{virsh_small[-1]['rate']:.1f} req/s with 1")
    best_c = max(levels, key=lambda c: median([r["drain_throughput"] for r in runs[c]]))
    tp = median([r["drain_throughput"] for r in runs[best_c]])
    vb = median([v["rate"] for v in virsh_big])
    vs = median([v["rate"] for v in virsh_small])
    return {
        "domains": domains, "requests": count, "repetitions": reps,
        "by_concurrency": {str(c): {
            "drain_throughput_median": median([r["drain_throughput"] for r in runs[c]]),
            "cpu_us_per_request_median": median([r["worker_cpu_us_per_request"]
                                                 for r in runs[c]]),
            "lost": sum(r["requested"] - r["completed"] for r in runs[c]),
            "failed": sum(r["failed"] for r in runs[c]),
            "runs": runs[c]} for c in levels},
        "best_concurrency": best_c,
        "worker_rate_median": tp,
        "virsh": {"same_node_file": virsh_big, "one_domain_file": virsh_small,
                  "rate_median_same_file": vb, "rate_median_one_domain": vs},
        "ratio_vs_virsh_same_file": tp / vb if vb else None,
        "ratio_vs_virsh_one_domain": tp / vs if vs else None,
        "target": {"rate": 5000, "ratio": 150},
    }


def bench_sweep(out, short):
    """Offered load against achieved throughput and latency, one worker
    (default concurrency), a fresh broker per step."""
    domains = 100 if short else 1000
    rates = [100, 400] if short else [100, 200, 400, 800, 1600, 3200]
    seconds = 1 if short else 6
    node = write_node(os.path.join(out, "work", "node-sweep.xml"), 0, domains)
    steps = []
    for rate in rates:
        lat = os.path.join(out, f"latency-sweep-{rate}.txt")
        with Procs(os.path.join(out, "work", f"sweep-{rate}")) as procs:
            broker = EmbeddedBroker(procs, topics_for("vmrelay", ["bench000"]))
            procs.start("worker", worker_argv("bench000", broker.bootstrap, f"test://{node}",
                                              procs.workdir))
            warm_up(broker.bootstrap)
            r = load(broker.bootstrap, rate * seconds, domains=domains, ops=CHEAP_OPS,
                     rate=rate, latency_file=lat, timeout=120)
        r["offered"] = rate
        r["latency_file"] = os.path.basename(lat)
        log(f"sweep {rate} req/s offered: {r['throughput']:.0f} achieved, "
            f"p50 {r['latency_ms']['p50']:.1f} ms, p99 {r['latency_ms']['p99']:.1f} ms")
        steps.append(r)
    return {"domains": domains, "seconds_per_step": seconds, "steps": steps}


# Stage -> the functions whose inclusive cost is that stage. "libvirt" is
# what ops_execute spends outside validation and description.
STAGES = {
    "consume": ["kafka_consumer_poll"],
    "decode": ["request_parse"],
    "journal": ["journal_lookup", "journal_start", "journal_finish"],
    "validate": ["ops_params_only", "ops_registry_lookup"],
    "describe": ["xml2json"],
    "encode": ["result_encode"],
    "produce": ["kafka_produce_sync"],
    "log": ["log_emit"],
    "commit": ["worker_commit"],
}


def _inclusive(annotate_text):
    costs = {}
    for line in annotate_text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\*?\s*(\S+):(\S+?)(?:\s|$)", line)
        if m:
            fn = m.group(3).split("'")[0]
            costs[fn] = max(costs.get(fn, 0), int(m.group(1).replace(",", "")))
    return costs


def bench_callgrind(out, short):
    """Instructions per request, by stage, with the worker under callgrind
    (concurrency 1, so every stage runs on one pool thread)."""
    domains = 50 if short else 500
    count = 40 if short else 1000
    node = write_node(os.path.join(out, "work", "node-callgrind.xml"), 0, domains)
    cg_out = os.path.join(out, "work", "callgrind.out")
    with Procs(os.path.join(out, "work", "callgrind")) as procs:
        broker = EmbeddedBroker(procs, topics_for("vmrelay", ["bench000"]))
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg_out}"]
        procs.start("worker", argv + worker_argv("bench000", broker.bootstrap,
                                                  f"test://{node}", procs.workdir,
                                                  concurrency=1))
        warm_up(broker.bootstrap, timeout=180)
        r = load(broker.bootstrap, count, domains=domains, ops=CHEAP_OPS, timeout=600)
        procs.stop("worker", timeout=120)
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", cg_out],
                          capture_output=True, text=True, check=True).stdout
    costs = _inclusive(text)
    total_events = 0
    m = re.search(r"^\s*([\d,]+)\s+\(100.0%\)\s+PROGRAM TOTALS", text, re.M)
    if m:
        total_events = int(m.group(1).replace(",", ""))
    n = count + 1  # the warm-up request ran too
    stages = {s: sum(costs.get(f, 0) for f in fns) / n for s, fns in STAGES.items()}
    execute = costs.get("ops_execute", 0) / n
    stages["libvirt"] = max(0.0, execute - stages["validate"] - stages["describe"])
    per_request = costs.get("worker_job_run", 0) / n
    return {
        "requests": n, "completed": r["completed"],
        "per_request_job_total": per_request,
        "per_request_beyond_libvirt": per_request - stages["libvirt"],
        "per_request_process_total": total_events / n if total_events else None,
        "stages": stages,
        "functions": {f: costs.get(f, 0) / n for fns in STAGES.values() for f in fns},
        "note": "Instructions (Ir) per request, inclusive; process total includes start-up, "
                "librdkafka's own threads and the embedded test driver.",
    }


def bench_fleet(out, short):
    """Many workers as separate processes, each its own node with its own
    test-driver file, and a storm of start, snapshot, stop, delete on every
    domain."""
    workers = 4 if short else int(os.environ.get("VMRELAY_BENCH_FLEET_WORKERS", "200"))
    per_node = 25 if short else int(os.environ.get("VMRELAY_BENCH_FLEET_DOMAINS", "100"))
    ops = ["startVM", "createSnapshot", "stopVMForce", "deleteVM"]
    nodes = [f"fleet{i:03d}" for i in range(workers)]
    work = os.path.join(out, "work", "fleet")
    os.makedirs(work, exist_ok=True)
    with Procs(work) as procs:
        broker = EmbeddedBroker(procs, topics_for("vmrelay", nodes), partitions=8)
        t0 = time.monotonic()
        for i, node in enumerate(nodes):
            path = write_node(os.path.join(work, f"{node}.xml"), i, per_node, state="shutoff")
            procs.start(node, worker_argv(node, broker.bootstrap, f"test://{path}", work,
                                          concurrency=2))
        warm_up(broker.bootstrap, nodes=workers, node_prefix="fleet", timeout=600)
        ready_s = time.monotonic() - t0
        pids = [procs.pid(n) for n in nodes]
        idle = [rss_kb(p) or 0 for p in pids]
        lat = os.path.join(out, "latency-fleet.txt")
        count = workers * per_node * len(ops)
        r = load(broker.bootstrap, count, nodes=workers, node_prefix="fleet", domains=per_node,
                 ops=ops, latency_file=lat, timeout=1800)
        busy = [rss_kb(p, "VmHWM") or 0 for p in pids]
        alive = sum(procs.procs[n].poll() is None for n in nodes)
        broker_rss = rss_kb(broker.proc.pid)
    busy_sorted = sorted(busy)
    return {
        "workers": workers, "domains_per_worker": per_node, "domains": workers * per_node,
        "operations": ops, "requests": count, "start_and_join_s": ready_s,
        "result": r, "lost": r["requested"] - r["completed"], "workers_alive_at_end": alive,
        "rss_total_idle_mib": sum(idle) / 1024, "rss_total_peak_mib": sum(busy) / 1024,
        "rss_per_worker_peak_kb": {"median": busy_sorted[len(busy) // 2],
                                   "max": busy_sorted[-1]},
        "broker_rss_mib": (broker_rss or 0) / 1024,
        "create_note": "createAndStartVMFromISO runs virt-install (about 1 s of CPU each), so "
                       "the storm starts from defined, shut-off domains; see docs/benchmarks.md",
    }
