"""Reductions (reduce_sum, _mean, _max, _min, _prod, _any, _all), cumprod, argmax and argmin."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.array_ops import cast, ones_like, rank, reduction_dims, reshape, shape, size
from flowlog.engine.broadcast_ops import broadcast_to
from flowlog.engine.comparison_ops import equal
from flowlog.engine.framework import Tensor, constant, convert_to_tensor, name_scope, register_op
from flowlog.engine.index_ops import gather, one_hot
from flowlog.engine.math_ops import floordiv, floormod, maximum, truediv
from flowlog.engine.op_util import (
    BOOL,
    NUMERIC,
    axes_list,
    build1,
    constant_value,
    convert_args,
    index_arg,
    is_tensor_like,
    not_differentiable,
)
from flowlog.engine.select_ops import select, where
from flowlog.engine.shape_ops import concat, transpose
from flowlog.engine.shapes import TensorShape
from flowlog.engine.unary_ops import logical_not

# --- what every reduction shares: shape rule, gradient helpers, constructor -------------------


def _axes(value) -> tuple:
    v = value.tolist()
    return (v,) if isinstance(v, int) else tuple(v)


def reduces_all(op) -> bool:
    """True when a reduction op reduces every axis of its input (axis=None in the constructor)."""
    x, axes = op.inputs
    rank = x.shape.ndims
    value = constant_value(axes)
    if value is not None:
        return rank is not None and axes_list(value, rank) == list(range(rank))
    r = axes.op
    if r.type != "Range":
        return False
    start, limit, delta = r.inputs
    return (limit.op.type == "Rank" and limit.op.inputs[0] is x
            and constant_value(start) == 0 and constant_value(delta) == 1)


def _reduce_infer(op):
    x, axes = op.inputs
    keep = op.attrs["keep_dims"]
    dtype = op.attrs.get("output_type", x.dtype.base_dtype)
    rank = x.shape.ndims
    if reduces_all(op):
        if not keep:
            return [(dtype, TensorShape(()))]
        return [(dtype, TensorShape(None if rank is None else [1] * rank))]
    value = constant_value(axes)
    if value is None or rank is None:
        return [(dtype, TensorShape([None] * rank if keep and rank is not None else None))]
    reduced = set(axes_list(value, rank))
    dims = [(1 if i in reduced else d) for i, d in enumerate(x.shape.dims)
            if keep or i not in reduced]
    return [(dtype, TensorShape(dims))]


def kept_shape(op) -> Tensor:
    """The shape of a reduction's output with the reduced axes kept as 1s."""
    x, axes = op.inputs
    rank = x.shape.ndims
    value = constant_value(axes)
    if value is not None and rank is not None:
        reduced = set(axes_list(value, rank))
        dims = [1 if i in reduced else d for i, d in enumerate(x.shape.dims)]
        if None not in dims:
            return constant(dims, dtype=dtypes.int32)
        mask = constant([i in reduced for i in range(rank)])
        sx = shape(x)
        return select(mask, ones_like(sx), sx)
    sx = shape(x)
    rank_t = size(sx)
    mask = _axes_mask(normalized_axes(axes, rank_t), rank_t)
    return select(mask, ones_like(sx), sx)


def normalized_axes(axes: Tensor, rank: Tensor) -> Tensor:
    """Axes fed at run time (int32 or int64, maybe negative) as an int32 vector in [0, rank)."""
    return reshape(floormod(cast(axes, dtypes.int32) + rank, rank), [-1])


def _axes_mask(axes: Tensor, rank: Tensor) -> Tensor:
    """A bool vector of length `rank`, true at the (normalized) `axes`."""
    return reduce_any(one_hot(axes, rank, on_value=True, off_value=False), axis=0)


def broadcast_back(op, g: Tensor) -> Tensor:
    """A reduction's output gradient laid back over the input's shape."""
    if not op.attrs["keep_dims"] and not reduces_all(op):
        g = reshape(g, kept_shape(op))
    return broadcast_to(g, shape(op.inputs[0]))


def _pick(new: str, new_value, old: str, old_value):
    if new_value is not None and old_value is not None:
        raise ValueError(f"Cannot specify both '{new}' and '{old}'.")
    return new_value if new_value is not None else old_value


