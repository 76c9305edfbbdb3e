"""Ops that make tensors or read their shape: placeholder, identity, shape, reshape, cast, fill.

Also `range`, zeros and ones, and `sum_over`: the Sum with which the gradient rules of the op
modules below reduction_ops undo broadcasting.
"""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes, errors
from flowlog.engine.framework import (
    Tensor,
    convert_to_tensor,
    get_default_graph,
    name_scope,
    register_op,
)
from flowlog.engine.framework import constant as _constant
from flowlog.engine.op_util import (
    INDEX,
    apply_op,
    build1,
    constant_value,
    convert_args,
    fmt_shape,
    index_dtype,
    not_differentiable,
    shape_from_tensor,
)
from flowlog.engine.shapes import TensorShape, as_shape

# --- placeholder, identity, stop_gradient ----------------------------------------------------


def _placeholder_infer(op):
    return [(op.attrs["dtype"], op.attrs["shape"])]


def _placeholder_bind(op, session):
    # Reached only when a run needs the placeholder and no feed replaced it.
    def unfed():
        raise errors.InvalidArgumentError(
            None, op, f"You must feed a value for placeholder tensor '{op.name}' with dtype "
                      f"{_TF_TYPE_NAMES.get(op.attrs['dtype'].name, op.attrs['dtype'].name)}"
                      + _shape_note(op.attrs["shape"]))
    return unfed


# TF's own spelling of element types in runtime messages (DataTypeString).
_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _shape_note(shape: TensorShape) -> str:
    return "" if shape.dims is None else f" and shape {fmt_shape(shape)}"


@register_op("Placeholder", infer=_placeholder_infer, bind=_placeholder_bind)
def _placeholder_kernel():
    raise errors.InvalidArgumentError(None, None, "You must feed a value for a placeholder tensor")


def placeholder(dtype, shape=None, name: str | None = None) -> Tensor:
    """A tensor whose value must be fed to `Session.run` (`shape=None`: any shape)."""
    dtype = dtypes.as_dtype(dtype).base_dtype
    attrs = {"dtype": dtype, "shape": as_shape(shape)}
    return get_default_graph().create_op("Placeholder", [], attrs, name=name).outputs[0]


@register_op("PlaceholderWithDefault", grad=not_differentiable)
def _placeholder_with_default(x):
    return x


def placeholder_with_default(input, shape, name: str | None = None) -> Tensor:
    """A placeholder that passes `input` through when it is not fed."""
    with name_scope(name, "PlaceholderWithDefault", [input]) as scope:
        (x,) = convert_args("PlaceholderWithDefault", [("input", input)])
        out = build1("PlaceholderWithDefault", [x], name=scope)
        out._shape = as_shape(shape)
        return out


register_op("Identity", grad=lambda op, g: (g,))(lambda x: x)


def identity(input, name: str | None = None) -> Tensor:
    """The same value as `input`, as a new op."""
    return apply_op("Identity", [("input", input)], name=name)


register_op("StopGradient", grad=not_differentiable)(lambda x: x)


def stop_gradient(input, name: str | None = None) -> Tensor:
    """`input` unchanged; gradients do not flow through it."""
    return apply_op("StopGradient", [("input", input)], name=name)


# --- shape queries --------------------------------------------------------------------------


def _shape_infer(op):
    s = op.inputs[0].shape
    return [(op.attrs["out_type"], TensorShape([s.ndims]))]


@register_op("Shape", infer=_shape_infer, grad=not_differentiable, attrs=("out_type",))
def _shape_kernel(x, *, out_type):
    # The same shapes come back run after run: one read-only array per (shape, type).
    key = (x.shape if isinstance(x, (np.ndarray, np.generic)) else np.shape(x), out_type)
    hit = _SHAPE_CACHE.get(key)
    if hit is None:
        hit = np.array(key[0], dtype=out_type.as_numpy_dtype)
        hit.setflags(write=False)
        if len(_SHAPE_CACHE) < 4096:
            _SHAPE_CACHE[key] = hit
    return hit


_SHAPE_CACHE: dict = {}


@register_op("Size", infer=lambda op: [(op.attrs["out_type"], TensorShape(()))],
             grad=not_differentiable, attrs=("out_type",))
def _size_kernel(x, *, out_type):
    return np.array(np.size(x), dtype=out_type.as_numpy_dtype)


@register_op("Rank", infer=lambda op: [(dtypes.int32, TensorShape(()))], grad=not_differentiable)
def _rank_kernel(x):
    return np.array(np.ndim(x), dtype=np.int32)


