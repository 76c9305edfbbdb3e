"""Numeric helpers of TF1 programs built from the engine's ops (so their gradients come for
free): `reduce_logsumexp`, `count_nonzero`; and the tests `is_nan` / `is_finite`."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.array_ops import cast, stop_gradient
from flowlog.engine.comparison_ops import not_equal
from flowlog.engine.framework import Tensor, convert_to_tensor, name_scope, register_op
from flowlog.engine.math_ops import add
from flowlog.engine.op_util import FLOATS, apply_op, not_differentiable
from flowlog.engine.reduction_ops import reduce_max, reduce_sum
from flowlog.engine.select_ops import where_v2
from flowlog.engine.unary_ops import exp, log


def _predicate_infer(op):
    return [(dtypes.bool_, op.inputs[0].shape)]


register_op("IsNan", infer=_predicate_infer, grad=not_differentiable)(np.isnan)
register_op("IsFinite", infer=_predicate_infer, grad=not_differentiable)(np.isfinite)


def is_nan(x, name: str | None = None) -> Tensor:
    """Where `x` is NaN."""
    return apply_op("IsNan", [("x", x)], FLOATS, name=name)


def is_finite(x, name: str | None = None) -> Tensor:
    """Where `x` is neither infinite nor NaN."""
    return apply_op("IsFinite", [("x", x)], FLOATS, name=name)


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name: str | None = None,
                     reduction_indices=None, keep_dims=None) -> Tensor:
    """log(sum(exp(x))) along `axis`, computed as TF does: the maximum is taken out first (and
    held constant for the gradient), so large values do not overflow."""
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "ReduceLogSumExp", [input_tensor]) as scope:
        x = convert_to_tensor(input_tensor)
        raw_max = reduce_max(x, axis, keepdims=True)
        my_max = stop_gradient(where_v2(is_finite(raw_max), raw_max, 0 * raw_max))
        result = log(reduce_sum(exp(x - my_max), axis, keepdims=keep))
        kept_max = my_max if keep else reduce_sum(my_max, axis)  # drop the kept axes
        return add(result, kept_max, name=scope)


def count_nonzero(input_tensor, axis=None, keepdims=None, dtype=dtypes.int64,
                  name: str | None = None, reduction_indices=None, keep_dims=None) -> Tensor:
    """How many elements along `axis` are not zero (as `dtype`)."""
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "count_nonzero", [input_tensor]):
        x = convert_to_tensor(input_tensor)
        nonzero = cast(not_equal(x, np.zeros((), x.dtype.base_dtype.as_numpy_dtype)),
                       dtypes.int64)
        return cast(reduce_sum(nonzero, axis, keepdims=keep), dtype)


__all__ = ["count_nonzero", "is_finite", "is_nan", "reduce_logsumexp"]
