"""Graph view speed: parse + DOT + `dot` layout + SVG export of 100 / 1 000 / 10 000-op graphs."""
from __future__ import annotations

import argparse
import time

from flowlog.graphdot import build_view
from flowlog.graphmodel import GraphError, GraphModel, parse_graph_def
from flowlog.graphsamples import sized_mlp_graphdef
from flowlog.graphview import run_dot

# (ops, expanded) -> seconds the issue asks for; 10 000 ops fully open is our own bound
# (dot's work is capped above graphdot.HUGE_VIEW boxes).
TARGETS = {(1000, False): 1.0, (1000, True): 5.0, (10000, False): 2.0, (10000, True): 20.0}


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
    args = p.parse_args()
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


if __name__ == "__main__":
    main()
