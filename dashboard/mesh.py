"""Meshes and point clouds written by add_mesh.

The mesh plugin's format (TensorBoard's, written alike by torch, tensorboardX and flowlog): one
summary value per part, tagged `<name>_VERTEX`, `<name>_FACE`, `<name>_COLOR`, each a float
tensor (batch, n, 3) whose MeshPluginData metadata names the mesh (`name`), the part
(`content_type`) and the `json_config` of the three.js scene. Faces hold vertex indices,
colours 0-255 per channel. The parts of one mesh share their step.
"""
from __future__ import annotations

import json

import numpy as np
from flask import Blueprint
from google.protobuf.message import DecodeError

from flowlog.events.values import decode_tensor
from flowlog.proto.extra_plugins_pb2 import MeshPluginData

from .errors import BadRequest, NotFound
from .openapi import INTEGER, NUMBER, RUN, STRINGS, _by_run, _get, _obj, _param
from .projector import rounded, sample_rows
from .provider import DataProvider
from .util import arg, json_response, number, provider

bp = Blueprint("mesh", __name__)

PARTS = {MeshPluginData.VERTEX: "vertices", MeshPluginData.FACE: "faces",
         MeshPluginData.COLOR: "colors"}
# Points of a point cloud sent at most (a fixed sample of larger ones): beyond that a browser's
# WebGL scatter slows to a crawl. A mesh with faces is sent whole: its faces need every vertex.
MAX_CLOUD_POINTS = 200_000


def _part(tag: str, items: list) -> tuple[str, int, dict]:
    """(mesh name, content type, config) of one value tag, from its first value's metadata, or
    from the tag's suffix when a writer left the metadata out."""
    for _, _, value in items:
        if value.HasField("metadata"):
            try:
                data = MeshPluginData.FromString(value.metadata.plugin_data.content)
            except DecodeError:
                break
            if data.content_type in PARTS and data.name:
                return data.name, data.content_type, _config(data.json_config)
            break
    name, _, suffix = tag.rpartition("_")
    kind = MeshPluginData.ContentType.Value(suffix) if suffix in ("VERTEX", "FACE", "COLOR") else 0
    return name, kind, {}


def _config(text: str) -> dict:
    try:
        config = json.loads(text) if text else {}
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def meshes(data: DataProvider, run: str) -> dict[str, dict[int, tuple[str, list]]]:
    """{mesh name: {content type: (value tag, [(wall, step, Value)])}} of one run."""
    out: dict[str, dict] = {}
    for tag in data.plugin_tags("mesh").get(run, []):
        items = data.plugin_values("mesh", run, tag)
        name, kind, _ = _part(tag, items)
        if kind in PARTS:
            out.setdefault(name, {})[kind] = (tag, items)
    return {name: parts for name, parts in out.items() if MeshPluginData.VERTEX in parts}


def tags(data: DataProvider) -> dict[str, list[str]]:
    """{run: [mesh name]} of every run with a mesh."""
    out = {}
    for run in data.plugin_tags("mesh"):
        names = sorted(meshes(data, run))
        if names:
            out[run] = names
    return out


