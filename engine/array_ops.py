"""Ops that make and reshape tensors: placeholder, identity, shape, reshape, fill, concat, stack."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes, errors
from flowlog.engine import reduction_ops as _r  # gradient rules; resolved at call time
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
    build,
    build1,
    constant_value,
    convert_args,
    fmt_shape,
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


def _unary(op_type: str, default: str | None = None, doc: str = ""):
    """Constructor of a one-input op whose output has the input's dtype and shape."""

    def constructor(input, name: str | None = None) -> Tensor:
        with name_scope(name, default or op_type, [input]) as scope:
            (x,) = convert_args(op_type, [("input", input)])
            return build1(op_type, [x], name=scope)

    constructor.__doc__ = doc
    return constructor


register_op("Identity", grad=lambda op, g: (g,))(lambda x: x)
register_op("StopGradient", grad=not_differentiable)(lambda x: x)
identity = _unary("Identity", doc="The same value as `input`, as a new op.")
stop_gradient = _unary("StopGradient", doc="`input` unchanged; gradients do not flow through it.")

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
        (s,) = convert_args("Reshape", [("shape", shape)], INDEX, dtype=_index_dtype(shape))
        return build1("Reshape", [x, s], name=scope)


def _index_dtype(value):
    """int32 for Python index values; a tensor keeps its own type."""
    return None if isinstance(value, Tensor) or hasattr(value, "_as_graph_tensor") else \
        (dtypes.int64 if isinstance(value, np.ndarray) and value.dtype == np.int64 else
         dtypes.int32)


# --- fill, zeros, ones -----------------------------------------------------------------------


def _fill_infer(op):
    return [(op.inputs[1].dtype.base_dtype, shape_from_tensor(op.inputs[0]))]


@register_op("Fill", infer=_fill_infer, grad=lambda op, g: (None, _r.reduce_sum(g)))
def _fill_kernel(dims, value):
    if not dims.size:
        return value[()]  # a scalar: kept a NumPy scalar, which later ops compute on fastest
    return np.full(dims.tolist(), value)


def fill(dims, value, name: str | None = None) -> Tensor:
    """A tensor of shape `dims` with every element `value`."""
    with name_scope(name, "Fill", [dims, value]) as scope:
        (d,) = convert_args("Fill", [("dims", dims)], INDEX, dtype=_index_dtype(dims))
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


# --- broadcasting helpers -------------------------------------------------------------------

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
    return reshape(_r.reduce_sum(g, rx, keepdims=True), sx), None


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
        (s,) = convert_args("BroadcastTo", [("shape", shape)], INDEX, dtype=_index_dtype(shape))
        return build1("BroadcastTo", [x, s], name=scope)
