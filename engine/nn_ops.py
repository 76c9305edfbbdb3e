"""Neural-network ops: activations, l2_loss, bias_add, dropout (and xent_ops' softmax, losses)."""
from __future__ import annotations

import numbers

import numpy as np
from flowlog.engine.array_ops import cast, shape, zeros_like
from flowlog.engine.framework import Tensor, convert_to_tensor, name_scope, register_op
from flowlog.engine.math_ops import multiply, realdiv, subtract
from flowlog.engine.op_util import (
    FLOATS,
    NUMERIC,
    apply_op,
    build1,
    convert_args,
    not_differentiable,
)
from flowlog.engine.random_ops import get_seed, random_uniform
from flowlog.engine.select_ops import select, where_v2
from flowlog.engine.shapes import TensorShape
from flowlog.engine.xent_ops import (
    log_softmax,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)

# --- activations, each with the fused gradient op TF uses: `<Op>Grad(dy, y)` ---------------------


register_op("Relu", grad=lambda op, g: (build1("ReluGrad", [g, op.outputs[0]]),))(
    lambda x: np.maximum(x, 0))


def relu(features, name: str | None = None) -> Tensor:
    """max(features, 0), elementwise."""
    return apply_op("Relu", [("features", features)], NUMERIC, name=name)


@register_op("ReluGrad", grad=lambda op, g: (build1("ReluGrad", [g, op.inputs[1]]),
                                             zeros_like(op.inputs[1])))
def _relu_grad_kernel(dy, y):
    return dy * (y > 0)


@register_op("Sigmoid", grad=lambda op, g: (build1("SigmoidGrad", [g, op.outputs[0]]),))
def _sigmoid_kernel(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)  # never overflows, unlike 1 / (1 + exp(-x))


def sigmoid(x, name: str | None = None) -> Tensor:
    """1 / (1 + exp(-x)), elementwise."""
    return apply_op("Sigmoid", [("x", x)], FLOATS, name=name)


def _sigmoid_grad_grad(op, g):  # SigmoidGrad(dy, y) = dy * y * (1 - y)
    dy, y = op.inputs
    return build1("SigmoidGrad", [g, y]), g * dy * (1.0 - 2.0 * y)


@register_op("SigmoidGrad", grad=_sigmoid_grad_grad)
def _sigmoid_grad_kernel(dy, y):
    return dy * y * (1 - y)


register_op("Tanh", grad=lambda op, g: (build1("TanhGrad", [g, op.outputs[0]]),))(np.tanh)


def tanh(x, name: str | None = None) -> Tensor:
    """The hyperbolic tangent of x, elementwise."""
    return apply_op("Tanh", [("x", x)], FLOATS, name=name)


def _tanh_grad_grad(op, g):  # TanhGrad(dy, y) = dy * (1 - y * y)
    dy, y = op.inputs
    return build1("TanhGrad", [g, y]), g * dy * y * -2.0


@register_op("TanhGrad", grad=_tanh_grad_grad)
def _tanh_grad_kernel(dy, y):
    return dy * (1 - y * y)


@register_op("Softplus", grad=lambda op, g: (g * sigmoid(op.inputs[0]),))
def _softplus_kernel(x):
    return np.logaddexp(0, x).astype(x.dtype)


def softplus(features, name: str | None = None) -> Tensor:
    """log(1 + exp(features)), elementwise."""
    return apply_op("Softplus", [("features", features)], FLOATS, name=name)


