"""`tf.split`: Split (into equal parts) and SplitV (into given sizes), whose gradient is the
concatenation of the parts' gradients."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.array_ops import zeros_like
from flowlog.engine.framework import Tensor, name_scope, register_op
from flowlog.engine.op_util import build, constant_value, convert_args, index_arg
from flowlog.engine.shape_ops import concat
from flowlog.engine.shapes import TensorShape


def _parts_infer(x: Tensor, axis, sizes: list) -> list:
    """One (dtype, shape) per part: `x`'s shape with `sizes[i]` along `axis` (None: unknown)."""
    if x.shape.dims is None or axis is None:
        return [(x.dtype.base_dtype, TensorShape(None if x.shape.dims is None
                                                 else [None] * x.shape.ndims))] * len(sizes)
    axis = int(axis) % x.shape.ndims
    dims = list(x.shape.dims)
    return [(x.dtype.base_dtype, TensorShape(dims[:axis] + [size] + dims[axis + 1:]))
            for size in sizes]


def _split_infer(op):
    axis, x = op.inputs
    n = op.attrs["num_split"]
    axis_value = constant_value(axis)
    size = None
    if axis_value is not None and x.shape.dims is not None:
        whole = x.shape.dims[int(axis_value) % x.shape.ndims]
        if whole is not None:
            if whole % n:
                raise ValueError(f"Dimension size must be evenly divisible by {n} but is "
                                 f"{whole} for '{op.name}' (op: 'Split').")
            size = whole // n
    return _parts_infer(x, axis_value, [size] * n)


def _parts_grad(op, grads, axis: Tensor):
    parts = [g if g is not None else zeros_like(t) for g, t in zip(grads, op.outputs)]
    return concat(parts, axis)


@register_op("Split", infer=_split_infer, attrs=("num_split",),
             grad=lambda op, *grads: (None, _parts_grad(op, grads, op.inputs[0])))
def _split_kernel(axis, x, *, num_split):
    return tuple(np.split(x, num_split, axis=int(axis)))


def _split_v_infer(op):
    x, sizes, axis = op.inputs
    values, axis_value = constant_value(sizes), constant_value(axis)
    if values is None:
        return _parts_infer(x, axis_value, [None] * op.attrs["num_split"])
    known = [int(s) for s in values]
    whole = None if axis_value is None or x.shape.dims is None else \
        x.shape.dims[int(axis_value) % x.shape.ndims]
    if -1 in known:  # the part of size -1 takes what the others leave, when that is known
        rest = whole - (sum(known) + 1) if whole is not None else None
        known[known.index(-1)] = rest
    return _parts_infer(x, axis_value, known)


@register_op("SplitV", infer=_split_v_infer, attrs=("num_split",),
             grad=lambda op, *grads: (_parts_grad(op, grads, op.inputs[2]), None, None))
def _split_v_kernel(x, sizes, axis, *, num_split):
    sizes = [int(s) for s in sizes]
    if -1 in sizes:  # one size may be -1: what the others leave
        sizes[sizes.index(-1)] = x.shape[int(axis)] - (sum(sizes) + 1)
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=int(axis)))


def split(value, num_or_size_splits, axis=0, num=None, name: str = "split") -> list:
    """`value` cut along `axis` into `num_or_size_splits` equal parts, or parts of the sizes
    listed."""
    with name_scope(name, "split", [value]) as scope:
        (x,) = convert_args("Split", [("value", value)])
        axis_t = index_arg("Split", "axis", axis, (dtypes.int32,))
        if isinstance(num_or_size_splits, (int, np.integer)):
            attrs = {"num_split": int(num_or_size_splits)}
            return list(build("Split", [axis_t, x], attrs, name=scope).outputs)
        sizes = index_arg("SplitV", "size_splits", num_or_size_splits)
        count = num if num is not None else sizes.shape.dims[0] if sizes.shape.dims else None
        if count is None:
            raise ValueError(f"Cannot infer num from shape {sizes.shape}")
        return list(build("SplitV", [x, sizes, axis_t], {"num_split": int(count)},
                          name=scope).outputs)


__all__ = ["split"]
