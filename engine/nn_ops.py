"""Neural-network ops: activations, softmax, cross-entropy losses, l2_loss, bias_add, dropout."""
from __future__ import annotations

import numbers

import numpy as np
from flowlog.engine import array_ops as _a
from flowlog.engine import errors
from flowlog.engine import math_ops as _m
from flowlog.engine import random_ops as _rand
from flowlog.engine import reduction_ops as _r
from flowlog.engine import shape_ops as _s
from flowlog.engine.framework import Tensor, convert_to_tensor, name_scope, register_op
from flowlog.engine.op_util import (
    FLOATS,
    INDEX,
    NUMERIC,
    build,
    build1,
    convert_args,
    fmt_shape,
    not_differentiable,
)
from flowlog.engine.shapes import TensorShape


def _fused_grad(op_type: str, use_input: bool = False):
    """Gradient rule through a TF gradient op `op_type(dy, y)` such as ReluGrad."""
    return lambda op, g: (build1(op_type, [g, op.inputs[0] if use_input else op.outputs[0]]),)


def _activation(op_type: str, allowed, doc: str):
    def constructor(features, name: str | None = None) -> Tensor:
        with name_scope(name, op_type, [features]) as scope:
            (x,) = convert_args(op_type, [("features" if op_type in ("Relu", "Elu", "Softplus")
                                           else "x", features)], allowed)
            return build1(op_type, [x], name=scope)

    constructor.__doc__ = doc
    return constructor


def _sigmoid_kernel(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)  # never overflows, unlike 1 / (1 + exp(-x))


register_op("Relu", grad=_fused_grad("ReluGrad"))(lambda x: np.maximum(x, 0))
register_op("ReluGrad")(lambda dy, y: dy * (y > 0))
register_op("Sigmoid", grad=_fused_grad("SigmoidGrad"))(_sigmoid_kernel)
register_op("SigmoidGrad")(lambda dy, y: dy * y * (1 - y))
register_op("Tanh", grad=_fused_grad("TanhGrad"))(np.tanh)
register_op("TanhGrad")(lambda dy, y: dy * (1 - y * y))
register_op("Softplus", grad=lambda op, g: (g * sigmoid(op.inputs[0]),))(
    lambda x: np.logaddexp(0, x).astype(x.dtype))
register_op("Elu", grad=_fused_grad("EluGrad"))(
    lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))))
register_op("EluGrad")(lambda dy, y: np.where(y > 0, dy, dy * (y + 1)))

relu = _activation("Relu", NUMERIC, "max(features, 0), elementwise.")
sigmoid = _activation("Sigmoid", FLOATS, "1 / (1 + exp(-x)), elementwise.")
tanh = _activation("Tanh", FLOATS, "The hyperbolic tangent of x, elementwise.")
softplus = _activation("Softplus", FLOATS, "log(1 + exp(features)), elementwise.")
elu = _activation("Elu", FLOATS, "features if > 0 else exp(features) - 1, elementwise.")

# --- softmax over the last axis ----------------------------------------------------------------


