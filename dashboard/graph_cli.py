"""`flowboard graph`: write a run's graph as an SVG, PNG, PDF or DOT file."""
from __future__ import annotations

import argparse
import os
import shutil
import sys

from flowlog.graph.model import GraphError
from flowlog.graph.view import FORMATS, INSTALL_HINT, GraphvizNotFound, export_graph

from .errors import HTTPError, NotFound
from .graphs import GraphService
from .provider import DataProvider


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="flowboard graph",
        description="Export the newest graph of a run as an image laid out by graphviz dot.")
    p.add_argument("--logdir", required=True, help="directory holding runs")
    p.add_argument("--run", help="run name as the dashboard shows it ('.' for the logdir "
                                 "itself); optional when only one run has a graph")
    p.add_argument("--expand", metavar="all|SCOPE,...",
                   help="name scopes to open ('all' opens every scope, '' none); default: the "
                        "page's first view (the model's scope open when one holds most ops, "
                        "training and variable scopes drawn apart)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file; the suffix picks the format: "
                        + ", ".join("." + f for f in FORMATS))
    return p


def _fail(message: str) -> int:
    print(f"flowboard graph: error: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Run `flowboard graph`; returns the exit code."""
    args = _parser().parse_args(argv)
    fmt = os.path.splitext(args.output)[1].lower().lstrip(".")
    if fmt not in FORMATS:
        return _fail(f"cannot tell the format from {args.output!r}; expected a name ending in "
                     + ", ".join("." + f for f in FORMATS))
    if fmt != "dot" and shutil.which("dot") is None:
        return _fail(INSTALL_HINT)
    if not os.path.isdir(args.logdir):
        return _fail(f"logdir {args.logdir!r} does not exist or is not a directory")
    data = DataProvider(args.logdir, reload_interval=0)
    data.reload()
    graphs = GraphService(data)  # a Keras model's config counts as its layer graph
    runs = data.runs()
    with_graph = [r for r in runs if graphs.source(r)[1] is not None]
    run = args.run
    if run is None:
        if len(with_graph) != 1:
            return _fail("pass --run; runs with a graph: " + (", ".join(with_graph) or "none")
                         if with_graph else f"no run under {args.logdir!r} has a graph")
        run = with_graph[0]
    try:
        _, model = graphs.model(run)
    except NotFound:
        return _fail(f"no run {run!r} in {args.logdir!r}; runs: {', '.join(runs) or 'none'}")
    except HTTPError as e:  # the graph cannot be read
        return _fail(e.message)
    if model is None:
        return _fail(f"run {run!r} has no graph; runs with a graph: "
                     + (", ".join(with_graph) or "none"))
    try:
        path = export_graph(model, args.output, expand=args.expand)
    except GraphvizNotFound:
        return _fail(INSTALL_HINT)
    except (GraphError, OSError) as e:
        return _fail(str(e))
    print(f"wrote {path} ({fmt}, run {run!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
