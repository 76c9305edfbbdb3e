"""Custom scalars: the layout written by add_custom_scalars (multiline and margin charts).

A run's layout is a `Layout` proto serialized into the string tensor of the tag
`custom_scalars__config__` (flowlog/proto/extra_plugins.proto; torch, tensorboardX and flowlog
write it alike). The layouts of all runs merge into one, as TensorBoard merges them. A multiline
chart lists regular expressions, matched from the start of each scalar tag (`re.match`, as
TensorBoard does); a margin chart lists (value, lower, upper) tags by name. The series
themselves come from the scalars routes (the page draws them with the scalar charts' data).
"""
from __future__ import annotations

import re

from flask import Blueprint, request
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError

from flowlog.events.values import decode_tensor
from flowlog.proto import extra_plugins_pb2
from flowlog.summaries.plugins import CUSTOM_SCALARS_TAG

from .errors import BadRequest
from .openapi import INTEGER, NUMBER, RUN, STRING, STRINGS, _by_run, _get, _obj, _param, _tuple
from .provider import MAX_WIDTH, DataProvider
from .util import arg, json_response, number, provider

bp = Blueprint("custom_scalars", __name__)
PLUGIN = "custom_scalars"


def _run_layout(p: DataProvider, run: str) -> extra_plugins_pb2.Layout | None:
    """The newest layout a run wrote, or None if it is unreadable."""
    _, _, value = p.plugin_values(PLUGIN, run, CUSTOM_SCALARS_TAG)[-1]
    try:
        content = decode_tensor(value.tensor).reshape(-1)
        return extra_plugins_pb2.Layout.FromString(content[0]) if content.size else None
    except (ValueError, DecodeError, TypeError):
        return None


def merged_layout(p: DataProvider) -> extra_plugins_pb2.Layout | None:
    """The layouts of every run (in run order) as one: categories of one title become one,
    holding each distinct chart once, in the order first seen. None if no run has a layout."""
    merged = None
    by_title = {}  # title -> (merged category, its charts serialized)
    for run, tags in p.plugin_tags(PLUGIN).items():
        layout = _run_layout(p, run) if CUSTOM_SCALARS_TAG in tags else None
        if layout is None:
            continue
        if merged is None:
            merged = extra_plugins_pb2.Layout(version=layout.version)
        for category in layout.category:
            if category.title not in by_title:
                into = merged.category.add()
                into.CopyFrom(category)
                del into.chart[:]
                by_title[category.title] = (into, set())
            into, seen = by_title[category.title]
            # Charts compare by their bytes: a set, not a scan per chart (runs of a sweep
            # each repeat the same layout).
            for chart in category.chart:
                key = chart.SerializeToString(deterministic=True)
                if key not in seen:
                    seen.add(key)
                    into.chart.append(chart)
    return merged


def _matching(patterns: list[str], tags: set[str]) -> tuple[set[str], list[str]]:
    """(the tags some pattern matches from their start, the patterns that do not compile)."""
    found, invalid = set(), []
    for pattern in patterns:
        try:
            regex = re.compile(pattern)
        except re.error:
            invalid.append(pattern)
            continue
        found.update(t for t in tags if regex.match(t))
    return found, invalid


def charts(p: DataProvider) -> dict:
    """The merged layout as the page draws it: {"categories": [{title, closed, charts:
    [{title, kind, tags: {run: [scalar tags the chart draws]}, ...}]}]}; a multiline chart
    also has its `patterns` and the `invalid` ones, a margin chart its `series`."""
    layout = merged_layout(p)
    scalar_tags = {run: set(tags) for run, tags in p.scalar_tags().items()}
    every_tag = set().union(*scalar_tags.values())
    out = []
    for category in layout.category if layout else ():
        drawn = []
        for chart in category.chart:
            item = {"title": chart.title}
            if chart.HasField("margin"):
                series = [{"value": s.value, "lower": s.lower, "upper": s.upper}
                          for s in chart.margin.series]
                wanted = {t for s in series for t in s.values()}
                item.update(kind="margin", series=series)
            else:
                patterns = list(chart.multiline.tag)
                wanted, invalid = _matching(patterns, every_tag)
                item.update(kind="multiline", patterns=patterns, invalid=invalid)
            item["tags"] = {run: sorted(drawn_here) for run, tags in scalar_tags.items()
                            if (drawn_here := wanted & tags)}
            drawn.append(item)
        out.append({"title": category.title, "closed": category.closed, "charts": drawn})
    return {"categories": out}


