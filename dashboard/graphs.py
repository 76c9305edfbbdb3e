"""Graph routes: a run's GraphDef laid out as SVG for the page, node facts, traces and exports."""
from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict

from flask import Blueprint, Response, current_app, request
from google.protobuf import text_format

from flowlog.graph.dot import build_view
from flowlog.graph.keras import PLUGIN as KERAS_PLUGIN
from flowlog.graph.keras import keras_graph_def
from flowlog.graph.model import ALL, GraphError, GraphModel, parse_graph_def
from flowlog.graph.view import (
    FORMATS,
    GraphvizNotFound,
    LayoutBusy,
    lay_out,
    timings_from_run_metadata,
)

from .errors import BadRequest, HTTPError, NotFound
from .util import arg, json_response, provider

bp = Blueprint("graphs", __name__)

PAGE_LAYOUT_TIMEOUT = 120.0  # seconds; FLOWBOARD_LAYOUT_TIMEOUT overrides it
_MIME = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf",
         "dot": "text/vnd.graphviz; charset=utf-8"}
NO_GRAPH = ("Run {run!r} has no graph. A PyTorch model writes one with "
            "SummaryWriter.add_graph(model, input), a Keras model with the "
            "TensorBoard(write_graph=True) callback, TF1-style code with "
            "fl.summary.FileWriter(logdir, graph=...).")


class GraphUnreadable(HTTPError):
    """The run's GraphDef (or run metadata) cannot be read or laid out (422)."""

    status = 422


class LayoutUnavailable(HTTPError):
    """graphviz is missing (503)."""

    status = 503


def content_id(data: bytes) -> str:
    """A short hash naming serialized bytes (caches and the page key on it)."""
    return hashlib.sha1(data).hexdigest()[:16]


