"""Shared pieces of op constructors: argument conversion with TF's checks and static shape rules."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.framework import (
    Operation,
    Tensor,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from flowlog.engine.shapes import TensorShape

FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
INTS = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
        dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64)
NUMERIC = FLOATS + INTS
SIGNED = FLOATS + (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)
INDEX = (dtypes.int32, dtypes.int64)
BOOL = (dtypes.bool_,)


def is_tensor_like(value) -> bool:
    """True for a Tensor or an object that converts to one (a Variable), not an Operation."""
    return isinstance(value, Tensor) or (hasattr(value, "_as_graph_tensor")
                                         and not isinstance(value, Operation))


def check_type(arg: str, dtype: dtypes.DType, allowed: Sequence[dtypes.DType] | None) -> None:
    """TypeError in TF's words when `dtype` is not one of `allowed` (None allows all)."""
    if allowed is not None and dtype.base_dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"Value passed to parameter '{arg}' has DataType {dtype.base_dtype.name} "
                        f"not in list of allowed values: {names}")


def convert_args(op_type: str, args: Sequence[tuple[str, object]], allowed=None,
                 dtype=None) -> list[Tensor]:
    """Convert (arg name, value) pairs that share one element type T, as TF's op library does.

    T comes from `dtype`, else from the first tensor among the values (so `fl.add(2, t)` gives a
    constant of t's type), else from the first value. Python values become constants named after
    their argument (`Add/y`); a tensor of another type is a TypeError naming both arguments.
    """
    want = dtypes.as_dtype(dtype) if dtype is not None else None
    first = None
    if want is None:
        for arg, value in args:
            if is_tensor_like(value):
                want = convert_to_tensor(value).dtype.base_dtype
                first = arg
                break
    out = []
    for arg, value in args:
        if is_tensor_like(value):
            t = convert_to_tensor(value)
            if want is not None and t.dtype.base_dtype is not want:
                raise TypeError(f"Input '{arg}' of '{op_type}' Op has type {t.dtype.base_dtype.name}"
                                f" that does not match type {want.name} of argument "
                                f"'{first or args[0][0]}'.")
        else:
            try:
                t = convert_to_tensor(value, dtype=want, name=arg)
            except (TypeError, ValueError) as e:
                raise TypeError(f"Expected {want.name if want else 'a tensor'} passed to parameter "
                                f"'{arg}' of op '{op_type}', got {value!r} of type "
                                f"'{type(value).__name__}' instead. Error: {e}") from None
        if want is None:
            want, first = t.dtype.base_dtype, arg
        out.append(t)
    check_type(args[0][0], want, allowed)
    return out


def index_dtype(value):
    """The type of a shape-like argument: a tensor keeps its own, NumPy int64 stays int64, other
    Python values become int32 (None for a tensor)."""
    if is_tensor_like(value):
        return None
    return dtypes.int64 if isinstance(value, np.ndarray) and value.dtype == np.int64 else \
        dtypes.int32


def index_arg(op_type: str, arg: str, value, allowed=INDEX) -> Tensor:
    """An index argument (axis, shape, perm, ...): Python values become int32, as in TF."""
    dtype = None if is_tensor_like(value) else dtypes.int32
    return convert_args(op_type, [(arg, value)], allowed, dtype=dtype)[0]


def build(op_type: str, inputs: Sequence[Tensor], attrs: dict | None = None,
          name: str | None = None) -> Operation:
    """Create an op in the graph of its inputs (the default graph when it has none)."""
    g = inputs[0].graph if inputs else get_default_graph()
    return g.create_op(op_type, list(inputs), attrs, name=name)


def build1(op_type: str, inputs: Sequence[Tensor], attrs: dict | None = None,
           name: str | None = None) -> Tensor:
    """`build` for the usual one-output op: returns its output tensor."""
    return build(op_type, inputs, attrs, name).outputs[0]


def apply_op(op_type: str, args: Sequence[tuple[str, object]], allowed=None,
             attrs: dict | None = None, name: str | None = None,
             default_name: str | None = None,
             index_args: Sequence[tuple[str, object]] = ()) -> Tensor:
    """The output of a new `op_type` op: what most op constructors are.

    `args` are (argument name, value) pairs of one element type (checked against `allowed`,
    see `convert_args`), then `index_args` pairs follow as index tensors (see `index_arg`).
    The op is named by TF's rule, in the scope `name`, else `default_name` (else the op type).
    """
    values = [value for _, value in args] + [value for _, value in index_args]
    with name_scope(name, default_name or op_type, values) as scope:
        inputs = convert_args(op_type, args, allowed)
        inputs += [index_arg(op_type, arg, value) for arg, value in index_args]
        return build1(op_type, inputs, attrs, name=scope)


