"""Elementwise arithmetic, comparisons, matmul and casts, each registered with its gradient."""
from __future__ import annotations

import builtins
import functools

import numpy as np
from flowlog.engine import array_ops as _a  # shape/reshape helpers; resolved at call time
from flowlog.engine import dtypes
from flowlog.engine import reduction_ops as _r
from flowlog.engine.framework import (
    Tensor,
    constant,
    convert_to_tensor,
    name_scope,
    register_op,
)
from flowlog.engine.op_util import (
    BOOL,
    FLOATS,
    NUMERIC,
    SIGNED,
    broadcast_shapes,
    build1,
    convert_args,
    fmt_shape,
    merge_shapes,
    not_differentiable,
)
from flowlog.engine.shapes import TensorShape

# --- undoing broadcasting: the one helper every binary gradient uses --------------------------


def broadcast_grad_args(x: Tensor, y: Tensor):
    """Shapes of x and y and the axes each one's gradient sums over (TF's BroadcastGradientArgs)."""
    sx, sy = _a.shape(x), _a.shape(y)
    rx, ry = _a.broadcast_gradient_args(sx, sy)
    return sx, sy, rx, ry


def sum_to(grad: Tensor, axes: Tensor, shape: Tensor) -> Tensor:
    """`grad` summed over the broadcast `axes` and reshaped to the operand's `shape`."""
    return _a.reshape(_r.reduce_sum(grad, axes), shape)


def unbroadcast(grad: Tensor, x: Tensor) -> Tensor:
    """`grad` (of a value broadcast from `x`) summed back to the shape of `x`."""
    if x.shape.is_fully_defined() and x.shape == grad.shape:
        return grad
    sx = _a.shape(x)
    rx, _ = _a.broadcast_gradient_args(sx, _a.shape(grad))
    return sum_to(grad, rx, sx)


def broadcasting_grad(dx, dy):
    """A binary op's gradient rule from its two local rules `dx(op, g)`, `dy(op, g)`."""

    def rule(op, g):
        sx, sy, rx, ry = broadcast_grad_args(*op.inputs)
        gx = sum_to(dx(op, g), rx, sx)
        return gx, sum_to(dy(op, g), ry, sy)

    return rule


# --- elementwise binary ops -------------------------------------------------------------------


def _binary_infer(op):
    x, y = op.inputs
    return [(x.dtype.base_dtype, broadcast_shapes(op, [x.shape, y.shape]))]


def _predicate_infer(op):
    return [(dtypes.bool_, _binary_infer(op)[0][1])]


def _binary(op_type: str, allowed, doc: str):
    """The public constructor of a binary elementwise op (TF names: `Add`, `Add/y`)."""

    def constructor(x, y, name: str | None = None) -> Tensor:
        with name_scope(name, op_type, [x, y]) as scope:
            a, b = convert_args(op_type, [("x", x), ("y", y)], allowed)
            return build1(op_type, [a, b], name=scope)

    constructor.__doc__ = doc
    return constructor


def _realdiv(op, g):
    x, y = op.inputs
    return realdiv(realdiv(-x, y), y) * g


def _pow_dy(op, g):
    x = op.inputs[0]
    if not x.dtype.is_floating:
        return _a.zeros_like(g)
    mask = x > 0
    log_x = select(mask, log(select(mask, x, _a.ones_like(x))), _a.zeros_like(x))
    return g * op.outputs[0] * log_x


def _pow_dx(op, g):
    x, y = op.inputs
    return g * y * pow(x, y - 1)


def _minmax_grad(selector):
    def rule(op, g):
        x, y = op.inputs
        mask = selector(x, y)
        zeros = _a.zeros_like(g)
        return broadcasting_grad(lambda op, g: select(mask, g, zeros),
                                 lambda op, g: select(mask, zeros, g))(op, g)
    return rule


def _squared_difference_grad(op, g):
    x, y = op.inputs
    sx, sy, rx, ry = broadcast_grad_args(x, y)
    from flowlog.engine.control_ops import control_dependencies
    with control_dependencies([g]):
        x_grad = (2.0 * g) * (x - y)
    return sum_to(x_grad, rx, sx), -sum_to(x_grad, ry, sy)


def _squared_difference_kernel(x, y):
    d = np.subtract(x, y)
    return np.multiply(d, d)


def _binary_op(op_type: str, kernel, grad, allowed, doc: str, infer=_binary_infer):
    """Register a binary elementwise op type; returns its public constructor."""
    register_op(op_type, infer=infer, grad=grad)(kernel)
    return _binary(op_type, allowed, doc)


def _predicate(op_type: str, kernel, allowed, symbol: str):
    return _binary_op(op_type, kernel, not_differentiable, allowed,
                      f"The bool tensor `x {symbol} y`, elementwise.", infer=_predicate_infer)


def _same(op, g):
    return g


add = _binary_op("Add", np.add, broadcasting_grad(_same, _same), NUMERIC, "x + y, elementwise.")
subtract = _binary_op("Sub", np.subtract, broadcasting_grad(_same, lambda op, g: -g), NUMERIC,
                      "x - y, elementwise.")
