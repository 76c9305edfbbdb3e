"""`fl.losses`: TF1's weighted losses, reduced to a scalar and added to the LOSSES collection."""
from __future__ import annotations

from types import SimpleNamespace

from flowlog.engine import array_ops as _a
from flowlog.engine import dtypes, nn_ops
from flowlog.engine import math_ops as _m
from flowlog.engine import reduction_ops as _r
from flowlog.engine.framework import (
    GraphKeys,
    Tensor,
    add_to_collection,
    constant,
    convert_to_tensor,
    get_collection,
    name_scope,
)

REGULARIZATION_LOSSES = "regularization_losses"


class Reduction:
    """How `compute_weighted_loss` turns weighted per-element losses into the result."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key) -> None:
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}.")


def safe_div(num: Tensor, den: Tensor, name: str) -> Tensor:
    """num / den, and 0 where den is 0 (no weights present: no loss)."""
    positive = _m.greater(den, 0.0)
    safe = _m.select(positive, den, _a.ones_like(den))
    return _m.select(positive, _m.realdiv(num, safe), _a.zeros_like(num), name=name)


def _num_present(losses: Tensor, weights: Tensor) -> Tensor:
    """How many losses carry a nonzero weight, counting a broadcast weight once per loss."""
    with name_scope(None, "num_present", [losses, weights]) as scope:
        present = _m.select(_m.equal(weights, 0.0), _a.zeros_like(weights),
                            _a.ones_like(weights))
        present = present * _a.ones_like(losses)
        return _r.reduce_sum(present, name=scope)


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """`losses * weights` reduced by `reduction` (default: mean over nonzero weights)."""
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss", [losses, weights]):
        losses = convert_to_tensor(losses)
        input_dtype = losses.dtype.base_dtype
        losses = _m.cast(losses, dtypes.float32)
        weights = _m.cast(convert_to_tensor(weights), dtypes.float32)
        _check_weights(losses, weights)
        weighted = _m.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = _r.reduce_sum(weighted)
            if reduction == Reduction.MEAN:
                loss = safe_div(loss, _r.reduce_sum(_a.ones_like(losses) * weights), "value")
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                loss = safe_div(loss, _num_present(losses, weights), "value")
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = safe_div(loss, _m.cast(_a.size(losses), dtypes.float32), "value")
        loss = _m.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss


def _check_weights(losses: Tensor, weights: Tensor) -> None:
    ls, ws = losses.shape, weights.shape
    if ls.dims is None or ws.dims is None or not ws.dims:
        return
    if len(ws.dims) > len(ls.dims) or any(
            w not in (None, 1) and s is not None and w != s
            for w, s in zip(ws.dims[::-1], ls.dims[::-1])):
        raise ValueError(f"weights can not be broadcast to values. values.shape={ls}. "
                         f"weights.shape={ws}.")


def _same_shape(a: Tensor, b: Tensor) -> None:
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible")


def _float_pair(predictions, labels) -> tuple[Tensor, Tensor]:
    """Predictions and labels as float32 tensors of one shape, as TF's regression losses take
    them (ValueError naming both shapes otherwise)."""
    predictions = _m.cast(convert_to_tensor(predictions), dtypes.float32)
    labels = _m.cast(convert_to_tensor(labels), dtypes.float32)
    _same_shape(predictions, labels)
    return predictions, labels


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean of (predictions - labels) ** 2."""
    if labels is None or predictions is None:
        raise ValueError("labels and predictions must not be None.")
    with name_scope(scope, "mean_squared_error", [predictions, labels, weights]) as s:
        predictions, labels = _float_pair(predictions, labels)
        losses = _m.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean of |predictions - labels|."""
    with name_scope(scope, "absolute_difference", [predictions, labels, weights]) as s:
        predictions, labels = _float_pair(predictions, labels)
        losses = _m.abs(_m.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None,
               loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Quadratic within `delta` of the label, linear beyond it."""
    with name_scope(scope, "huber_loss", [predictions, labels, weights]) as s:
        predictions, labels = _float_pair(predictions, labels)
        error = _m.abs(_m.subtract(predictions, labels))
        quadratic = _m.minimum(error, delta)
        linear = _m.subtract(error, quadratic)
        losses = _m.add(_m.multiply(0.5, _m.multiply(quadratic, quadratic)),
                        _m.multiply(delta, linear))
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None,
             loss_collection=GraphKeys.LOSSES,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean of -labels * log(p + eps) - (1 - labels) * log(1 - p + eps)."""
    with name_scope(scope, "log_loss", [predictions, labels, weights]) as s:
        predictions, labels = _float_pair(predictions, labels)
        losses = -_m.multiply(labels, _m.log(predictions + epsilon)) - _m.multiply(
            1 - labels, _m.log(1 - predictions + epsilon))
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean cross-entropy of softmax(`logits`) against integer `labels`."""
    if labels is None or logits is None:
        raise ValueError("labels and logits must not be None.")
    with name_scope(scope, "sparse_softmax_cross_entropy_loss",
                    [logits, labels, weights]) as s:
        losses = nn_ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                                 name="xentropy")
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean cross-entropy of softmax(`logits`) against one-hot labels, which
    `label_smoothing` moves toward the uniform distribution."""
    if onehot_labels is None or logits is None:
        raise ValueError("onehot_labels and logits must not be None.")
    with name_scope(scope, "softmax_cross_entropy_loss",
                    [logits, onehot_labels, weights]) as s:
        logits = convert_to_tensor(logits)
        labels = _m.cast(convert_to_tensor(onehot_labels), logits.dtype.base_dtype)
        _same_shape(logits, labels)
        if label_smoothing > 0:
            classes = _m.cast(_a.shape(labels)[-1], logits.dtype.base_dtype)
            labels = labels * (1 - label_smoothing) + label_smoothing / classes
        labels = _a.stop_gradient(labels, name="labels_stop_gradient")
        losses = nn_ops.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                             name="xentropy")
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean logistic loss of `logits` against 0/1 labels."""
    if multi_class_labels is None or logits is None:
        raise ValueError("multi_class_labels and logits must not be None.")
    with name_scope(scope, "sigmoid_cross_entropy_loss",
                    [logits, multi_class_labels, weights]) as s:
        logits = convert_to_tensor(logits)
        labels = _m.cast(convert_to_tensor(multi_class_labels), logits.dtype.base_dtype)
        _same_shape(logits, labels)
        if label_smoothing > 0:
            labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                          name="xentropy")
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


