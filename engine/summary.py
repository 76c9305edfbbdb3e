"""`fl.summary`: summary ops returning serialized `Summary` bytes from `Session.run`, and merging.

A summary's tag is the name scope it opens, as in TensorFlow: the name the user passed inside
the scopes open at the call, made unique against every name in the graph without regard to case
(a second 'loss' summary, or one after a 'Loss' scope, is tagged 'loss_1'); with a family,
'family/' before that. The old functions (`scalar_summary`, ...) take their tags as given.
"""
from __future__ import annotations

import re

import numpy as np
from flowlog.engine import dtypes, ops
from flowlog.engine.framework import (
    GraphKeys,
    Operation,
    Tensor,
    constant,
    convert_to_tensor,
    get_default_graph,
    register_op,
)
from flowlog.engine.shapes import TensorShape

from flowlog.summaries import builders
from flowlog.writers.file_writer import FileWriter

__all__ = ["FileWriter", "histogram", "image", "merge", "merge_all", "scalar", "text"]

_INVALID = re.compile(r"[^-/\w\.]")


def _str(value) -> str:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode() if isinstance(value, bytes) else str(value)


def _summary_infer(op: Operation) -> list:
    return [(dtypes.string, TensorShape(()))]


@register_op("ScalarSummary", infer=_summary_infer)
def _scalar_kernel(tags, values):
    tags, values = np.asarray(tags, dtype=object), np.asarray(values)
    if tags.shape != values.shape:
        raise ValueError(f"tags and values not the same shape: {list(tags.shape)} != "
                         f"{list(values.shape)}")
    return b"".join(builders.scalar(_str(t), v).SerializeToString()
                    for t, v in zip(tags.flat, values.flat))


@register_op("HistogramSummary", infer=_summary_infer)
def _histogram_kernel(tag, values):
    return builders.histogram(_str(tag), values).SerializeToString()


@register_op("ImageSummary", infer=_summary_infer, attrs=("max_images",))
def _image_kernel(tag, tensor, *, max_images=3):
    tag, images = _str(tag), np.asarray(tensor)
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(f"Tensor must be 4-D with last dim 1, 3, or 4, not {list(images.shape)}")
    n = min(max_images, images.shape[0])
    names = [f"{tag}/image"] if n == 1 else [f"{tag}/image/{i}" for i in range(n)]
    return b"".join(builders.image(name, img, dataformats="HWC").SerializeToString()
                    for name, img in zip(names, images))


@register_op("TensorSummaryV2", infer=_summary_infer)
def _text_kernel(tag, tensor, metadata):
    return builders.text(_str(tag), _str(tensor)).SerializeToString()


@register_op("MergeSummary", infer=_summary_infer)
def _merge_kernel(*inputs):
    # Concatenated serialized messages parse as one message with the repeated values joined.
    return b"".join(_str(x).encode() if isinstance(x, str) else bytes(x) for x in inputs)


def _scope_name(name: str, family: str | None) -> str:
    name = _INVALID.sub("_", name).lstrip("/") or "summary"
    return f"{_INVALID.sub('_', family)}/{name}" if family else name


def _summary_op(op_type: str, tag: str | None, name: str, inputs: list, attrs=None,
                collections=None, family: str | None = None) -> Tensor:
    """The summary op in a new scope `name`; tag None takes the scope's name (TF's tags)."""
    g = inputs[0].graph if isinstance(inputs[0], Tensor) else get_default_graph()
    with g.name_scope(name, ignore_case=tag is None) as scope:
        if tag is None:
            tag = f"{_INVALID.sub('_', family)}/{scope[:-1]}" if family else scope[:-1]
        tag_t = constant(tag, dtype=dtypes.string, name="tags" if op_type == "ScalarSummary"
                         else "tag")
        out = g.create_op(op_type, [tag_t, *inputs], attrs, name=scope).outputs[0]
    for key in collections if collections is not None else [GraphKeys.SUMMARIES]:
        g.add_to_collection(key, out)
    return out


