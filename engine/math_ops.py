"""Arithmetic: broadcasting binary ops (add, multiply, pow, ...), square, division, add_n, matmul.

Each op's shape rule, gradient, kernel and constructor sit together. The module also offers the
comparisons, unary functions, cast and select of the modules below it, as `tf.math` does.
"""
from __future__ import annotations

import builtins
import functools

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.array_ops import cast, identity, ones_like, zeros_like
from flowlog.engine.broadcast_ops import unbroadcast
from flowlog.engine.comparison_ops import (
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_or,
    not_equal,
)
from flowlog.engine.framework import (
    Tensor,
    constant,
    control_dependencies,
    convert_to_tensor,
    name_scope,
    register_op,
)
from flowlog.engine.op_util import (
    FLOATS,
    NUMERIC,
    apply_op,
    broadcast_infer,
    broadcast_shapes,
    build1,
    convert_args,
    fmt_shape,
    not_differentiable,
)
from flowlog.engine.select_ops import select, where, where_v2
from flowlog.engine.shapes import TensorShape
from flowlog.engine.unary_ops import (
    abs,
    ceil,
    cos,
    exp,
    floor,
    log,
    log1p,
    logical_not,
    neg,
    negative,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
)

# --- elementwise binary ops: the gradient of each input is summed back to its shape ----------


def _add_grad(op, g):
    return unbroadcast(*op.inputs, lambda: g, lambda: g)


register_op("Add", infer=broadcast_infer, grad=_add_grad)(np.add)


def add(x, y, name: str | None = None) -> Tensor:
    """x + y, elementwise."""
    return apply_op("Add", [("x", x), ("y", y)], NUMERIC, name=name)


register_op("Sub", infer=broadcast_infer,
            grad=lambda op, g: unbroadcast(*op.inputs, lambda: g, lambda: -g))(np.subtract)


def subtract(x, y, name: str | None = None) -> Tensor:
    """x - y, elementwise."""
    return apply_op("Sub", [("x", x), ("y", y)], NUMERIC, name=name)


def _mul_grad(op, g):
    x, y = op.inputs
    return unbroadcast(x, y, lambda: g * y, lambda: x * g)


register_op("Mul", infer=broadcast_infer, grad=_mul_grad)(np.multiply)


def multiply(x, y, name: str | None = None) -> Tensor:
    """x * y, elementwise."""
    return apply_op("Mul", [("x", x), ("y", y)], NUMERIC, name=name)


def _realdiv_grad(op, g):
    x, y = op.inputs
    return unbroadcast(x, y, lambda: realdiv(g, y), lambda: realdiv(realdiv(-x, y), y) * g)


register_op("RealDiv", infer=broadcast_infer, grad=_realdiv_grad)(np.true_divide)


def realdiv(x, y, name: str | None = None) -> Tensor:
    """x / y for floats."""
    return apply_op("RealDiv", [("x", x), ("y", y)], FLOATS, name=name)


register_op("FloorDiv", infer=broadcast_infer, grad=not_differentiable)(np.floor_divide)


def floordiv(x, y, name: str | None = None) -> Tensor:
    """x // y, rounding toward negative infinity."""
    return apply_op("FloorDiv", [("x", x), ("y", y)], NUMERIC, name=name)


def _floormod_grad(op, g):
    x, y = op.inputs
    return unbroadcast(x, y, lambda: g, lambda: g * -floordiv(x, y))


register_op("FloorMod", infer=broadcast_infer, grad=_floormod_grad)(np.mod)


def floormod(x, y, name: str | None = None) -> Tensor:
    """x % y, with the sign of y."""
    return apply_op("FloorMod", [("x", x), ("y", y)], NUMERIC, name=name)


def _pow_grad(op, g):
    x, y = op.inputs

    def dy():
        if not x.dtype.is_floating:
            return zeros_like(g)
        mask = x > 0
        log_x = select(mask, log(select(mask, x, ones_like(x))), zeros_like(x))
        return g * op.outputs[0] * log_x

    return unbroadcast(x, y, lambda: g * y * pow(x, y - 1), dy)


register_op("Pow", infer=broadcast_infer, grad=_pow_grad)(np.power)


def pow(x, y, name: str | None = None) -> Tensor:
    """x ** y, elementwise."""
    return apply_op("Pow", [("x", x), ("y", y)], NUMERIC, name=name)


