"""Max and average pooling in NHWC, with TF's gradient ops MaxPoolGrad and AvgPoolGrad."""
from __future__ import annotations

import numpy as np
from flowlog.engine import array_ops as _a
from flowlog.engine.conv_ops import (
    check_nhwc,
    check_rank4,
    crop,
    four,
    geometry,
    pad_spatial,
    scatter_windows,
    windows,
)
from flowlog.engine.framework import Tensor, name_scope, register_op
from flowlog.engine.op_util import FLOATS, build1, convert_args, index_arg, shape_from_tensor
from flowlog.engine.shapes import TensorShape

_ATTRS = ("ksize", "strides", "padding")


def _pool_infer(op):
    x = op.inputs[0]
    check_rank4(op, [x.shape])
    n, h, w, c = x.shape.dims if x.shape.dims is not None else (None,) * 4
    ksize, strides = op.attrs["ksize"], op.attrs["strides"]
    oh, ow, _ = geometry(h, w, ksize[1], ksize[2], strides, [1, 1, 1, 1], op.attrs["padding"])
    return [(x.dtype.base_dtype, TensorShape([n, oh, ow, c]))]


def _geometry(shape, ksize, strides, padding):
    return geometry(shape[1], shape[2], ksize[1], ksize[2], strides, [1, 1, 1, 1], padding)


def _pool_attrs(x: Tensor, ksize, strides, padding) -> dict:
    return {"T": x.dtype.base_dtype, "ksize": list(ksize), "strides": list(strides),
            "padding": padding, "data_format": "NHWC"}


def _pool_args(op_type, ksize, strides, padding, data_format):
    ksize, strides = four(ksize, "ksize"), four(strides, "strides")
    padding = check_nhwc(padding, data_format, strides, op_type)
    if ksize[0] != 1 or ksize[3] != 1:
        raise ValueError("Pooling is not yet supported on the batch nor depth dimensions.")
    return ksize, strides, padding


# --- max pooling -----------------------------------------------------------------------------


def _max_pool_grad(op, g):
    x = op.inputs[0]
    attrs = _pool_attrs(x, op.attrs["ksize"], op.attrs["strides"], op.attrs["padding"])
    return (build1("MaxPoolGrad", [x, op.outputs[0], g], attrs),)


def _taps(xp: np.ndarray, kh: int, kw: int, oh: int, ow: int, sh: int, sw: int):
    """For each filter tap (i, j), in row-major order, the (N, OH, OW, C) strided view of the
    padded input that tap sees in every window."""
    for i in range(kh):
        for j in range(kw):
            yield xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]


@register_op("MaxPool", infer=_pool_infer, grad=_max_pool_grad, attrs=_ATTRS)
def _max_pool_kernel(x, *, ksize, strides, padding):
    # A running maximum over the taps: a few whole-array operations, one per tap.
    oh, ow, pads = _geometry(x.shape, ksize, strides, padding)
    taps = _taps(pad_spatial(x, pads, -np.inf), ksize[1], ksize[2], oh, ow, strides[1],
                 strides[2])
    out = np.array(next(taps))
    for tap in taps:
        np.maximum(out, tap, out=out)
    return out.astype(x.dtype, copy=False)


def _max_pool_grad_grad(op, grad):
    # dx is g placed at each window's first maximum: its gradient with respect to g reads the
    # incoming gradient back at those places; x and y only choose places (zero gradient).
    x, y, _ = op.inputs
    attrs = _pool_attrs(x, op.attrs["ksize"], op.attrs["strides"], op.attrs["padding"])
    return (_a.zeros_like(x), _a.zeros_like(y),
            build1("MaxPoolGradGrad", [x, y, grad], attrs))


@register_op("MaxPoolGrad", infer=lambda op: [(op.inputs[0].dtype.base_dtype,
                                               op.inputs[0].shape)], grad=_max_pool_grad_grad,
             attrs=_ATTRS)
def _max_pool_grad_kernel(x, y, g, *, ksize, strides, padding):
    # Each output's gradient goes to the first maximum of its window (TF's CPU choice): taps
    # are visited in row-major order, and a window stops taking once one tap matched.
    _, h, w, _ = x.shape
    oh, ow, pads = _geometry(x.shape, ksize, strides, padding)
    xp = pad_spatial(x, pads, -np.inf)
    sh, sw = strides[1], strides[2]
    # Windows that do not overlap write each input element at most once: no sums needed; when
    # they also tile the padded input exactly, every element is written and none needs zeroing.
    disjoint = sh >= ksize[1] and sw >= ksize[2]
    tiled = (sh, sw) == (ksize[1], ksize[2]) and xp.shape[1:3] == (oh * sh, ow * sw)
    dx = np.empty(xp.shape, dtype=x.dtype) if tiled else np.zeros(xp.shape, dtype=x.dtype)
    open_ = np.ones(y.shape, dtype=bool)
    hit = np.empty(y.shape, dtype=bool)
    for (i, j), tap in zip(np.ndindex(ksize[1], ksize[2]),
                           _taps(xp, ksize[1], ksize[2], oh, ow, sh, sw)):
        np.equal(tap, y, out=hit)
        hit &= open_
        target = dx[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]
        if disjoint:
            np.multiply(g, hit, out=target)
        else:
            target += g * hit
        open_ ^= hit  # hit is within open_: this closes the windows that just took
    return crop(dx, pads, h, w)