def _reduce(op_type: str, allowed, input_tensor, axis, keepdims, name, reduction_indices,
            keep_dims) -> Tensor:
    """The constructor of every reduction: TF's argument names and old spellings, then the op."""
    axis = _pick("axis", axis, "reduction_indices", reduction_indices)
    keepdims = bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))
    if not is_tensor_like(input_tensor):
        input_tensor = convert_to_tensor(input_tensor)
    axes = reduction_dims(convert_to_tensor(input_tensor), axis)
    with name_scope(name, op_type, [input_tensor, axes]) as scope:
        (x,) = convert_args(op_type, [("input", input_tensor)], allowed)
        a = index_arg(op_type, "reduction_indices", axes)
        return build1(op_type, [x, a], {"keep_dims": keepdims}, name=scope)


# Kernels call the ufuncs' reduce directly: np.sum / np.mean add microseconds of Python per call.


def add_reduce(x, axes: tuple, keep_dims: bool, dtype):
    """np.add.reduce of `x` over `axes`, summing leading axes of a C-ordered array one at a time.

    NumPy sums several leading axes at once as many short rows: a bias gradient, (64, 8, 8, 32)
    summed over its first three axes, takes 6x longer than three sums over axis 0, each of
    whole contiguous planes."""
    k = len(axes)
    if not 1 < k < x.ndim or axes != tuple(range(k)) or type(x) is not np.ndarray or \
            not x.flags.c_contiguous:
        return np.add.reduce(x, axis=axes, keepdims=keep_dims, dtype=dtype)
    shape = x.shape
    for _ in range(k):
        x = np.add.reduce(x, axis=0, dtype=dtype)
    return x.reshape((1,) * k + shape[k:]) if keep_dims else x

# --- reduce_sum, reduce_mean ----------------------------------------------------------------------


def _sum_grad(op, g):
    return broadcast_back(op, g), None


@register_op("Sum", infer=_reduce_infer, grad=_sum_grad, attrs=("keep_dims",))
def _sum_kernel(x, axis, *, keep_dims):
    if axis.size == 0:  # the usual gradient of an unbroadcast operand: nothing to sum
        return x
    return add_reduce(x, _axes(axis), keep_dims, x.dtype)


def reduce_sum(input_tensor, axis=None, keepdims=None, name: str | None = None,
               reduction_indices=None, keep_dims=None) -> Tensor:
    """The sum of `input_tensor` over `axis` (all axes when None), keeping them if `keepdims`."""
    return _reduce("Sum", NUMERIC, input_tensor, axis, keepdims, name, reduction_indices,
                   keep_dims)