@register_op("Elu", grad=lambda op, g: (build1("EluGrad", [g, op.outputs[0]]),))
def _elu_kernel(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def elu(features, name: str | None = None) -> Tensor:
    """features if > 0 else exp(features) - 1, elementwise."""
    return apply_op("Elu", [("features", features)], FLOATS, name=name)


def _elu_grad_grad(op, g):  # EluGrad(dy, y) = dy where y > 0, else dy * (y + 1)
    dy, y = op.inputs
    return build1("EluGrad", [g, y]), select(y > 0, zeros_like(y), g * dy)


@register_op("EluGrad", grad=_elu_grad_grad)
def _elu_grad_kernel(dy, y):
    return np.where(y > 0, dy, dy * (y + 1))


# --- l2_loss, bias_add, dropout --------------------------------------------------------------


@register_op("L2Loss", infer=lambda op: [(op.inputs[0].dtype.base_dtype, TensorShape(()))],
             grad=lambda op, g: (op.inputs[0] * g,))
def _l2_loss_kernel(x):
    return np.asarray(np.sum(np.square(x)) / 2, dtype=x.dtype)


def l2_loss(t, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2."""
    return apply_op("L2Loss", [("t", t)], FLOATS, name=name)


@register_op("BiasAddGrad", infer=lambda op: [(op.inputs[0].dtype.base_dtype,
                                               TensorShape(op.inputs[0].shape[-1:]))],
             grad=not_differentiable)
def _bias_add_grad_kernel(g):
    return np.sum(g, axis=tuple(range(np.ndim(g) - 1)), dtype=g.dtype)


def _bias_add_infer(op):
    return [(op.inputs[0].dtype.base_dtype, op.inputs[0].shape)]


register_op("BiasAdd", infer=_bias_add_infer,
            grad=lambda op, g: (g, build1("BiasAddGrad", [g])))(np.add)


def bias_add(value, bias, data_format=None, name: str | None = None) -> Tensor:
    """`value + bias` with `bias` a vector matching `value`'s last dimension."""
    with name_scope(name, "BiasAdd", [value, bias]) as scope:
        x, b = convert_args("BiasAdd", [("value", value), ("bias", bias)], NUMERIC)
        if b.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {b.shape.ndims} for "
                             f"'{scope[:-1]}' (op: 'BiasAdd').")
        return build1("BiasAdd", [x, b], name=scope)


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name: str | None = None,
            rate=None) -> Tensor:
    """Each element 0 with probability `rate` (1 - keep_prob), else scaled by 1 / keep_prob.

    Built as TensorFlow builds it, so a seeded dropout keeps TF's elements with TF's values:
    `x * (1 / keep_prob)` (`x / (1 - rate)` for a tensor rate), one uniform draw u per element
    of `noise_shape` and `where(u >= rate, scaled, 0)`. A new mask each run.
    """
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both 'rate' and 'keep_prob'.")
    if keep_prob is not None:
        try:  # a tensor keep_prob gives a `sub` outside the dropout scope, as in TF
            rate = 1.0 - keep_prob
        except TypeError:
            raise ValueError("`keep_prob` must be a floating point number or Tensor. "
                             f"Received: keep_prob={keep_prob}") from None
    if rate is None:
        raise ValueError("`rate` must be provided. Received: rate=None")
    with name_scope(name, "dropout", [x]):
        is_number = isinstance(rate, numbers.Real)
        if is_number and not 0 <= rate < 1:
            raise ValueError("`rate` must be a scalar tensor or a float in the range [0, 1). "
                             f"Received: rate={rate}")
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. "
                             f"Received: x_dtype={x.dtype.name}")
        if is_number and rate == 0:
            get_seed(seed)  # TF still takes its seed, so later op seeds do not shift
            return x
        if is_number:
            scaled = multiply(x, convert_to_tensor(1 / (1 - rate), dtype=x.dtype))
        else:
            rate = convert_to_tensor(rate)
            if rate.shape.ndims not in (None, 0):
                raise ValueError(f"Shape {rate.shape} must have rank 0")
            if rate.dtype.base_dtype is not x.dtype.base_dtype:
                rate = cast(rate, x.dtype, name="rate")
            one = convert_to_tensor(1, dtype=x.dtype)
            scaled = realdiv(x, subtract(one, rate))
        shape = _noise_shape(x, noise_shape)
        keep = random_uniform(shape, seed=seed, dtype=x.dtype) >= rate
        out = where_v2(keep, scaled, convert_to_tensor(0, dtype=x.dtype))
        out.set_shape(x.shape)
        return out


def _noise_shape(x: Tensor, noise_shape):
    """x's shape (a constant when known), or `noise_shape` with its None dims taken from x."""
    if noise_shape is None:
        return shape(x)
    dims = x.shape.dims
    if not isinstance(noise_shape, Tensor) and dims is not None and len(dims) == len(noise_shape):
        return [d if n is None and d is not None else n for n, d in zip(noise_shape, dims)]
    return noise_shape


__all__ = ["bias_add", "dropout", "elu", "l2_loss", "log_softmax", "relu", "sigmoid",
           "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "softplus",
           "sparse_softmax_cross_entropy_with_logits", "tanh"]