def shape(input, name: str | None = None, out_type=dtypes.int32) -> Tensor:
    """The shape of `input` as a 1-D tensor (a constant when the static shape is known)."""
    with name_scope(name, "Shape", [input]) as scope:
        x = convert_to_tensor(input)
        out_type = dtypes.as_dtype(out_type)
        if x.shape.is_fully_defined():
            return _constant(x.shape.as_list(), dtype=out_type, name=scope)
        return build1("Shape", [x], {"out_type": out_type}, name=scope)


def size(input, name: str | None = None, out_type=dtypes.int32) -> Tensor:
    """The number of elements of `input`."""
    with name_scope(name, "Size", [input]) as scope:
        x = convert_to_tensor(input)
        if x.shape.is_fully_defined():
            return _constant(x.shape.num_elements(), dtype=out_type, name=scope)
        return build1("Size", [x], {"out_type": dtypes.as_dtype(out_type)}, name=scope)


def rank(input, name: str | None = None) -> Tensor:
    """The number of dimensions of `input`."""
    with name_scope(name, "Rank", [input]) as scope:
        x = convert_to_tensor(input)
        if x.shape.ndims is not None:
            return _constant(x.shape.ndims, dtype=dtypes.int32, name=scope)
        return build1("Rank", [x], name=scope)


# --- reshape --------------------------------------------------------------------------------


def _reshape_infer(op):
    x, shp = op.inputs
    target = shape_from_tensor(shp)
    if target.dims is not None and -1 in _raw_dims(shp):
        known = 1
        for d in target.dims:
            known *= d if d is not None else 1
        n = x.shape.num_elements()
        raw = _raw_dims(shp)
        dims = list(target.dims)
        i = raw.index(-1)
        dims[i] = n // known if n is not None and known and n % known == 0 else None
        target = TensorShape(dims)
    n, m = x.shape.num_elements(), target.num_elements()
    if n is not None and m is not None and n != m:
        raise ValueError(f"Cannot reshape a tensor with {n} elements to shape "
                         f"{fmt_shape(target)} ({m} elements) for '{op.name}' (op: 'Reshape') "
                         f"with input shapes: {fmt_shape(x.shape)}, {fmt_shape(shp.shape)}.")
    return [(x.dtype.base_dtype, target)]


def _raw_dims(shp: Tensor) -> list:
    value = constant_value(shp)
    return [] if value is None else [int(d) for d in np.ravel(value)]


@register_op("Reshape", infer=_reshape_infer,
             grad=lambda op, g: (reshape(g, shape(op.inputs[0])), None))
def _reshape_kernel(x, shp):
    if not shp.size and isinstance(x, np.generic):
        return x  # a scalar stays a NumPy scalar, which later ops compute on fastest
    return x.reshape(shp.tolist())  # NumPy scalars reshape too; a list beats an int32 array


def reshape(tensor, shape, name: str | None = None) -> Tensor:
    """`tensor` with its elements laid out in `shape` (one dimension may be -1)."""
    with name_scope(name, "Reshape", [tensor, shape]) as scope:
        (x,) = convert_args("Reshape", [("tensor", tensor)])
        (s,) = convert_args("Reshape", [("shape", shape)], INDEX, dtype=index_dtype(shape))
        return build1("Reshape", [x, s], name=scope)


# --- cast, range --------------------------------------------------------------------------------


def _cast_grad(op, g):
    src, dst = op.inputs[0].dtype.base_dtype, op.attrs["DstT"]
    return (cast(g, src),) if src.is_floating and dst.is_floating else (None,)


@register_op("Cast", infer=lambda op: [(op.attrs["DstT"], op.inputs[0].shape)], grad=_cast_grad,
             attrs=("DstT",))
def _cast_kernel(x, *, DstT):
    return x.astype(DstT.as_numpy_dtype)


def cast(x, dtype, name: str | None = None) -> Tensor:
    """`x` converted to `dtype` (floats to ints truncate toward zero); no op when it has it."""
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, "Cast", [x]) as scope:
        t = convert_to_tensor(x, name="x")
        if t.dtype.base_dtype is dtype:
            return t
        return build1("Cast", [t], {"SrcT": t.dtype.base_dtype, "DstT": dtype}, name=scope)


def _range_infer(op):
    start, limit, delta = (constant_value(t) for t in op.inputs)
    dtype = op.inputs[0].dtype.base_dtype
    if start is None or limit is None or delta is None:
        return [(dtype, TensorShape([None]))]
    if delta == 0:
        raise ValueError(f"Requires delta != 0 for '{op.name}' (op: 'Range').")
    return [(dtype, TensorShape([len(np.arange(start, limit, delta))]))]


@register_op("Range", infer=_range_infer, grad=not_differentiable)
def _range_kernel(start, limit, delta):
    return np.arange(start, limit, delta, dtype=start.dtype)


_RANGE_ORDER = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]


