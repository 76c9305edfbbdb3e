"""2-D convolution in NHWC: conv2d, its two backprop ops (conv2d_transpose is one of them).

Every kernel is one matrix product over a strided window view of the padded input (im2col):
the only Python loop runs over the filter's taps (25 for a 5x5 filter), never over pixels.
"""
from __future__ import annotations

import numpy as np
from flowlog.engine import array_ops as _a
from flowlog.engine.framework import Tensor, name_scope, register_op
from flowlog.engine.op_util import (
    FLOATS,
    build1,
    convert_args,
    fmt_shape,
    index_arg,
    shape_error,
    shape_from_tensor,
)
from flowlog.engine.shapes import TensorShape

_PADDINGS = ("SAME", "VALID")

# --- geometry shared by convolution and pooling ------------------------------------------------


def out_size(size: int | None, k: int, stride: int, dilation: int, padding: str):
    """Output length and (before, after) padding of one spatial axis, by TF's rules.

    VALID keeps windows wholly inside; SAME gives ceil(size / stride) outputs and pads the
    total shortfall, the odd element after.
    """
    if size is None:
        return None, (0, 0)
    span = (k - 1) * dilation + 1
    if padding == "VALID":
        return max((size - span) // stride + 1, 0), (0, 0)
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return out, (total // 2, total - total // 2)


def windows(xp: np.ndarray, kh: int, kw: int, oh: int, ow: int, sh: int, sw: int,
            dh: int = 1, dw: int = 1) -> np.ndarray:
    """A read-only view (N, OH, OW, KH, KW, C) of every window of the padded batch `xp`."""
    n, _, _, c = xp.shape
    s = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, oh, ow, kh, kw, c), (s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw, s[3]),
        writeable=False)


def pad_spatial(x: np.ndarray, pads, value=0) -> np.ndarray:
    """`x` with `pads` ((top, bottom), (left, right)) rows and columns of `value` around it."""
    (t, b), (lft, r) = pads
    if not (t or b or lft or r):
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + t + b, w + lft + r, c), value, dtype=x.dtype)  # np.pad is 4x slower
    out[:, t:t + h, lft:lft + w, :] = x
    return out


def columns(xp: np.ndarray, kh: int, kw: int, oh: int, ow: int, strides, dilations) -> np.ndarray:
    """The (N * OH * OW, KH * KW * C) matrix of every window of `xp`, one window per row (im2col).

    With one input channel (images in grey), the windows are copied tap by tap into a
    (taps, pixels) array and its transpose returned: each tap is then a run of whole image
    rows, which copies faster than the element-wise gather of the strided view.
    """
    sh, sw, dh, dw = strides[1], strides[2], dilations[1], dilations[2]
    n, _, _, c = xp.shape
    if c != 1:
        return windows(xp, kh, kw, oh, ow, sh, sw, dh, dw).reshape(n * oh * ow, kh * kw * c)
    taps = np.empty((kh, kw, n, oh, ow), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            taps[i, j] = xp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                            j * dw:j * dw + sw * (ow - 1) + 1:sw, 0]
    return taps.reshape(kh * kw, n * oh * ow).T


def scatter_windows(cols: np.ndarray, padded_shape, sh, sw, dh=1, dw=1) -> np.ndarray:
    """The adjoint of `windows`: sums a (N, OH, OW, KH, KW, C) array back onto the padded input."""
    out = np.zeros(padded_shape, dtype=cols.dtype)
    _, oh, ow, kh, kw, _ = cols.shape
    for i in range(kh):  # a loop over filter taps; each step adds a whole strided plane
        for j in range(kw):
            out[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw, :] += cols[:, :, :, i, j, :]
    return out


def crop(xp: np.ndarray, pads, h: int, w: int) -> np.ndarray:
    return xp[:, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w, :]


def geometry(in_h, in_w, kh, kw, strides, dilations, padding):
    """(out_h, out_w, pads) for an NHWC input of spatial size (in_h, in_w)."""
    oh, ph = out_size(in_h, kh, strides[1], dilations[1], padding)
    ow, pw = out_size(in_w, kw, strides[2], dilations[2], padding)
    return oh, ow, (ph, pw)


def four(value, name: str) -> list[int]:
    """A strides/dilations/ksize argument as TF's 4-list [1, h, w, 1] (an int or pair is
    spread over height and width)."""
    if isinstance(value, (int, np.integer)):
        return [1, int(value), int(value), 1]
    value = [int(v) for v in value]
    if len(value) == 1:
        return [1, value[0], value[0], 1]
    if len(value) == 2:
        return [1, value[0], value[1], 1]
    if len(value) != 4:
        raise ValueError(f"{name} should be of length 1, 2 or 4. Received: {name}={value}")
    return value


def check_nhwc(padding, data_format, strides, op_type: str) -> str:
    if data_format not in (None, "NHWC"):
        raise ValueError(f"{op_type} supports only the NHWC data format on the CPU, got "
                         f"data_format={data_format!r}")
    padding = padding.upper() if isinstance(padding, str) else padding
    if padding not in _PADDINGS:
        raise ValueError(f"padding must be one of SAME, VALID; got {padding!r}")
    if strides[0] != 1 or strides[3] != 1:
        raise ValueError("Current implementation does not yet support strides in the batch "
                         "and depth dimensions.")
    return padding


