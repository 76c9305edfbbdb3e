"""Summaries of the pr_curves, custom_scalars, mesh and tensor plugins, encoded as torch does."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from flowlog.proto import extra_plugins_pb2, summary_pb2, tensor_pb2, types_pb2
from flowlog.summaries.builders import _as_array, _metadata, check_tag

CUSTOM_SCALARS_TAG = "custom_scalars__config__"
# TensorBoard's pr_curves plugin stores at most this many thresholds per curve.
MAX_THRESHOLDS = 127
# Rows of a pr curve tensor, in the order the pr_curves plugin reads them.
PR_CURVE_ROWS = ("tp", "fp", "tn", "fn", "precision", "recall")
_MIN_COUNT = 1e-7  # keeps precision and recall finite where nothing is predicted


def _float_tensor(tag: str, data: np.ndarray) -> tensor_pb2.TensorProto:
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT, float_val=data.astype(np.float32).reshape(-1).tolist()
    )
    tensor.tensor_shape.dim.extend(
        tensor.tensor_shape.Dim(size=int(n)) for n in data.shape
    )
    return tensor


def _one(tag: str, tensor: tensor_pb2.TensorProto, meta) -> summary_pb2.Summary:
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)]
    )


def _pr_summary(tag: str, data: np.ndarray, num_thresholds: int) -> summary_pb2.Summary:
    content = extra_plugins_pb2.PrCurvePluginData(version=0, num_thresholds=num_thresholds)
    return _one(tag, _float_tensor(tag, data), _metadata("pr_curves", content.SerializeToString()))


def _num_thresholds(tag: str, num_thresholds: Any) -> int:
    if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds < 2:
        raise ValueError(
            f"pr curve {tag!r}: num_thresholds must be an int of at least 2, "
            f"got {num_thresholds!r}"
        )
    return min(int(num_thresholds), MAX_THRESHOLDS)


def compute_curve(
    labels: Any, predictions: Any, num_thresholds: int, weights: Any = None
) -> np.ndarray:
    """The (6, num_thresholds) pr curve rows of `PR_CURVE_ROWS` at thresholds i/(n-1).

    Threshold i counts a prediction as positive when it is at least i/(n-1).
    """
    labels = _as_array(labels).astype(np.float64).reshape(-1)
    predictions = _as_array(predictions).astype(np.float64).reshape(-1)
    weights = 1.0 if weights is None else _as_array(weights).astype(np.float64).reshape(-1)
    bucket = np.floor(predictions * (num_thresholds - 1)).astype(np.int32)
    span = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(bucket, num_thresholds, span, weights=labels * weights)
    fp_buckets, _ = np.histogram(bucket, num_thresholds, span, weights=(1 - labels) * weights)
    tp = np.cumsum(tp_buckets[::-1])[::-1]  # positives predicted at or above each threshold
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(_MIN_COUNT, tp + fp)
    recall = tp / np.maximum(_MIN_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def pr_curve(
    tag: str, labels: Any, predictions: Any, num_thresholds: int = MAX_THRESHOLDS,
    weights: Any = None,
) -> summary_pb2.Summary:
    """A pr curve of binary `labels` against `predictions` in [0, 1]."""
    check_tag(tag)
    n = _num_thresholds(tag, num_thresholds)
    labels_arr, predictions_arr = _as_array(labels), _as_array(predictions)
    if labels_arr.size != predictions_arr.size or labels_arr.size == 0:
        raise ValueError(
            f"pr curve {tag!r}: labels and predictions must be non-empty and of one size, "
            f"got shapes {labels_arr.shape} and {predictions_arr.shape}"
        )
    p = predictions_arr.astype(np.float64)
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"pr curve {tag!r}: predictions must be in [0, 1], got values from {p.min()} "
            f"to {p.max()}"
        )
    return _pr_summary(tag, compute_curve(labels_arr, p, n, weights), n)


def pr_curve_raw(
    tag: str, true_positive_counts: Any, false_positive_counts: Any, true_negative_counts: Any,
    false_negative_counts: Any, precision: Any, recall: Any,
    num_thresholds: int = MAX_THRESHOLDS,
) -> summary_pb2.Summary:
    """A pr curve from counts, precision and recall already computed per threshold."""
    check_tag(tag)
    rows = [
        _as_array(x).astype(np.float64).reshape(-1)
        for x in (true_positive_counts, false_positive_counts, true_negative_counts,
                  false_negative_counts, precision, recall)
    ]
    if len({len(r) for r in rows}) != 1:
        raise ValueError(
            f"pr curve {tag!r}: the six per-threshold arrays must have one length, got "
            + ", ".join(f"{name} {len(r)}" for name, r in zip(PR_CURVE_ROWS, rows))
        )
    return _pr_summary(tag, np.stack(rows), _num_thresholds(tag, num_thresholds))


def _chart(category: str, title: str, spec: Any) -> extra_plugins_pb2.Chart:
    if not (isinstance(spec, Sequence) and len(spec) == 2 and spec[0] in ("Multiline", "Margin")
            and isinstance(spec[1], Sequence) and not isinstance(spec[1], str)):
        raise ValueError(
            f"custom scalars layout[{category!r}][{title!r}] must be ['Multiline', [tags]] or "
            f"['Margin', [value, lower, upper]], got {spec!r}"
        )
    kind, tags = spec
    if kind == "Multiline":
        return extra_plugins_pb2.Chart(
            title=title, multiline=extra_plugins_pb2.MultilineChartContent(tag=list(tags))
        )
    if len(tags) != 3:
        raise ValueError(
            f"custom scalars layout[{category!r}][{title!r}]: a Margin chart takes 3 tags "
            f"(value, lower, upper), got {list(tags)!r}"
        )
    series = extra_plugins_pb2.MarginChartContent.Series(
        value=tags[0], lower=tags[1], upper=tags[2]
    )
    return extra_plugins_pb2.Chart(
        title=title, margin=extra_plugins_pb2.MarginChartContent(series=[series])
    )


def custom_scalars(layout: Mapping[str, Mapping[str, Any]]) -> summary_pb2.Summary:
    """The custom_scalars plugin's layout: {category: {title: ['Multiline'|'Margin', tags]}}."""
    if not isinstance(layout, Mapping) or not all(isinstance(v, Mapping) for v in layout.values()):
        raise TypeError(
            "layout must be a dict {category: {chart title: ['Multiline', [tags]] or "
            f"['Margin', [value, lower, upper]]}}}}, got {layout!r:.120}"
        )
    categories = [
        extra_plugins_pb2.Category(
            title=category, chart=[_chart(category, t, spec) for t, spec in charts.items()]
        )
        for category, charts in layout.items()
    ]
    encoded = extra_plugins_pb2.Layout(category=categories).SerializeToString()
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[encoded])
    tensor.tensor_shape.SetInParent()
    return _one(CUSTOM_SCALARS_TAG, tensor, _metadata("custom_scalars"))