def _softmax_kernel(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _log_softmax_kernel(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _softmax_grad(op, g):
    y = op.outputs[0]
    return ((g - _r.reduce_sum(g * y, -1, keepdims=True)) * y,)


def _log_softmax_grad(op, g):
    return (g - _r.reduce_sum(g, -1, keepdims=True) * _m.exp(op.outputs[0]),)


register_op("Softmax", grad=_softmax_grad)(_softmax_kernel)
register_op("LogSoftmax", grad=_log_softmax_grad)(_log_softmax_kernel)


def _softmax_op(op_type: str, doc: str):
    def constructor(logits, axis=None, name: str | None = None, dim=None) -> Tensor:
        axis = dim if axis is None else axis
        axis = -1 if axis is None else int(axis)
        with name_scope(name, op_type, [logits]) as scope:
            (x,) = convert_args(op_type, [("logits", logits)], FLOATS)
            rank = x.shape.ndims
            if axis in (-1, None) or rank is not None and axis == rank - 1:
                return build1(op_type, [x], name=scope)
            if rank is None:
                raise ValueError(f"{op_type} over axis {axis} needs a known rank")
            from flowlog.engine.shape_ops import transpose

            perm = list(range(rank))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            return transpose(build1(op_type, [transpose(x, perm)]), perm, name=scope)

    constructor.__doc__ = doc
    return constructor


softmax = _softmax_op("Softmax", "exp(logits) / sum(exp(logits)) along `axis` (default last).")
log_softmax = _softmax_op("LogSoftmax", "logits - log(sum(exp(logits))) along `axis`.")

# --- cross-entropy losses ------------------------------------------------------------------------


def _xent_infer(op):
    logits = op.inputs[0]
    s = logits.shape
    batch = TensorShape(None if s.dims is None else s.dims[:-1])
    return [(logits.dtype.base_dtype, batch), (logits.dtype.base_dtype, s)]


def _xent_kernel(logits, labels):
    log_p = _log_softmax_kernel(logits)
    loss = -np.sum(labels * log_p, axis=-1)
    return loss, np.exp(log_p) - labels


def _times_rows(g: Tensor, m: Tensor) -> Tensor:
    """Each row of `m` scaled by the matching element of the per-row gradient `g`."""
    from flowlog.engine.shape_ops import expand_dims

    return expand_dims(g, -1) * m


def _xent_grad(op, g_loss, g_backprop):
    logits = op.inputs[0]
    grad = _times_rows(g_loss, op.outputs[1])
    if g_backprop is not None and g_backprop.op.type not in ("ZerosLike", "Const", "Fill"):
        p = softmax(logits)
        grad = grad + (g_backprop - _r.reduce_sum(g_backprop * p, -1, keepdims=True)) * p
    return grad, _times_rows(g_loss, -log_softmax(logits))


register_op("SoftmaxCrossEntropyWithLogits", infer=_xent_infer, grad=_xent_grad)(_xent_kernel)


def _sparse_xent_kernel(logits, labels):
    n = logits.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        bad = labels[(labels < 0) | (labels >= n)][0]
        raise errors.InvalidArgumentError(
            None, None, f"Received a label value of {bad} which is outside the valid range of "
                        f"[0, {n}).  Label values: {' '.join(str(v) for v in labels.ravel())}")
    log_p = _log_softmax_kernel(logits)
    picked = np.take_along_axis(log_p, labels[..., None].astype(np.intp), axis=-1)[..., 0]
    backprop = np.exp(log_p)
    np.put_along_axis(backprop, labels[..., None].astype(np.intp),
                      np.take_along_axis(backprop, labels[..., None].astype(np.intp), -1) - 1, -1)
    return -picked, backprop


register_op("SparseSoftmaxCrossEntropyWithLogits", infer=_xent_infer,
            grad=lambda op, g, _: (_times_rows(g, op.outputs[1]), None))(_sparse_xent_kernel)


def _named_only(fn_name: str, sentinel) -> None:
    if sentinel is not None:
        raise ValueError(f"Only call `{fn_name}` with named arguments (labels=..., logits=..., "
                         "...)")


def softmax_cross_entropy_with_logits_v2(_sentinel=None, labels=None, logits=None, axis=None,
                                         name: str | None = None, dim=None) -> Tensor:
    """Cross-entropy between `labels` (distributions) and softmax(`logits`), per row.

    Built as TensorFlow builds it: both inputs flattened to matrices, the op, and the cost
    reshaped to the input's shape without its last dimension (the same ops, names and count).
    """
    _named_only("softmax_cross_entropy_with_logits_v2", _sentinel)
    axis = dim if axis is None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        x, y = convert_args("SoftmaxCrossEntropyWithLogits",
                            [("features", logits), ("labels", labels)], FLOATS)
        if x.shape.dims is not None and y.shape.dims is not None and \
                not x.shape.is_compatible_with(y.shape):
            raise ValueError(f"Both labels and logits must have the same shape, got labels shape "
                             f"{y.shape} and logits shape {x.shape}")
        input_rank = _a.rank(x)
        shape = x.shape
        if axis not in (None, -1) and axis != (x.shape.ndims or 0) - 1:
            from flowlog.engine.shape_ops import transpose

            perm = list(range(x.shape.ndims))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            x, y = transpose(x, perm), transpose(y, perm)
            shape = x.shape
        input_shape = _a.shape(x)
        x, y = _flatten_outer_dims(x), _flatten_outer_dims(y)
        cost = build("SoftmaxCrossEntropyWithLogits", [x, y], name=scope).outputs[0]
        output_shape = _s.slice(input_shape, [0], [_m.subtract(input_rank, 1)])
        cost = _a.reshape(cost, output_shape)
        if shape.dims is not None:
            cost.set_shape(shape.dims[:-1])
        return cost


def _flatten_outer_dims(x: Tensor) -> Tensor:
    """`x` as a matrix [product of the other dims, last dim], built with TF's ops."""
    rank = _a.rank(x)
    last_dim = _s.slice(_a.shape(x), [_m.subtract(rank, 1)], [1])
    out = _a.reshape(x, _s.concat([[-1], last_dim], 0))
    dims = x.shape.dims
    if dims is not None and all(d is not None for d in dims[:-1]):
        out.set_shape([int(np.prod(dims[:-1], dtype=np.int64)), dims[-1]])
    return out


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name: str | None = None, axis=None) -> Tensor:
    """Like the `_v2` function, but no gradient flows into `labels` (TF1's behaviour)."""
    _named_only("softmax_cross_entropy_with_logits", _sentinel)
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = _a.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                axis=dim if axis is None else axis, name=scope)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name: str | None = None) -> Tensor:
    """Cross-entropy of softmax(`logits`) against integer class `labels`, per row."""
    _named_only("sparse_softmax_cross_entropy_with_logits", _sentinel)
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        (y,) = convert_args("SparseSoftmaxCrossEntropyWithLogits", [("labels", labels)], INDEX)
        (x,) = convert_args("SparseSoftmaxCrossEntropyWithLogits", [("features", logits)], FLOATS)
        _a.shape(y)  # TF takes the labels' shape here, an op in its graph even when unused
        lr, xr = y.shape.ndims, x.shape.ndims
        if lr is not None and xr is not None and lr != xr - 1:
            raise ValueError(f"Rank mismatch: Rank of labels (received {lr}) should equal rank "
                             f"of logits minus 1 (received {xr}).")
        if lr is not None and xr is not None and \
                not y.shape.is_compatible_with(TensorShape(x.shape.dims[:-1])):
            raise ValueError(f"Shape mismatch: The shape of labels (received {fmt_shape(y.shape)})"
                             f" should equal the shape of logits except for the last dimension "
                             f"(received {fmt_shape(x.shape)}).")
        return build("SparseSoftmaxCrossEntropyWithLogits", [x, y], name=name).outputs[0]


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                      name: str | None = None) -> Tensor:
    """Elementwise logistic loss, computed stably: max(x, 0) - x * z + log(1 + exp(-|x|))."""
    _named_only("sigmoid_cross_entropy_with_logits", _sentinel)
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        x = convert_to_tensor(logits, name="logits")
        z = convert_to_tensor(labels, dtype=x.dtype, name="labels")
        if not x.shape.is_compatible_with(z.shape):
            raise ValueError(f"logits and labels must have the same shape ({x.shape} vs "
                             f"{z.shape})")
        zeros = _a.zeros_like(x)
        cond = x >= zeros
        relu_logits = _m.select(cond, x, zeros)
        neg_abs_logits = _m.select(cond, -x, x)
        return _m.add(relu_logits - x * z, _m.log1p(_m.exp(neg_abs_logits)), name=scope)