def check_rank4(op, shapes) -> None:
    for s in shapes:
        if s.ndims is not None and s.ndims != 4:
            raise ValueError(f"Shape must be rank 4 but is rank {s.ndims} for '{op.name}' "
                             f"(op: '{op.type}') with input shapes: "
                             f"{', '.join(fmt_shape(t) for t in shapes)}.")


def _dims4(shape: TensorShape):
    return shape.dims if shape.dims is not None else (None,) * 4


# --- Conv2D --------------------------------------------------------------------------------


def _conv_attrs(op):
    a = op.attrs
    return a["strides"], a["dilations"], a["padding"]


def _conv_infer(op):
    x, f = op.inputs
    check_rank4(op, [x.shape, f.shape])
    n, h, w, c = _dims4(x.shape)
    kh, kw, fc, o = _dims4(f.shape)
    if c is not None and fc is not None and c != fc:
        raise shape_error(op, c, fc, [x.shape, f.shape])
    strides, dilations, padding = _conv_attrs(op)
    oh = ow = None
    if kh is not None and kw is not None:
        oh, ow, _ = geometry(h, w, kh, kw, strides, dilations, padding)
    return [(x.dtype.base_dtype, TensorShape([n, oh, ow, o]))]


def _conv_grad(op, g):
    x, f = op.inputs
    strides, dilations, padding = _conv_attrs(op)
    kw = {"strides": strides, "padding": padding, "dilations": dilations}
    return (_backprop_input(_a.shape(x), f, g, **kw), _backprop_filter(x, _a.shape(f), g, **kw))


@register_op("Conv2D", infer=_conv_infer, grad=_conv_grad,
             attrs=("strides", "dilations", "padding"))
def _conv_kernel(x, f, *, strides, dilations, padding):
    kh, kw, c, o = f.shape
    oh, ow, pads = geometry(x.shape[1], x.shape[2], kh, kw, strides, dilations, padding)
    cols = columns(pad_spatial(x, pads), kh, kw, oh, ow, strides, dilations)
    return (cols @ f.reshape(kh * kw * c, o)).reshape(x.shape[0], oh, ow, o)


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu: bool = True,
           data_format: str = "NHWC", dilations=(1, 1, 1, 1), name: str | None = None,
           filters=None) -> Tensor:
    """The 2-D cross-correlation of an NHWC batch with a [height, width, in, out] filter."""
    filter = filters if filter is None else filter
    strides, dilations = four(strides, "strides"), four(dilations, "dilations")
    padding = check_nhwc(padding, data_format, strides, "Conv2D")
    with name_scope(name, "Conv2D", [input, filter]) as scope:
        x, f = convert_args("Conv2D", [("input", input), ("filter", filter)], FLOATS)
        attrs = {"T": x.dtype.base_dtype, "strides": strides, "padding": padding,
                 "data_format": "NHWC", "dilations": dilations,
                 "use_cudnn_on_gpu": bool(use_cudnn_on_gpu)}
        return build1("Conv2D", [x, f], attrs, name=scope)


# --- the two backprop ops ------------------------------------------------------------------


def _backprop_input_infer(op):
    sizes, f, g = op.inputs
    check_rank4(op, [f.shape, g.shape])
    shape = shape_from_tensor(sizes)
    return [(f.dtype.base_dtype, shape if shape.dims is not None else TensorShape([None] * 4))]


def _backprop_input_grad(op, grad):
    _, f, g = op.inputs
    strides, dilations, padding = _conv_attrs(op)
    kw = {"strides": strides, "padding": padding, "dilations": dilations}
    return (None, _backprop_filter(grad, _a.shape(f), g, **kw),
            _conv(grad, f, **kw))


@register_op("Conv2DBackpropInput", infer=_backprop_input_infer, grad=_backprop_input_grad,
             attrs=("strides", "dilations", "padding"))
def _backprop_input_kernel(sizes, f, g, *, strides, dilations, padding):
    n, h, w, c = (int(v) for v in sizes)
    kh, kw, _, o = f.shape
    oh, ow, pads = geometry(h, w, kh, kw, strides, dilations, padding)
    if g.shape[1:3] != (oh, ow):
        raise ValueError(f"Conv2DBackpropInput: out_backprop has spatial size "
                         f"{list(g.shape[1:3])}, but an input of size [{h},{w}] gives "
                         f"[{oh},{ow}]")
    cols = (g.reshape(-1, o) @ f.reshape(-1, o).T).reshape(n, oh, ow, kh, kw, c)
    padded = (n, h + sum(pads[0]), w + sum(pads[1]), c)
    full = scatter_windows(cols, padded, strides[1], strides[2], dilations[1], dilations[2])
    return crop(full, pads, h, w)


