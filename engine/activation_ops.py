"""More of `tf.nn`'s activations, as GANs and mobile-style networks of the tutorials use them:
`leaky_relu` (LeakyRelu), `relu6` (Relu6), and `xw_plus_b`."""
from __future__ import annotations

import numpy as np
from flowlog.engine.array_ops import zeros_like
from flowlog.engine.framework import Tensor, name_scope, register_op
from flowlog.engine.math_ops import matmul
from flowlog.engine.nn_ops import bias_add
from flowlog.engine.op_util import FLOATS, apply_op, build1

# --- LeakyRelu ---------------------------------------------------------------------------------
# The gradient passes where x > 0 and is scaled by alpha elsewhere; its own gradient (the second
# derivative's linear part) is the same mask applied to the incoming gradient.


def _leaky_mask_grad(op, g):
    return (build1("LeakyReluGrad", [g, op.inputs[1]], {"alpha": op.attrs["alpha"]}),
            zeros_like(op.inputs[1]))


@register_op("LeakyReluGrad", grad=_leaky_mask_grad, attrs=("alpha",))
def _leaky_relu_grad_kernel(dy, x, *, alpha):
    return np.where(x > 0, dy, dy * np.asarray(alpha, dy.dtype))


@register_op("LeakyRelu", attrs=("alpha",), grad=lambda op, g: (
    build1("LeakyReluGrad", [g, op.inputs[0]], {"alpha": op.attrs["alpha"]}),))
def _leaky_relu_kernel(x, *, alpha):
    return np.where(x > 0, x, x * np.asarray(alpha, x.dtype))


def leaky_relu(features, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """x where x > 0, else alpha * x."""
    return apply_op("LeakyRelu", [("features", features)], FLOATS,
                    attrs={"alpha": float(alpha)}, name=name)


# --- Relu6 -------------------------------------------------------------------------------------


@register_op("Relu6Grad", grad=lambda op, g: (build1("Relu6Grad", [g, op.inputs[1]]),
                                              zeros_like(op.inputs[1])))
def _relu6_grad_kernel(dy, x):
    return dy * ((x > 0) & (x < 6))


@register_op("Relu6", grad=lambda op, g: (build1("Relu6Grad", [g, op.inputs[0]]),))
def _relu6_kernel(x):
    return np.clip(x, 0, 6).astype(x.dtype, copy=False)


def relu6(features, name: str | None = None) -> Tensor:
    """min(max(features, 0), 6), elementwise."""
    return apply_op("Relu6", [("features", features)], FLOATS, name=name)


# --- xw_plus_b ---------------------------------------------------------------------------------


def xw_plus_b(x, weights, biases, name: str | None = None) -> Tensor:
    """matmul(x, weights) + biases, as a MatMul and a BiasAdd in a scope 'xw_plus_b'."""
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as scope:
        return bias_add(matmul(x, weights), biases, name=scope)


__all__ = ["leaky_relu", "relu6", "xw_plus_b"]
