"""Graph view speed: parse + DOT + `dot` layout + SVG export of 100 / 1 000 / 10 000-op graphs,
and of ResNet50 as TensorFlow writes it (Keras in a TF1 graph with Adam): time, size, aspect.

The ResNet50 event file is written once by `benchmarks/resnet_graph.py` under the benchmark venv's
TensorFlow (`.venv-bench/bin/python`, or $BENCH_PYTHON) and cached in the temp dir.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flowlog.graph.dot import build_view
from flowlog.graph.model import GraphError, GraphModel, parse_graph_def
from flowlog.graph.view import run_dot

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "tests"))  # the sample graphs live with the tests
from graph_samples import sized_mlp_graphdef

# (ops, expanded) -> seconds the issue asks for; 10 000 ops fully open is our own bound
# (dot's work is capped above flowlog.graph.dot.HUGE_VIEW boxes).
TARGETS = {(1000, False): 1.0, (1000, True): 5.0, (10000, False): 2.0, (10000, True): 20.0}
# ResNet50, default view / fully expanded: (seconds, SVG bytes, longest side over shortest).
RESNET_TARGETS = {False: (1.0, None, 4.0), True: (5.0, 8 * 2**20, None)}
CACHE = Path(tempfile.gettempdir()) / "flowlog-bench" / "resnet50"


def resnet50_graph() -> bytes:
    """ResNet50's serialized GraphDef, from the cached event file (written on first use)."""
    import flowlog as fl

    if not any(CACHE.glob("events.out.tfevents.*")):
        python = os.environ.get("BENCH_PYTHON", str(ROOT.parent / ".venv-bench/bin/python"))
        if not Path(python).exists():
            sys.exit(f"needs TensorFlow to write ResNet50's graph: {python} not found (make "
                     "bench-engine builds it, or set BENCH_PYTHON)")
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([python, str(ROOT / "resnet_graph.py"), str(CACHE)], check=True)
    graphs = [e.graph_def for e in fl.read_events(CACHE) if e.graph_def]
    return graphs[-1]


def _cpu() -> float:
    """CPU seconds of this process and its finished children (dot): on a shared machine the
    wall clock also counts other people's work."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure_resnet(data: bytes, expanded: bool, timeout: float) -> dict:
    """Default or fully expanded view of ResNet50: seconds to SVG, pixels, aspect, bytes."""
    start, cpu = time.perf_counter(), _cpu()
    view = build_view(GraphModel(parse_graph_def(data)), "all" if expanded else None,
                      legend=True, background="white")
    svg = run_dot(view, "svg", timeout=timeout)
    secs, cpu = time.perf_counter() - start, _cpu() - cpu
    w, h = (float(x) * 96 / 72 for x in
            re.search(rb'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg).groups())
    return {"secs": secs, "cpu": cpu, "w": w, "h": h, "aspect": max(w, h) / min(w, h), "bytes": len(svg),
            "boxes": len(view.units)}


def resnet_rows(timeout: float) -> None:
    """One row per ResNet50 view, checked against RESNET_TARGETS."""
    data = resnet50_graph()
    print(f"\n{'ResNet50':<9} {'boxes':>6} {'seconds':>8} {'cpu s':>6} {'pixels':>15} "
          f"{'aspect':>7} {'SVG':>9}  verdict")
    for expanded in (False, True):
        r = measure_resnet(data, expanded, timeout)
        max_secs, max_bytes, max_aspect = RESNET_TARGETS[expanded]
        ok = (r["secs"] <= max_secs and (max_bytes is None or r["bytes"] <= max_bytes)
              and (max_aspect is None or r["aspect"] <= max_aspect))
        print(f"{'expanded' if expanded else 'default':<9} {r['boxes']:>6} {r['secs']:>8.2f} "
              f"{r['cpu']:>6.2f} "
              f"{r['w']:>7.0f}x{r['h']:<7.0f} {r['aspect']:>6.2f} {r['bytes'] / 2**20:>6.2f} MB  "
              f"{'ok' if ok else 'MISSED'}", flush=True)


def measure(data: bytes, expand: str | None, fmt: str,
            timeout: float) -> tuple[float | None, int, int]:
    """Seconds from serialized GraphDef to image bytes (None past `timeout`); boxes, edges."""
    start = time.perf_counter()
    view = build_view(GraphModel(parse_graph_def(data)), expand, legend=True,
                      background="white")
    try:
        run_dot(view, fmt, timeout=timeout)
    except GraphError:
        return None, len(view.units), len(view.edges)
    return time.perf_counter() - start, len(view.units), len(view.edges)


def main() -> None:
    """Print one row per graph size and view, with the target where there is one."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="100,1000,10000")
    p.add_argument("--formats", default="svg", help="comma-separated: svg,png,pdf")
    p.add_argument("--timeout", type=float, default=300, help="seconds allowed per layout")
    p.add_argument("--no-resnet", action="store_true", help="skip ResNet50 (needs TensorFlow)")
    args = p.parse_args()
    # Seconds are wall clock; on a shared machine compare with the CPU column and this load.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'ops':>6} {'view':<9} {'fmt':<4} {'boxes':>6} {'edges':>6} {'seconds':>8} "
          f"{'target':>7}  verdict")
    for size in (int(s) for s in args.sizes.split(",")):
        graph = sized_mlp_graphdef(size)
        data = graph.SerializeToString()
        for expanded in (False, True):
            for fmt in args.formats.split(","):
                secs, boxes, edges = measure(data, "all" if expanded else None, fmt,
                                             args.timeout)
                target = TARGETS.get((size, expanded))
                ok = secs is not None and (target is None or secs <= target)
                verdict = "" if target is None and ok else ("ok" if ok else "SLOW")
                print(f"{len(graph.node):>6} {'expanded' if expanded else 'collapsed':<9} "
                      f"{fmt:<4} {boxes:>6} {edges:>6} "
                      f"{f'{secs:.2f}' if secs is not None else f'>{args.timeout:.0f}':>8} "
                      f"{'' if target is None else f'{target:.0f} s':>7}  {verdict}",
                      flush=True)
    if not args.no_resnet:
        resnet_rows(args.timeout)


if __name__ == "__main__":
    main()
