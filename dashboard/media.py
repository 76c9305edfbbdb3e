"""Routes for histograms, distributions, images and text, in TensorBoard's shapes."""
from __future__ import annotations

import numpy as np
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


# Where TensorBoard's distributions cut a histogram, in basis points (1/100 of a percent):
# min, the normal distribution's -1.5, -1 and -0.5 sigma, the median, +0.5, +1, +1.5 sigma, max.
BASIS_POINTS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)


def percentiles(buckets: np.ndarray) -> np.ndarray:
    """The values of a histogram (rows [left, right, count]) at BASIS_POINTS.

    As TensorBoard's compressor finds them: the bucket where the cumulative count passes the
    point, interpolated linearly across it. Counts that are not positive (a damaged file)
    count as nothing; a histogram with no count at all is its right edge everywhere.
    """
    bps = np.array(BASIS_POINTS, float)
    if not len(buckets):
        return np.zeros(len(bps))
    lo, hi = buckets[0, 0], buckets[-1, 1]
    counts = np.nan_to_num(buckets[:, 2], nan=0.0, posinf=0.0).clip(0, None)
    total = counts.sum()
    if not total > 0:
        return np.full(len(bps), hi)
    weights = np.cumsum(counts * bps[-1] / total)  # in this order, as TensorBoard rounds
    right = buckets[:, 1]
    # The bucket where each point is passed: weights[i - 1] <= bp < weights[i].
    i = np.searchsorted(weights, bps, side="right")
    inside = i < len(weights)
    j = np.minimum(i, len(weights) - 1)
    prev = np.where(i > 0, weights[j - 1], 0.0)
    left = np.where((i == 0) | (prev == 0), lo, np.maximum(right[j - 1], lo))
    rhs = np.minimum(right[j], hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = left + (bps - prev) * (rhs - left) / (weights[j] - prev)
    return np.where(inside, value, hi)


@bp.route("/data/plugin/distributions/tags")
def distribution_tags():
    """The histogram tags, as TensorBoard's distributions answer them."""
    return histogram_tags()


@bp.route("/data/plugin/distributions/distributions")
def distributions():
    """[[wall_time, step, [[basis_point, value], ...]]] of one run and tag: the percentile
    bands, from every bucket written (no merging), for the histograms the histograms route
    answers (at most MAX_HISTOGRAMS)."""
    items = provider().histograms(arg("run"), arg("tag"), max_buckets=None)
    return json_response([[w, s, [[bp, v] for bp, v in zip(BASIS_POINTS, percentiles(b).tolist())]]
                          for w, s, b in items])


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