@register_op("MaxPoolGradGrad", infer=lambda op: [(op.inputs[1].dtype.base_dtype,
                                                   op.inputs[1].shape)], attrs=_ATTRS)
def _max_pool_grad_grad_kernel(x, y, grad, *, ksize, strides, padding):
    oh, ow, pads = _geometry(x.shape, ksize, strides, padding)
    sh, sw = strides[1], strides[2]
    taps = _taps(pad_spatial(x, pads, -np.inf), ksize[1], ksize[2], oh, ow, sh, sw)
    grads = _taps(pad_spatial(grad, pads), ksize[1], ksize[2], oh, ow, sh, sw)
    out = np.zeros(y.shape, dtype=grad.dtype)
    open_ = np.ones(y.shape, dtype=bool)
    for tap, g in zip(taps, grads):  # the same first-maximum rule as MaxPoolGrad
        hit = (tap == y) & open_
        out += g * hit
        open_ ^= hit
    return out


def max_pool(value, ksize, strides, padding, data_format: str = "NHWC",
             name: str | None = None, input=None) -> Tensor:
    """The maximum of each `ksize` window of an NHWC batch, windows `strides` apart."""
    value = input if value is None else value
    ksize, strides, padding = _pool_args("MaxPool", ksize, strides, padding, data_format)
    with name_scope(name, "MaxPool", [value]) as scope:
        (x,) = convert_args("MaxPool", [("input", value)], FLOATS)
        return build1("MaxPool", [x], _pool_attrs(x, ksize, strides, padding), name=scope)


# --- average pooling -------------------------------------------------------------------------


def _counts(shape, ksize, strides, padding, dtype):
    """How many real (unpadded) elements each window holds: SAME windows at the border hold
    fewer, and TF divides by that number, not by the window's size."""
    oh, ow, pads = _geometry(shape, ksize, strides, padding)
    ones = pad_spatial(np.ones((1, shape[1], shape[2], 1), dtype), pads)
    return windows(ones, ksize[1], ksize[2], oh, ow, strides[1], strides[2]).sum(axis=(3, 4))


def _avg_pool_grad(op, g):
    x = op.inputs[0]
    attrs = _pool_attrs(x, op.attrs["ksize"], op.attrs["strides"], op.attrs["padding"])
    return (build1("AvgPoolGrad", [_a.shape(x), g], attrs),)


@register_op("AvgPool", infer=_pool_infer, grad=_avg_pool_grad, attrs=_ATTRS)
def _avg_pool_kernel(x, *, ksize, strides, padding):
    oh, ow, pads = _geometry(x.shape, ksize, strides, padding)
    win = windows(pad_spatial(x, pads), ksize[1], ksize[2], oh, ow, strides[1], strides[2])
    return (win.sum(axis=(3, 4)) / _counts(x.shape, ksize, strides, padding, x.dtype)).astype(
        x.dtype, copy=False)


def _avg_pool_grad_infer(op):
    shape = shape_from_tensor(op.inputs[0])
    return [(op.inputs[1].dtype.base_dtype,
             shape if shape.dims is not None else TensorShape([None] * 4))]


@register_op("AvgPoolGrad", infer=_avg_pool_grad_infer,
             grad=lambda op, g: (None, build1("AvgPool", [g], dict(op.attrs))), attrs=_ATTRS)
def _avg_pool_grad_kernel(sizes, g, *, ksize, strides, padding):
    shape = tuple(int(v) for v in sizes)
    oh, ow, pads = _geometry(shape, ksize, strides, padding)
    share = g / _counts(shape, ksize, strides, padding, g.dtype)
    cols = np.broadcast_to(share[:, :, :, None, None, :],
                           (shape[0], oh, ow, ksize[1], ksize[2], shape[3]))
    padded = (shape[0], shape[1] + sum(pads[0]), shape[2] + sum(pads[1]), shape[3])
    full = scatter_windows(cols, padded, strides[1], strides[2])
    return crop(full, pads, shape[1], shape[2]).astype(g.dtype, copy=False)


def avg_pool(value, ksize, strides, padding, data_format: str = "NHWC",
             name: str | None = None, input=None) -> Tensor:
    """The mean of each `ksize` window of an NHWC batch (padding is not counted)."""
    value = input if value is None else value
    ksize, strides, padding = _pool_args("AvgPool", ksize, strides, padding, data_format)
    with name_scope(name, "AvgPool", [value]) as scope:
        (x,) = convert_args("AvgPool", [("value", value)], FLOATS)
        return build1("AvgPool", [x], _pool_attrs(x, ksize, strides, padding), name=scope)


def avg_pool_grad(orig_input_shape, grad, ksize, strides, padding, name=None) -> Tensor:
    """AvgPool's gradient: each output gradient shared equally over its window."""
    ksize, strides, padding = _pool_args("AvgPoolGrad", ksize, strides, padding, "NHWC")
    with name_scope(name, "AvgPoolGrad", [grad]) as scope:
        sizes = index_arg("AvgPoolGrad", "orig_input_shape", orig_input_shape)
        (g,) = convert_args("AvgPoolGrad", [("grad", grad)], FLOATS)
        return build1("AvgPoolGrad", [sizes, g], _pool_attrs(g, ksize, strides, padding),
                      name=scope)


__all__ = ["avg_pool", "max_pool"]