def scalars(p: DataProvider, run: str, pattern: str, width: int) -> dict:
    """TensorBoard's answer for one run and tag pattern: {regex_valid, tag_to_events: {tag:
    [[wall_time, step, value]]}}, each series downsampled to `width` pixels as the scalar
    charts are (first, last, lowest and highest point of each bucket kept)."""
    if not 1 <= width <= MAX_WIDTH:
        raise BadRequest(f"width must be between 1 and {MAX_WIDTH}, got {width}")
    tags = set(p.run(run).scalars)  # an unknown run is a 404
    if not pattern:
        return {"regex_valid": False, "tag_to_events": {}}
    found, invalid = _matching([pattern], tags)
    events = {}
    for tag in sorted(found):
        d = p.downsampled(run, tag, width)
        events[tag] = [list(row) for row in zip(d["wall_time"].tolist(), d["step"].tolist(),
                                                d["value"].tolist())]
    return {"regex_valid": not invalid, "tag_to_events": events}


@bp.route("/data/plugin/custom_scalars/layout")
def layout():
    """The merged layout as TensorBoard answers it (the Layout proto as JSON; {} if none)."""
    merged = merged_layout(provider())
    return json_response(MessageToDict(merged) if merged is not None else {})


@bp.route("/data/plugin/custom_scalars/charts")
def layout_charts():
    """The merged layout with the scalar tags each chart draws, per run.

    The page asks every few seconds; with many runs the answer is several hundred kB that
    seldom change, so it carries an ETag and an unchanged one costs a 304 and no body.
    """
    response = json_response(charts(provider()))
    response.add_etag()
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.route("/data/plugin/custom_scalars/scalars")
def tag_scalars():
    """The scalar series of every tag of `run` that the regex `tag` matches."""
    return json_response(scalars(provider(), arg("run"), request.args.get("tag", ""),
                                 number("width", int, 1000)))


CHART = _obj({"title": STRING, "kind": {"type": "string", "enum": ["multiline", "margin"]},
              "tags": _by_run(STRINGS)},
             patterns=STRINGS, invalid=STRINGS,
             series={"type": "array", "items": _obj({"value": STRING, "lower": STRING,
                                                     "upper": STRING})})


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {
        "/data/plugin/custom_scalars/layout": _get(
            "The add_custom_scalars layouts of all runs merged (Layout proto as JSON, {} if none)",
            {"type": "object"}, errors=()),
        "/data/plugin/custom_scalars/charts": _get(
            "The merged layout with, per chart, the scalar tags it draws in each run",
            _obj({"categories": {"type": "array", "items": _obj({
                "title": STRING, "closed": {"type": "boolean"},
                "charts": {"type": "array", "items": CHART}})}}), errors=()),
        "/data/plugin/custom_scalars/scalars": _get(
            "Every scalar tag of a run matching a regex (from its start), downsampled to `width`",
            _obj({"regex_valid": {"type": "boolean"}, "tag_to_events": {
                "type": "object", "additionalProperties": {
                    "type": "array", "items": _tuple(NUMBER, INTEGER, NUMBER)}}}),
            (RUN, _param("tag", STRING, False, "a regular expression (Python syntax)"),
             _param("width", {"type": "integer", "minimum": 1, "maximum": 10000}, False,
                    "pixels: buckets the series is downsampled to"))),
    }
