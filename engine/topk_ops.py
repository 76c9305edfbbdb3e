"""Ranking ops: `top_k` (TopKV2) and `in_top_k` (InTopKV2), as `tf.nn` names them."""
from __future__ import annotations

import numpy as np
from flowlog.engine import array_ops as _a
from flowlog.engine import dtypes, errors
from flowlog.engine import reduction_ops as _r
from flowlog.engine import shape_ops as _s
from flowlog.engine.framework import Tensor, name_scope, register_op
from flowlog.engine.index_ops import one_hot
from flowlog.engine.op_util import (
    INDEX,
    NUMERIC,
    build,
    build1,
    constant_value,
    convert_args,
    index_arg,
    not_differentiable,
)
from flowlog.engine.shapes import TensorShape

# --- top_k -------------------------------------------------------------------------------------


def _top_k_infer(op):
    x, k = op.inputs
    kv = constant_value(k)
    dims = x.shape.dims
    if dims is not None and len(dims) < 1:
        raise ValueError(f"Shape must be at least rank 1 but is rank 0 for '{op.name}' "
                         f"(op: 'TopKV2') with input shapes: [], [].")
    if dims is not None and kv is not None and dims[-1] is not None and int(kv) > dims[-1]:
        raise ValueError(f"input must have last dimension >= k = {int(kv)} but is {dims[-1]} "
                         f"for '{op.name}' (op: 'TopKV2').")
    shape = TensorShape(None if dims is None else
                        dims[:-1] + (None if kv is None else int(kv),))
    return [(x.dtype.base_dtype, shape), (dtypes.int32, shape)]


def _top_k_grad(op, g_values, g_indices):
    # The value gradient goes back to the positions the values came from.
    x = op.inputs[0]
    depth = _a.shape(x)[-1]
    spread = one_hot(op.outputs[1], depth, dtype=x.dtype.base_dtype)
    return _r.reduce_sum(spread * _s.expand_dims(g_values, -1), -2), None


@register_op("TopKV2", infer=_top_k_infer, grad=_top_k_grad, attrs=("sorted",))
def _top_k_kernel(x, k, *, sorted):
    k = int(k)
    if k < 0:
        raise errors.InvalidArgumentError(None, None, f"Need k >= 0, got {k}")
    if x.shape[-1] < k:
        raise errors.InvalidArgumentError(
            None, None, f"input must have at least k columns. Had {x.shape[-1]}, needed {k}")
    # A stable sort of -x: among equal values the lower index comes first, as in TF.
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


def top_k(input, k=1, sorted: bool = True, name: str | None = None):
    """The `k` largest entries of each last-axis row of `input` and their indices (int32)."""
    with name_scope(name, "TopKV2", [input, k]) as scope:
        (x,) = convert_args("TopKV2", [("input", input)], NUMERIC)
        kt = index_arg("TopKV2", "k", k, (dtypes.int32,))
        op = build("TopKV2", [x, kt], {"sorted": bool(sorted), "T": x.dtype.base_dtype},
                   name=scope)
        return TopKV2(*op.outputs)


class TopKV2(tuple):
    """`(values, indices)`, also readable as `.values` and `.indices`, as TF's namedtuple."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


# --- in_top_k ----------------------------------------------------------------------------------


def _in_top_k_infer(op):
    p, t, _ = op.inputs
    if p.shape.ndims not in (None, 2):
        raise ValueError(f"Shape must be rank 2 but is rank {p.shape.ndims} for '{op.name}' "
                         f"(op: 'InTopKV2').")
    if t.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {t.shape.ndims} for '{op.name}' "
                         f"(op: 'InTopKV2').")
    return [(dtypes.bool_, TensorShape(p.shape.dims[:1] if p.shape.dims else [None]))]


@register_op("InTopKV2", infer=_in_top_k_infer, grad=not_differentiable)
def _in_top_k_kernel(predictions, targets, k):
    n = predictions.shape[1]
    if targets.size and (targets.min() < 0 or targets.max() >= n):
        bad = targets[(targets < 0) | (targets >= n)][0]
        raise errors.InvalidArgumentError(None, None, f"targets[{int(np.argmax(targets == bad))}]"
                                                      f" is out of range")
    target = np.take_along_axis(predictions, targets[:, None].astype(np.intp), axis=1)
    # Ties with the target count in its favour: only strictly larger predictions push it out.
    better = np.sum(predictions > target, axis=1)
    return (better < int(k)) & np.isfinite(target[:, 0])


def in_top_k(predictions, targets, k, name: str | None = None) -> Tensor:
    """Whether each row's `targets` class is among its `k` largest `predictions`."""
    with name_scope(name, "in_top_k", [predictions, targets]) as scope:
        (p,) = convert_args("InTopKV2", [("predictions", predictions)], (dtypes.float32,))
        (t,) = convert_args("InTopKV2", [("targets", targets)], INDEX)
        kt = convert_args("InTopKV2", [("k", k)], INDEX, dtype=t.dtype.base_dtype)[0]
        return build1("InTopKV2", [p, t, kt], {"T": t.dtype.base_dtype}, name=scope)


__all__ = ["in_top_k", "top_k"]
