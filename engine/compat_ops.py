"""TF1's older spellings kept by the tutorials: `to_int64`, `to_double`, `arg_min`, `arg_max`."""
from __future__ import annotations

from flowlog.engine import dtypes
from flowlog.engine.math_ops import cast
from flowlog.engine.reduction_ops import argmax, argmin


def to_int64(x, name: str = "ToInt64"):
    """`x` cast to int64."""
    return cast(x, dtypes.int64, name=name)


def to_double(x, name: str = "ToDouble"):
    """`x` cast to float64."""
    return cast(x, dtypes.float64, name=name)


def to_bfloat16(x, name: str = "ToBFloat16"):
    raise TypeError("bfloat16 is not supported: cast to float16 or float32 instead.")


def arg_min(input, dimension, name: str | None = None, output_type=dtypes.int64):
    """The index of the smallest value along `dimension` (TF1's name for argmin)."""
    return argmin(input, dimension, name=name, output_type=output_type)


def arg_max(input, dimension, name: str | None = None, output_type=dtypes.int64):
    """The index of the largest value along `dimension` (TF1's name for argmax)."""
    return argmax(input, dimension, name=name, output_type=output_type)


__all__ = ["arg_max", "arg_min", "to_bfloat16", "to_double", "to_int64"]
