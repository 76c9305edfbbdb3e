"""Indexing ops: slicing `t[:, :1]` (StridedSlice), gather, unsorted_segment_sum, one_hot."""
from __future__ import annotations

import functools
import sys

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.array_ops import shape
from flowlog.engine.framework import (
    Tensor,
    constant,
    convert_to_tensor,
    infer_dtype,
    name_scope,
    register_op,
)
from flowlog.engine.op_util import (
    INDEX,
    NUMERIC,
    apply_op,
    axes_list,
    build1,
    constant_value,
    convert_args,
    fmt_shape,
    is_tensor_like,
    not_differentiable,
    shape_from_tensor,
)
from flowlog.engine.shape_ops import stack, transpose
from flowlog.engine.shapes import TensorShape

# --- one_hot ------------------------------------------------------------------------------------


def _one_hot_infer(op):
    indices, depth, on, _ = op.inputs
    d = constant_value(depth)
    if indices.shape.dims is None:
        return [(on.dtype.base_dtype, TensorShape(None))]
    dims = list(indices.shape.dims)
    axis = op.attrs["axis"]
    dims.insert(len(dims) if axis == -1 else axis, None if d is None else int(d))
    return [(on.dtype.base_dtype, TensorShape(dims))]


@register_op("OneHot", infer=_one_hot_infer, grad=not_differentiable, attrs=("axis",))
def _one_hot_kernel(indices, depth, on_value, off_value, *, axis):
    hot = np.expand_dims(indices, -1) == np.arange(int(depth))
    if axis != -1:
        hot = np.moveaxis(hot, -1, axis)
    return np.where(hot, on_value, off_value)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None,
            name: str | None = None) -> Tensor:
    """A tensor with `on_value` at each index of `indices` along a new `depth`-long axis."""
    with name_scope(name, "one_hot", [indices, depth, on_value, off_value]) as scope:
        if dtype is None:
            given = next((v for v in (on_value, off_value) if v is not None), None)
            dtype = dtypes.float32 if given is None else (
                convert_to_tensor(given).dtype if is_tensor_like(given) else infer_dtype(given))
        dtype = dtypes.as_dtype(dtype).base_dtype
        on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype, name="on_value")
        off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype,
                                name="off_value")
        (idx,) = convert_args("OneHot", [("indices", indices)], (dtypes.uint8,) + INDEX)
        (d,) = convert_args("OneHot", [("depth", depth)], (dtypes.int32,), dtype=dtypes.int32)
        attrs = {"axis": -1 if axis is None else int(axis), "T": dtype}
        return build1("OneHot", [idx, d, on, off], attrs, name=scope)


# --- gather and its gradient ----------------------------------------------------------------


def _gather_infer(op):
    params, indices, axis = op.inputs
    a = constant_value(axis)
    if params.shape.dims is None or indices.shape.dims is None or a is None:
        return [(params.dtype.base_dtype, TensorShape(None))]
    (k,) = axes_list(a, params.shape.ndims)
    p = params.shape.dims
    return [(params.dtype.base_dtype, TensorShape(p[:k] + indices.shape.dims + p[k + 1:]))]


def _gather_grad(op, g):
    params, indices, axis = op.inputs
    a, k = constant_value(axis), indices.shape.ndims
    if a is None or k is None or params.shape.ndims is None:
        raise LookupError("The gradient of GatherV2 needs a constant axis and known ranks")
    (axis_,) = axes_list(a, params.shape.ndims)
    rank = params.shape.ndims
    n = shape(params)[axis_] if params.shape[axis_] is None else params.shape[axis_]
    if axis_ == 0:
        return unsorted_segment_sum(g, indices, n), None, None
    # Bring the gathered axes to the front, scatter-add, and move the axis back.
    lead = list(range(axis_, axis_ + k))
    perm = lead + list(range(axis_)) + list(range(axis_ + k, rank + k - 1))
    summed = unsorted_segment_sum(transpose(g, perm), indices, n)
    back = list(range(1, axis_ + 1)) + [0] + list(range(axis_ + 1, rank))
    return transpose(summed, back), None, None


