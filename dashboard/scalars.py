"""Routes for runs and scalars: TensorBoard's shapes, plus a downsampled multi-run series."""
from __future__ import annotations

import io

import numpy as np
from flask import Blueprint, Response, request

from .errors import BadRequest, NotFound
from .util import arg, json_response, number, provider

bp = Blueprint("scalars", __name__)


@bp.route("/data/runs")
def runs():
    """Names of all runs, sorted."""
    return json_response(provider().runs())


@bp.route("/data/status")
def status():
    """Loading progress."""
    return json_response(provider().status())


@bp.route("/data/plugin/scalars/tags")
def tags():
    """{run: {tag: {displayName, description}}}, as TensorBoard answers."""
    return json_response({run: {t: {"displayName": t, "description": ""} for t in tags}
                          for run, tags in provider().scalar_tags().items()})


@bp.route("/data/plugin/scalars/scalars")
def scalars():
    """Every point of one run and tag: [[wall_time, step, value], ...] or CSV."""
    run, tag = arg("run"), arg("tag")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest(f"format must be 'json' or 'csv', got {fmt!r}")
    step, wall, value = provider().scalars(run, tag)
    if fmt == "csv":
        return Response(to_csv(step, wall, value), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=scalars.csv"})
    if np.isfinite(value).all() and np.isfinite(wall).all():
        return Response(_points_json(step, wall, value), mimetype="application/json")
    return json_response([[w, s, v] for w, s, v in
                          zip(wall.tolist(), step.tolist(), value.tolist())])


def _points_json(step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> str:
    """[[wall, step, value], ...] of finite points, formatted in one pass (json.dumps' output)."""
    r = repr
    return "[" + ",".join([f"[{r(w)},{s},{r(v)}]" for w, s, v in
                           zip(wall.tolist(), step.tolist(), value.tolist())]) + "]"


def to_csv(step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> str:
    """Points as CSV with TensorBoard's header `Wall time,Step,Value`."""
    out = io.StringIO()
    out.write("Wall time,Step,Value\n")
    for w, s, v in zip(wall.tolist(), step.tolist(), value.tolist()):
        out.write(f"{w!r},{s},{v!r}\n")
    return out.getvalue()


@bp.route("/data/series")
def series():
    """One tag of several runs, downsampled to `width` pixels over [min_step, max_step].

    Each pixel bucket keeps its first, last, lowest and highest point. Runs lacking the tag
    are left out; an unknown run is a 404.
    """
    tag = arg("tag")
    names = request.args.getlist("run")
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
