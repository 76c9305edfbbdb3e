"""`fl.metrics`: streaming metrics kept in local variables, each a (value, update_op) pair."""
from __future__ import annotations

from types import SimpleNamespace

from flowlog.engine import array_ops as _a
from flowlog.engine import dtypes
from flowlog.engine import math_ops as _m
from flowlog.engine import reduction_ops as _r
from flowlog.engine.framework import GraphKeys, add_to_collection, convert_to_tensor
from flowlog.engine.losses import safe_div
from flowlog.engine.variable_scope import variable_scope
from flowlog.engine.variables import Variable, assign_add

METRIC_VARIABLES = "metric_variables"


def metric_variable(shape, dtype, name: str) -> Variable:
    """A zero-initialized, untrainable local variable, as TF's metrics keep their state in."""
    return Variable(lambda: _a.zeros(shape, dtype), trainable=False, name=name,
                    collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES])


def _collect(collections, value) -> None:
    for key in collections or ():
        add_to_collection(key, value)


def mean(values, weights=None, metrics_collections=None, updates_collections=None,
         name: str | None = None):
    """(the weighted mean of every `values` seen so far, the op that adds a batch to it).

    State: `<name>/total` and `<name>/count` in LOCAL_VARIABLES (run
    `local_variables_initializer()` first); the mean is 0 until something was counted.
    """
    with variable_scope(name, "mean", (values, weights)):
        values = _m.cast(convert_to_tensor(values), dtypes.float32)
        total = metric_variable([], dtypes.float32, "total")
        count = metric_variable([], dtypes.float32, "count")
        if weights is None:
            num_values = _m.cast(_a.size(values), dtypes.float32)
        else:
            weights = _m.cast(convert_to_tensor(weights), dtypes.float32)
            values = _m.multiply(values, weights)
            num_values = _r.reduce_sum(_m.multiply(weights, _a.ones_like(values)))
        update_total = assign_add(total, _r.reduce_sum(values))
        update_count = assign_add(count, num_values)
        mean_t = safe_div(total.value(), count.value(), "value")
        update_op = safe_div(update_total, update_count, "update_op")
        _collect(metrics_collections, mean_t)
        _collect(updates_collections, update_op)
        return mean_t, update_op


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name: str | None = None):
    """(how often `predictions` equal `labels` so far, the op that counts a batch)."""
    labels = convert_to_tensor(labels)
    predictions = convert_to_tensor(predictions)
    if not labels.shape.is_compatible_with(predictions.shape):
        raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
    if predictions.dtype.base_dtype is not labels.dtype.base_dtype:
        predictions = _m.cast(predictions, labels.dtype.base_dtype)
    is_correct = _m.cast(_m.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")


def _confusion_count(name: str, labels, predictions, weights, want_label: bool,
                     want_prediction: bool):
    """A running count of elements where label and prediction are as wanted, and its update."""
    with variable_scope(None, name, (predictions, labels, weights)):
        hit = _m.logical_and(_m.equal(labels, want_label), _m.equal(predictions, want_prediction))
        hit = _m.cast(hit, dtypes.float32)
        if weights is not None:
            hit = _m.multiply(hit, _m.cast(convert_to_tensor(weights), dtypes.float32))
        count = metric_variable([], dtypes.float32, "count")
        return count.value(), assign_add(count, _r.reduce_sum(hit))


def _ratio_metric(default: str, numerator: bool, labels, predictions, weights,
                  metrics_collections, updates_collections, name):
    with variable_scope(name, default, (predictions, labels, weights)):
        labels = _m.cast(convert_to_tensor(labels), dtypes.bool_)
        predictions = _m.cast(convert_to_tensor(predictions), dtypes.bool_)
        tp, tp_update = _confusion_count("true_positives", labels, predictions, weights,
                                         True, True)
        other = ("false_positives", False, True) if numerator else \
            ("false_negatives", True, False)
        miss, miss_update = _confusion_count(other[0], labels, predictions, weights,
                                             other[1], other[2])
        value = safe_div(tp, tp + miss, "value")
        update_op = safe_div(tp_update, tp_update + miss_update, "update_op")
        _collect(metrics_collections, value)
        _collect(updates_collections, update_op)
        return value, update_op


def precision(labels, predictions, weights=None, metrics_collections=None,
              updates_collections=None, name=None):
    """(true positives / predicted positives so far, the op that counts a batch)."""
    return _ratio_metric("precision", True, labels, predictions, weights, metrics_collections,
                         updates_collections, name)


def recall(labels, predictions, weights=None, metrics_collections=None,
           updates_collections=None, name=None):
    """(true positives / actual positives so far, the op that counts a batch)."""
    return _ratio_metric("recall", False, labels, predictions, weights, metrics_collections,
                         updates_collections, name)


metrics = SimpleNamespace(accuracy=accuracy, mean=mean, precision=precision, recall=recall)
