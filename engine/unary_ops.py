"""Elementwise functions of one tensor (neg, abs, sqrt, exp, log, sin, ...) with their gradients."""
from __future__ import annotations

import numpy as np
from flowlog.engine.framework import Tensor, register_op
from flowlog.engine.op_util import (
    BOOL,
    FLOATS,
    NUMERIC,
    SIGNED,
    apply_op,
    build1,
    not_differentiable,
)


def _rsqrt_kernel(x):
    return np.reciprocal(np.sqrt(x))


register_op("Neg", grad=lambda op, g: (-g,))(np.negative)


def negative(x, name: str | None = None) -> Tensor:
    """-x, elementwise."""
    return apply_op("Neg", [("x", x)], SIGNED, name=name)


register_op("Abs", grad=lambda op, g: (g * sign(op.inputs[0]),))(np.abs)


def abs(x, name: str | None = None) -> Tensor:
    """|x|, elementwise."""
    return apply_op("Abs", [("x", x)], SIGNED, name=name)


register_op("Sign", grad=not_differentiable)(np.sign)


def sign(x, name: str | None = None) -> Tensor:
    """-1, 0 or 1 by the sign of x."""
    return apply_op("Sign", [("x", x)], SIGNED, name=name)


register_op("Sqrt", grad=lambda op, g: (build1("SqrtGrad", [op.outputs[0], g]),))(np.sqrt)


def sqrt(x, name: str | None = None) -> Tensor:
    """The square root of x."""
    return apply_op("Sqrt", [("x", x)], FLOATS, name=name)


register_op("Rsqrt", grad=lambda op, g: (build1("RsqrtGrad", [op.outputs[0], g]),))(_rsqrt_kernel)


def rsqrt(x, name: str | None = None) -> Tensor:
    """1 / sqrt(x), elementwise."""
    return apply_op("Rsqrt", [("x", x)], FLOATS, name=name)


register_op("Reciprocal",
            grad=lambda op, g: (build1("ReciprocalGrad", [op.outputs[0], g]),))(np.reciprocal)


def reciprocal(x, name: str | None = None) -> Tensor:
    """1 / x, elementwise."""
    return apply_op("Reciprocal", [("x", x)], FLOATS, name=name)


register_op("Exp", grad=lambda op, g: (g * op.outputs[0],))(np.exp)


def exp(x, name: str | None = None) -> Tensor:
    """e ** x."""
    return apply_op("Exp", [("x", x)], FLOATS, name=name)


register_op("Log", grad=lambda op, g: (g * reciprocal(op.inputs[0]),))(np.log)


def log(x, name: str | None = None) -> Tensor:
    """The natural logarithm of x."""
    return apply_op("Log", [("x", x)], FLOATS, name=name)


register_op("Log1p", grad=lambda op, g: (g * reciprocal(1 + op.inputs[0]),))(np.log1p)


def log1p(x, name: str | None = None) -> Tensor:
    """log(1 + x), accurate for small x."""
    return apply_op("Log1p", [("x", x)], FLOATS, name=name)


register_op("Sin", grad=lambda op, g: (g * cos(op.inputs[0]),))(np.sin)


def sin(x, name: str | None = None) -> Tensor:
    """sin(x)."""
    return apply_op("Sin", [("x", x)], FLOATS, name=name)


register_op("Cos", grad=lambda op, g: (-g * sin(op.inputs[0]),))(np.cos)


def cos(x, name: str | None = None) -> Tensor:
    """cos(x)."""
    return apply_op("Cos", [("x", x)], FLOATS, name=name)


register_op("Floor", grad=not_differentiable)(np.floor)


def floor(x, name: str | None = None) -> Tensor:
    """The largest integer <= x."""
    return apply_op("Floor", [("x", x)], FLOATS, name=name)


register_op("Ceil", grad=not_differentiable)(np.ceil)


def ceil(x, name: str | None = None) -> Tensor:
    """The smallest integer >= x."""
    return apply_op("Ceil", [("x", x)], FLOATS, name=name)


register_op("Round", grad=not_differentiable)(np.round)


def round(x, name: str | None = None) -> Tensor:
    """x rounded half to even."""
    return apply_op("Round", [("x", x)], NUMERIC, name=name)


register_op("LogicalNot", grad=not_differentiable)(np.logical_not)


def logical_not(x, name: str | None = None) -> Tensor:
    """not x."""
    return apply_op("LogicalNot", [("x", x)], BOOL, name=name)


neg = negative

# --- the fused gradient ops of sqrt, rsqrt and reciprocal: `<Op>Grad(y, dy)`, y the op's output --


def _sqrt_grad_grad(op, g):  # SqrtGrad(y, dy) = dy * 0.5 / y
    y = op.inputs[0]
    g_over_y = g / y
    return -g_over_y * op.outputs[0], g_over_y * 0.5


@register_op("SqrtGrad", grad=_sqrt_grad_grad)
def _sqrt_grad_kernel(y, dy):
    return dy * 0.5 / y


def _rsqrt_grad_grad(op, g):  # RsqrtGrad(y, dy) = dy * -0.5 * y ** 3
    y, dy = op.inputs
    return g * dy * (y * y) * -1.5, build1("RsqrtGrad", [y, g])


@register_op("RsqrtGrad", grad=_rsqrt_grad_grad)
def _rsqrt_grad_kernel(y, dy):
    return dy * -0.5 * (y * y * y)


def _reciprocal_grad_grad(op, g):  # ReciprocalGrad(y, dy) = -dy * y ** 2
    y, dy = op.inputs
    return g * dy * y * -2.0, build1("ReciprocalGrad", [y, g])


@register_op("ReciprocalGrad", grad=_reciprocal_grad_grad)
def _reciprocal_grad_kernel(y, dy):
    return -dy * y * y
