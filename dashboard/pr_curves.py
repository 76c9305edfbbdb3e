"""PR curves: one precision–recall curve per run and tag at a chosen step.

The routes answer as TensorBoard's pr_curves plugin does. A value is a (6, n) tensor, rows TP,
FP, TN, FN, precision, recall at thresholds i / (n - 1); torch, tensorboardX and flowlog all
write it so, and `flowlog.events.typed_readers.pr_curve_of` decodes it.
"""
from __future__ import annotations

import numpy as np
from flask import Blueprint, request

from flowlog.events.typed_readers import pr_curve_of

from .errors import BadRequest
from .openapi import INTEGER, NUMBER, RUN, STRING, TAG, _by_run, _get, _obj
from .provider import DataProvider
from .util import arg, json_response, provider

bp = Blueprint("pr_curves", __name__)
PLUGIN = "pr_curves"
# Curves one answer holds per run and tag, spread evenly over the steps (the newest always
# kept): TensorBoard's default sampling of this plugin.
MAX_CURVES = 100
MAX_RUNS = 100  # runs one request may ask for


def tag_info(p: DataProvider) -> dict:
    """{run: {tag: {displayName, description, count}}}, names from each tag's metadata where
    written; `count`, the curves stored, tells the page when to fetch a tag's curves again."""
    out = {}
    for run, tags in p.plugin_tags(PLUGIN).items():
        out[run] = {}
        for tag in tags:
            values = p.plugin_values(PLUGIN, run, tag)
            meta = next((v.metadata for _, _, v in values if v.HasField("metadata")), None)
            out[run][tag] = {"displayName": (meta and meta.display_name) or tag,
                             "description": meta.summary_description if meta else "",
                             "count": len(values)}
    return out


def curves(p: DataProvider, runs: list[str], tag: str) -> dict:
    """{run: [entry per step]} of one tag (see `entry`); an unknown run or tag is a 404."""
    if not runs:
        raise BadRequest("missing query parameter 'run'")
    if len(runs) > MAX_RUNS:
        raise BadRequest(f"at most {MAX_RUNS} runs per request, got {len(runs)}")
    out = {}
    for run in dict.fromkeys(runs):
        items = p.plugin_values(PLUGIN, run, tag)
        if len(items) > MAX_CURVES:
            keep = np.unique(np.linspace(0, len(items) - 1, MAX_CURVES).round().astype(int))
            items = [items[i] for i in keep.tolist()]
        out[run] = []
        for wall, step, value in items:
            try:
                out[run].append(entry(pr_curve_of(value, step, wall)))
            except ValueError:  # a damaged value: the other steps still show
                continue
    return out


def entry(c) -> dict:
    """One step's curve as TensorBoard's plugin answers it: thresholds where nothing is
    predicted positive (TP + FP = 0, precision undefined) are cut from the tail."""
    positives = np.trunc(np.nan_to_num(c.tp)) + np.trunc(np.nan_to_num(c.fp))
    end = len(positives)
    while end > 1 and positives[end - 1] == 0:
        end -= 1

    def ints(row):
        return [int(x) for x in row[:end]]

    return {"wall_time": c.wall_time, "step": c.step,
            "precision": c.precision[:end].tolist(), "recall": c.recall[:end].tolist(),
            "thresholds": c.thresholds[:end].tolist(),
            "true_positives": ints(c.tp), "false_positives": ints(c.fp),
            "true_negatives": ints(c.tn), "false_negatives": ints(c.fn)}


@bp.route("/data/plugin/pr_curves/tags")
def tags():
    """{run: {tag: {displayName, description, count}}}."""
    return json_response(tag_info(provider()))


@bp.route("/data/plugin/pr_curves/pr_curves")
def pr_curves():
    """{run: [{wall_time, step, precision, recall, thresholds, true_positives, ...}]}."""
    return json_response(curves(provider(), request.args.getlist("run"), arg("tag")))


NUMBERS = {"type": "array", "items": NUMBER}
INTEGERS = {"type": "array", "items": INTEGER}
ENTRY = _obj({"wall_time": NUMBER, "step": INTEGER, "precision": NUMBERS, "recall": NUMBERS,
              "thresholds": NUMBERS, "true_positives": INTEGERS, "false_positives": INTEGERS,
              "true_negatives": INTEGERS, "false_negatives": INTEGERS})


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    runs = {**RUN, "schema": {"type": "array", "items": STRING, "maxItems": MAX_RUNS},
            "explode": True, "description": "runs as listed by /data/runs, repeated"}
    return {
        "/data/plugin/pr_curves/tags": _get(
            "PR curve tags of every run, with how many curves each holds",
            _by_run(_by_run(_obj({"displayName": STRING, "description": STRING,
                                  "count": INTEGER}))), errors=()),
        "/data/plugin/pr_curves/pr_curves": _get(
            f"The curves of one tag per run, at most {MAX_CURVES} steps each, ascending step",
            _by_run({"type": "array", "items": ENTRY}), (runs, TAG)),
    }
