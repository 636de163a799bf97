"""PNG plots of a results.json with matplotlib (Agg, no display)."""
import os


def _read(path):
    try:
        with open(path) as f:
            return [float(x) for x in f if x.strip()]
    except OSError:
        return []


def _cdf(ax, values, label):
    if not values:
        return
    v = sorted(values)
    ax.plot(v, [(i + 1) / len(v) for i in range(len(v))], label=label)


def plot_all(results, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    # A benchmark that failed leaves only its error: nothing to plot.
    sweep = results.get("worker_sweep") if "steps" in results.get("worker_sweep", {}) else None
    e2e = results.get("e2e") if "steps" in results.get("e2e", {}) else None

    # Throughput against offered load.
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if sweep:
        xs = [s["offered"] for s in sweep["steps"]]
        ax.plot(xs, [s["throughput"] for s in sweep["steps"]], "o-",
                label="worker alone (embedded broker)")
    if e2e:
        xs = [s["offered"] for s in e2e["steps"]]
        ax.plot(xs, [s["achieved"] for s in e2e["steps"]], "s-",
                label="whole pipeline (real broker, API server)")
    lim = max([1] + [s["offered"] for s in (sweep or {}).get("steps", [])] +
              [s["offered"] for s in (e2e or {}).get("steps", [])])
    ax.plot([0, lim], [0, lim], ":", color="grey", label="achieved = offered")
    ax.set_xlabel("offered load (requests/s)")
    ax.set_ylabel("completed (requests/s)")
    ax.set_title("Throughput against offered load")
    ax.legend()
    ax.grid(alpha=0.3)
    path = os.path.join(outdir, "throughput-vs-load.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    made.append(path)

    # Latency distributions (CDF, log x).
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if sweep:
        for s in sweep["steps"]:
            _cdf(ax, _read(os.path.join(outdir, s["latency_file"])),
                 f"worker, {s['offered']}/s offered")
    if e2e:
        for s in e2e["steps"]:
            _cdf(ax, _read(os.path.join(outdir, s["latency_file"])),
                 f"pipeline, {s['offered']}/s offered")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms): send to result (worker), patch to outcome (pipeline)")
    ax.set_ylabel("fraction of requests")
    ax.set_title("Latency distribution")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    path = os.path.join(outdir, "latency-cdf.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    made.append(path)

    cg = results.get("callgrind")
    if cg and "stages" in cg:
        fig, ax = plt.subplots(figsize=(7, 4))
        stages = sorted(cg["stages"].items(), key=lambda kv: -kv[1])
        ax.barh([k for k, _ in stages], [v / 1000 for _, v in stages])
        ax.invert_yaxis()
        ax.set_xlabel("thousand instructions per request (callgrind, inclusive)")
        ax.set_title("Worker cost per request by stage")
        ax.grid(alpha=0.3, axis="x")
        path = os.path.join(outdir, "stages.png")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        made.append(path)
    return made
