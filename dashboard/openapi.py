"""An OpenAPI 3 description of the dashboard's data routes, served at `/data/openapi.json`."""
from __future__ import annotations

from flask import Blueprint

from .util import json_response

bp = Blueprint("openapi", __name__)

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
# JSON has no NaN or infinity: such values are sent as the strings "NaN", "Infinity", "-Infinity".
NUMBER = {"anyOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity",
                                                                      "-Infinity"]}]}
NULLABLE_NUMBER = {"anyOf": [{"type": "number"}, {"type": "null"}]}
STRINGS = {"type": "array", "items": STRING}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": STRING}}


def _obj(required: dict, **optional) -> dict:
    """An object schema with `required` properties (and `optional` ones)."""
    return {"type": "object", "required": list(required),
            "properties": {**required, **optional}}


def _by_run(schema: dict) -> dict:
    """{run: schema}."""
    return {"type": "object", "additionalProperties": schema}


def _tuple(*items: dict) -> dict:
    """A fixed-length JSON array [items...]."""
    return {"type": "array", "prefixItems": list(items), "minItems": len(items),
            "maxItems": len(items)}


TAG_INFO = _obj({"displayName": STRING, "description": STRING})
TAGS = _by_run(_by_run(TAG_INFO))
POINT = _tuple(NUMBER, INTEGER, NUMBER)  # [wall_time, step, value]
TEXT = {"anyOf": [STRING, {"type": "array"}]}  # a string, or nested lists of strings
HPARAM = {"anyOf": [NUMBER, STRING, {"type": "boolean"}, {"type": "null"}]}
SERIES_RUN = _obj({"step": {"type": "array", "items": INTEGER},
                   "wall_time": {"type": "array", "items": NULLABLE_NUMBER},
                   "value": {"type": "array", "items": NULLABLE_NUMBER},
                   "total": INTEGER})


