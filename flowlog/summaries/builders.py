"""Summary builders (scalar, histogram, image, text) with TensorBoard's metadata."""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np

from flowlog.codecs.png import encode_png
from flowlog.proto import plugins_pb2, summary_pb2, tensor_pb2, types_pb2


def check_tag(tag: Any) -> str:
    """Return `tag` if it is a non-empty str; TypeError / ValueError naming it otherwise."""
    if not isinstance(tag, str):
        raise TypeError(f"summary tag must be a str, got {tag!r} of type {type(tag).__name__}")
    if not tag:
        raise ValueError("summary tag must be a non-empty str, got ''")
    return tag


def to_float(value: Any, tag: str = "") -> float:
    """A Python float from a number, NumPy scalar, one-element array or anything with `.item()`."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"scalar summary {tag!r} expects a number, got {value!r}")
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:  # an int beyond the float range
            return math.inf if value > 0 else -math.inf
    try:
        if hasattr(value, "item"):
            value = value.item()
        else:
            value = np.asarray(value).item()
        if isinstance(value, numbers.Real):
            return float(value)
    except (ValueError, TypeError, RuntimeError):
        pass
    raise TypeError(
        f"scalar summary {tag!r} expects a single real number, got {value!r} "
        f"of type {type(value).__name__}"
    )


def _metadata(
    plugin: str, content: bytes = b"", data_class: int = 0
) -> summary_pb2.SummaryMetadata:
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin, content=content),
        data_class=data_class,
    )


def _tensor_summary(
    tag: str, tensor: tensor_pb2.TensorProto, meta: summary_pb2.SummaryMetadata
) -> summary_pb2.Summary:
    """A summary of one scalar (shape []) `tensor` under `tag`, with its plugin's metadata."""
    tensor.tensor_shape.SetInParent()  # an empty shape: a scalar, not "unknown"
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)]
    )


def _as_array(value: Any) -> np.ndarray:
    """`value` as a NumPy array; torch tensors are detached and copied to the CPU first.

    Tensor dtypes NumPy lacks (bfloat16, float8) come out as float32.
    """
    if not hasattr(value, "detach"):
        return np.asarray(value)
    value = value.detach().cpu()
    try:
        return value.numpy()
    except TypeError:  # "Got unsupported ScalarType BFloat16"
        return value.float().numpy()


def scalar(
    tag: str,
    value: Any,
    new_style: bool = False,
    double_precision: bool = False,
    display_name: str = "",
    summary_description: str = "",
) -> summary_pb2.Summary:
    """A scalar summary: `simple_value` (old style) or a tensor for the scalars plugin.

    `double_precision` stores a new-style scalar as DT_DOUBLE; `display_name` and
    `summary_description` (tensorboardX) go into the value's metadata.
    """
    check_tag(tag)
    v = to_float(value, tag)
    if not new_style:
        out = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=v)])
        if display_name or summary_description:
            out.value[0].metadata.display_name = display_name or ""
            out.value[0].metadata.summary_description = summary_description or ""
        return out
    if double_precision:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[v])
    else:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[v])
    meta = _metadata(
        "scalars",
        plugins_pb2.ScalarPluginData(version=0).SerializeToString(),
        summary_pb2.DATA_CLASS_SCALAR,
    )
    meta.display_name, meta.summary_description = display_name or "", summary_description or ""
    return _tensor_summary(tag, tensor, meta)


@functools.cache
def tensorflow_bucket_limits() -> np.ndarray:
    """TensorFlow's default histogram limits: +-1e-12 growing by 10% to +-1e20, 0, +-DBL_MAX."""
    positive = []
    v = 1e-12
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    positive.append(np.finfo(np.float64).max)
    limits = np.array([-x for x in reversed(positive)] + [0.0] + positive)
    limits.setflags(write=False)
    return limits