multiply = _binary_op("Mul", np.multiply, broadcasting_grad(lambda op, g: g * op.inputs[1],
                                                            lambda op, g: op.inputs[0] * g),
                      NUMERIC, "x * y, elementwise.")
realdiv = _binary_op("RealDiv", np.true_divide, broadcasting_grad(
    lambda op, g: realdiv(g, op.inputs[1]), _realdiv), FLOATS, "x / y for floats.")
floordiv = _binary_op("FloorDiv", np.floor_divide, not_differentiable, NUMERIC,
                      "x // y, rounding toward negative infinity.")
floormod = _binary_op("FloorMod", np.mod, broadcasting_grad(
    _same, lambda op, g: g * -floordiv(*op.inputs)), NUMERIC, "x % y, with the sign of y.")
pow = _binary_op("Pow", np.power, broadcasting_grad(_pow_dx, _pow_dy), NUMERIC,
                 "x ** y, elementwise.")
maximum = _binary_op("Maximum", np.maximum, _minmax_grad(lambda x, y: greater_equal(x, y)),
                     NUMERIC, "The larger of x and y, elementwise.")
minimum = _binary_op("Minimum", np.minimum, _minmax_grad(lambda x, y: less_equal(x, y)),
                     NUMERIC, "The smaller of x and y, elementwise.")
squared_difference = _binary_op("SquaredDifference", _squared_difference_kernel,
                                _squared_difference_grad, NUMERIC, "(x - y) ** 2, elementwise.")
equal = _predicate("Equal", np.equal, None, "==")
not_equal = _predicate("NotEqual", np.not_equal, None, "!=")
less = _predicate("Less", np.less, NUMERIC, "<")
less_equal = _predicate("LessEqual", np.less_equal, NUMERIC, "<=")
greater = _predicate("Greater", np.greater, NUMERIC, ">")
greater_equal = _predicate("GreaterEqual", np.greater_equal, NUMERIC, ">=")
logical_and = _predicate("LogicalAnd", np.logical_and, BOOL, "and")
logical_or = _predicate("LogicalOr", np.logical_or, BOOL, "or")

# Old names from the TF 0.x tutorials.
mul, sub, mod = multiply, subtract, floormod


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


# --- elementwise unary ops -------------------------------------------------------------------


def _sqrt_grad_kernel(y, g):
    return g * 0.5 / y


def _rsqrt_grad_kernel(y, g):
    return g * -0.5 * (y * y * y)


def _reciprocal_grad_kernel(y, g):
    return -g * y * y


def _grad_op(op_type: str):
    """Gradient rule using a fused TF gradient op `op_type(y, dy)` (SqrtGrad, ...)."""
    return lambda op, g: (build1(op_type, [op.outputs[0], g]),)


for _type, _kernel in (("SqrtGrad", _sqrt_grad_kernel), ("RsqrtGrad", _rsqrt_grad_kernel),
                       ("ReciprocalGrad", _reciprocal_grad_kernel)):
    register_op(_type)(_kernel)
del _type, _kernel


def _unary_op(op_type: str, kernel, grad, allowed, doc: str):
    """Register a one-input elementwise op type; returns its public constructor."""
    register_op(op_type, grad=grad)(kernel)

    def constructor(x, name: str | None = None) -> Tensor:
        with name_scope(name, op_type, [x]) as scope:
            (a,) = convert_args(op_type, [("x", x)], allowed)
            return build1(op_type, [a], name=scope)

    constructor.__doc__ = doc
    return constructor


def _square_grad(op, g):
    x = op.inputs[0]
    return (multiply(g, multiply(x, constant(2, dtype=x.dtype.base_dtype))),)


negative = _unary_op("Neg", np.negative, lambda op, g: (-g,), SIGNED, "-x, elementwise.")
abs = _unary_op("Abs", np.abs, lambda op, g: (g * sign(op.inputs[0]),),
                SIGNED, "|x|, elementwise.")
sign = _unary_op("Sign", np.sign, not_differentiable, SIGNED, "-1, 0 or 1 by the sign of x.")
square = _unary_op("Square", np.square, _square_grad, NUMERIC, "x * x, elementwise.")
sqrt = _unary_op("Sqrt", np.sqrt, _grad_op("SqrtGrad"), FLOATS, "The square root of x.")
rsqrt = _unary_op("Rsqrt", lambda x: np.reciprocal(np.sqrt(x)), _grad_op("RsqrtGrad"), FLOATS,
                  "1 / sqrt(x), elementwise.")
reciprocal = _unary_op("Reciprocal", np.reciprocal, _grad_op("ReciprocalGrad"), FLOATS,
                       "1 / x, elementwise.")
exp = _unary_op("Exp", np.exp, lambda op, g: (g * op.outputs[0],), FLOATS, "e ** x.")
log = _unary_op("Log", np.log, lambda op, g: (g * reciprocal(op.inputs[0]),), FLOATS,
                "The natural logarithm of x.")
log1p = _unary_op("Log1p", np.log1p, lambda op, g: (g * reciprocal(1 + op.inputs[0]),), FLOATS,
                  "log(1 + x), accurate for small x.")
