"""Routes for runs and scalars: TensorBoard's shapes, plus a downsampled multi-run series."""
from __future__ import annotations

import numpy as np
from flask import Blueprint, Response, request, stream_with_context

from . import charts
from .errors import BadRequest, NotFound
from .series import clock
from .util import arg, json_response, number, provider

bp = Blueprint("scalars", __name__)


@bp.route("/data/runs")
def runs():
    """Names of all runs, sorted."""
    return json_response(provider().runs())


@bp.route("/data/status")
def status():
    """Loading progress, and the tick of the newest scalar change (unchanged: nothing to fetch)."""
    return json_response({**provider().status(), "scalars_clock": clock()})


@bp.route("/data/plugins_listing")
def plugins_listing():
    """{plugin: {"enabled": whether some run has its kind of data}}, as TensorBoard answers."""
    present = provider().plugins_present()
    return json_response({name: {"enabled": name in present} for name in PLUGINS})


# Every kind of data the page has a view for, by TensorBoard's plugin names.
PLUGINS = ("scalars", "custom_scalars", "histograms", "distributions", "images", "audio", "text",
           "pr_curves", "projector", "mesh", "hparams", "graphs")


@bp.route("/data/plugin/scalars/tags")
def tags():
    """{run: {tag: {displayName, description}}}, as TensorBoard answers; the header
    X-Scalars-Clock says which tick of the data they are as new as."""
    now = clock()  # read first: a tag added while the answer is made is newer than this
    out = json_response({run: {t: {"displayName": t, "description": ""} for t in tags}
                         for run, tags in provider().scalar_tags().items()})
    out.headers["X-Scalars-Clock"] = str(now)
    return out


@bp.route("/data/plugin/scalars/scalars")
def scalars():
    """Every point of one run and tag: [[wall_time, step, value], ...] or CSV."""
    run, tag = arg("run"), arg("tag")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest(f"format must be 'json' or 'csv', got {fmt!r}")
    p = provider()
    series = p.run(run).scalars.get(tag)
    step, wall, value = p.scalars(run, tag)
    # The series' version names its content: a client holding it gets a 304, not the points.
    etag = f'"{series.version}-{fmt}"' if series is not None else None
    if etag and etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag})
    slot = charts.full_resolution()
    slot.__enter__()  # a 503 now if every slot is taken, before anything is sent

    def stream():
        try:
            yield from (_csv_chunks if fmt == "csv" else _json_chunks)(step, wall, value)
        finally:
            slot.__exit__(None, None, None)

    out = Response(stream_with_context(stream()),
                   mimetype="text/csv" if fmt == "csv" else "application/json")
    if fmt == "csv":
        out.headers["Content-Disposition"] = "attachment; filename=scalars.csv"
    if etag:
        out.headers["ETag"] = etag
        out.headers["Cache-Control"] = "no-cache"  # keep it, but ask each time
    return out


@bp.route("/data/plugin/scalars/chart", methods=["GET", "POST"])
def chart():
    """One chart's runs and tags, about one point per pixel, only what changed since `since`
    (binary; the format is described above `charts.chart_data`). POST a JSON body, or GET with
    `run` and `tag` repeated."""
    if request.method == "POST":
        body = request.get_json(silent=True)
    else:
        body = {"runs": request.args.getlist("run"), "tags": request.args.getlist("tag"),
                **{k: number(k, int) for k in ("width", "since", "known", "bucket")},
                **{k: number(k, float) for k in ("min_step", "max_step")}}
    return Response(charts.chart_data(provider(), charts.parse_query(body)),
                    mimetype="application/octet-stream")


@bp.route("/data/plugin/scalars/export", methods=["GET", "POST"])
def export():
    """Every point of the given runs and tags in one file: `run` and `tag` repeated (query or
    form fields), `format` csv or json."""
    fields = request.values
    fmt = fields.get("format", "csv")
    if fmt not in charts.EXPORT_FORMATS:
        raise BadRequest(f"format must be one of {', '.join(charts.EXPORT_FORMATS)}, got {fmt!r}")
    runs, tags = fields.getlist("run"), fields.getlist("tag")
    for key, names in (("run", runs), ("tag", tags)):
        if not names:
            raise BadRequest(f"missing query parameter {key!r}")
    rows = charts.export_rows(provider(), runs, tags, fmt)
    first = next(rows)  # unknown runs fail here, as a 404, before the download starts

    def stream():
        with charts.full_resolution():
            yield first
            yield from rows

    return Response(stream_with_context(stream()), mimetype="text/csv" if fmt == "csv"
                    else "application/json",
                    headers={"Content-Disposition": f"attachment; filename=scalars.{fmt}"})


# Full series are sent in pieces of this many points: a million points never become one
# string in memory.
CHUNK = 20_000
_JSON_FLOATS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # as json.dumps writes


def _number(x: float) -> str:
    text = repr(x)
    return _JSON_FLOATS.get(text, text)


def _json_chunks(step: np.ndarray, wall: np.ndarray, value: np.ndarray):
    """[[wall, step, value], ...], in pieces (json.dumps' output)."""
    yield "["
    for i in range(0, step.size, CHUNK):
        part = slice(i, i + CHUNK)
        rows = ",".join([f"[{_number(w)},{s},{_number(v)}]" for w, s, v in
                         zip(wall[part].tolist(), step[part].tolist(), value[part].tolist())])
        yield ("," if i else "") + rows
    yield "]"


def _csv_chunks(step: np.ndarray, wall: np.ndarray, value: np.ndarray):
    """Points as CSV with TensorBoard's header `Wall time,Step,Value`, in pieces."""
    yield "Wall time,Step,Value\n"
    for i in range(0, step.size, CHUNK):
        part = slice(i, i + CHUNK)
        yield "".join([f"{w!r},{s},{v!r}\n" for w, s, v in
                       zip(wall[part].tolist(), step[part].tolist(), value[part].tolist())])


@bp.route("/data/series")
def series():
    """One tag of several runs, downsampled to `width` pixels over [min_step, max_step].

    Each pixel bucket keeps its first, last, lowest and highest point. Runs lacking the tag
    are left out; an unknown run is a 404.
    """
    tag = arg("tag")
    names = list(dict.fromkeys(request.args.getlist("run")))  # a run asked twice counts once
    if not names:
        raise BadRequest("missing query parameter 'run'")
    width = number("width", int, 1000)
    lo, hi = number("min_step", float), number("max_step", float)
    p = provider()
    out = {}
    for name in names:
        run = p.run(name)
        if tag not in run.scalars:
            continue
        d = p.downsampled(name, tag, width, lo, hi)
        out[name] = {k: _finite(v) if k != "total" else v for k, v in d.items()}
    if not out:
        raise NotFound(f"unknown scalar tag {tag!r} in runs {names!r}")
    return json_response({"tag": tag, "runs": out})


def _finite(a: np.ndarray) -> list:
    """A column as a list, with NaN and infinities as null (gaps in the line)."""
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        return [x if np.isfinite(x) else None for x in a.tolist()]
    return a.tolist()
