"""Reductions (reduce_sum/mean/max/min/prod/any/all) and argmax/argmin with their gradients."""
from __future__ import annotations

import numpy as np
from flowlog.engine import array_ops as _a  # resolved at call time (modules import each other)
from flowlog.engine import dtypes
from flowlog.engine import math_ops as _m
from flowlog.engine.framework import Tensor, constant, convert_to_tensor, name_scope, register_op
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
from flowlog.engine.shapes import TensorShape


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
        sx = _a.shape(x)
        return _m.select(mask, _a.ones_like(sx), sx)
    sx = _a.shape(x)
    rank_t = _a.size(sx)
    mask = _axes_mask(normalized_axes(axes, rank_t), rank_t)
    return _m.select(mask, _a.ones_like(sx), sx)


def normalized_axes(axes: Tensor, rank: Tensor) -> Tensor:
    """Axes fed at run time (int32 or int64, maybe negative) as an int32 vector in [0, rank)."""
    return _a.reshape(_m.floormod(_m.cast(axes, dtypes.int32) + rank, rank), [-1])


def _axes_mask(axes: Tensor, rank: Tensor) -> Tensor:
    """A bool vector of length `rank`, true at the (normalized) `axes`."""
    from flowlog.engine.index_ops import one_hot

    return reduce_any(one_hot(axes, rank, on_value=True, off_value=False), axis=0)


def broadcast_back(op, g: Tensor) -> Tensor:
    """A reduction's output gradient laid back over the input's shape."""
    if not op.attrs["keep_dims"] and not reduces_all(op):
        g = _a.reshape(g, kept_shape(op))
    return _a.broadcast_to(g, _a.shape(op.inputs[0]))


def _sum_grad(op, g):
    return broadcast_back(op, g), None


def _mean_grad(op, g):
    x, y = op.inputs[0], op.outputs[0]
    n, m = x.shape.num_elements(), y.shape.num_elements()
    if n is not None and m is not None:
        factor = constant(n // max(m, 1), dtype=g.dtype.base_dtype)
    else:
        count = _a.size(x) if reduces_all(op) else _m.floordiv(
            _a.size(x), _m.maximum(_a.size(y), 1))
        factor = _m.cast(count, g.dtype.base_dtype)
    scaled = _m.truediv(g, factor) if g.dtype.is_floating else _m.floordiv(g, factor)
    return broadcast_back(op, scaled), None


def _minmax_grad(op, g):
    x, axes = op.inputs
    y = op.outputs[0]
    if not op.attrs["keep_dims"]:
        shape = kept_shape(op)
        y, g = _a.reshape(y, shape), _a.reshape(g, shape)
    indicators = _m.cast(_m.equal(y, x), g.dtype.base_dtype)
    num_selected = reduce_sum(indicators, axes, keepdims=True)
    return _m.truediv(indicators, num_selected) * g, None


def _prod_axes(op) -> tuple[Tensor, Tensor, Tensor]:
    """The input's axes as int32 tensors: (reduced axes first then the others, reduced, others)."""
    x, axes = op.inputs
    rank = x.shape.ndims
    value = constant_value(axes)
    if value is not None and rank is not None:
        reduced = sorted(set(axes_list(value, rank)))
        other = [i for i in range(rank) if i not in reduced]
        return tuple(constant(v, dtype=dtypes.int32) for v in (reduced + other, reduced, other))
    from flowlog.engine.shape_ops import concat

    rank_t = _a.rank(x)
    reduced = normalized_axes(axes, rank_t)
    mask = _axes_mask(reduced, rank_t)
    other = _m.cast(_a.reshape(_m.where(_m.logical_not(mask)), [-1]), dtypes.int32)
    return concat([reduced, other], 0), reduced, other


def _prod_grad(op, g):
    # TF's rule: d prod / d x_i is the product of the other reduced elements, taken from exclusive
    # cumulative products from both ends, so it stays exact where inputs are zero (prod / x_i
    # is not). The reduced axes are moved to the front and flattened into one.
    from flowlog.engine.index_ops import gather
    from flowlog.engine.shape_ops import transpose

    x = op.inputs[0]
    sx = _a.shape(x)
    perm, reduced, other = _prod_axes(op)
    permuted = transpose(x, perm)
    flat = _a.reshape(permuted, [reduce_prod(gather(sx, reduced)),
                                 reduce_prod(gather(sx, other))])
    left, right = cumprod(flat, exclusive=True), cumprod(flat, exclusive=True, reverse=True)
    others = _a.reshape(left * right, _a.shape(permuted))
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


# Kernels call the ufuncs' reduce directly: np.sum / np.mean add microseconds of Python per call.


def _mean_kernel(x, axis, *, keep_dims):
    axes = _axes(axis)
    if x.dtype.kind in "iu":
        total = np.add.reduce(x, axis=axes, keepdims=keep_dims, dtype=np.int64)
        count = np.size(x) // max(np.size(total), 1)
        return np.trunc(total / count).astype(x.dtype)
    total = np.add.reduce(x, axis=axes, keepdims=keep_dims, dtype=x.dtype)
    return total / (x.size // (total.size or 1))  # a Python int keeps the float type


def _sum_kernel(x, axis, *, keep_dims):
    if axis.size == 0:  # the usual gradient of an unbroadcast operand: nothing to sum
        return x
    return np.add.reduce(x, axis=_axes(axis), keepdims=keep_dims, dtype=x.dtype)


def _ufunc_reduction(ufunc, keep_type: bool = True):
    if keep_type:
        return lambda x, axis, *, keep_dims: ufunc.reduce(x, axis=_axes(axis), keepdims=keep_dims,
                                                          dtype=x.dtype)
    return lambda x, axis, *, keep_dims: ufunc.reduce(x, axis=_axes(axis), keepdims=keep_dims)


_REDUCTIONS = [
    ("Sum", _sum_kernel, _sum_grad, NUMERIC, "reduce_sum"),
    ("Mean", _mean_kernel, _mean_grad, NUMERIC, "reduce_mean"),
    ("Max", _ufunc_reduction(np.maximum, False), _minmax_grad, NUMERIC, "reduce_max"),
    ("Min", _ufunc_reduction(np.minimum, False), _minmax_grad, NUMERIC, "reduce_min"),
    ("Prod", _ufunc_reduction(np.multiply), _prod_grad, NUMERIC, "reduce_prod"),
    ("Any", _ufunc_reduction(np.logical_or), not_differentiable, BOOL, "reduce_any"),
    ("All", _ufunc_reduction(np.logical_and), not_differentiable, BOOL, "reduce_all"),
]


def _pick(new: str, new_value, old: str, old_value):
    if new_value is not None and old_value is not None:
        raise ValueError(f"Cannot specify both '{new}' and '{old}'.")
    return new_value if new_value is not None else old_value


def reduction_dims(x: Tensor, axis) -> Tensor | object:
    """The axes to reduce: `axis` itself, else all axes (a constant when the rank is known)."""
    if axis is not None:
        return axis
    if x.shape.ndims is not None:
        return constant(np.arange(x.shape.ndims, dtype=np.int32))
    return range_(0, _a.rank(x))


def range_(start, limit=None, delta=1, dtype=None, name: str = "range") -> Tensor:
    """Numbers from `start` up to (not including) `limit` by `delta`, like Python's range."""
    from flowlog.engine.index_ops import range as _range

    return _range(start, limit, delta, dtype=dtype, name=name)


def _reduction(op_type: str, allowed, doc: str):
    def constructor(input_tensor, axis=None, keepdims=None, name: str | None = None,
                    reduction_indices=None, keep_dims=None) -> Tensor:
        axis = _pick("axis", axis, "reduction_indices", reduction_indices)
        keepdims = bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))
        if not is_tensor_like(input_tensor):
            input_tensor = convert_to_tensor(input_tensor)
        axes = reduction_dims(convert_to_tensor(input_tensor), axis)
        with name_scope(name, op_type, [input_tensor, axes]) as scope:
            (x,) = convert_args(op_type, [("input", input_tensor)], allowed)
            a = index_arg(op_type, "reduction_indices", axes)
            return build1(op_type, [x, a], {"keep_dims": keepdims}, name=scope)

    constructor.__doc__ = doc
    return constructor