@register_op("GatherV2", infer=_gather_infer, grad=_gather_grad)
def _gather_kernel(params, indices, axis):
    return np.take(params, indices, axis=int(axis))


def gather(params, indices, validate_indices=None, name: str | None = None, axis=0) -> Tensor:
    """Slices of `params` along `axis` at `indices`."""
    return apply_op("GatherV2", [("params", params)], name=name,
                    index_args=[("indices", indices), ("axis", axis)])


def _segment_infer(op):
    data, ids, num = op.inputs
    n = constant_value(num)
    if data.shape.dims is None or ids.shape.ndims is None:
        return [(data.dtype.base_dtype, TensorShape(None))]
    rest = data.shape.dims[ids.shape.ndims:]
    return [(data.dtype.base_dtype, TensorShape((None if n is None else int(n),) + rest))]


@register_op("UnsortedSegmentSum", infer=_segment_infer, grad=lambda op, g: (
    gather(g, op.inputs[1]), None, None))
def _unsorted_segment_sum_kernel(data, segment_ids, num_segments):
    out = np.zeros((int(num_segments),) + np.shape(data)[np.ndim(segment_ids):], dtype=data.dtype)
    np.add.at(out, segment_ids, data)
    return out


def unsorted_segment_sum(data, segment_ids, num_segments, name: str | None = None) -> Tensor:
    """Sums of the rows of `data` grouped by `segment_ids` into `num_segments` rows."""
    return apply_op("UnsortedSegmentSum", [("data", data)], NUMERIC, name=name,
                    index_args=[("segment_ids", segment_ids), ("num_segments", num_segments)])


# --- strided slices: t[1:, ::2, 0] ------------------------------------------------------------

_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


@functools.lru_cache(maxsize=1024)
def _numpy_key(begin: tuple, end: tuple, strides: tuple, masks: tuple) -> tuple:
    """The NumPy index equivalent to a StridedSlice's begin/end/strides and masks."""
    begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask = masks
    key: list = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_mask & bit:
            key.append(b)
        else:
            key.append(slice(None if begin_mask & bit else b,
                                      None if end_mask & bit else e, s))
    return tuple(key)


def _key_of(begin, end, strides, masks) -> tuple:
    return _numpy_key(tuple(begin.tolist()), tuple(end.tolist()), tuple(strides.tolist()), masks)


def _strided_slice_infer(op):
    x, begin, end, strides = op.inputs
    masks = tuple(op.attrs[m] for m in _MASKS)
    values = [constant_value(t) for t in (begin, end, strides)]
    n = begin.shape[0] if begin.shape.dims else None
    if x.shape.dims is None or n is None:
        return [(x.dtype.base_dtype, TensorShape(None))]
    dims, dim_iter = [], iter(_spec_dims(x.shape.dims, n, masks))
    for i in range(n):
        bit = 1 << i
        if masks[3] & bit:
            dims.append(1)
            continue
        axes = next(dim_iter)
        if masks[2] & bit:
            dims.extend(axes)
            continue
        (d,) = axes
        if masks[4] & bit:
            if d is not None and all(v is not None for v in values):
                b = int(values[0][i])
                if not -d <= b < d:
                    raise ValueError(f"slice index {b} of dimension {len(dims)} out of bounds. "
                                     f"for '{op.name}' (op: 'StridedSlice') with input shapes: "
                                     f"{fmt_shape(x.shape)}.")
            continue
        if d is None or any(v is None for v in values):
            dims.append(None)
            continue
        b = None if masks[0] & bit else int(values[0][i])
        e = None if masks[1] & bit else int(values[1][i])
        dims.append(len(range(d)[slice(b, e, int(values[2][i]))]))
    dims.extend(d for axes in dim_iter for d in axes)  # dimensions the key leaves whole
    return [(x.dtype.base_dtype, TensorShape(dims))]


