"""vmrelay's benchmark suite: runs the benchmarks of docs/benchmarks.md and
writes results.json and PNG plots. Started by bench/run."""
import argparse
import os
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import BIN, REPO, log, machine, write_json  # noqa: E402

ALL = ["throughput", "sweep", "callgrind", "fleet", "e2e", "bridge"]
SHORT = ["throughput", "sweep", "callgrind", "fleet"]


def peer(peers_dir, name, key):
    try:
        with open(os.path.join(peers_dir, name, key)) as f:
            return f.readline().strip()
    except OSError:
        return None


def git_rev():
    r = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                       capture_output=True, text=True)
    return r.stdout.strip() or None


def check(results, failures):
    """Short mode asserts no timing, only that each benchmark measured
    something and lost nothing. A benchmark that raised is already among
    the failures and left only its error."""
    tp = results.get("worker_throughput")
    if tp and "error" not in tp:
        for c, v in tp["by_concurrency"].items():
            if v["lost"]:
                failures.append(f"throughput, concurrency {c}: {v['lost']} requests lost")
            if not v["drain_throughput_median"]:
                failures.append(f"throughput, concurrency {c}: no rate measured")
        if not tp["virsh"]["rate_median_same_file"]:
            failures.append("virsh: no rate measured")
    sw = results.get("worker_sweep")
    if sw and "error" not in sw:
        for s in sw["steps"]:
            if s["completed"] != s["requested"]:
                failures.append(f"sweep {s['offered']}/s: {s['completed']} of "
                                f"{s['requested']} results")
    cg = results.get("callgrind")
    if cg and "error" not in cg and not cg["per_request_job_total"]:
        failures.append("callgrind: no cost of worker_job_run found")
    fl = results.get("fleet")
    if fl and "error" not in fl:
        if fl["lost"]:
            failures.append(f"fleet: {fl['lost']} requests lost")
        if fl["workers_alive_at_end"] != fl["workers"]:
            failures.append(f"fleet: only {fl['workers_alive_at_end']} workers alive")
        if fl["result"]["failed"]:
            failures.append(f"fleet: {fl['result']['failed']} requests failed: "
                            f"{fl['result']['failures'][:1]}")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--short", action="store_true",
                   help="small scale, seconds, no timing assertions (CI)")
    p.add_argument("--only", default="", help="comma-separated subset of " + ",".join(ALL))
    p.add_argument("--reps", type=int, default=None, help="repetitions (default 3, short 1)")
    p.add_argument("--out", default=os.path.join(REPO, "bench", "results"))
    p.add_argument("--kafka-peers", default=os.environ.get("VMRELAY_BENCH_KAFKA_PEERS"),
                   help="peers folder of a running real broker (kafka/bootstrap)")
    p.add_argument("--apiserver-peers", default=os.environ.get("VMRELAY_BENCH_APISERVER_PEERS"),
                   help="peers folder of a running API server (apiserver/)")
    a = p.parse_args()

    wanted = [x for x in a.only.split(",") if x] or (SHORT if a.short else ALL)
    reps = a.reps or (1 if a.short else 3)
    os.makedirs(os.path.join(a.out, "work"), exist_ok=True)
    results = {"machine": machine(), "short": a.short, "revision": git_rev(),
               "binary_dir": BIN, "repetitions": reps, "started": time.time()}
    out_json = os.path.join(a.out, "results.json")
    failures = []

    def step(name, key, fn, *args):
        if name not in wanted:
            return
        log(f"--- {name} (load {os.getloadavg()[0]:.2f})")
        t0 = time.monotonic()
        try:
            results[key] = fn(*args)
            results[key]["elapsed_s"] = time.monotonic() - t0
            results[key]["load_at_start"] = os.getloadavg()
        except Exception as e:  # one broken benchmark must not hide the others
            traceback.print_exc()
            failures.append(f"{name}: {e}")
            results[key] = {"error": str(e)}
        write_json(out_json, results)

    import worker_bench as wb
    step("throughput", "worker_throughput", wb.bench_throughput, a.out, a.short, reps)
    step("sweep", "worker_sweep", wb.bench_sweep, a.out, a.short)
    step("callgrind", "callgrind", wb.bench_callgrind, a.out, a.short)
    step("fleet", "fleet", wb.bench_fleet, a.out, a.short)
    if "e2e" in wanted or "bridge" in wanted:
        kafka = peer(a.kafka_peers, "kafka", "bootstrap") if a.kafka_peers else None
        if not (a.apiserver_peers and kafka):
            failures.append("e2e/bridge: need --kafka-peers and --apiserver-peers "
                            "(a running real broker and API server)")
        else:
            os.environ["VMRELAY_PEERS_DIR"] = a.apiserver_peers
            import k8s_bench as kb
            step("e2e", "e2e", kb.bench_e2e, a.out, kafka, a.short)
            step("bridge", "bridge", kb.bench_bridge, a.out, kafka, a.short)

    results["finished"] = time.time()
    results["load_at_end"] = os.getloadavg()
    check(results, failures)
    results["failures"] = failures
    try:
        from plots import plot_all
        results["plots"] = [os.path.basename(x) for x in plot_all(results, a.out)]
    except ImportError:
        results["plots"] = []
        log("matplotlib is missing: no plots")
    write_json(out_json, results)
    log(f"results: {out_json}")
    for f in failures:
        log(f"FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
