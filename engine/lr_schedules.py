"""Learning-rate schedules of `fl.train`: tensors of the global step, as TF1 builds them."""
from __future__ import annotations

from flowlog.engine import math_ops as _m
from flowlog.engine.array_ops import identity
from flowlog.engine.framework import Tensor, convert_to_tensor, name_scope


def _step_and_rate(learning_rate, global_step, what: str):
    if global_step is None:
        raise ValueError(f"global_step is required for {what}.")
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    return lr, _m.cast(global_step, lr.dtype.base_dtype)


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate,
                      staircase: bool = False, name: str | None = None) -> Tensor:
    """learning_rate * decay_rate ** (global_step / decay_steps), the exponent floored when
    `staircase`."""
    with name_scope(name, "ExponentialDecay",
                    [learning_rate, global_step, decay_steps, decay_rate]) as scope:
        lr, step = _step_and_rate(learning_rate, global_step, "exponential_decay")
        dtype = lr.dtype.base_dtype
        p = _m.truediv(step, convert_to_tensor(decay_steps, dtype=dtype))
        if staircase:
            p = _m.floor(p)
        return _m.multiply(lr, _m.pow(convert_to_tensor(decay_rate, dtype=dtype), p),
                           name=scope)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate,
                       staircase: bool = False, name: str | None = None) -> Tensor:
    """learning_rate / (1 + decay_rate * global_step / decay_steps)."""
    with name_scope(name, "InverseTimeDecay", [learning_rate, global_step, decay_rate]) as scope:
        lr, step = _step_and_rate(learning_rate, global_step, "inverse_time_decay")
        dtype = lr.dtype.base_dtype
        p = _m.truediv(step, convert_to_tensor(decay_steps, dtype=dtype))
        if staircase:
            p = _m.floor(p)
        denom = _m.add(1.0, _m.multiply(convert_to_tensor(decay_rate, dtype=dtype), p))
        return _m.truediv(lr, denom, name=scope)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle: bool = False, name: str | None = None) -> Tensor:
    """From learning_rate to end_learning_rate over decay_steps along (1 - t) ** power."""
    with name_scope(name, "PolynomialDecay", [learning_rate, global_step]) as scope:
        lr, step = _step_and_rate(learning_rate, global_step, "polynomial_decay")
        dtype = lr.dtype.base_dtype
        end = convert_to_tensor(end_learning_rate, dtype=dtype)
        steps = convert_to_tensor(decay_steps, dtype=dtype)
        if cycle:
            multiplier = _m.select(_m.equal(step, 0.0), convert_to_tensor(1.0, dtype=dtype),
                                   _m.ceil(step / steps))
            steps = _m.multiply(steps, multiplier)
        else:
            step = _m.minimum(step, steps)
        frac = _m.pow(1 - step / steps, convert_to_tensor(power, dtype=dtype))
        return _m.add(_m.multiply(lr - end, frac), end, name=scope)


def piecewise_constant(x, boundaries, values, name: str | None = None) -> Tensor:
    """values[0] while x <= boundaries[0], values[i] while x <= boundaries[i], then values[-1]."""
    if len(values) != len(boundaries) + 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant", [x]) as scope:
        x = convert_to_tensor(x)
        vals = [convert_to_tensor(v) for v in values]
        for v in vals[1:]:
            if v.dtype.base_dtype is not vals[0].dtype.base_dtype:
                raise ValueError(f"Values must have elements all with the same dtype "
                                 f"({vals[0].dtype.base_dtype.name} vs "
                                 f"{v.dtype.base_dtype.name}).")
        bounds = [convert_to_tensor(b, dtype=x.dtype.base_dtype) if not isinstance(b, Tensor)
                  else _m.cast(b, x.dtype.base_dtype) for b in boundaries]
        result = vals[-1]
        for b, v in zip(reversed(bounds), reversed(vals[:-1])):
            result = _m.select(_m.less_equal(x, b), v, result)
        return identity(result, name=scope)


__all__ = ["exponential_decay", "inverse_time_decay", "piecewise_constant", "polynomial_decay"]