def range(start, limit=None, delta=1, dtype=None, name: str = "range") -> Tensor:
    """The numbers `start, start + delta, ...` below `limit` (one argument: 0..start-1)."""
    if limit is None:
        start, limit = 0, start
    with name_scope(name, "Range", [start, limit, delta]) as scope:
        ts = [convert_to_tensor(v, dtype=dtype, name=n)
              for v, n in ((start, "start"), (limit, "limit"), (delta, "delta"))]
        if dtype is None:
            best = max((t.dtype.base_dtype for t in ts), key=_RANGE_ORDER.index)
            ts = [cast(t, best) for t in ts]
        return build1("Range", ts, name=scope)


# --- fill, zeros, ones -----------------------------------------------------------------------


def _fill_infer(op):
    return [(op.inputs[1].dtype.base_dtype, shape_from_tensor(op.inputs[0]))]


@register_op("Fill", infer=_fill_infer, grad=lambda op, g: (None, sum_over(g)))
def _fill_kernel(dims, value):
    if not dims.size:
        return value[()]  # a scalar: kept a NumPy scalar, which later ops compute on fastest
    return np.full(dims.tolist(), value)


def fill(dims, value, name: str | None = None) -> Tensor:
    """A tensor of shape `dims` with every element `value`."""
    with name_scope(name, "Fill", [dims, value]) as scope:
        (d,) = convert_args("Fill", [("dims", dims)], INDEX, dtype=index_dtype(dims))
        (v,) = convert_args("Fill", [("value", value)])
        return build1("Fill", [d, v], name=scope)


def _filled(value, shape, dtype, name, default):
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, default, [shape]) as scope:
        if not isinstance(shape, Tensor):
            dims = as_shape(shape)
            if dims.is_fully_defined() and dims.num_elements() < 1000:
                return _constant(value, dtype=dtype, shape=dims.as_list(), name=scope)
            shape = _constant(dims.as_list(), dtype=dtypes.int32, name="shape_as_tensor")
        return fill(shape, _constant(value, dtype=dtype), name=scope)


def zeros(shape, dtype=dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of `shape` filled with zeros."""
    return _filled(False if dtypes.as_dtype(dtype).is_bool else 0, shape, dtype, name, "zeros")


def ones(shape, dtype=dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of `shape` filled with ones."""
    return _filled(True if dtypes.as_dtype(dtype).is_bool else 1, shape, dtype, name, "ones")


@register_op("ZerosLike", grad=not_differentiable)
def _zeros_like_kernel(x):
    return np.zeros_like(x)


@register_op("OnesLike", grad=not_differentiable)
def _ones_like_kernel(x):
    return np.ones_like(x)


def _filled_like(filled, op_type: str, tensor, dtype, name, default: str,
                 optimize: bool) -> Tensor:
    """`zeros_like` / `ones_like`: a constant when the shape is known, else `op_type`."""
    with name_scope(name, default, [tensor]) as scope:
        t = convert_to_tensor(tensor, name="tensor")
        dtype = dtypes.as_dtype(dtype or t.dtype).base_dtype
        if optimize and t.shape.is_fully_defined():
            return filled(t.shape.as_list(), dtype=dtype, name=scope)
        if dtype is not t.dtype.base_dtype:
            return filled(shape(t), dtype=dtype, name=scope)
        return build1(op_type, [t], name=scope)


def zeros_like(tensor, dtype=None, name: str | None = None, optimize: bool = True) -> Tensor:
    """Zeros with the shape (and by default the dtype) of `tensor`."""
    return _filled_like(zeros, "ZerosLike", tensor, dtype, name, "zeros_like", optimize)


def ones_like(tensor, dtype=None, name: str | None = None, optimize: bool = True) -> Tensor:
    """Ones with the shape (and by default the dtype) of `tensor`."""
    return _filled_like(ones, "OnesLike", tensor, dtype, name, "ones_like", optimize)


# --- sums that undo broadcasting -----------------------------------------------------------------


def reduction_dims(x: Tensor, axis) -> Tensor | object:
    """The axes to reduce: `axis` itself, else all axes (a constant when the rank is known)."""
    if axis is not None:
        return axis
    if x.shape.ndims is not None:
        return _constant(np.arange(x.shape.ndims, dtype=np.int32))
    return range(0, rank(x))


def sum_over(x: Tensor, axes: Tensor | None = None, keepdims: bool = False) -> Tensor:
    """The `Sum` op of `x` over the axes tensor `axes` (all axes when None), as `reduce_sum`.

    Gradient rules of the ops below reduction_ops sum with this: reduce_sum's own gradient is
    built from those ops, so they build its Sum op by type rather than import it.
    """
    if axes is None:
        axes = reduction_dims(x, None)
    return build1("Sum", [x, axes], {"keep_dims": keepdims})
