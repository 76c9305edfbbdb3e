"""A logdir larger than the memory flowboard may use: 50 M points served with --max-memory 300MB.

Usage: python benchmarks/big.py [--runs 100] [--tags 10] [--steps 50000] [--max-memory 300MB]

Writes the logdir once (cached in the temp dir), starts flowboard with the memory setting,
samples its RSS while it loads and afterwards, then times the downsampled route (one point
per pixel, what the page asks for) and a full-resolution zoom into a series whose columns
were moved to the cache directory. Targets: RSS under the setting, the downsampled route
<= 50 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import rss_mb

BIN = Path(sys.executable).parent


def write_logdir(runs: int, tags: int, steps: int) -> Path:
    import flowlog as fl

    logdir = Path(tempfile.gettempdir()) / f"flowlog-bench-big-{runs}x{tags}x{steps}"
    if (logdir / "done").exists():
        return logdir
    for r in range(runs):
        with fl.SummaryWriter(logdir / f"run{r:03d}") as w:
            xs = np.sin(np.arange(steps) / 500.0)
            for step in range(steps):
                for t in range(tags):
                    w.add_scalar(f"metric/{t}", float(xs[step]) + t + r, step)
    (logdir / "done").touch()
    return logdir



def get(url: str):
    with urllib.request.urlopen(url, timeout=120) as r:
        return json.load(r)


def median_ms(url: str, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        get(url)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--tags", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50_000)
    ap.add_argument("--max-memory", default="300MB")
    args = ap.parse_args()
    t = time.perf_counter()
    logdir = write_logdir(args.runs, args.tags, args.steps)
    points = args.runs * args.tags * args.steps
    size = sum(f.stat().st_size for f in logdir.rglob("events.*"))
    print(f"logdir: {points:,} points, {size / 1e9:.2f} GB (ready in {time.perf_counter() - t:.0f} s)")
    proc = subprocess.Popen([str(BIN / "flowboard"), "--logdir", str(logdir), "--port", "0",
                             "--reload-interval", "0", "--max-memory", args.max_memory],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = proc.stdout.readline().split(" at ")[1].split()[0] + "data/"
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        peak, start = 0.0, time.perf_counter()
        while True:
            peak = max(peak, rss_mb(proc.pid))
            status = get(base + "status")
            if not status["loading"]:
                break
            time.sleep(0.5)
        loaded = time.perf_counter() - start
        print(f"loaded in {loaded:.1f} s; RSS peak while loading {peak:.0f} MiB, after "
              f"{rss_mb(proc.pid):.0f} MiB (setting {args.max_memory}); "
              f"{status['scalar_points']:,} points kept")
        query = {"run": "run000", "tag": "metric/0", "width": 1000}
        page = median_ms(base + "series?" + urllib.parse.urlencode(query))
        zoom = {**query, "min_step": args.steps // 2, "max_step": args.steps // 2 + 2000}
        full = median_ms(base + "series?" + urllib.parse.urlencode(zoom))
        got = get(base + "series?" + urllib.parse.urlencode(zoom))["runs"]["run000"]
        print(f"downsampled route, a series moved to the cache: {page:.1f} ms (target <= 50 ms)")
        print(f"full-resolution zoom, 2 000 steps of it: {full:.1f} ms, "
              f"{len(got['step'])} points")
        print(f"RSS after the queries: {rss_mb(proc.pid):.0f} MiB (setting {args.max_memory})")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