_MESH_PARTS = (
    ("vertices", extra_plugins_pb2.MeshPluginData.VERTEX),
    ("faces", extra_plugins_pb2.MeshPluginData.FACE),
    ("colors", extra_plugins_pb2.MeshPluginData.COLOR),
)


def mesh(
    tag: str, vertices: Any, colors: Any = None, faces: Any = None,
    config_dict: Mapping | None = None,
) -> summary_pb2.Summary:
    """The mesh plugin's summary: one (batch, n, 3) float tensor per part given.

    Each part is tagged `<tag>_VERTEX`, `<tag>_FACE`, `<tag>_COLOR`; `components` is the
    bitmask of the parts present, so the plugin knows which tensors belong together.
    """
    check_tag(tag)
    given = {"vertices": vertices, "faces": faces, "colors": colors}
    parts = []
    for name, kind in _MESH_PARTS:
        if given[name] is None:
            continue
        arr = _as_array(given[name])
        if arr.ndim != 3 or arr.shape[-1] != 3:
            raise ValueError(
                f"mesh {tag!r}: {name} must have shape (batch, n, 3), got {arr.shape}"
            )
        parts.append((kind, arr))
    if not parts or parts[0][0] != extra_plugins_pb2.MeshPluginData.VERTEX:
        raise ValueError(f"mesh {tag!r}: vertices are required, got None")
    config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    components = 0
    for kind, _ in parts:
        components |= 1 << kind
    values = []
    for kind, arr in parts:
        content = extra_plugins_pb2.MeshPluginData(
            version=0, name=tag, content_type=kind, json_config=config,
            shape=list(arr.shape), components=components,
        )
        values.append(summary_pb2.Summary.Value(
            tag=f"{tag}_{extra_plugins_pb2.MeshPluginData.ContentType.Name(kind)}",
            tensor=_float_tensor(tag, arr),
            metadata=_metadata("mesh", content.SerializeToString()),
        ))
    return summary_pb2.Summary(value=values)


# The DataType and TensorProto field of each NumPy dtype, as TensorFlow's readers expect
# them (torch writes uint8 into uint32_val and float16 as float32 bits, which they misread).
_TENSOR_FIELDS = {
    "float16": (types_pb2.DT_HALF, "half_val"),
    "float32": (types_pb2.DT_FLOAT, "float_val"),
    "float64": (types_pb2.DT_DOUBLE, "double_val"),
    "int8": (types_pb2.DT_INT8, "int_val"),
    "int16": (types_pb2.DT_INT16, "int_val"),
    "int32": (types_pb2.DT_INT32, "int_val"),
    "int64": (types_pb2.DT_INT64, "int64_val"),
    "uint8": (types_pb2.DT_UINT8, "int_val"),
    "bool": (types_pb2.DT_BOOL, "bool_val"),
}


def tensor(tag: str, value: Any) -> summary_pb2.Summary:
    """A whole tensor under the `tensor` plugin (torch's and tensorboardX's `add_tensor`)."""
    check_tag(tag)
    arr = _as_array(value)
    if arr.dtype.name not in _TENSOR_FIELDS:
        raise TypeError(
            f"tensor {tag!r}: dtype {arr.dtype} is not one of {', '.join(_TENSOR_FIELDS)}"
        )
    dtype, field = _TENSOR_FIELDS[arr.dtype.name]
    flat = arr.reshape(-1)
    if field == "half_val":  # the raw bits of each half, as TensorFlow stores them
        flat = flat.view(np.uint16)
    proto = tensor_pb2.TensorProto(dtype=dtype)
    getattr(proto, field).extend(flat.tolist())
    proto.tensor_shape.dim.extend(proto.tensor_shape.Dim(size=int(n)) for n in arr.shape)
    proto.tensor_shape.SetInParent()
    return _one(tag, proto, _metadata("tensor"))