def _minmax_grad(chooses_x):
    """The gradient rule of Maximum or Minimum: g goes to x where `chooses_x(x, y)`, else to y."""

    def rule(op, g):
        x, y = op.inputs
        mask = chooses_x(x, y)
        zeros = zeros_like(g)
        return unbroadcast(x, y, lambda: select(mask, g, zeros), lambda: select(mask, zeros, g))

    return rule


register_op("Maximum", infer=broadcast_infer,
            grad=_minmax_grad(lambda x, y: greater_equal(x, y)))(np.maximum)


def maximum(x, y, name: str | None = None) -> Tensor:
    """The larger of x and y, elementwise."""
    return apply_op("Maximum", [("x", x), ("y", y)], NUMERIC, name=name)


register_op("Minimum", infer=broadcast_infer,
            grad=_minmax_grad(lambda x, y: less_equal(x, y)))(np.minimum)


def minimum(x, y, name: str | None = None) -> Tensor:
    """The smaller of x and y, elementwise."""
    return apply_op("Minimum", [("x", x), ("y", y)], NUMERIC, name=name)


def _squared_difference_grad(op, g):
    x, y = op.inputs
    x_grad = None

    def dx():  # built once, after the shapes, and used by both inputs (as TF)
        nonlocal x_grad
        with control_dependencies([g]):
            x_grad = (2.0 * g) * (x - y)
        return x_grad

    gx, gy = unbroadcast(x, y, dx, lambda: x_grad)
    return gx, -gy


def _squared_difference_kernel(x, y):
    d = np.subtract(x, y)
    return np.multiply(d, d)


register_op("SquaredDifference", infer=broadcast_infer,
            grad=_squared_difference_grad)(_squared_difference_kernel)


def squared_difference(x, y, name: str | None = None) -> Tensor:
    """(x - y) ** 2, elementwise."""
    return apply_op("SquaredDifference", [("x", x), ("y", y)], NUMERIC, name=name)


def _square_grad(op, g):
    x = op.inputs[0]
    return (multiply(g, multiply(x, constant(2, dtype=x.dtype.base_dtype))),)


register_op("Square", grad=_square_grad)(np.square)


def square(x, name: str | None = None) -> Tensor:
    """x * x, elementwise."""
    return apply_op("Square", [("x", x)], NUMERIC, name=name)


# Old names from the TF 0.x tutorials.
mul, sub, mod = multiply, subtract, floormod

# --- division, add_n, clip_by_value, matmul ---------------------------------------------------


def truediv(x, y, name: str | None = None) -> Tensor:
    """x / y; integers are cast to floats first (int32 -> float64), as Python 3 divides."""
    with name_scope(name, "truediv", [x, y]) as scope:
        a, b = convert_args("RealDiv", [("x", x), ("y", y)], NUMERIC)
        target = _TRUEDIV_TYPES.get(a.dtype.base_dtype)
        if target is not None:
            a, b = cast(a, target), cast(b, target)
        return build1("RealDiv", [a, b], name=scope)


_TRUEDIV_TYPES = {dtypes.int8: dtypes.float32, dtypes.int16: dtypes.float32,
                  dtypes.uint8: dtypes.float32, dtypes.uint16: dtypes.float32,
                  dtypes.int32: dtypes.float64, dtypes.int64: dtypes.float64}


def divide(x, y, name: str | None = None) -> Tensor:
    """x / y (Python 3 division: `truediv`)."""
    return truediv(x, y, name=name)


def div(x, y, name: str | None = None) -> Tensor:
    """Old TF division: floor division for integers, real division for floats."""
    with name_scope(name, "div", [x, y]) as scope:
        a, b = convert_args("Div", [("x", x), ("y", y)], NUMERIC)
        op_type = "FloorDiv" if a.dtype.is_integer else "RealDiv"
        return build1(op_type, [a, b], name=scope)


def scalar_mul(scalar, x, name: str | None = None) -> Tensor:
    """`scalar * x` for a Python scalar."""
    return multiply(scalar, x, name=name)



def _add_n_infer(op):
    return [(op.inputs[0].dtype.base_dtype, broadcast_shapes(op, [t.shape for t in op.inputs]))]


@register_op("AddN", infer=_add_n_infer, grad=lambda op, g: [g] * len(op.inputs))
def _add_n_kernel(*xs):
    return functools.reduce(np.add, xs)


