"""Routes for histograms, images and text, in TensorBoard's shapes."""
from __future__ import annotations

from flask import Blueprint, Response

from .util import arg, json_response, number, provider

bp = Blueprint("media", __name__)

# Only formats a browser shows as pictures; anything else is served as opaque bytes.
_MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
          (b"BM", "image/bmp"))


def _described(tags: dict) -> dict:
    return {run: {t: {"displayName": t, "description": ""} for t in ts}
            for run, ts in tags.items()}


@bp.route("/data/plugin/histograms/tags")
def histogram_tags():
    """{run: {tag: {displayName, description}}}."""
    return json_response(_described(provider().histogram_tags()))


@bp.route("/data/plugin/histograms/histograms")
def histograms():
    """[[wall_time, step, [[left, right, count], ...]], ...] of one run and tag."""
    items = provider().histograms(arg("run"), arg("tag"))
    return json_response([[w, s, b.tolist()] for w, s, b in items])


@bp.route("/data/plugin/images/tags")
def image_tags():
    """{run: {tag: {displayName, description, samples}}}."""
    return json_response({run: {t: {"displayName": t, "description": "", "samples": n}
                                for t, n in ts.items()}
                          for run, ts in provider().image_tags().items()})


@bp.route("/data/plugin/images/images")
def images():
    """[{wall_time, step, width, height, index, samples}] of one run and tag."""
    items = provider().images(arg("run"), arg("tag"))
    return json_response([{"wall_time": w, "step": s, "width": refs[0].width,
                           "height": refs[0].height, "index": i, "samples": len(refs)}
                          for i, (w, s, refs) in enumerate(items)])


@bp.route("/data/plugin/images/individualImage")
def individual_image():
    """The encoded bytes of one image."""
    data = provider().image(arg("run"), arg("tag"), number("index", int, 0),
                            number("sample", int, 0))
    mime = next((m for magic, m in _MAGIC if data.startswith(magic)),
                "application/octet-stream")
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=3600"})


@bp.route("/data/plugin/text/tags")
def text_tags():
    """{run: [tag, ...]}, as TensorBoard answers."""
    return json_response(provider().text_tags())


@bp.route("/data/plugin/text/text")
def text():
    """[{wall_time, step, text}] of one run and tag (text is a string or nested lists)."""
    items = provider().text(arg("run"), arg("tag"))
    return json_response([{"wall_time": w, "step": s, "text": t} for w, s, t in items])
