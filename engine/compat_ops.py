"""TF1's older spellings kept by the tutorials (`to_int64`, `to_double`, `arg_min`, `arg_max`)
and `is_variable_initialized`."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.framework import register_op
from flowlog.engine.math_ops import cast
from flowlog.engine.op_util import not_differentiable
from flowlog.engine.reduction_ops import argmax, argmin
from flowlog.engine.shapes import TensorShape


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


__all__ = [
    "arg_max",
    "arg_min",
    "is_variable_initialized",
    "to_bfloat16",
    "to_double",
    "to_int64",
]


# --- IsVariableInitialized ------------------------------------------------------------------


def _initialized_infer(op):
    return [(dtypes.bool_, TensorShape([]))]


register_op("IsVariableInitialized", infer=_initialized_infer, grad=not_differentiable,
            bind=lambda op, session: lambda cell: np.bool_(cell.value is not None),
            stateful=True)(None)


def is_variable_initialized(variable, name: str | None = None):
    """A bool tensor: whether `variable` holds a value in the session that runs it."""
    ref = variable._ref() if hasattr(variable, "_ref") else variable
    g = ref.graph
    return g.create_op("IsVariableInitialized", [ref], {"dtype": ref.dtype.base_dtype},
                       name=name or "IsVariableInitialized").outputs[0]