def scalar(name: str, tensor, collections=None, family=None) -> Tensor:
    """A summary op holding the scalar value of `tensor` under tag `name`."""
    t = convert_to_tensor(tensor)
    if t.shape.dims is not None and t.shape.num_elements() not in (None, 1):
        raise ValueError(f"Summary scalar '{name}' needs a scalar tensor, got shape {t.shape}")
    return _summary_op("ScalarSummary", None, _scope_name(name, family), [_reshape_scalar(t)],
                       collections=collections, family=family)


def _reshape_scalar(t: Tensor) -> Tensor:
    return t if t.shape.dims == () else ops.reshape(t, [])


def histogram(name: str, values, collections=None, family=None) -> Tensor:
    """A summary op holding a histogram of all values of `values` under tag `name`."""
    return _summary_op("HistogramSummary", None, _scope_name(name, family),
                       [convert_to_tensor(values)], collections=collections, family=family)


def image(name: str, tensor, max_outputs: int = 3, collections=None, family=None) -> Tensor:
    """A summary op of up to `max_outputs` images of a [batch, height, width, channels] tensor."""
    return _summary_op("ImageSummary", None, _scope_name(name, family),
                       [convert_to_tensor(tensor)], {"max_images": int(max_outputs)},
                       collections, family)


def text(name: str, tensor, collections=None) -> Tensor:
    """A summary op holding the string `tensor` (markdown) for TensorBoard's text plugin."""
    t = convert_to_tensor(tensor)
    if t.dtype.base_dtype is not dtypes.string:
        raise ValueError(f"Expected tensor {t.name} to have dtype string, got {t.dtype.name}")
    meta = constant("", dtype=dtypes.string, name="serialized_summary_metadata")
    return _summary_op("TensorSummaryV2", None, _scope_name(name, None), [t, meta],
                       collections=collections)


def merge(inputs, collections=None, name=None) -> Tensor:
    """One summary op concatenating the summaries of `inputs` (summary tensors)."""
    inputs = [convert_to_tensor(x) for x in inputs]
    if not inputs:
        raise ValueError("merge needs at least one summary to merge")
    g = inputs[0].graph
    with g.name_scope(name or "Merge") as scope:
        out = g.create_op("MergeSummary", inputs, {"N": len(inputs)},
                          name="MergeSummary" if name is None else scope).outputs[0]
    for key in collections or ():
        g.add_to_collection(key, out)
    return out


def merge_all(key: str = GraphKeys.SUMMARIES, scope=None, name=None) -> Tensor | None:
    """`merge` of every summary in collection `key`, or None when there is none."""
    found = get_default_graph().get_collection(key, scope)
    return merge(found, name=name) if found else None


# --- the names of TF before 0.12 ------------------------------------------------------------


def scalar_summary(tags, values, collections=None, name=None) -> Tensor:
    """Old `tf.scalar_summary`: tag(s) given as is; op named `ScalarSummary`."""
    t = convert_to_tensor(values)
    g = t.graph
    with g.name_scope(name or "ScalarSummary") as scope:
        tags_t = convert_to_tensor(tags, dtype=dtypes.string, name="tags")
        out = g.create_op("ScalarSummary", [tags_t, t], name=scope).outputs[0]
    for key in collections if collections is not None else [GraphKeys.SUMMARIES]:
        g.add_to_collection(key, out)
    return out


def histogram_summary(tag, values, collections=None, name=None) -> Tensor:
    """Old `tf.histogram_summary`: `tag` as is; op named `HistogramSummary`."""
    return _summary_op("HistogramSummary", _str(tag), name or "HistogramSummary",
                       [convert_to_tensor(values)], collections=collections)


def image_summary(tag, tensor, max_images=3, collections=None, name=None) -> Tensor:
    """Old `tf.image_summary`."""
    return _summary_op("ImageSummary", _str(tag), name or "ImageSummary",
                       [convert_to_tensor(tensor)], {"max_images": int(max_images)}, collections)


def merge_summary(inputs, collections=None, name=None) -> Tensor:
    """Old `tf.merge_summary`."""
    return merge(inputs, collections, name)


def merge_all_summaries(key: str = GraphKeys.SUMMARIES) -> Tensor | None:
    """Old `tf.merge_all_summaries`."""
    return merge_all(key)
