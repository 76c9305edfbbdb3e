"""Time to serve a logdir: flowboard vs TensorBoard (Rust data server and Python loader).

Usage: python benchmarks/dashboard.py [--runs 10] [--tags 10] [--steps 20000] [--skip-slow]
                                      [--layouts single,merged,tensor]

Writes RUNS x TAGS x STEPS scalars with tensorboard's own protos in each of three layouts that
real writers produce: `single`, one simple_value per event (torch.utils.tensorboard,
tensorboardX); `merged`, all TAGS values in one event (TF1's merge_all); `tensor`, one scalar
tensor per event with the scalars plugin's metadata on each tag's first value (TF2's
tf.summary.scalar, Keras). For each server and layout it measures the time from process start
until every run's tags are served with all their points, polling over HTTP: until the tag list
is complete and the last-written tag of every run serves all its points (both servers read a
file front to back, so the rest of the run is loaded by then; every tag is checked
afterwards). Then the latency of flowboard's downsampled route on a 1M-point series, and bytes
per stored point.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2

from flowlog.events.records import frame

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import free_port

BIN = Path(sys.executable).parent
CACHE = Path(tempfile.gettempdir()) / "flowlog-bench"
LAYOUTS = ("single", "merged", "tensor")


def _events(layout: str, r: int, tags: int, steps: int):
    """The events of one run in `layout` (see the module's docstring)."""
    yield event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2")
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    for s in range(steps):
        values = []
        for t in range(tags):
            x = s * 0.001 + t + r
            if layout == "tensor":
                tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                                tensor_content=np.float32(x).tobytes())
                tensor.tensor_shape.SetInParent()
                v = summary_pb2.Summary.Value(tag=f"metrics/tag_{t}", tensor=tensor)
                if s == 0:
                    v.metadata.CopyFrom(meta)
            else:
                v = summary_pb2.Summary.Value(tag=f"metrics/tag_{t}", simple_value=x)
            values.append(v)
        wall = 1.7e9 + s * 0.1
        if layout == "merged":
            yield event_pb2.Event(wall_time=wall, step=s, summary=summary_pb2.Summary(value=values))
        else:
            for v in values:
                yield event_pb2.Event(wall_time=wall, step=s, summary=summary_pb2.Summary(value=[v]))


def write_logdir(root: Path, runs: int, tags: int, steps: int, layout: str = "single") -> Path:
    """RUNS run directories, each one event file of TAGS x STEPS scalars in `layout`."""
    logdir = root / f"{layout}_r{runs}_t{tags}_s{steps}"
    if (logdir / "done").exists():
        return logdir
    for r in range(runs):
        d = logdir / f"run_{r:02d}"
        d.mkdir(parents=True, exist_ok=True)
        blob = b"".join(frame(e.SerializeToString()) for e in _events(layout, r, tags, steps))
        (d / "events.out.tfevents.1700000000.bench.1.0").write_bytes(blob)
    (logdir / "done").touch()
    return logdir



def get(url: str, timeout: float = 60):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def time_to_serve(cmd: list[str], port: int, runs: int, tags: int, steps: int,
                  limit: float, proc: subprocess.Popen | None = None) -> float:
    """Seconds from starting `cmd` until every (run, tag) serves `steps` points (or, given
    a server `proc` already started, until it does: that server is left running)."""
    base = f"http://127.0.0.1:{port}/data/plugin/scalars/"

    def count(run: str, tag: str) -> int:
        return len(get(base + "scalars?" + urllib.parse.urlencode({"run": run, "tag": tag})))

    start = time.perf_counter()
    ours = proc is None
    if ours:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        todo = listed = None
        while time.perf_counter() - start < limit:
            # Polls cost the server time too: keep them to about 2% of the time so far.
            time.sleep(max(0.05, 0.02 * (time.perf_counter() - start)))
            try:
                if todo is None:
                    listed = get(base + "tags")
                    if len(listed) == runs and all(len(t) == tags for t in listed.values()):
                        todo = [(r, max(ts)) for r, ts in listed.items()]
                    else:
                        continue
                while todo and count(*todo[0]) >= steps:  # one incomplete tag per poll
                    todo.pop(0)
                if not todo:
                    elapsed = time.perf_counter() - start
                    short = [(r, t) for r, ts in listed.items() for t in ts if count(r, t) < steps]
                    assert not short, f"incomplete after the last tags were: {short[:3]}"
                    return elapsed
            except OSError:
                continue  # not listening yet
        return float("inf")
    finally:
        if ours:
            proc.terminate()
            proc.wait(30)


def flowboard_cmd(logdir: Path, port: int) -> list[str]:
    return [str(BIN / "flowboard"), "--logdir", str(logdir), "--port", str(port),
            "--reload-interval", "0"]


def tensorboard_cmd(logdir: Path, port: int, fast: bool) -> list[str]:
    return [str(BIN / "tensorboard"), "--logdir", str(logdir), "--port", str(port),
            "--host", "127.0.0.1", f"--load_fast={'true' if fast else 'false'}",
            "--samples_per_plugin", "scalars=100000000", "--reload_interval", "0"]


def downsample_latency(root: Path, n: int = 1_000_000) -> tuple[float, float]:
    """Median ms of the downsampled route on an n-point series, and bytes per point stored."""
    logdir = write_logdir(root, 1, 1, n)
    port = free_port()
    proc = subprocess.Popen(flowboard_cmd(logdir, port), stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/data/"
        while True:
            time.sleep(0.1)
            try:
                status = get(base + "status")
            except OSError:
                continue
            if not status["loading"]:
                break
        url = base + "series?run=run_00&tag=metrics%2Ftag_0&width=1000"
        times = []
        for _ in range(30):
            t = time.perf_counter()
            body = get(url)
            times.append((time.perf_counter() - t) * 1000)
        assert body["runs"]["run_00"]["total"] == n
        return statistics.median(times), status["scalar_bytes"] / status["scalar_points"]
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--tags", type=int, default=10)
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--layouts", default=",".join(LAYOUTS))
    ap.add_argument("--skip-slow", action="store_true", help="skip TensorBoard's Python loader")
    args = ap.parse_args()
    CACHE.mkdir(exist_ok=True)
    shape = (args.runs, args.tags, args.steps)
    for layout in args.layouts.split(","):
        logdir = write_logdir(CACHE, *shape, layout)
        size = sum(f.stat().st_size for f in logdir.rglob("events.*"))
        print(f"{layout}: {args.runs} runs x {args.tags} tags x {args.steps} steps "
              f"= {args.runs * args.tags * args.steps:,} points, {size / 1e6:.0f} MB")
        results = {}
        servers = [("flowboard", flowboard_cmd, (), 120),
                   ("tensorboard --load_fast=true (Rust)", tensorboard_cmd, (True,), 300)]
        if not args.skip_slow:
            servers.append(("tensorboard --load_fast=false (Python)", tensorboard_cmd,
                            (False,), 900))
        for name, cmd, extra, limit in servers:
            port = free_port()
            results[name] = time_to_serve(cmd(logdir, port, *extra), port, *shape, limit)
            print(f"  {name:40s} {results[name]:8.2f} s until every run's tags are fully served")
        ours = results["flowboard"]
        for name, t in results.items():
            if name != "flowboard":
                print(f"  flowboard is {t / ours:6.1f}x faster than {name}  (target 1.5x)")
    ms, per_point = downsample_latency(CACHE)
    print(f"downsampled route, 1M-point series, width 1000: {ms:.1f} ms (median of 30)")
    print(f"memory: {per_point:.1f} bytes per stored point")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
