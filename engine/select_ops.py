"""Ops choosing elements by a condition: select, where_v2 (broadcasting) and where."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.array_ops import zeros_like
from flowlog.engine.broadcast_ops import unbroadcast
from flowlog.engine.framework import Tensor, name_scope, register_op
from flowlog.engine.op_util import (
    BOOL,
    broadcast_shapes,
    build1,
    convert_args,
    merge_shapes,
    not_differentiable,
)
from flowlog.engine.shapes import TensorShape


def _summed_to(x: Tensor, grad: Tensor) -> Tensor:
    """`grad` of a value broadcast from `x` summed back to x's shape (as is when they agree)."""
    if x.shape.is_fully_defined() and x.shape == grad.shape:
        return grad
    return unbroadcast(x, grad, lambda: grad)[0]


def _select_infer(op):
    # TF1's Select does not broadcast: x and y agree, and the condition is a scalar, a vector
    # over x's first dimension, or of x's shape.
    c, x, y = op.inputs
    data = merge_shapes(op, x.shape, y.shape)
    c_rank, rank = c.shape.ndims, data.ndims
    if c_rank is None or rank is None or c_rank == 0:
        return [(x.dtype.base_dtype, data)]
    if c_rank != 1 or rank == 0:
        return [(x.dtype.base_dtype, merge_shapes(op, data, c.shape))]
    merge_shapes(op, c.shape, TensorShape(data.dims[:1]))
    return [(x.dtype.base_dtype, data)]


def _choice_grad(op, g):
    """The gradient of Select and SelectV2: g goes to x where the condition holds, else to y."""
    c, x, y = op.inputs
    choose = select if op.type == "Select" else where_v2
    zeros = zeros_like(g)
    return None, _summed_to(x, choose(c, g, zeros)), _summed_to(y, choose(c, zeros, g))


def _choice(op_type: str, condition, x, y, names: tuple[str, str], name) -> Tensor:
    with name_scope(name, op_type, [condition, x, y]) as scope:
        (c,) = convert_args(op_type, [("condition", condition)], BOOL)
        a, b = convert_args(op_type, list(zip(names, (x, y))))
        return build1(op_type, [c, a, b], name=scope)


@register_op("Select", infer=_select_infer, grad=_choice_grad)
def _select_kernel(c, x, y):
    if np.ndim(c) == 1 and np.ndim(x) > 1:  # TF1: a vector condition picks rows
        c = np.reshape(c, (-1,) + (1,) * (np.ndim(x) - 1))
    return np.where(c, x, y)


def select(condition, x, y, name: str | None = None) -> Tensor:
    """Elements of `x` where `condition` is true, else of `y`."""
    return _choice("Select", condition, x, y, ("x", "y"), name)


def _select_v2_infer(op):
    c, x, y = op.inputs
    return [(x.dtype.base_dtype, broadcast_shapes(op, [c.shape, x.shape, y.shape]))]


@register_op("SelectV2", infer=_select_v2_infer, grad=_choice_grad)
def _select_v2_kernel(c, x, y):
    return np.where(c, x, y)


def where_v2(condition, x, y, name: str | None = None) -> Tensor:
    """Elements of `x` where `condition` is true, else of `y`, all three broadcast together."""
    return _choice("SelectV2", condition, x, y, ("t", "e"), name)


@register_op("Where", infer=lambda op: [(dtypes.int64, TensorShape(
    [None, op.inputs[0].shape.ndims]))], grad=not_differentiable)
def _where_kernel(c):
    return np.argwhere(c).astype(np.int64)


def where(condition, x=None, y=None, name: str | None = None) -> Tensor:
    """`select(condition, x, y)`, or with only `condition` the coordinates of true elements."""
    if x is None and y is None:
        with name_scope(name, "Where", [condition]) as scope:
            (c,) = convert_args("Where", [("input", condition)], BOOL)
            return build1("Where", [c], name=scope)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return select(condition, x, y, name=name)