def _backprop_filter_infer(op):
    x, sizes, g = op.inputs
    check_rank4(op, [x.shape, g.shape])
    shape = shape_from_tensor(sizes)
    return [(x.dtype.base_dtype, shape if shape.dims is not None else TensorShape([None] * 4))]


def _backprop_filter_grad(op, grad):
    x, _, g = op.inputs
    strides, dilations, padding = _conv_attrs(op)
    kw = {"strides": strides, "padding": padding, "dilations": dilations}
    return (_backprop_input(_a.shape(x), grad, g, **kw), None, _conv(x, grad, **kw))


@register_op("Conv2DBackpropFilter", infer=_backprop_filter_infer, grad=_backprop_filter_grad,
             attrs=("strides", "dilations", "padding"))
def _backprop_filter_kernel(x, sizes, g, *, strides, dilations, padding):
    kh, kw, c, o = (int(v) for v in sizes)
    oh, ow, pads = geometry(x.shape[1], x.shape[2], kh, kw, strides, dilations, padding)
    cols = columns(pad_spatial(x, pads), kh, kw, oh, ow, strides, dilations)
    return (cols.T @ g.reshape(-1, o)).reshape(kh, kw, c, o)


def _attrs(t: Tensor, strides, padding, dilations) -> dict:
    return {"T": t.dtype.base_dtype, "strides": list(strides), "padding": padding,
            "data_format": "NHWC", "dilations": list(dilations), "use_cudnn_on_gpu": True}


def _conv(x, f, strides, padding, dilations) -> Tensor:
    return build1("Conv2D", [x, f], _attrs(x, strides, padding, dilations))


def _backprop_input(sizes, f, g, strides, padding, dilations, name=None) -> Tensor:
    return build1("Conv2DBackpropInput", [sizes, f, g], _attrs(f, strides, padding, dilations),
                  name=name)


def _backprop_filter(x, sizes, g, strides, padding, dilations) -> Tensor:
    return build1("Conv2DBackpropFilter", [x, sizes, g], _attrs(x, strides, padding, dilations))


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None,
                          padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
                          dilations=(1, 1, 1, 1), name=None, filters=None) -> Tensor:
    """The gradient of conv2d with respect to its input, of shape `input_sizes`."""
    filter = filters if filter is None else filter
    strides, dilations = four(strides, "strides"), four(dilations, "dilations")
    padding = check_nhwc(padding, data_format, strides, "Conv2DBackpropInput")
    with name_scope(name, "Conv2DBackpropInput", [filter, out_backprop]) as scope:
        f, g = convert_args("Conv2DBackpropInput", [("filter", filter),
                                                    ("out_backprop", out_backprop)], FLOATS)
        sizes = index_arg("Conv2DBackpropInput", "input_sizes", input_sizes)
        return _backprop_input(sizes, f, g, strides, padding, dilations, name=scope)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                           use_cudnn_on_gpu=True, data_format="NHWC", dilations=(1, 1, 1, 1),
                           name=None) -> Tensor:
    """The gradient of conv2d with respect to its filter, of shape `filter_sizes`."""
    strides, dilations = four(strides, "strides"), four(dilations, "dilations")
    padding = check_nhwc(padding, data_format, strides, "Conv2DBackpropFilter")
    with name_scope(name, "Conv2DBackpropFilter", [input, out_backprop]) as scope:
        x, g = convert_args("Conv2DBackpropFilter", [("input", input),
                                                     ("out_backprop", out_backprop)], FLOATS)
        sizes = index_arg("Conv2DBackpropFilter", "filter_sizes", filter_sizes)
        return build1("Conv2DBackpropFilter", [x, sizes, g],
                      _attrs(x, strides, padding, dilations), name=scope)


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None,
                     padding: str = "SAME", data_format: str = "NHWC", name: str | None = None,
                     input=None, filters=None, dilations=None) -> Tensor:
    """The transpose of conv2d (its input gradient): `filter` is [h, w, out, in]."""
    value = input if value is None else value
    filter = filters if filter is None else filter
    strides = four(strides, "strides")
    dilations = four(dilations if dilations is not None else 1, "dilations")
    padding = check_nhwc(padding, data_format, strides, "conv2d_transpose")
    with name_scope(name, "conv2d_transpose", [value, filter, output_shape]) as scope:
        f, g = convert_args("Conv2DBackpropInput", [("filter", filter), ("out_backprop", value)],
                            FLOATS)
        fd, gd = f.shape.dims, g.shape.dims
        if fd is not None and gd is not None and len(fd) == 4 and len(gd) == 4 and \
                fd[3] is not None and gd[3] is not None and fd[3] != gd[3]:
            raise ValueError(f"input channels does not match filter's input channels, "
                             f"{gd[3]} != {fd[3]}")
        sizes = index_arg("Conv2DBackpropInput", "output_shape", output_shape)
        return _backprop_input(sizes, f, g, strides, padding, dilations, name=scope)


__all__ = ["conv2d", "conv2d_backprop_filter", "conv2d_backprop_input", "conv2d_transpose"]