# --- the collection -------------------------------------------------------------------------


def add_loss(loss, loss_collection=GraphKeys.LOSSES) -> None:
    """Add `loss` to `loss_collection` (nothing when the collection is None)."""
    if loss_collection:
        add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES) -> list:
    """The losses in `loss_collection` whose names match `scope`."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None) -> list:
    """The regularizers' losses (from `get_variable(regularizer=...)` and layers)."""
    return get_collection(REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name: str = "total_regularization_loss") -> Tensor:
    """The sum of the regularization losses, or a constant 0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return _m.add_n(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss",
                   scope=None) -> Tensor:
    """The sum of every loss in LOSSES (and the regularization losses)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    return _m.add_n(losses, name=name)


losses = SimpleNamespace(
    Reduction=Reduction, absolute_difference=absolute_difference, add_loss=add_loss,
    compute_weighted_loss=compute_weighted_loss, get_losses=get_losses,
    get_regularization_loss=get_regularization_loss,
    get_regularization_losses=get_regularization_losses, get_total_loss=get_total_loss,
    huber_loss=huber_loss, log_loss=log_loss, mean_squared_error=mean_squared_error,
    sigmoid_cross_entropy=sigmoid_cross_entropy, softmax_cross_entropy=softmax_cross_entropy,
    sparse_softmax_cross_entropy=sparse_softmax_cross_entropy)
