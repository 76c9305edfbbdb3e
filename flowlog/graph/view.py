"""Graph pictures: a `GraphDef` laid out by graphviz `dot` as SVG, PNG, PDF or DOT; `export_graph`."""
from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from flowlog.graph.dot import HUGE_VIEW, View, build_view
from flowlog.graph.model import GraphError, GraphModel, parse_graph_def
from flowlog.graph.svg import lean_svg
from flowlog.proto import graph_pb2, step_stats_pb2

FORMATS = ("svg", "png", "pdf", "dot")
INSTALL_HINT = ("the graphviz 'dot' program was not found on PATH; install graphviz "
                "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
                "conda: conda install -c conda-forge graphviz) and try again")
PNG_DPI = 192  # twice the 96 CSS pixels per inch the page shows the SVG at
LAYOUT_TIMEOUT = 600.0
# dot runs at most this many at once in a process (FLOWLOG_MAX_LAYOUTS): four open views of a
# huge graph must not start four processes that each take minutes.
MAX_LAYOUTS = max(1, int(os.environ.get("FLOWLOG_MAX_LAYOUTS", "2")))
_slots = threading.BoundedSemaphore(MAX_LAYOUTS)


class GraphvizNotFound(RuntimeError):
    """The `dot` program is not installed."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


class LayoutBusy(GraphError):
    """Every dot slot stayed taken while this layout waited (worth retrying, not caching)."""


def model_of(graph) -> GraphModel:
    """A GraphModel from an engine Graph, a GraphDef, its bytes, or a GraphModel."""
    if isinstance(graph, GraphModel):
        return graph
    if hasattr(graph, "as_graph_def"):
        try:  # shapes label the edges, as in the files FileWriter writes
            graph = graph.as_graph_def(add_shapes=True)
        except TypeError:
            graph = graph.as_graph_def()
    if not isinstance(graph, (graph_pb2.GraphDef, bytes, bytearray, memoryview)):
        # A GraphDef of another protobuf package (TF's own) converts through its bytes.
        if hasattr(graph, "SerializeToString"):
            graph = graph.SerializeToString()
        else:
            raise TypeError(f"expected a Graph, a GraphDef or its serialized bytes, "
                            f"got {type(graph).__name__}")
    return GraphModel(parse_graph_def(graph))


def timings_from_run_metadata(data: bytes) -> dict[str, float]:
    """Op name -> microseconds of compute, summed over devices, from a serialized RunMetadata."""
    meta = step_stats_pb2.RunMetadata()
    try:
        meta.ParseFromString(data)
    except Exception as e:  # noqa: BLE001 -- any decode failure means "no timings"
        raise GraphError(f"the run metadata is not a valid RunMetadata: {e}") from None
    times: dict[str, float] = {}
    for dev in meta.step_stats.dev_stats:
        for stats in dev.node_stats:
            if stats.all_end_rel_nanos:
                us = stats.all_end_rel_nanos / 1000.0
            elif stats.op_end_rel_micros or stats.op_start_rel_micros:
                us = float(max(stats.all_end_rel_micros,
                               stats.op_end_rel_micros - stats.op_start_rel_micros))
            else:
                us = float(stats.all_end_rel_micros)
            name = stats.node_name.split(":")[0]
            times[name] = times.get(name, 0.0) + us
    return times


def run_dot(view: View, fmt: str, timeout: float = LAYOUT_TIMEOUT) -> bytes:
    """Lay out `view` with `dot` and render it as `fmt` (svg, png or pdf)."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFound()
    args = [exe, f"-T{fmt}"]
    if fmt == "png":
        # Huge pictures are scaled to at most 16 384 px a side: bigger bitmaps take minutes.
        args += [f"-Gdpi={PNG_DPI}", f"-Gsize={16384 / PNG_DPI:.0f},{16384 / PNG_DPI:.0f}"]
    if not _slots.acquire(timeout=timeout):
        raise LayoutBusy(f"{MAX_LAYOUTS} other layouts kept dot busy for {timeout:g} s; "
                         "try again")
    try:
        proc = subprocess.run(args, input=view.dot.encode(), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphError(f"laying out {len(view.units)} boxes took over {timeout:g} s; "
                         "collapse some scopes") from None
    finally:
        _slots.release()
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise GraphError(f"dot could not lay out the graph: {err or 'no output'}")
    return lean_svg(proc.stdout, len(view.units)) if fmt == "svg" else proc.stdout




def render(graph, fmt: str = "svg", expand: str | Iterable[str] | None = None, *,
           timings: dict[str, float] | None = None, color: str = "op",
           legend: bool = True, background: str = "white") -> bytes:
    """The picture of `graph` (see `model_of`) as `fmt` bytes, with scopes in `expand` open.

    `expand`: None (the default view: the model's scope open when one holds most ops, see
    `GraphModel.default_open`), [] or "" (every scope closed), "all", or scope names (a list
    or "a,b/c").
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format '{fmt}'; expected one of {', '.join(FORMATS)}")
    return lay_out(model_of(graph), expand, fmt, timings=timings, color=color, legend=legend,
                   background=background)[1]


# A picture taller than this many times its width is folded: cut into bands laid side by side.
FOLD_ASPECT = 4.0
_BOX_Y = re.compile(rb'<g id="(u\d+)" class="node[^"]*">\n(?:<title>[^<]*</title>\n)?'
                    rb'<rect [^>]*?y="([-\d.]+)" width="[\d.]+" height="([\d.]+)"')
_VIEWBOX = re.compile(rb'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"')


def fold_bands(svg: bytes) -> dict[str, int] | None:
    """Box id -> band, when the laid-out `svg` is too tall (None when it is not).

    A long chain (a model of many different layers) is one column dot cannot wrap; cut into
    k bands of its height, with the edges between bands as stubs, it becomes k columns side by
    side: about k² times less tall for its width.
    """
    size = _VIEWBOX.search(svg)
    if not size:
        return None
    w, h = float(size[1]), float(size[2])
    if h <= FOLD_ASPECT * w:
        return None
    k = min(8, math.ceil(math.sqrt(h / w / 2)))
    centres = {m[1].decode(): float(m[2]) + float(m[3]) / 2 for m in _BOX_Y.finditer(svg)}
    if len(centres) < 2 * k:
        return None
    top, bottom = min(centres.values()), max(centres.values())
    step = (bottom - top) / k or 1.0
    return {uid: min(k - 1, int((y - top) / step)) for uid, y in centres.items()}


def lay_out(model: GraphModel, expand=None, fmt: str = "svg", *,
            timeout: float = LAYOUT_TIMEOUT, **options) -> tuple[View, bytes]:
    """The view of `model` with `expand` open and its picture as `fmt` bytes, folded into
    bands side by side when it comes out too tall (see `fold_bands`). `options` go to
    `build_view`."""
    view = build_view(model, expand, **options)
    if fmt == "dot":
        return view, view.dot.encode()
    if len(view.units) > HUGE_VIEW:  # a second layout would double minutes of work
        return view, run_dot(view, fmt, timeout=timeout)
    svg = run_dot(view, "svg", timeout=timeout)
    bands = fold_bands(svg)
    if bands:
        view = build_view(model, expand, bands=bands, **options)
        svg = run_dot(view, "svg", timeout=timeout)
    return view, svg if fmt == "svg" else run_dot(view, fmt, timeout=timeout)


def export_graph(graph, path: str | os.PathLike, expand: str | Iterable[str] | None = None
                 ) -> Path:
    """Write a picture of `graph` (an engine Graph, a GraphDef or its bytes) to `path`.

    The format follows the suffix: .svg, .png (2x resolution), .pdf or .dot. `expand` opens
    name scopes: None gives the default view (the model's scope open when one holds most ops,
    training and variable scopes drawn apart), [] keeps every scope closed, "all" opens
    everything, or a list of scope names. Returns the path written.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"cannot tell the image format from '{path.name}'; expected a name "
                         f"ending in {', '.join('.' + f for f in FORMATS)}")
    data = render(graph, fmt, expand)
    # A fresh name created exclusively beside the output: a file or symlink planted under a
    # predictable name (`OUT.part`) is never followed or overwritten.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