def _tensorflow_buckets(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bucket limits and counts as TensorFlow's C++ histogram encodes them.

    Bucket i holds values in [limit[i-1], limit[i]); each run of empty buckets is collapsed
    into one entry carrying the run's last limit, so only a few dozen entries are stored.
    """
    limits = tensorflow_bucket_limits()
    counts = np.bincount(np.searchsorted(limits, values, side="right"), minlength=len(limits))
    counts = counts[: len(limits)].astype(np.float64)
    empty = counts == 0
    # Keep a bucket if it is non-empty, or if it ends a run of empty ones.
    keep = ~empty | np.append(~empty[1:], True)
    return limits[keep], counts[keep]


def _numpy_buckets(
    arr: np.ndarray, bins: Any, max_bins: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """`np.histogram` buckets laid out as torch and tensorboardX write them.

    With more than `max_bins` buckets, neighbours are summed `n // max_bins` at a time.
    Empty buckets before the first and after the last non-empty one are dropped, but one
    empty bucket is kept in front so that readers see where the data starts.
    """
    counts, edges = np.histogram(arr, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        counts = np.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        edges = np.append(edges[:-1:group], edges[-1])
    nonempty = np.flatnonzero(counts)
    first, last = (int(nonempty[0]), int(nonempty[-1])) if nonempty.size else (0, 0)
    counts = counts[first - 1 : last + 1] if first > 0 else np.append(0, counts[: last + 1])
    return edges[first : last + 2].astype(np.float64), counts.astype(np.float64)


def histogram(
    tag: str, values: Any, bins: Any = "tensorflow", max_bins: int | None = None
) -> summary_pb2.Summary:
    """A histogram summary of `values`.

    `bins="tensorflow"` uses TensorBoard's default exponential bucket layout; anything else
    (an int, a sequence of edges, "auto", "fd", ...) is passed to `np.histogram`, and
    `max_bins` then caps the number of buckets.
    """
    check_tag(tag)
    try:
        arr = _as_array(values)
        arr = arr.astype(np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise TypeError(f"histogram {tag!r} expects numeric values, got "
                        f"{type(values).__name__} {str(values)[:80]!r}") from e
    if arr.size == 0:
        raise ValueError(f"histogram {tag!r} got no values")
    if not np.isfinite(arr).all():  # TensorFlow's own wording
        raise ValueError(f"Nan in summary histogram for: {tag}")
    if max_bins is not None and (not isinstance(max_bins, numbers.Integral) or max_bins < 1):
        raise ValueError(f"histogram {tag!r}: max_bins must be a positive int, got {max_bins!r}")
    if isinstance(bins, str) and bins == "tensorflow":
        limits, counts = _tensorflow_buckets(arr)
        if max_bins is not None and len(counts) > max_bins:
            limits, counts = _numpy_buckets(arr, tensorflow_bucket_limits()[1:-1], max_bins)
    else:
        limits, counts = _numpy_buckets(arr, bins, max_bins)
    return histogram_raw(
        tag, arr.min(), arr.max(), arr.size, arr.sum(), arr.dot(arr), limits, counts
    )


def histogram_raw(
    tag: str,
    min: Any,
    max: Any,
    num: Any,
    sum: Any,
    sum_squares: Any,
    bucket_limits: Any,
    bucket_counts: Any,
) -> summary_pb2.Summary:
    """A histogram summary from its statistics and buckets (bucket i ends at limit i)."""
    check_tag(tag)
    limits = _as_array(bucket_limits).astype(np.float64).reshape(-1)
    counts = _as_array(bucket_counts).astype(np.float64).reshape(-1)
    if len(limits) != len(counts):
        raise ValueError(
            f"histogram {tag!r}: bucket_limits and bucket_counts must have the same length, "
            f"got {len(limits)} and {len(counts)}"
        )
    stats = {}
    for name, value in (("min", min), ("max", max), ("num", num), ("sum", sum),
                        ("sum_squares", sum_squares)):
        stats[name] = to_float(value, f"{tag}: {name}")
    histo = summary_pb2.HistogramProto(
        **stats, bucket_limit=limits.tolist(), bucket=counts.tolist()
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=histo)])


def _to_hwc(tag: str, img: Any, dataformats: str) -> np.ndarray:
    """The image as uint8 (height, width, channels)."""
    arr = _as_array(img)
    fmt = dataformats.upper()
    if sorted(fmt) not in (sorted("CHW"), sorted("HW")) or arr.ndim != len(fmt):
        raise ValueError(
            f"image {tag!r}: dataformats must be one of CHW, HWC, HW matching the array's "
            f"{arr.ndim} dimensions, got {dataformats!r} for shape {arr.shape}"
        )
    if fmt == "HW" or fmt == "WH":
        fmt, arr = fmt + "C", arr[..., None]
    arr = np.transpose(arr, [fmt.index(c) for c in "HWC"])
    if arr.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"image {tag!r} must have 1, 2, 3 or 4 channels, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind in "fb":  # float in [0, 1]
        return np.round(np.clip(np.nan_to_num(arr.astype(np.float64)), 0, 1) * 255).astype(np.uint8)
    if arr.dtype.kind in "iu" and arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError(f"image {tag!r}: integer pixels must be in [0, 255], got {arr.dtype} "
                         f"values from {arr.min()} to {arr.max()}")
    if arr.dtype.kind in "iu":
        return arr.astype(np.uint8)
    raise TypeError(f"image {tag!r} expects uint8 or float pixels, got dtype {arr.dtype}")


def image(tag: str, img: Any, dataformats: str = "CHW") -> summary_pb2.Summary:
    """A PNG image summary of a CHW/HWC/HW array, uint8 or float in [0, 1]."""
    check_tag(tag)
    pixels = _to_hwc(tag, img, dataformats)
    height, width, channels = pixels.shape
    encoded = summary_pb2.Summary.Image(
        height=height,
        width=width,
        colorspace=channels,
        encoded_image_string=encode_png(np.ascontiguousarray(pixels)),
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=encoded)])


def images(tag: str, imgs: Any, dataformats: str = "NCHW", ncols: int = 8
           ) -> summary_pb2.Summary:
    """One PNG summary of a batch of images (NCHW/NHWC/NHW) tiled in a grid `ncols` wide."""
    check_tag(tag)
    arr = _as_array(imgs)
    fmt = dataformats.upper()
    if not fmt.startswith("N") or arr.ndim != len(fmt) or arr.shape[0] == 0:
        raise ValueError(
            f"images {tag!r}: dataformats must be one of NCHW, NHWC, NHW matching a non-empty "
            f"batch, got {dataformats!r} for shape {arr.shape}"
        )
    tiles = np.stack([_to_hwc(tag, one, fmt[1:]) for one in arr])
    n, height, width, channels = tiles.shape
    cols = max(1, min(n, int(ncols)))
    rows = -(-n // cols)
    grid = np.zeros((rows * height, cols * width, channels), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        grid[r * height : (r + 1) * height, c * width : (c + 1) * width] = tile
    return image(tag, grid, "HWC")


def text(tag: str, text: str) -> summary_pb2.Summary:
    """A text (markdown) summary: a DT_STRING scalar tensor for the text plugin."""
    check_tag(tag)
    if not isinstance(text, str):
        raise TypeError(f"text summary {tag!r} expects a str, got {type(text).__name__}")
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[text.encode("utf-8")])
    meta = _metadata(
        "text",
        plugins_pb2.TextPluginData(version=0).SerializeToString(),
        summary_pb2.DATA_CLASS_TENSOR,
    )
    return _tensor_summary(tag, tensor, meta)
