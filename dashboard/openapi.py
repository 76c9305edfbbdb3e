"""An OpenAPI 3 description of the dashboard's JSON routes, served at `/data/openapi.json`."""
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
    """Every JSON route of the app, by path."""
    return {
        "/data/runs": _get("Names of all runs, sorted", STRINGS, errors=()),
        "/data/status": _get("Loading progress", _obj({
            "loading": {"type": "boolean"}, "runs": INTEGER, "bytes_read": INTEGER,
            "bytes_total": INTEGER, "reloads": INTEGER, "time": {"type": "number"}}), errors=()),
        "/data/plugin/scalars/tags": _get("Scalar tags of every run", TAGS, errors=()),
        "/data/plugin/scalars/scalars": _get(
            "Every point of one scalar series, ascending step: [[wall_time, step, value]]",
            {"type": "array", "items": POINT},
            (RUN, TAG, _param("format", {"type": "string", "enum": ["json", "csv"]}, False,
                              "csv answers text/csv with header `Wall time,Step,Value`"))),
        "/data/series": _get(
            "One tag of several runs, downsampled to `width` buckets keeping first/last/min/max",
            _obj({"tag": STRING, "runs": _by_run(SERIES_RUN)}),
            ({**RUN, "schema": {"type": "array", "items": STRING}, "explode": True}, TAG,
             _param("width", {"type": "integer", "minimum": 1, "maximum": 10000}, False),
             _param("min_step", {"type": "number"}, False),
             _param("max_step", {"type": "number"}, False))),
        "/data/plugin/histograms/tags": _get("Histogram tags of every run", TAGS, errors=()),
        "/data/plugin/histograms/histograms": _get(
            "[[wall_time, step, [[left, right, count], ...]]] of one histogram tag",
            {"type": "array", "items": _tuple(NUMBER, INTEGER, {"type": "array", "items": _tuple(
                NUMBER, NUMBER, NUMBER)})}, (RUN, TAG)),
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
    }


def spec() -> dict:
    """The OpenAPI 3.1 document of the JSON routes."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "flowboard", "version": "1",
                 "description": "JSON routes of the flowboard dashboard. The TensorBoard-shaped "
                                "routes answer as TensorBoard does; errors are "
                                "`{\"error\": message}`."},
        "paths": {**paths(), "/data/openapi.json": _get("This document", {"type": "object"},
                                                        errors=())},
    }


@bp.route("/data/openapi.json")
def openapi():
    """The OpenAPI description of the JSON routes."""
    return json_response(spec())