class _LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class GraphService:
    """Graph answers over a DataProvider, with parsed models and layouts cached by content."""

    def __init__(self, data):
        self.data = data
        self.lock = threading.Lock()
        self.models = _LRU(4)
        self.layouts = _LRU(32)
        self.timings = _LRU(8)
        self.failures = _LRU(64)
        self.layout_timeout = float(os.environ.get("FLOWBOARD_LAYOUT_TIMEOUT",
                                                   PAGE_LAYOUT_TIMEOUT))

    def source(self, run: str) -> tuple[str, bytes | None]:
        """("keras", model config JSON) when the run holds a Keras model's config (its layer
        graph is what a Keras user wants to see; the op graph Keras writes beside it is its
        training function's), else ("graph", newest serialized GraphDef or None)."""
        tags = self.data.run(run).others.get(KERAS_PLUGIN, {})
        for tag in sorted(tags, key=lambda t: t != "keras"):  # the callback's tag first
            tensor = tags[tag][-1][2].tensor
            if tensor.string_val:
                return "keras", tensor.string_val[0]
        return "graph", self.data.graph(run)

    def model(self, run: str) -> tuple[str, GraphModel | None]:
        """(content id, model) of the run's newest graph; (\"\", None) when it has none."""
        kind, data = self.source(run)
        if data is None:
            return "", None
        key = content_id(kind.encode() + data)
        with self.lock:
            if key in self.models:
                self.models.move_to_end(key)
                return key, self.models[key]
        try:
            graph = keras_graph_def(data) if kind == "keras" else parse_graph_def(data)
            model = GraphModel(graph)
        except GraphError as e:
            raise GraphUnreadable(f"the graph of run {run!r} cannot be read: {e}") from None
        with self.lock:
            return key, self.models.put(key, model)

    def run_timings(self, run: str, tag: str | None) -> tuple[str, dict[str, float]]:
        """(tag, op -> microseconds) from the run's RunMetadata (newest tag if not named)."""
        tags = self.data.run_metadata_tags(run)
        if tag is None:
            if not tags:
                return "", {}
            tag = tags[-1]
        elif tag not in tags:
            raise NotFound(f"no run metadata tag {tag!r} in run {run!r}")
        data = self.data.run_metadata(run, tag) or b""
        key = content_id(data)
        with self.lock:
            if key in self.timings:
                return tag, self.timings[key]
        try:
            times = timings_from_run_metadata(data)
        except GraphError as e:
            raise GraphUnreadable(f"run {run!r}, tag {tag!r}: {e}") from None
        with self.lock:
            return tag, self.timings.put(key, times)

    def info(self) -> dict:
        """Runs with the content id of their graph (None without one) and run-metadata tags."""
        out = []
        for run in self.data.runs():
            try:
                kind, data = self.source(run)
                tags = self.data.run_metadata_tags(run)
            except NotFound:  # the run went away between the two calls
                continue
            key = content_id(kind.encode() + data) if data is not None else None
            out.append({"run": run, "graph": key, "kind": kind if key else None,
                        "run_metadata": tags})
        return {"runs": out}

    def _layout(self, key, model, attempt, opened_key, times, color, tag, fmt):
        """(view, laid-out bytes) of one view in `fmt` ("page" is the page's SVG), cached by
        content; the view is kept with its picture (a folded picture has its own stubs)."""
        cache_key = (key, opened_key, color, tag, fmt)
        with self.lock:
            hit = self.layouts.get(cache_key)
        if hit is None:
            page = fmt == "page"
            try:
                hit = lay_out(model, attempt, "svg" if page else fmt,
                              timeout=self.layout_timeout, timings=times, color=color,
                              legend=not page, background="transparent" if page else "white")
            except GraphvizNotFound as e:
                raise LayoutUnavailable(str(e)) from None
            with self.lock:
                self.layouts.put(cache_key, hit)
        return hit

    def _view(self, run, expand, color, tag, fmt, reveal=None):
        key, model = self.model(run)
        if model is None:
            return key, model, None, None, b"", ""
        tag, times = self.run_timings(run, tag)
        page = fmt == "page"
        try:
            if reveal:
                opened = model.normalize_expand(expand)
                opened = set(model.scopes) if opened == ALL else set(opened)
                expand = sorted(opened | set(model.reveal(reveal)))
            views = [expand]
            if page:  # coarser views to fall back to when a layout takes too long
                views += [v for v in (None, []) if v != expand]
            notice = ""
            for i, attempt in enumerate(views):
                opened = model.normalize_expand(attempt)
                # A layout that failed (timed out) fails for every format: remembered without
                # the format, and looked up before the view is even built, so asking again
                # answers at once instead of running dot for minutes.
                failed_key = (key, opened if opened == ALL else tuple(sorted(opened)), color, tag)
                with self.lock:
                    error = self.failures.get(failed_key)
                if fmt == "dot":  # DOT text needs no layout, whatever failed before
                    view = build_view(model, attempt, timings=times, color=color, legend=True,
                                      background="white")
                    return key, model, view, tag, view.dot.encode(), notice
                if error is None:
                    try:
                        view, body = self._layout(key, model, attempt, failed_key[1], times,
                                                  color, tag, fmt)
                        return key, model, view, tag, body, notice
                    except LayoutBusy as e:  # transient: not remembered
                        error = e
                    except GraphError as e:
                        error = e
                        with self.lock:
                            self.failures.put(failed_key, e)
                if i + 1 == len(views):
                    raise GraphUnreadable(f"the graph of run {run!r}: {error}") from None
                notice = (f"That view could not be laid out ({error}), so a coarser one is "
                          "shown. Open fewer scopes, or export it as DOT and lay it out "
                          "offline.")
        except GraphError as e:
            raise BadRequest(str(e)) from None
        raise AssertionError("unreachable")  # the loop returns or raises

    def view(self, run: str, expand=None, color: str = "op", tag: str | None = None,
             reveal: str | None = None) -> dict:
        """The page's picture (SVG text) of a run with the boxes and clusters it shows.

        `reveal` opens the scopes holding that op; `notice` says when a coarser view than the
        one asked for is shown (its layout took longer than the server allows).
        """
        key, model, view, tag, svg, notice = self._view(run, expand, color, tag, "page",
                                                        reveal)
        if model is None:
            return {"run": run, "graph": None, "message": NO_GRAPH.format(run=run)}
        return {"run": run, "graph": key, "op_count": len(model), "svg": svg.decode(),
                "kind": self.source(run)[0],
                "units": view.units, "clusters": view.clusters, "edges": view.edges,
                "legend": view.legend, "notice": notice,
                "expanded": view.opened,
                "parents": {p: model.parent(p) for p in view.opened},
                "tag": tag, "tags": self.data.run_metadata_tags(run)}

    def export(self, run: str, fmt: str, expand=None, color: str = "op",
               tag: str | None = None) -> bytes:
        """The current view as a file: svg, png (2x), pdf or dot."""
        if fmt not in FORMATS:
            raise BadRequest(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        _, model, _, _, body, _ = self._view(run, expand, color, tag, fmt)
        if model is None:
            raise NotFound(NO_GRAPH.format(run=run))
        return body

    def require(self, run: str) -> GraphModel:
        _, model = self.model(run)
        if model is None:
            raise NotFound(NO_GRAPH.format(run=run))
        return model

    def node(self, run: str, name: str, tag: str | None = None) -> dict:
        """Side-panel facts of one op."""
        model = self.require(run)
        if name not in model.nodes:
            raise NotFound(f"no op named {name!r} in the graph of run {run!r}")
        return model.node_info(name, self.run_timings(run, tag)[1])

    def names(self, run: str) -> dict:
        """Every op name and type (for search), in graph order."""
        model = self.require(run)
        return {"names": list(model.nodes), "ops": [n.op for n in model.nodes.values()]}

    def trace(self, run: str, name: str) -> dict:
        """All ops `name` depends on."""
        model = self.require(run)
        if name not in model.nodes:
            raise NotFound(f"no op named {name!r} in the graph of run {run!r}")
        return {"name": name, "ancestors": model.ancestors(name)}


def service() -> GraphService:
    """The app's GraphService (made on first use, over the app's provider)."""
    ext = current_app.extensions
    if "flowboard.graphs" not in ext:
        ext["flowboard.graphs"] = GraphService(provider())
    return ext["flowboard.graphs"]


def _options() -> dict:
    color = request.args.get("color", "op")
    if color not in ("op", "time"):
        raise BadRequest(f"color must be 'op' or 'time', got {color!r}")
    # No `expand` is the default view; `expand=` (empty) keeps every scope closed.
    expand = request.args.get("expand")
    return {"expand": None if expand is None else (expand or []), "color": color,
            "tag": request.args.get("tag") or None}


@bp.route("/data/plugin/graphs/info")
def info():
    """{"runs": [{run, graph: content id or null, run_metadata: [tags]}]}."""
    return json_response(service().info())


@bp.route("/data/plugin/graphs/view")
def view():
    """SVG of a run's graph with `expand` open (comma-separated scopes or "all")."""
    return json_response(service().view(arg("run"), reveal=request.args.get("reveal") or None,
                                        **_options()))


@bp.route("/data/plugin/graphs/export")
def export():
    """The current view as an attachment: format=svg|png|pdf|dot."""
    run, fmt = arg("run"), request.args.get("format", "svg")
    body = service().export(run, fmt, **_options())
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", run).strip("._") or "run"
    return Response(body, mimetype=_MIME[fmt], headers={
        "Content-Disposition": f'attachment; filename="{stem}-graph.{fmt}"'})


@bp.route("/data/plugin/graphs/node")
def node():
    """Facts of one op: op, device, attrs, inputs and outputs with shapes, time."""
    return json_response(service().node(arg("run"), arg("name"),
                                        request.args.get("tag") or None))


@bp.route("/data/plugin/graphs/nodes")
def nodes():
    """{"names": [...], "ops": [...]} of a run's graph."""
    return json_response(service().names(arg("run")))


@bp.route("/data/plugin/graphs/trace")
def trace():
    """{"name", "ancestors": [...]}: everything an op depends on."""
    return json_response(service().trace(arg("run"), arg("name")))


@bp.route("/data/plugin/graphs/graph")
def graph_text():
    """The GraphDef as protobuf text, like TensorBoard's route of the same name."""
    model = service().require(arg("run"))
    return Response(text_format.MessageToString(model.graph), mimetype="text/plain")
