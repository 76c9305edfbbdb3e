"""Softmax, log_softmax and the cross-entropy losses (softmax, sparse, sigmoid) with gradients."""
from __future__ import annotations

import numpy as np
from flowlog.engine import errors
from flowlog.engine.array_ops import rank, reshape, shape, stop_gradient, zeros_like
from flowlog.engine.framework import Tensor, convert_to_tensor, name_scope, register_op
from flowlog.engine.math_ops import add, exp, log1p, subtract
from flowlog.engine.op_util import FLOATS, INDEX, build, build1, convert_args, fmt_shape
from flowlog.engine.reduction_ops import reduce_sum
from flowlog.engine.select_ops import select
from flowlog.engine.shape_ops import concat, expand_dims, slice, transpose
from flowlog.engine.shapes import TensorShape

# --- softmax over the last axis ----------------------------------------------------------------


def _softmax_kernel(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _log_softmax_kernel(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _softmax_grad(op, g):
    y = op.outputs[0]
    return ((g - reduce_sum(g * y, -1, keepdims=True)) * y,)


def _log_softmax_grad(op, g):
    return (g - reduce_sum(g, -1, keepdims=True) * exp(op.outputs[0]),)


register_op("Softmax", grad=_softmax_grad)(_softmax_kernel)
register_op("LogSoftmax", grad=_log_softmax_grad)(_log_softmax_kernel)


def _over_axis(op_type: str, logits, axis, name, dim) -> Tensor:
    """Softmax or LogSoftmax over `axis`: the op works on the last axis, so others swap in."""
    axis = dim if axis is None else axis
    axis = -1 if axis is None else int(axis)
    with name_scope(name, op_type, [logits]) as scope:
        (x,) = convert_args(op_type, [("logits", logits)], FLOATS)
        rank = x.shape.ndims
        if axis in (-1, None) or rank is not None and axis == rank - 1:
            return build1(op_type, [x], name=scope)
        if rank is None:
            raise ValueError(f"{op_type} over axis {axis} needs a known rank")
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return transpose(build1(op_type, [transpose(x, perm)]), perm, name=scope)


def softmax(logits, axis=None, name: str | None = None, dim=None) -> Tensor:
    """exp(logits) / sum(exp(logits)) along `axis` (default last)."""
    return _over_axis("Softmax", logits, axis, name, dim)


def log_softmax(logits, axis=None, name: str | None = None, dim=None) -> Tensor:
    """logits - log(sum(exp(logits))) along `axis`."""
    return _over_axis("LogSoftmax", logits, axis, name, dim)


# --- cross-entropy losses ------------------------------------------------------------------------


def _xent_infer(op):
    logits = op.inputs[0]
    s = logits.shape
    batch = TensorShape(None if s.dims is None else s.dims[:-1])
    return [(logits.dtype.base_dtype, batch), (logits.dtype.base_dtype, s)]


def _xent_kernel(logits, labels):
    # TF's CPU kernel: one exp of the shifted logits serves both outputs; the loss is
    # sum(labels * (log(sum(exp)) - shifted)) and the backprop softmax - labels.
    shifted = logits - np.maximum.reduce(logits, axis=-1, keepdims=True)
    e = np.exp(shifted)
    total = np.add.reduce(e, axis=-1, keepdims=True)
    loss = np.add.reduce(labels * (np.log(total) - shifted), axis=-1)
    return loss, e / total - labels


def _times_rows(g: Tensor, m: Tensor) -> Tensor:
    """Each row of `m` scaled by the matching element of the per-row gradient `g`."""
    return expand_dims(g, -1) * m


def _xent_grad(op, g_loss, g_backprop):
    logits = op.inputs[0]
    grad = _times_rows(g_loss, op.outputs[1])
    if g_backprop is not None and g_backprop.op.type not in ("ZerosLike", "Const", "Fill"):
        p = softmax(logits)
        grad = grad + (g_backprop - reduce_sum(g_backprop * p, -1, keepdims=True)) * p
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
        input_rank = rank(x)
        static_shape = x.shape
        if axis not in (None, -1) and axis != (x.shape.ndims or 0) - 1:
            perm = list(range(x.shape.ndims))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            x, y = transpose(x, perm), transpose(y, perm)
            static_shape = x.shape
        input_shape = shape(x)
        x, y = _flatten_outer_dims(x), _flatten_outer_dims(y)
        cost = build("SoftmaxCrossEntropyWithLogits", [x, y], name=scope).outputs[0]
        output_shape = slice(input_shape, [0], [subtract(input_rank, 1)])
        cost = reshape(cost, output_shape)
        if static_shape.dims is not None:
            cost.set_shape(static_shape.dims[:-1])
        return cost


def _flatten_outer_dims(x: Tensor) -> Tensor:
    """`x` as a matrix [product of the other dims, last dim], built with TF's ops."""
    x_rank = rank(x)  # made before the shape, as TF orders them
    last_dim = slice(shape(x), [subtract(x_rank, 1)], [1])
    out = reshape(x, concat([[-1], last_dim], 0))
    dims = x.shape.dims
    if dims is not None and all(d is not None for d in dims[:-1]):
        out.set_shape([int(np.prod(dims[:-1], dtype=np.int64)), dims[-1]])
    return out


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name: str | None = None, axis=None) -> Tensor:
    """Like the `_v2` function, but no gradient flows into `labels` (TF1's behaviour)."""
    _named_only("softmax_cross_entropy_with_logits", _sentinel)
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                axis=dim if axis is None else axis, name=scope)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name: str | None = None) -> Tensor:
    """Cross-entropy of softmax(`logits`) against integer class `labels`, per row."""
    _named_only("sparse_softmax_cross_entropy_with_logits", _sentinel)
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        (y,) = convert_args("SparseSoftmaxCrossEntropyWithLogits", [("labels", labels)], INDEX)
        (x,) = convert_args("SparseSoftmaxCrossEntropyWithLogits", [("features", logits)], FLOATS)
        shape(y)  # TF takes the labels' shape here, an op in its graph even when unused
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
        zeros = zeros_like(x)
        cond = x >= zeros
        relu_logits = select(cond, x, zeros)
        neg_abs_logits = select(cond, -x, x)
        return add(relu_logits - x * z, log1p(exp(neg_abs_logits)), name=scope)
