"""Audio: the clips of each tag and run, listed by step and served as WAV.

Clips come two ways: torch's and tensorboardX's `Summary.Value.audio` (one clip, no label) and
TensorFlow 2's audio tensor, a string tensor shaped [k, 2] of (encoded clip, markdown label)
rows. The run keeps each value once as read; a clip's bytes are copied out only to be sent.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from .errors import NotFound
from .openapi import INTEGER, NUMBER, RUN, STRING, STRINGS, TAG, _by_run, _get, _obj, _param
from .util import arg, json_response, number, provider

bp = Blueprint("audio", __name__)
PLUGIN = "audio"
# TensorFlow's audio summaries are always WAV; other writers say what they wrote.
DEFAULT_TYPE = "audio/wav"
# What a browser plays, by the bytes a file starts with (WAV: "RIFF", size, "WAVE").
_MAGIC = ((b"OggS", "audio/ogg"), (b"fLaC", "audio/flac"), (b"ID3", "audio/mpeg"),
          (b"\xff\xfb", "audio/mpeg"))


def _clip_count(value) -> int:
    """How many clips one summary value holds."""
    if value.WhichOneof("value") == "audio":
        return 1
    dims = [d.size for d in value.tensor.tensor_shape.dim]
    if len(dims) == 2 and dims[1] == 2:  # [k, 2]: clip, label
        return min(dims[0], len(value.tensor.string_val) // 2)
    return len(value.tensor.string_val)  # [k]: clips without labels


def _has_labels(value) -> bool:
    dims = value.tensor.tensor_shape.dim
    return value.WhichOneof("value") == "tensor" and len(dims) == 2 and dims[1].size == 2


def _labels(value) -> list[str]:
    """The markdown label of each clip ("" where the writer gives none)."""
    if not _has_labels(value):
        return [""] * _clip_count(value)
    strings = value.tensor.string_val
    return [strings[2 * k + 1].decode("utf-8", "replace") for k in range(_clip_count(value))]


def _content_type(value) -> str:
    if value.WhichOneof("value") == "audio":
        return value.audio.content_type or DEFAULT_TYPE
    return DEFAULT_TYPE


def _clip(value, sample: int) -> bytes:
    """The encoded bytes of clip `sample` (a copy made for this answer only)."""
    if value.WhichOneof("value") == "audio":
        return value.audio.encoded_audio_string
    return value.tensor.string_val[2 * sample if _has_labels(value) else sample]


def sniffed_type(data: bytes, declared: str) -> str:
    """The content type of audio bytes, from their first bytes, else the writer's word for it
    if that names audio at all."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    found = next((t for magic, t in _MAGIC if data.startswith(magic)), None)
    if found:
        return found
    return declared if declared.startswith("audio/") else "application/octet-stream"


@bp.route("/data/plugin/audio/tags")
def tags():
    """{run: {tag: {displayName, description, samples}}}, samples the most clips of a step."""
    p = provider()
    return json_response({run: {t: {"displayName": t, "description": "",
                                    "samples": max((_clip_count(v) for _, _, v in
                                                    p.plugin_values(PLUGIN, run, t)), default=0)}
                                for t in ts}
                          for run, ts in p.plugin_tags(PLUGIN).items()})


@bp.route("/data/plugin/audio/audio")
def clips():
    """[{wall_time, step, index, samples, labels, content_type}] of one run and tag."""
    items = provider().plugin_values(PLUGIN, arg("run"), arg("tag"))
    return json_response([{"wall_time": w, "step": s, "index": i, "samples": _clip_count(v),
                           "labels": _labels(v), "content_type": _content_type(v)}
                          for i, (w, s, v) in enumerate(items)])


@bp.route("/data/plugin/audio/individualAudio")
def individual_audio():
    """The encoded bytes of one clip; byte ranges are served, so a player can seek."""
    run, tag = arg("run"), arg("tag")
    index, sample = number("index", int, 0), number("sample", int, 0)
    items = provider().plugin_values(PLUGIN, run, tag)
    if not 0 <= index < len(items) or not 0 <= sample < _clip_count(items[index][2]):
        raise NotFound(f"no audio clip {index}/{sample} for tag {tag!r} of run {run!r}")
    value = items[index][2]
    data = _clip(value, sample)
    response = Response(data, mimetype=sniffed_type(data, _content_type(value)),
                        headers={"Cache-Control": "private, max-age=3600"})
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    position = (_param("index", {"type": "integer", "minimum": 0}, False,
                       "the entry's `index` in the list of clips (default 0)"),
                _param("sample", {"type": "integer", "minimum": 0}, False,
                       "which clip of that step (default 0)"))
    return {
        "/data/plugin/audio/tags": _get(
            "Audio tags of every run, with the most clips one step holds",
            _by_run(_by_run(_obj({"displayName": STRING, "description": STRING,
                                  "samples": INTEGER}))),
            errors=()),
        "/data/plugin/audio/audio": _get(
            "The clips of one tag, one entry per step: labels (markdown) and content type",
            {"type": "array", "items": _obj({
                "wall_time": NUMBER, "step": INTEGER, "index": INTEGER, "samples": INTEGER,
                "labels": STRINGS, "content_type": STRING})}, (RUN, TAG)),
        "/data/plugin/audio/individualAudio": _get(
            "The encoded bytes of one clip (WAV as written), byte ranges supported",
            {"type": "string", "format": "binary"}, (RUN, TAG, *position), media="audio/*",
            errors=(400, 404, 416)),
    }