# --- static shapes ----------------------------------------------------------------------------


def fmt_shape(shape: TensorShape) -> str:
    """A shape as TF prints it in error messages: `[2,3]`, `[?,3]`, `<unknown>`."""
    if shape.dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.dims) + "]"


def shape_error(op: Operation, a, b, shapes: Sequence[TensorShape]) -> ValueError:
    """TF's build-time shape error: `Dimensions must be equal, but are 3 and 4 for 'MatMul' ...`."""
    listed = ", ".join(fmt_shape(s) for s in shapes)
    return ValueError(f"Dimensions must be equal, but are {a} and {b} for '{op.name}' "
                      f"(op: '{op.type}') with input shapes: {listed}.")


def broadcast_shapes(op: Operation, shapes: Sequence[TensorShape]) -> TensorShape:
    """The NumPy broadcast of static shapes; None dims stay unknown unless another dim decides."""
    out: list | None = []
    for s in shapes:
        if s.dims is None:
            return TensorShape(None)
    rank = max(len(s.dims) for s in shapes)
    for i in range(rank):
        dim = 1
        for s in shapes:
            k = i - (rank - len(s.dims))
            d = s.dims[k] if k >= 0 else 1
            if d == 1:
                continue
            if dim == 1:
                dim = d
            elif d is None:
                dim = None if dim is None else dim
            elif dim is None:
                dim = d
            elif d != dim:
                raise shape_error(op, dim, d, shapes)
        out.append(dim)
    return TensorShape(out)


def broadcast_infer(op: Operation) -> list:
    """Output inference of binary elementwise ops: x's dtype, the broadcast of both shapes."""
    x, y = op.inputs
    return [(x.dtype.base_dtype, broadcast_shapes(op, [x.shape, y.shape]))]


def merge_shapes(op: Operation, a: TensorShape, b: TensorShape) -> TensorShape:
    """TF's shape Merge: `a` and `b` must agree where known, else TF's build-time ValueError."""
    if a.dims is not None and b.dims is not None:
        problem = None
        if len(a.dims) != len(b.dims):
            problem = f"Shapes must be equal rank, but are {len(a.dims)} and {len(b.dims)}"
        else:
            for i, (x, y) in enumerate(zip(a.dims, b.dims)):
                if x is not None and y is not None and x != y:
                    problem = (f"Dimension {i} in both shapes must be equal, but are {x} and {y}. "
                               f"Shapes are {fmt_shape(a)} and {fmt_shape(b)}.")
                    break
        if problem:
            listed = ", ".join(fmt_shape(t.shape) for t in op.inputs)
            raise ValueError(f"{problem} for '{op.name}' (op: '{op.type}') with input shapes: "
                             f"{listed}.")
    return a.merge_with(b)


def constant_value(t: Tensor):
    """The value of `t` when the graph fixes it (a Const, or the Shape of a known shape)."""
    op = t.op
    if op.type == "Const":
        return op.attrs["value"]
    if op.type == "Shape" and op.inputs[0].shape.is_fully_defined():
        return np.array(op.inputs[0].shape.as_list(), dtype=op.attrs["out_type"].as_numpy_dtype)
    if op.type in ("Identity", "StopGradient"):
        return constant_value(op.inputs[0])
    return None


def shape_from_tensor(t: Tensor) -> TensorShape:
    """The static shape a 1-D shape tensor describes (TF's constant_value_as_shape)."""
    value = constant_value(t)
    if value is not None:
        return TensorShape([int(d) for d in np.ravel(value)])
    if t.op.type == "Shape":
        return t.op.inputs[0].shape
    if t.op.type == "Pack":
        return TensorShape([_scalar_or_none(x) for x in t.op.inputs])
    if t.shape.dims is not None and len(t.shape.dims) == 1 and t.shape.dims[0] is not None:
        return TensorShape([None] * t.shape.dims[0])
    return TensorShape(None)


def _scalar_or_none(t: Tensor):
    v = constant_value(t)
    return None if v is None or int(v) < 0 else int(v)


def axes_list(value, rank: int) -> list[int]:
    """Reduction axes as sorted non-negative ints, checked against `rank`."""
    axes = sorted({int(a) % rank if rank else int(a) for a in np.ravel(value)})
    for a in np.ravel(value):
        if not -rank <= int(a) < max(rank, 1):
            raise ValueError(f"Invalid reduction dimension {int(a)} for input with {rank} "
                             "dimensions.")
    return axes


def not_differentiable(op: Operation, *grads) -> list:
    """Gradient rule of ops with no derivative: None for every input."""
    return [None] * len(op.inputs)