def add_n(inputs, name: str | None = None) -> Tensor:
    """The elementwise sum of a list of tensors of one shape and type."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    if len(inputs) == 1:
        return identity(inputs[0], name=name) if name else convert_to_tensor(inputs[0])
    with name_scope(name, "AddN", inputs) as scope:
        ts = convert_args("AddN", [(f"inputs_{i}", v) for i, v in enumerate(inputs)], NUMERIC)
        for t in ts[1:]:
            if not t.shape.is_compatible_with(ts[0].shape):
                raise ValueError(f"Shapes must be equal rank, but are {fmt_shape(t.shape)} and "
                                 f"{fmt_shape(ts[0].shape)} for '{scope[:-1]}' (op: 'AddN').")
        return build1("AddN", ts, {"N": len(ts)}, name=scope)


def to_float(x, name: str = "ToFloat") -> Tensor:
    """`x` cast to float32."""
    return cast(x, dtypes.float32, name=name)


def to_int32(x, name: str = "ToInt32") -> Tensor:
    """`x` cast to int32."""
    return cast(x, dtypes.int32, name=name)


def clip_by_value(t, clip_value_min, clip_value_max, name: str | None = None) -> Tensor:
    """`t` with values below `clip_value_min` / above `clip_value_max` set to those bounds."""
    with name_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as scope:
        x = convert_to_tensor(t, name="t")
        low = minimum(x, clip_value_max)
        return maximum(low, clip_value_min, name=scope)


def _check_matmul(op, a: TensorShape, b: TensorShape):
    for s in (a, b):
        if s.ndims is not None and s.ndims < 2:
            raise ValueError(f"Shape must be rank 2 but is rank {s.ndims} for '{op.name}' "
                             f"(op: 'MatMul') with input shapes: {fmt_shape(a)}, {fmt_shape(b)}.")


def _matmul_infer(op):
    a, b = op.inputs
    sa, sb = a.shape, b.shape
    _check_matmul(op, sa, sb)
    if sa.dims is None or sb.dims is None:
        return [(a.dtype.base_dtype, TensorShape(None))]
    m, k = sa.dims[-2:][::-1] if op.attrs["transpose_a"] else sa.dims[-2:]
    k2, n = sb.dims[-2:][::-1] if op.attrs["transpose_b"] else sb.dims[-2:]
    if k is not None and k2 is not None and k != k2:
        raise ValueError(f"Dimensions must be equal, but are {k} and {k2} for '{op.name}' "
                         f"(op: 'MatMul') with input shapes: {fmt_shape(sa)}, {fmt_shape(sb)}.")
    batch = broadcast_shapes(op, [TensorShape(sa.dims[:-2]), TensorShape(sb.dims[:-2])])
    return [(a.dtype.base_dtype, TensorShape(batch.dims + (m, n)))]


def _matmul_grad(op, g):
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if not ta and not tb:
        return matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)
    if not ta and tb:
        return matmul(g, b), matmul(g, a, transpose_a=True)
    if ta and not tb:
        return matmul(b, g, transpose_b=True), matmul(a, g)
    return (matmul(b, g, transpose_a=True, transpose_b=True),
            matmul(g, a, transpose_a=True, transpose_b=True))


@register_op("MatMul", infer=_matmul_infer, grad=_matmul_grad,
             attrs=("transpose_a", "transpose_b"))
def _matmul_kernel(a, b, *, transpose_a, transpose_b):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


def matmul(a, b, transpose_a: bool = False, transpose_b: bool = False, adjoint_a: bool = False,
           adjoint_b: bool = False, a_is_sparse: bool = False, b_is_sparse: bool = False,
           name: str | None = None) -> Tensor:
    """The matrix product `a @ b` (optionally of transposes); inner dimensions checked now."""
    with name_scope(name, "MatMul", [a, b]) as scope:
        x, y = convert_args("MatMul", [("a", a), ("b", b)], NUMERIC)
        attrs = {"transpose_a": builtins.bool(transpose_a or adjoint_a),
                 "transpose_b": builtins.bool(transpose_b or adjoint_b), "T": x.dtype.base_dtype}
        return build1("MatMul", [x, y], attrs, name=scope)


__all__ = [
    "abs", "add", "add_n", "cast", "ceil", "clip_by_value", "cos", "div", "divide", "equal", "exp",
    "floor", "floordiv", "floormod", "greater", "greater_equal", "less", "less_equal", "log",
    "log1p", "logical_and", "logical_not", "logical_or", "matmul", "maximum", "minimum", "mod",
    "mul", "multiply", "neg", "negative", "not_equal", "pow", "realdiv", "reciprocal", "round",
    "rsqrt", "scalar_mul", "select", "sign", "sin", "sqrt", "square", "squared_difference", "sub",
    "subtract", "to_float", "to_int32", "truediv", "where", "where_v2",
]