# --- l2_loss, bias_add, dropout --------------------------------------------------------------


@register_op("L2Loss", infer=lambda op: [(op.inputs[0].dtype.base_dtype, TensorShape(()))],
             grad=lambda op, g: (op.inputs[0] * g,))
def _l2_loss_kernel(x):
    return np.asarray(np.sum(np.square(x)) / 2, dtype=x.dtype)


def l2_loss(t, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2."""
    with name_scope(name, "L2Loss", [t]) as scope:
        (x,) = convert_args("L2Loss", [("t", t)], FLOATS)
        return build1("L2Loss", [x], name=scope)


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
            _rand.get_seed(seed)  # TF still takes its seed, so later op seeds do not shift
            return x
        if is_number:
            scaled = _m.multiply(x, convert_to_tensor(1 / (1 - rate), dtype=x.dtype))
        else:
            rate = convert_to_tensor(rate)
            if rate.shape.ndims not in (None, 0):
                raise ValueError(f"Shape {rate.shape} must have rank 0")
            if rate.dtype.base_dtype is not x.dtype.base_dtype:
                rate = _m.cast(rate, x.dtype, name="rate")
            one = convert_to_tensor(1, dtype=x.dtype)
            scaled = _m.realdiv(x, _m.subtract(one, rate))
        shape = _noise_shape(x, noise_shape)
        keep = _rand.random_uniform(shape, seed=seed, dtype=x.dtype) >= rate
        out = _m.where_v2(keep, scaled, convert_to_tensor(0, dtype=x.dtype))
        out.set_shape(x.shape)
        return out


def _noise_shape(x: Tensor, noise_shape):
    """x's shape (a constant when known), or `noise_shape` with its None dims taken from x."""
    if noise_shape is None:
        return _a.shape(x)
    dims = x.shape.dims
    if not isinstance(noise_shape, Tensor) and dims is not None and len(dims) == len(noise_shape):
        return [d if n is None and d is not None else n for n, d in zip(noise_shape, dims)]
    return noise_shape


__all__ = ["bias_add", "dropout", "elu", "l2_loss", "log_softmax", "relu", "sigmoid",
           "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "softplus",
           "sparse_softmax_cross_entropy_with_logits", "tanh"]