def mesh(data: DataProvider, run: str, name: str, step: int | None, sample: int) -> dict:
    """The parts of mesh `name` at `step` (the newest if None), for batch entry `sample`."""
    parts = meshes(data, run).get(name)
    if parts is None:
        raise NotFound(f"unknown mesh {name!r} in run {run!r}")
    vtag, vertex_items = parts[MeshPluginData.VERTEX]
    steps = sorted({s for _, s, _ in vertex_items})
    if step is None:
        step = steps[-1]
    elif step not in steps:
        raise NotFound(f"mesh {name!r} of run {run!r} has no step {step}; it has steps "
                       f"{_few(steps)}")
    arrays, wall = {}, None
    for kind, (tag, items) in parts.items():
        value = next((v for w, s, v in reversed(items) if s == step), None)
        if value is None:
            continue
        if kind == MeshPluginData.VERTEX:
            wall = next(w for w, s, _ in reversed(items) if s == step)
        arrays[kind] = _batch(value, tag)
    vertices = arrays[MeshPluginData.VERTEX]
    if not 0 <= sample < len(vertices):
        raise BadRequest(f"sample must be between 0 and {len(vertices) - 1}, got {sample}")
    points = vertices[sample]
    n = len(points)
    faces = arrays.get(MeshPluginData.FACE)
    faces = _valid_faces(faces[sample], n) if faces is not None and sample < len(faces) else None
    colors = arrays.get(MeshPluginData.COLOR)
    colors = colors[sample] if colors is not None and sample < len(colors) else None
    if colors is not None and len(colors) != n:
        colors = None  # a colour per vertex, or none: plotly cannot pair them otherwise
    keep = np.arange(n) if faces is not None else sample_rows(n, MAX_CLOUD_POINTS)
    finite = np.isfinite(points).all(axis=1)
    if faces is None:
        keep = keep[finite[keep]]
    elif not finite.all():
        raise NotFound(f"mesh {name!r} of run {run!r} at step {step} has non-finite vertices")
    return {
        "name": name, "step": step, "wall_time": wall, "steps": steps,
        "samples": len(vertices), "sample": sample, "vertex_count": n,
        "points": len(keep), "config": _part(vtag, vertex_items)[2],
        "vertices": [rounded(axis) for axis in points[keep].T],
        "faces": None if faces is None else faces.T.tolist(),
        "colors": None if colors is None else np.clip(np.rint(colors[keep]), 0, 255)
        .astype(int).T.tolist(),
    }


def _batch(value, tag: str) -> np.ndarray:
    """A part's tensor as (batch, n, 3); NotFound naming the tag if it is not that."""
    try:
        arr = decode_tensor(value.tensor)
    except ValueError as e:
        raise NotFound(f"mesh value {tag!r} is damaged: {e}") from None
    if arr.ndim == 2:  # (n, 3): one mesh without its batch axis
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.dtype == object:
        raise NotFound(f"mesh value {tag!r} must be (batch, n, 3) numbers, got shape "
                       f"{list(arr.shape)}")
    return arr.astype(np.float64)


def _valid_faces(faces: np.ndarray, n: int) -> np.ndarray:
    """Triangles as vertex indices, those pointing outside the `n` vertices left out."""
    ok = np.isfinite(faces).all(axis=1)
    ok[ok] = ((faces[ok] >= 0) & (faces[ok] < n)).all(axis=1)
    return faces[ok].astype(np.int64)


def _few(steps: list[int]) -> str:
    return str(steps) if len(steps) <= 10 else f"{steps[:5]} ... {steps[-5:]}"


@bp.route("/data/plugin/mesh/tags")
def mesh_tags():
    """{run: [mesh name]}."""
    return json_response(tags(provider()))


@bp.route("/data/plugin/mesh/mesh")
def mesh_route():
    """Vertices, faces and colours (one list per axis) of one mesh at one step."""
    return json_response(mesh(provider(), arg("run"), arg("tag"), number("step", int),
                              number("sample", int, 0)))


AXES = {"type": "array", "items": {"type": "array", "items": NUMBER}}
NULLABLE_AXES = {"anyOf": [AXES, {"type": "null"}]}


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {
        "/data/plugin/mesh/tags": _get("Names of the meshes of every run", _by_run(STRINGS),
                                       errors=()),
        "/data/plugin/mesh/mesh": _get(
            "One mesh at one step: vertices [[x...], [y...], [z...]], faces [[i...], [j...], "
            "[k...]] or null, colours [[r...], [g...], [b...]] 0-255 or null; a point cloud of "
            f"more than {MAX_CLOUD_POINTS} points is a fixed sample of them",
            _obj({"name": {"type": "string"}, "step": INTEGER, "wall_time": NUMBER,
                  "steps": {"type": "array", "items": INTEGER}, "samples": INTEGER,
                  "sample": INTEGER, "vertex_count": INTEGER, "points": INTEGER,
                  "config": {"type": "object"}, "vertices": AXES, "faces": NULLABLE_AXES,
                  "colors": NULLABLE_AXES}),
            (RUN, _param("tag", {"type": "string"}, doc="a mesh name from /data/plugin/mesh/tags"),
             _param("step", INTEGER, False, "a step of that mesh (default: the newest)"),
             _param("sample", INTEGER, False, "which mesh of the batch (default 0)"))),
    }