for _type, _kernel, _grad, _allowed, _name in _REDUCTIONS:
    register_op(_type, infer=_reduce_infer, grad=_grad, attrs=("keep_dims",))(_kernel)
    globals()[_name] = _reduction(_type, _allowed, f"The {_type} of `input_tensor` over `axis` "
                                  "(all axes when None), keeping reduced axes if `keepdims`.")
del _type, _kernel, _grad, _allowed, _name
reduce_sum = reduce_sum  # noqa: F821,PLW0127 (made by the loop; named for importers)
reduce_any = reduce_any  # noqa: F821,PLW0127
reduce_prod = reduce_prod  # noqa: F821,PLW0127


def _arg_infer(op):
    x, dim = op.inputs
    rank, value = x.shape.ndims, constant_value(dim)
    if rank is None or value is None:
        return [(op.attrs["output_type"], TensorShape(None))]
    (axis,) = axes_list(value, rank)
    dims = [d for i, d in enumerate(x.shape.dims) if i != axis]
    return [(op.attrs["output_type"], TensorShape(dims))]


def _arg_kernel(fn):
    return lambda x, dim, *, output_type: fn(x, axis=int(dim)).astype(output_type.as_numpy_dtype)


def _arg_op(op_type: str, doc: str):
    def constructor(input, axis=None, name: str | None = None, dimension=None,
                    output_type=dtypes.int64) -> Tensor:
        axis = _pick("axis", axis, "dimension", dimension)
        with name_scope(name, op_type, [input]) as scope:
            (x,) = convert_args(op_type, [("input", input)], NUMERIC)
            d = index_arg(op_type, "dimension", 0 if axis is None else axis)
            attrs = {"output_type": dtypes.as_dtype(output_type)}
            return build1(op_type, [x, d], attrs, name=scope)

    constructor.__doc__ = doc
    return constructor


register_op("ArgMax", infer=_arg_infer, grad=not_differentiable,
            attrs=("output_type",))(_arg_kernel(np.argmax))
register_op("ArgMin", infer=_arg_infer, grad=not_differentiable,
            attrs=("output_type",))(_arg_kernel(np.argmin))
argmax = _arg_op("ArgMax", "Index of the largest value along `axis` (int64 by default).")
argmin = _arg_op("ArgMin", "Index of the smallest value along `axis` (int64 by default).")