sin = _unary_op("Sin", np.sin, lambda op, g: (g * cos(op.inputs[0]),), FLOATS, "sin(x).")
cos = _unary_op("Cos", np.cos, lambda op, g: (-g * sin(op.inputs[0]),), FLOATS, "cos(x).")
floor = _unary_op("Floor", np.floor, not_differentiable, FLOATS, "The largest integer <= x.")
ceil = _unary_op("Ceil", np.ceil, not_differentiable, FLOATS, "The smallest integer >= x.")
round = _unary_op("Round", np.round, not_differentiable, NUMERIC,
                  "x rounded half to even.")
logical_not = _unary_op("LogicalNot", np.logical_not, not_differentiable, BOOL, "not x.")
neg = negative


# --- add_n, cast, select -----------------------------------------------------------------------


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
        return _a.identity(inputs[0], name=name) if name else convert_to_tensor(inputs[0])
    with name_scope(name, "AddN", inputs) as scope:
        ts = convert_args("AddN", [(f"inputs_{i}", v) for i, v in enumerate(inputs)], NUMERIC)
        for t in ts[1:]:
            if not t.shape.is_compatible_with(ts[0].shape):
                raise ValueError(f"Shapes must be equal rank, but are {fmt_shape(t.shape)} and "
                                 f"{fmt_shape(ts[0].shape)} for '{scope[:-1]}' (op: 'AddN').")
        return build1("AddN", ts, {"N": len(ts)}, name=scope)


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


def to_float(x, name: str = "ToFloat") -> Tensor:
    """`x` cast to float32."""
    return cast(x, dtypes.float32, name=name)


def to_int32(x, name: str = "ToInt32") -> Tensor:
    """`x` cast to int32."""
    return cast(x, dtypes.int32, name=name)


def _select_infer(op):
    # TF1's Select does not broadcast: x and y agree, and the condition is a scalar, a vector
    # over x's first dimension, or of x's shape.
    c, x, y = op.inputs
    data = merge_shapes(op, x.shape, y.shape)
    c_rank, rank = c.shape.ndims, data.ndims
    if c_rank is None or rank is None or c_rank == 0:
        return [(x.dtype.base_dtype, data)]
    if c_rank != 1 or rank == 0:
        return [(x.dtype.base_dtype, merge_shapes(op, data, c.shape))]
    merge_shapes(op, c.shape, TensorShape(data.dims[:1]))
    return [(x.dtype.base_dtype, data)]


def _select_grad(op, g):
    c, x, y = op.inputs
    zeros = _a.zeros_like(g)
    return None, unbroadcast(select(c, g, zeros), x), unbroadcast(select(c, zeros, g), y)


@register_op("Select", infer=_select_infer, grad=_select_grad)
def _select_kernel(c, x, y):
    if np.ndim(c) == 1 and np.ndim(x) > 1:  # TF1: a vector condition picks rows
        c = np.reshape(c, (-1,) + (1,) * (np.ndim(x) - 1))
    return np.where(c, x, y)


def select(condition, x, y, name: str | None = None) -> Tensor:
    """Elements of `x` where `condition` is true, else of `y`."""
    with name_scope(name, "Select", [condition, x, y]) as scope:
        (c,) = convert_args("Select", [("condition", condition)], BOOL)
        a, b = convert_args("Select", [("x", x), ("y", y)])
        return build1("Select", [c, a, b], name=scope)


def _select_v2_infer(op):
    c, x, y = op.inputs
    return [(x.dtype.base_dtype, broadcast_shapes(op, [c.shape, x.shape, y.shape]))]


def _select_v2_grad(op, g):
    c, x, y = op.inputs
    zeros = _a.zeros_like(g)
    return (None, unbroadcast(where_v2(c, g, zeros), x), unbroadcast(where_v2(c, zeros, g), y))


@register_op("SelectV2", infer=_select_v2_infer, grad=_select_v2_grad)
def _select_v2_kernel(c, x, y):
    return np.where(c, x, y)


def where_v2(condition, x, y, name: str | None = None) -> Tensor:
    """Elements of `x` where `condition` is true, else of `y`, all three broadcast together."""
    with name_scope(name, "SelectV2", [condition, x, y]) as scope:
        (c,) = convert_args("SelectV2", [("condition", condition)], BOOL)
        a, b = convert_args("SelectV2", [("t", x), ("e", y)])
        return build1("SelectV2", [c, a, b], name=scope)


@register_op("Where", infer=lambda op: [(dtypes.int64, TensorShape(
    [None, op.inputs[0].shape.ndims]))], grad=not_differentiable)
def _where_kernel(c):
    return np.argwhere(c).astype(np.int64)


def where(condition, x=None, y=None, name: str | None = None) -> Tensor:
    """`select(condition, x, y)`, or with only `condition` the coordinates of true elements."""
    if x is None and y is None:
        with name_scope(name, "Where", [condition]) as scope:
            (c,) = convert_args("Where", [("input", condition)], BOOL)
            return build1("Where", [c], name=scope)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return select(condition, x, y, name=name)


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
