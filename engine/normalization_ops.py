"""`tf.nn.batch_normalization` (the formula given the moments, built from the engine's ops so
its gradient comes for free) and `tf.nn.local_response_normalization` (`lrn`: TensorFlow's LRN
op and its LRNGrad, as the CIFAR-10 tutorial normalizes)."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.framework import Tensor, convert_to_tensor, name_scope, register_op
from flowlog.engine.op_util import apply_op, build1
from flowlog.engine.unary_ops import rsqrt


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon,
                        name: str | None = None) -> Tensor:
    """(x - mean) * scale / sqrt(variance + epsilon) + offset, in TF's order of operations:
    x * inv + (offset - mean * inv) with inv = scale * rsqrt(variance + epsilon)."""
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        inv = rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv *= scale
        return x * inv + (offset - mean * inv if offset is not None else -mean * inv)


# --- LRN ---------------------------------------------------------------------------------------
# y = x * N ** -beta with N = bias + alpha * (sum of x**2 over the channels d-r .. d+r); so
# dy_d/dx_j = [d == j] N_d**-beta - 2 alpha beta x_d x_j N_d**(-beta-1) [|d - j| <= r].


def _window_sums(v: np.ndarray, r: int) -> np.ndarray:
    """The sum of `v` over the channels d-r .. d+r, for each channel d (last axis)."""
    c = v.shape[-1]
    padded = np.concatenate([np.zeros(v.shape[:-1] + (1,), v.dtype), np.cumsum(v, axis=-1)], -1)
    hi = np.minimum(np.arange(c) + r + 1, c)
    lo = np.maximum(np.arange(c) - r, 0)
    return padded[..., hi] - padded[..., lo]


_LRN_ATTRS = ("depth_radius", "bias", "alpha", "beta")


def _lrn_norm(x, depth_radius, bias, alpha):
    return np.asarray(bias, x.dtype) + np.asarray(alpha, x.dtype) * _window_sums(
        np.square(x), depth_radius)


@register_op("LRNGrad", attrs=_LRN_ATTRS, infer=lambda op: [(op.inputs[1].dtype.base_dtype,
                                                              op.inputs[1].shape)])
def _lrn_grad_kernel(dy, x, y, *, depth_radius, bias, alpha, beta):
    norm = _lrn_norm(x, depth_radius, bias, alpha)
    scaled = _window_sums(dy * y / norm, depth_radius)  # sum over j of dy_j x_j N_j**(-beta-1)
    return (dy * norm ** -beta - 2 * alpha * beta * x * scaled).astype(x.dtype, copy=False)


def _lrn_grad(op, g):
    attrs = {k: op.attrs[k] for k in _LRN_ATTRS}
    return (build1("LRNGrad", [g, op.inputs[0], op.outputs[0]], attrs),)


@register_op("LRN", attrs=_LRN_ATTRS, grad=_lrn_grad)
def _lrn_kernel(x, *, depth_radius, bias, alpha, beta):
    norm = _lrn_norm(x, depth_radius, bias, alpha)
    return (x * norm ** np.asarray(-beta, x.dtype)).astype(x.dtype, copy=False)


def local_response_normalization(input, depth_radius: int = 5, bias: float = 1.0,
                                 alpha: float = 1.0, beta: float = 0.5,
                                 name: str | None = None) -> Tensor:
    """Each channel of the NHWC `input` divided by (bias + alpha * the sum of squares of the
    `depth_radius` channels either side of it) ** beta."""
    attrs = {"depth_radius": int(depth_radius), "bias": float(bias), "alpha": float(alpha),
             "beta": float(beta)}
    x = convert_to_tensor(input)
    if x.shape.ndims is not None and x.shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {x.shape.ndims} for 'LRN' "
                         f"(input shape {x.shape})")
    floats = (dtypes.float16, dtypes.float32, dtypes.float64)
    return apply_op("LRN", [("input", x)], floats, attrs=attrs, name=name)


lrn = local_response_normalization

__all__ = ["batch_normalization", "local_response_normalization", "lrn"]
