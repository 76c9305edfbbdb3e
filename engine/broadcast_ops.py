"""Broadcasting: `broadcast_to`, and `unbroadcast`, which every broadcasting op's gradient uses."""
from __future__ import annotations

import numpy as np
from flowlog.engine import errors
from flowlog.engine.array_ops import reshape, shape, sum_over
from flowlog.engine.framework import Tensor, name_scope, register_op
from flowlog.engine.op_util import (
    INDEX,
    build,
    build1,
    convert_args,
    index_dtype,
    not_differentiable,
    shape_from_tensor,
)
from flowlog.engine.shapes import TensorShape

_BCAST_CACHE: dict = {}


def _bga_infer(op):
    t = op.inputs[0].dtype.base_dtype
    return [(t, TensorShape([None])), (t, TensorShape([None]))]


@register_op("BroadcastGradientArgs", infer=_bga_infer, grad=not_differentiable)
def _broadcast_gradient_args(sx, sy):
    key = (sx.tobytes(), sy.tobytes(), sx.dtype)
    hit = _BCAST_CACHE.get(key)
    if hit is None:
        hit = _reduction_axes(sx.tolist(), sy.tolist(), sx.dtype)
        if len(_BCAST_CACHE) < 4096:
            _BCAST_CACHE[key] = hit
    return hit


def _reduction_axes(sx: list, sy: list, dtype):
    n = max(len(sx), len(sy))
    px, py = [1] * (n - len(sx)) + sx, [1] * (n - len(sy)) + sy
    for a, b in zip(px, py):
        if a != b and a != 1 and b != 1:
            raise errors.InvalidArgumentError(None, None, f"Incompatible shapes: {sx} vs. {sy}")
    rx = [i for i in range(n) if px[i] == 1 and py[i] != 1 or i < n - len(sx)]
    ry = [i for i in range(n) if py[i] == 1 and px[i] != 1 or i < n - len(sy)]
    rx_a, ry_a = np.array(rx, dtype=dtype), np.array(ry, dtype=dtype)
    rx_a.setflags(write=False)
    ry_a.setflags(write=False)
    return rx_a, ry_a


def broadcast_gradient_args(s0, s1, name: str | None = None):
    """The axes to sum each operand's gradient over to undo NumPy broadcasting."""
    with name_scope(name, "BroadcastGradientArgs", [s0, s1]) as scope:
        a, b = convert_args("BroadcastGradientArgs", [("s0", s0), ("s1", s1)], INDEX)
        return tuple(build("BroadcastGradientArgs", [a, b], name=scope).outputs)


def _broadcast_to_grad(op, g):
    x, shp = op.inputs
    sx = shape(x)
    _, rx = broadcast_gradient_args(shp, sx)
    return reshape(sum_over(g, rx, keepdims=True), sx), None


@register_op("BroadcastTo", infer=lambda op: [(op.inputs[0].dtype.base_dtype,
                                               shape_from_tensor(op.inputs[1]))],
             grad=_broadcast_to_grad)
def _broadcast_to_kernel(x, shp):
    out = np.empty(shp.tolist(), dtype=x.dtype)  # a copy: np.broadcast_to is 4x slower
    np.copyto(out, x)
    return out


def broadcast_to(input, shape, name: str | None = None) -> Tensor:
    """`input` broadcast to `shape` by NumPy's rules."""
    with name_scope(name, "BroadcastTo", [input, shape]) as scope:
        (x,) = convert_args("BroadcastTo", [("input", input)])
        (s,) = convert_args("BroadcastTo", [("shape", shape)], INDEX, dtype=index_dtype(shape))
        return build1("BroadcastTo", [x, s], name=scope)


def unbroadcast(x: Tensor, y: Tensor, dx, dy=None) -> tuple:
    """The gradients of `x` and `y`, broadcast against each other, summed back to their shapes.

    `dx()` and `dy()` build each one's gradient at the broadcast shape (no `dy`: x's alone).
    The layout is TF's: both shapes, one BroadcastGradientArgs, then per operand its gradient,
    the Sum over the axes it was broadcast along, and the Reshape to its shape.
    """
    sx, sy = shape(x), shape(y)
    rx, ry = broadcast_gradient_args(sx, sy)
    gx = reshape(sum_over(dx(), rx), sx)
    return (gx,) if dy is None else (gx, reshape(sum_over(dy(), ry), sy))