def _param(name: str, schema: dict, required: bool = True, doc: str = "") -> dict:
    """A query parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": doc}


RUN = _param("run", STRING, doc="a run name as listed by /data/runs (never a path)")
TAG = _param("tag", STRING, doc="a tag of that run")


def _get(summary: str, schema: dict, params: tuple = (), media: str = "application/json",
         errors: tuple = (400, 404)) -> dict:
    """A GET operation answering `schema` as `media`, or a JSON error for each of `errors`."""
    ok = {"schema": schema}
    responses = {"200": {"description": "OK", "content": {media: ok}}}
    for status in errors:
        responses[str(status)] = {"description": "error naming the bad value",
                                  "content": {"application/json": {"schema": ERROR}}}
    return {"get": {"summary": summary, "parameters": list(params), "responses": responses}}


def paths() -> dict:
    """The runs, scalar, histogram, image and text routes, by path."""
    return {
        "/data/runs": _get("Names of all runs, sorted", STRINGS, errors=()),
        "/data/status": _get("Loading progress, and the tick of the newest scalar change", _obj({
            "loading": {"type": "boolean"}, "runs": INTEGER, "bytes_read": INTEGER,
            "bytes_total": INTEGER, "reloads": INTEGER, "time": {"type": "number"},
            "scalars_clock": INTEGER}), errors=()),
        "/data/plugins_listing": _get(
            "Which kinds of data some run holds: {plugin: {enabled}}",
            {"type": "object", "additionalProperties": _obj({"enabled": {"type": "boolean"}})},
            errors=()),
        "/data/plugin/scalars/tags": _get("Scalar tags of every run", TAGS, errors=()),
        "/data/plugin/scalars/scalars": _get(
            "Every point of one scalar series, ascending step: [[wall_time, step, value]]",
            {"type": "array", "items": POINT},
            (RUN, TAG, _param("format", {"type": "string", "enum": ["json", "csv"]}, False,
                              "csv answers text/csv with header `Wall time,Step,Value`")),
            errors=(400, 404, 503)),
        "/data/series": _get(
            "One tag of several runs, downsampled to `width` buckets keeping first/last/min/max",
            _obj({"tag": STRING, "runs": _by_run(SERIES_RUN)}),
            ({**RUN, "schema": {"type": "array", "items": STRING}, "explode": True}, TAG,
             _param("width", {"type": "integer", "minimum": 1, "maximum": 10000}, False),
             _param("min_step", {"type": "number"}, False),
             _param("max_step", {"type": "number"}, False))),
        "/data/plugin/scalars/chart": _chart(),
        "/data/plugin/scalars/export": _export(),
        "/data/plugin/histograms/tags": _get("Histogram tags of every run", TAGS, errors=()),
        "/data/plugin/histograms/histograms": _get(
            "[[wall_time, step, [[left, right, count], ...]]] of one histogram tag",
            {"type": "array", "items": _tuple(NUMBER, INTEGER, {"type": "array", "items": _tuple(
                NUMBER, NUMBER, NUMBER)})}, (RUN, TAG)),
        "/data/plugin/distributions/tags": _get("Histogram tags of every run", TAGS, errors=()),
        "/data/plugin/distributions/distributions": _get(
            "[[wall_time, step, [[basis_point, value] x 9]]] of one histogram tag: its values at "
            "basis points 0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000",
            {"type": "array", "items": _tuple(NUMBER, INTEGER, {"type": "array", "items": _tuple(
                INTEGER, NUMBER)})}, (RUN, TAG)),
        "/data/plugin/images/tags": _get("Image tags of every run, with samples per step",
                                         _by_run(_by_run(_obj({"displayName": STRING,
                                                               "description": STRING,
                                                               "samples": INTEGER}))),
                                         errors=()),
        "/data/plugin/images/images": _get(
            "The images of one tag, one entry per step",
            {"type": "array", "items": _obj({
                "wall_time": NUMBER, "step": INTEGER, "width": INTEGER, "height": INTEGER,
                "index": INTEGER, "samples": INTEGER})}, (RUN, TAG)),
        "/data/plugin/images/individualImage": _get(
            "The encoded bytes of one image", {"type": "string", "format": "binary"},
            (RUN, TAG, _param("index", {"type": "integer", "minimum": 0}, False),
             _param("sample", {"type": "integer", "minimum": 0}, False)), media="image/*"),
        "/data/plugin/text/tags": _get("Text tags of every run", _by_run(STRINGS), errors=()),
        "/data/plugin/text/text": _get(
            "The texts (markdown) of one tag", {"type": "array", "items": _obj({
                "wall_time": NUMBER, "step": INTEGER, "text": TEXT})}, (RUN, TAG)),
        "/data/plugin/hparams/table": _get(
            "Runs with hparams, sorted: their values and the last value of each metric",
            {"type": "array", "items": _obj({
                "run": STRING,
                "hparams": {"type": "object", "additionalProperties": HPARAM},
                "metrics": {"type": "object", "additionalProperties": {
                    "anyOf": [NUMBER, {"type": "null"}]}}})}, errors=()),
    }


RUNS = {**RUN, "schema": {"type": "array", "items": STRING}, "explode": True}
TAGS_PARAM = {**TAG, "schema": {"type": "array", "items": STRING}, "explode": True}
CHART_OPTIONS = (
    _param("width", {"type": "integer", "minimum": 1, "maximum": 10000}, False, "pixels"),
    _param("min_step", {"type": "number"}, False), _param("max_step", {"type": "number"}, False),
    _param("since", INTEGER, False, "the `clock` of the answer the client holds"),
    _param("known", INTEGER, False, "how many of the runs, first in order, it holds"),
    _param("bucket", INTEGER, False, "the `bucket` of the answer it holds"))


def _chart() -> dict:
    """The chart route: GET with parameters, or POST the same as a JSON object."""
    op = _get("The (run, tag) series of one chart, about one point per pixel (each bucket's "
              "lowest and highest), only those changed since `since`; binary: u32 header "
              "length, JSON header, then u32 step offsets, f32 wall-time offsets, f32 values",
              {"type": "string", "format": "binary"}, (RUNS, TAGS_PARAM, *CHART_OPTIONS),
              media="application/octet-stream")
    post = {**op["get"], "parameters": [], "requestBody": {"content": {"application/json": {
        "schema": _obj({"runs": STRINGS, "tags": STRINGS}, width=INTEGER, since=INTEGER,
                       known=INTEGER, bucket=INTEGER, min_step={"type": "number"},
                       max_step={"type": "number"})}}}}
    return {**op, "post": post}


def _export() -> dict:
    """Every point of several runs and tags in one file (also as a POSTed form)."""
    op = _get("Every point of the runs and tags: CSV `Run,Tag,Wall time,Step,Value` or JSON "
              "{run: {tag: [[wall_time, step, value]]}}", {"type": "string"},
              (RUNS, TAGS_PARAM, _param("format", {"type": "string", "enum": ["csv", "json"]},
                                         False)),
              media="*/*", errors=(400, 404, 503))
    return {**op, "post": {**op["get"], "parameters": [], "requestBody": {"content": {
        "application/x-www-form-urlencoded": {"schema": _obj(
            {"run": STRINGS, "tag": STRINGS}, format=STRING)}}}}}


# What a run's graph comes from: a GraphDef, or a Keras model's config drawn as its layers.
GRAPH_KIND = {"type": "string", "enum": ["graph", "keras"]}
GRAPH_VIEW = {"anyOf": [
    _obj({"run": STRING, "graph": {"type": "null"}, "message": STRING}),
    _obj({"run": STRING, "graph": STRING, "kind": GRAPH_KIND, "op_count": INTEGER, "svg": STRING,
          "units": {"type": "object"}, "clusters": {"type": "object"},
          "edges": {"type": "object"}, "legend": {"type": "array"}, "expanded": STRINGS,
          "tag": STRING, "tags": STRINGS})]}
GRAPH_OPTIONS = (
    _param("expand", STRING, False, '"all" or comma-separated scopes to open'),
    _param("color", {"type": "string", "enum": ["op", "time"]}, False),
    _param("tag", STRING, False, "run-metadata tag for compute times (the newest if absent)"))
GRAPH_RUN = _param("run", STRING, doc="a run name as listed by /data/runs")
OP = _param("name", STRING, doc="an op name of the run's graph")
GRAPH_ERRORS = (400, 404, 422, 503)  # 422: unreadable graph; 503: graphviz is not installed


def graph_paths() -> dict:
    """The graph view's routes."""
    return {
        "/data/plugin/graphs/info": _get(
            "Runs with their graph's content id (null without one) and run-metadata tags",
            _obj({"runs": {"type": "array", "items": _obj({
                "run": STRING, "graph": {"anyOf": [STRING, {"type": "null"}]},
                "kind": {"anyOf": [GRAPH_KIND, {"type": "null"}]},
                "run_metadata": STRINGS})}}), errors=()),
        "/data/plugin/graphs/view": _get("A run's graph laid out as SVG for the page", GRAPH_VIEW,
                                         (GRAPH_RUN, *GRAPH_OPTIONS), errors=GRAPH_ERRORS),
        "/data/plugin/graphs/export": _get(
            "The current view as a file", {"type": "string", "format": "binary"},
            (GRAPH_RUN, _param("format", {"type": "string", "enum": ["svg", "png", "pdf", "dot"]},
                               False), *GRAPH_OPTIONS),
            media="*/*", errors=GRAPH_ERRORS),
        "/data/plugin/graphs/node": _get(
            "Facts of one op: op, device, attrs, inputs and outputs with shapes, time",
            _obj({"name": STRING, "op": STRING, "device": STRING, "attrs": {"type": "object"},
                  "inputs": {"type": "array"}, "outputs": {"type": "array"}}),
            (GRAPH_RUN, OP, GRAPH_OPTIONS[2]), errors=GRAPH_ERRORS),
        "/data/plugin/graphs/nodes": _get(
            "Every op name and type of a run's graph", _obj({"names": STRINGS, "ops": STRINGS}),
            (GRAPH_RUN,), errors=GRAPH_ERRORS),
        "/data/plugin/graphs/trace": _get(
            "Everything an op depends on", _obj({"name": STRING, "ancestors": STRINGS}),
            (GRAPH_RUN, OP), errors=GRAPH_ERRORS),
        "/data/plugin/graphs/graph": _get("The GraphDef as protobuf text", STRING, (GRAPH_RUN,),
                                          media="text/plain", errors=GRAPH_ERRORS),
    }


def plugin_paths() -> dict:
    """The routes of the further data kinds, each described in its own module."""
    from .app import plugin_modules

    return {path: doc for m in plugin_modules() for path, doc in m.paths().items()}


def spec() -> dict:
    """The OpenAPI 3.1 document of the data routes."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "flowboard", "version": "1",
                 "description": "JSON routes of the flowboard dashboard. The TensorBoard-shaped "
                                "routes answer as TensorBoard does; errors are "
                                "`{\"error\": message}`."},
        "paths": {**paths(), **graph_paths(), **plugin_paths(),
                  "/data/openapi.json": _get("This document", {"type": "object"}, errors=())},
    }


@bp.route("/data/openapi.json")
def openapi():
    """The OpenAPI description of the JSON routes."""
    return json_response(spec())