def _spec_dims(shape: tuple, n: int, masks: tuple) -> list:
    """The input dimensions each spec entry consumes (an ellipsis takes a run of them)."""
    consuming = sum(1 for i in range(n) if not masks[3] & (1 << i)
                    and not masks[2] & (1 << i))
    out, at = [], 0
    for i in range(n):
        bit = 1 << i
        if masks[3] & bit:
            continue
        if masks[2] & bit:
            take = len(shape) - consuming
            out.append(list(shape[at:at + take]))
            at += take
        else:
            out.append([shape[at]] if at < len(shape) else [None])
            at += 1
    out.extend([d] for d in shape[at:])
    return out


def _strided_slice_grad(op, g):
    x, begin, end, strides = op.inputs
    attrs = {m: op.attrs[m] for m in _MASKS}
    return build1("StridedSliceGrad", [shape(x), begin, end, strides, g], attrs), None, \
        None, None


@register_op("StridedSlice", infer=_strided_slice_infer, grad=_strided_slice_grad, attrs=_MASKS)
def _strided_slice_kernel(x, begin, end, strides, **masks):
    return np.asarray(x)[_key_of(begin, end, strides, tuple(masks[m] for m in _MASKS))]


@register_op("StridedSliceGrad", infer=lambda op: [(op.inputs[4].dtype.base_dtype,
                                                    shape_from_tensor(op.inputs[0]))],
             grad=not_differentiable, attrs=_MASKS)
def _strided_slice_grad_kernel(shape, begin, end, strides, dy, **masks):
    out = np.zeros(shape, dtype=dy.dtype)
    out[_key_of(begin, end, strides, tuple(masks[m] for m in _MASKS))] = dy
    return out


def strided_slice(input_, begin, end, strides=None, begin_mask: int = 0, end_mask: int = 0,
                  ellipsis_mask: int = 0, new_axis_mask: int = 0, shrink_axis_mask: int = 0,
                  name: str | None = None) -> Tensor:
    """The slice of `input_` that `begin:end:strides` and the masks describe (TF's encoding)."""
    with name_scope(name, "StridedSlice", [input_, begin, end, strides]) as scope:
        (x,) = convert_args("StridedSlice", [("input", input_)])
        if strides is None:
            strides = [1] * len(begin)
        idx = convert_args("StridedSlice", [("begin", begin), ("end", end),
                                            ("strides", strides)], INDEX)
        attrs = dict(zip(_MASKS, (begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                                  shrink_axis_mask)))
        return build1("StridedSlice", [x] + idx, attrs, name=scope)


def slice_helper(tensor, key) -> Tensor:
    """`tensor[key]` for ints, slices, `...`, None (new axis) and scalar tensors (TF's rules)."""
    spec = key if isinstance(key, tuple) else (key,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASKS, 0)
    for i, s in enumerate(spec):
        bit = 1 << i
        if isinstance(s, slice):
            strides.append(1 if s.step is None else s.step)
            if s.start is None or s.start is sys.maxsize:
                begin.append(0)
                masks["begin_mask"] |= bit
            else:
                begin.append(s.start)
            if s.stop is None or s.stop == sys.maxsize:
                end.append(0)
                masks["end_mask"] |= bit
            else:
                end.append(s.stop)
        elif s is Ellipsis or s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["ellipsis_mask" if s is Ellipsis else "new_axis_mask"] |= bit
        elif is_tensor_like(s) or isinstance(s, (int, np.integer)):
            begin.append(s)
            end.append(s + 1)
            strides.append(1)
            masks["shrink_axis_mask"] |= bit
        else:
            raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) "
                            f"and scalar tf.int32/tf.int64 tensors are valid indices, got {s!r}")
    with name_scope(None, "strided_slice", [tensor]) as scope:
        packed = [stack(v) if v else constant([], dtype=dtypes.int32)
                  for v in (begin, end, strides)]
        return strided_slice(tensor, *packed, name=scope, **masks)
