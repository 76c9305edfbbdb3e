"""Statistics and norms: `tf.nn.moments`, `l2_normalize`, `clip_by_norm`, `clip_by_global_norm`."""
from __future__ import annotations

from flowlog.engine import array_ops as _a
from flowlog.engine import math_ops as _m
from flowlog.engine import reduction_ops as _r
from flowlog.engine import shape_ops as _s
from flowlog.engine.framework import Tensor, constant, convert_to_tensor, name_scope
from flowlog.engine.nn_ops import l2_loss


def moments(x, axes, shift=None, name: str | None = None, keep_dims=None, keepdims=None):
    """The mean and variance of `x` over `axes` (the variance about that mean)."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "moments", [x, axes]):
        y = convert_to_tensor(x, name="x")
        # The mean is a constant for the variance's gradient, as in TF: the two gradients add
        # up to the one of the plain formula.
        mean = _r.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = _r.reduce_mean(_m.squared_difference(y, _a.stop_gradient(mean)), axes,
                                  keepdims=True, name="variance")
        if not keep:
            mean = _s.squeeze(mean, axes)
            variance = _s.squeeze(variance, axes)
        return mean, variance


def l2_normalize(x, axis=None, epsilon: float = 1e-12, name: str | None = None, dim=None):
    """`x / sqrt(max(sum(x ** 2, axis), epsilon))`."""
    axis = dim if axis is None else axis
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = _r.reduce_sum(_m.square(x), axis, keepdims=True)
        inv_norm = _m.rsqrt(_m.maximum(square_sum, constant(epsilon, dtype=x.dtype)))
        return _m.multiply(x, inv_norm, name=scope)


def clip_by_norm(t, clip_norm, axes=None, name: str | None = None) -> Tensor:
    """`t` scaled down so that its L2 norm over `axes` is at most `clip_norm`."""
    with name_scope(name, "clip_by_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        l2sum = _r.reduce_sum(t * t, axes, keepdims=True)
        positive = l2sum > 0
        safe = _m.select(positive, l2sum, _a.ones_like(l2sum))
        norm = _m.select(positive, _m.sqrt(safe), l2sum)
        clip = convert_to_tensor(clip_norm, dtype=t.dtype.base_dtype)
        return _a.identity(t * clip / _m.maximum(norm, clip), name=scope)


def global_norm(t_list, name: str | None = None) -> Tensor:
    """sqrt(sum of the squared entries of every tensor in `t_list`); None entries are skipped."""
    ts = [convert_to_tensor(t) for t in t_list if t is not None]
    if not ts:
        raise ValueError("t_list must contain at least one tensor")
    with name_scope(name, "global_norm", ts) as scope:
        half_squares = [l2_loss(t) for t in ts]
        total = _m.add_n(half_squares) if len(half_squares) > 1 else half_squares[0]
        return _m.sqrt(total * 2, name=scope)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name: str | None = None):
    """(`t_list` scaled by clip_norm / max(global_norm, clip_norm), the global norm).

    Entries that are None stay None; a non-finite global norm makes every entry NaN, as in TF.
    """
    if not isinstance(t_list, (list, tuple)) or isinstance(t_list, str):
        raise TypeError("t_list should be a sequence")
    t_list = list(t_list)
    with name_scope(name, "clip_by_global_norm", [t for t in t_list if t is not None]):
        norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
        one = constant(1.0, dtype=norm.dtype.base_dtype)
        clip = convert_to_tensor(clip_norm, dtype=norm.dtype.base_dtype, name="clip_norm")
        scale = clip * _m.minimum(one / norm, one / clip)
        nan = constant(float("nan"), dtype=norm.dtype.base_dtype)
        finite = _m.logical_and(_m.equal(norm, norm), _m.less(_m.abs(norm), float("inf")))
        scale = _m.select(finite, scale, nan)
        out = []
        for i, t in enumerate(t_list):
            if t is None:
                out.append(None)
                continue
            t = convert_to_tensor(t)
            out.append(_a.identity(t * _m.cast(scale, t.dtype.base_dtype), name=f"_{i}"))
        return out, norm


__all__ = ["clip_by_global_norm", "clip_by_norm", "global_norm", "l2_normalize", "moments"]
