"""Variable initializers (`fl.constant_initializer`, ...): callables `init(shape, dtype)` -> Tensor."""
from __future__ import annotations

import math

from flowlog.engine import dtypes, ops
from flowlog.engine.framework import constant


class Initializer:
    """Base class: `init(shape, dtype=None, partition_info=None)` builds the initial value."""

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def _dtype(self, dtype):
        return dtypes.as_dtype(dtype if dtype is not None else self.dtype).base_dtype

    def get_config(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class Zeros(Initializer):
    def __call__(self, shape, dtype=None, partition_info=None):
        return ops.zeros(shape, self._dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None, partition_info=None):
        return ops.ones(shape, self._dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0, dtype=dtypes.float32, verify_shape=False):
        self.value = value
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return constant(self.value, dtype=self._dtype(dtype), shape=shape)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return ops.random_normal(shape, self.mean, self.stddev, self._dtype(dtype),
                                    seed=self.seed)


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None, partition_info=None):
        return ops.truncated_normal(shape, self.mean, self.stddev, self._dtype(dtype),
                                       seed=self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval=0, maxval=None, seed=None, dtype=dtypes.float32):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return ops.random_uniform(shape, self.minval, self.maxval, self._dtype(dtype),
                                     seed=self.seed)


class VarianceScaling(Initializer):
    """Scale / fan (in, out or their average), drawn uniform or truncated normal (as TF1)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=dtypes.float32):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        fan_in, fan_out = _fans(list(shape))
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        dtype = self._dtype(dtype)
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(scale) / 0.87962566103423978  # std of a unit normal cut at 2
            return ops.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return ops.random_normal(shape, 0.0, math.sqrt(scale), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return ops.random_uniform(shape, -limit, limit, dtype, seed=self.seed)


def _fans(shape: list) -> tuple[float, float]:
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def glorot_uniform_initializer(seed=None, dtype=dtypes.float32) -> VarianceScaling:
    """Uniform in +-sqrt(6 / (fan_in + fan_out)): get_variable's default for floats."""
    return VarianceScaling(1.0, "fan_avg", "uniform", seed, dtype)


def glorot_normal_initializer(seed=None, dtype=dtypes.float32) -> VarianceScaling:
    return VarianceScaling(1.0, "fan_avg", "truncated_normal", seed, dtype)


def default_for(name: str, dtype) -> Initializer:
    """get_variable's initializer when none is given."""
    dtype = dtypes.as_dtype(dtype)
    if dtype.is_floating:
        return glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_bool:
        return Zeros(dtype)
    raise ValueError(f"An initializer for variable {name} of type {dtype.name} is required")


constant_initializer = Constant
zeros_initializer = Zeros
ones_initializer = Ones
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
random_uniform_initializer = RandomUniform
variance_scaling_initializer = VarianceScaling