def _mean_grad(op, g):
    x, y = op.inputs[0], op.outputs[0]
    n, m = x.shape.num_elements(), y.shape.num_elements()
    if n is not None and m is not None:
        factor = constant(n // max(m, 1), dtype=g.dtype.base_dtype)
    else:
        count = size(x) if reduces_all(op) else floordiv(
            size(x), maximum(size(y), 1))
        factor = cast(count, g.dtype.base_dtype)
    scaled = truediv(g, factor) if g.dtype.is_floating else floordiv(g, factor)
    return broadcast_back(op, scaled), None


@register_op("Mean", infer=_reduce_infer, grad=_mean_grad, attrs=("keep_dims",))
def _mean_kernel(x, axis, *, keep_dims):
    axes = _axes(axis)
    if x.dtype.kind in "iu":
        total = add_reduce(x, axes, keep_dims, np.int64)
        count = np.size(x) // max(np.size(total), 1)
        return np.trunc(total / count).astype(x.dtype)
    total = add_reduce(x, axes, keep_dims, x.dtype)
    return total / (x.size // (total.size or 1))  # a Python int keeps the float type


def reduce_mean(input_tensor, axis=None, keepdims=None, name: str | None = None,
                reduction_indices=None, keep_dims=None) -> Tensor:
    """The mean of `input_tensor` over `axis` (all axes when None), keeping them if `keepdims`."""
    return _reduce("Mean", NUMERIC, input_tensor, axis, keepdims, name, reduction_indices,
                   keep_dims)


# --- reduce_max, reduce_min: the gradient is shared among the tied extremes --------------------


def _minmax_grad(op, g):
    x, axes = op.inputs
    y = op.outputs[0]
    if not op.attrs["keep_dims"]:
        shape = kept_shape(op)
        y, g = reshape(y, shape), reshape(g, shape)
    indicators = cast(equal(y, x), g.dtype.base_dtype)
    num_selected = reduce_sum(indicators, axes, keepdims=True)
    return truediv(indicators, num_selected) * g, None


@register_op("Max", infer=_reduce_infer, grad=_minmax_grad, attrs=("keep_dims",))
def _max_kernel(x, axis, *, keep_dims):
    return np.maximum.reduce(x, axis=_axes(axis), keepdims=keep_dims)


def reduce_max(input_tensor, axis=None, keepdims=None, name: str | None = None,
               reduction_indices=None, keep_dims=None) -> Tensor:
    """The largest element of `input_tensor` over `axis` (all axes when None)."""
    return _reduce("Max", NUMERIC, input_tensor, axis, keepdims, name, reduction_indices,
                   keep_dims)


@register_op("Min", infer=_reduce_infer, grad=_minmax_grad, attrs=("keep_dims",))
def _min_kernel(x, axis, *, keep_dims):
    return np.minimum.reduce(x, axis=_axes(axis), keepdims=keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name: str | None = None,
               reduction_indices=None, keep_dims=None) -> Tensor:
    """The smallest element of `input_tensor` over `axis` (all axes when None)."""
    return _reduce("Min", NUMERIC, input_tensor, axis, keepdims, name, reduction_indices,
                   keep_dims)


# --- reduce_prod and the cumulative products its gradient uses ---------------------------------


def _prod_axes(op) -> tuple[Tensor, Tensor, Tensor]:
    """The input's axes as int32 tensors: (reduced axes first then the others, reduced, others)."""
    x, axes = op.inputs
    ndims = x.shape.ndims
    value = constant_value(axes)
    if value is not None and ndims is not None:
        reduced = sorted(set(axes_list(value, ndims)))
        other = [i for i in range(ndims) if i not in reduced]
        return tuple(constant(v, dtype=dtypes.int32) for v in (reduced + other, reduced, other))
    rank_t = rank(x)
    reduced = normalized_axes(axes, rank_t)
    mask = _axes_mask(reduced, rank_t)
    other = cast(reshape(where(logical_not(mask)), [-1]), dtypes.int32)
    return concat([reduced, other], 0), reduced, other


def _prod_grad(op, g):
    # TF's rule: d prod / d x_i is the product of the other reduced elements, taken from exclusive
    # cumulative products from both ends, so it stays exact where inputs are zero (prod / x_i
    # is not). The reduced axes are moved to the front and flattened into one.
    x = op.inputs[0]
    sx = shape(x)
    perm, reduced, other = _prod_axes(op)
    permuted = transpose(x, perm)
    flat = reshape(permuted, [reduce_prod(gather(sx, reduced)),
                                 reduce_prod(gather(sx, other))])
    left, right = cumprod(flat, exclusive=True), cumprod(flat, exclusive=True, reverse=True)
    others = reshape(left * right, shape(permuted))
    back = transpose(others, build1("InvertPermutation", [perm]))
    return broadcast_back(op, g) * back, None


@register_op("Cumprod", attrs=("exclusive", "reverse"))
def _cumprod_kernel(x, axis, *, exclusive, reverse):
    x = np.moveaxis(x, int(axis), 0)
    if reverse:
        x = x[::-1]
    out = np.multiply.accumulate(x, axis=0, dtype=x.dtype)
    if exclusive:  # shift by one: each element sees only the products before it
        out = np.concatenate([np.ones_like(x[:1]), out[:-1]])
    if reverse:
        out = out[::-1]
    return np.ascontiguousarray(np.moveaxis(out, 0, int(axis)))


def cumprod(x, axis=0, exclusive: bool = False, reverse: bool = False,
            name: str | None = None) -> Tensor:
    """Cumulative products of `x` along `axis` (`exclusive`: each leaves itself out)."""
    with name_scope(name, "Cumprod", [x]) as scope:
        (t,) = convert_args("Cumprod", [("x", x)], NUMERIC)
        a = index_arg("Cumprod", "axis", axis)
        return build1("Cumprod", [t, a], {"exclusive": bool(exclusive), "reverse": bool(reverse)},
                      name=scope)


@register_op("Prod", infer=_reduce_infer, grad=_prod_grad, attrs=("keep_dims",))
def _prod_kernel(x, axis, *, keep_dims):
    return np.multiply.reduce(x, axis=_axes(axis), keepdims=keep_dims, dtype=x.dtype)


def reduce_prod(input_tensor, axis=None, keepdims=None, name: str | None = None,
                reduction_indices=None, keep_dims=None) -> Tensor:
    """The product of `input_tensor` over `axis` (all axes when None)."""
    return _reduce("Prod", NUMERIC, input_tensor, axis, keepdims, name, reduction_indices,
                   keep_dims)


# --- reduce_any, reduce_all --------------------------------------------------------------------


@register_op("Any", infer=_reduce_infer, grad=not_differentiable, attrs=("keep_dims",))
def _any_kernel(x, axis, *, keep_dims):
    return np.logical_or.reduce(x, axis=_axes(axis), keepdims=keep_dims, dtype=x.dtype)


def reduce_any(input_tensor, axis=None, keepdims=None, name: str | None = None,
               reduction_indices=None, keep_dims=None) -> Tensor:
    """Whether any element of the bool `input_tensor` is true over `axis` (all when None)."""
    return _reduce("Any", BOOL, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


@register_op("All", infer=_reduce_infer, grad=not_differentiable, attrs=("keep_dims",))
def _all_kernel(x, axis, *, keep_dims):
    return np.logical_and.reduce(x, axis=_axes(axis), keepdims=keep_dims, dtype=x.dtype)


def reduce_all(input_tensor, axis=None, keepdims=None, name: str | None = None,
               reduction_indices=None, keep_dims=None) -> Tensor:
    """Whether every element of the bool `input_tensor` is true over `axis` (all when None)."""
    return _reduce("All", BOOL, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


# --- argmax, argmin ---------------------------------------------------------------------------


def _arg_infer(op):
    x, dim = op.inputs
    rank, value = x.shape.ndims, constant_value(dim)
    if rank is None or value is None:
        return [(op.attrs["output_type"], TensorShape(None))]
    (axis,) = axes_list(value, rank)
    dims = [d for i, d in enumerate(x.shape.dims) if i != axis]
    return [(op.attrs["output_type"], TensorShape(dims))]


def _arg(op_type: str, input, axis, name, dimension, output_type) -> Tensor:
    axis = _pick("axis", axis, "dimension", dimension)
    with name_scope(name, op_type, [input]) as scope:
        (x,) = convert_args(op_type, [("input", input)], NUMERIC)
        d = index_arg(op_type, "dimension", 0 if axis is None else axis)
        return build1(op_type, [x, d], {"output_type": dtypes.as_dtype(output_type)}, name=scope)


@register_op("ArgMax", infer=_arg_infer, grad=not_differentiable, attrs=("output_type",))
def _argmax_kernel(x, dim, *, output_type):
    return np.argmax(x, axis=int(dim)).astype(output_type.as_numpy_dtype)


def argmax(input, axis=None, name: str | None = None, dimension=None,
           output_type=dtypes.int64) -> Tensor:
    """Index of the largest value along `axis` (int64 by default)."""
    return _arg("ArgMax", input, axis, name, dimension, output_type)


@register_op("ArgMin", infer=_arg_infer, grad=not_differentiable, attrs=("output_type",))
def _argmin_kernel(x, dim, *, output_type):
    return np.argmin(x, axis=int(dim)).astype(output_type.as_numpy_dtype)


def argmin(input, axis=None, name: str | None = None, dimension=None,
           output_type=dtypes.int64) -> Tensor:
    """Index of the smallest value along `axis` (int64 by default)."""
    return _arg("ArgMin", input, axis, name, dimension, output_type)
