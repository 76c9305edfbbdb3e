"""Comparisons and logical and/or: elementwise, broadcasting, bool results, no gradient."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.framework import Tensor, register_op
from flowlog.engine.op_util import BOOL, NUMERIC, apply_op, broadcast_infer, not_differentiable


def _predicate_infer(op):
    return [(dtypes.bool_, broadcast_infer(op)[0][1])]


register_op("Equal", infer=_predicate_infer, grad=not_differentiable)(np.equal)


def equal(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x == y`, elementwise."""
    return apply_op("Equal", [("x", x), ("y", y)], None, name=name)


register_op("NotEqual", infer=_predicate_infer, grad=not_differentiable)(np.not_equal)


def not_equal(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x != y`, elementwise."""
    return apply_op("NotEqual", [("x", x), ("y", y)], None, name=name)


register_op("Less", infer=_predicate_infer, grad=not_differentiable)(np.less)


def less(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x < y`, elementwise."""
    return apply_op("Less", [("x", x), ("y", y)], NUMERIC, name=name)


register_op("LessEqual", infer=_predicate_infer, grad=not_differentiable)(np.less_equal)


def less_equal(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x <= y`, elementwise."""
    return apply_op("LessEqual", [("x", x), ("y", y)], NUMERIC, name=name)


register_op("Greater", infer=_predicate_infer, grad=not_differentiable)(np.greater)


def greater(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x > y`, elementwise."""
    return apply_op("Greater", [("x", x), ("y", y)], NUMERIC, name=name)


register_op("GreaterEqual", infer=_predicate_infer, grad=not_differentiable)(np.greater_equal)


def greater_equal(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x >= y`, elementwise."""
    return apply_op("GreaterEqual", [("x", x), ("y", y)], NUMERIC, name=name)


register_op("LogicalAnd", infer=_predicate_infer, grad=not_differentiable)(np.logical_and)


def logical_and(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x and y`, elementwise."""
    return apply_op("LogicalAnd", [("x", x), ("y", y)], BOOL, name=name)


register_op("LogicalOr", infer=_predicate_infer, grad=not_differentiable)(np.logical_or)


def logical_or(x, y, name: str | None = None) -> Tensor:
    """The bool tensor `x or y`, elementwise."""
    return apply_op("LogicalOr", [("x", x), ("y", y)], BOOL, name=name)
