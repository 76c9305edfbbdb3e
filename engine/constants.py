"""Constants and conversion: `constant`, `convert_to_tensor`, and the NumPy value checks they share."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.default_graph import get_default_graph
from flowlog.engine.op_registry import register_op
from flowlog.engine.operation import Operation, Tensor
from flowlog.engine.shapes import TensorShape, as_shape


def infer_dtype(value) -> dtypes.DType:
    """The dtype a constant of `value` gets: float32 for floats, int32 (int64 if too big) for ints."""
    if isinstance(value, (np.ndarray, np.generic)):
        return dtypes.as_dtype(value.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return dtypes.float32
    if arr.dtype.kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return dtypes.int64
        return dtypes.int32
    if arr.dtype.kind == "b":
        return dtypes.bool_
    if arr.dtype.kind in "SUO":
        return dtypes.string
    if arr.dtype.kind == "c":
        raise TypeError(f"Complex values are not supported: {value!r}")
    raise TypeError(f"Cannot convert {value!r} to a Tensor: unsupported type "
                    f"'{type(value).__name__}'")


def to_numpy(value, dtype: dtypes.DType) -> np.ndarray:
    """`value` as an array of `dtype`; TypeError when that would change its value's kind."""
    if dtype is dtypes.string:
        return np.asarray(value, dtype=object)
    arr = np.asarray(value)
    # TF1 refuses Python floats for integer types even when whole (2.0); arrays must be whole.
    if dtype.is_integer and arr.dtype.kind == "f" and (
            (arr.size and not isinstance(value, (np.ndarray, np.generic)))
            or not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr))):
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    if dtype.is_bool and arr.dtype.kind != "b":
        raise TypeError(f"Expected bool, got {value!r} of type '{type(value).__name__}' instead.")
    if arr.dtype.kind in "SUO" and dtype is not dtypes.string:
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    if (dtype.is_integer and arr.dtype.kind in "iuf" and arr.size
            and arr.dtype != dtype.as_numpy_dtype):  # NumPy would wrap silently
        info = np.iinfo(dtype.as_numpy_dtype)
        low, high = arr.min(), arr.max()
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise ValueError(f"Value {bad.item()!r} is out of range for dtype {dtype.name} "
                             f"[{info.min}, {info.max}]")
    return arr.astype(dtype.as_numpy_dtype, copy=False)


def _constant_infer(op: Operation) -> list:
    return [(op.attrs["dtype"], TensorShape(op.attrs["value"].shape))]


def _constant_kernel(*, value):
    return value


register_op("Const", infer=_constant_infer, attrs=("value",))(_constant_kernel)


def constant(value, dtype=None, shape=None, name: str = "Const") -> Tensor:
    """A tensor whose value is fixed in the graph (floats become float32, ints int32)."""
    dtype = dtypes.as_dtype(dtype) if dtype is not None else infer_dtype(value)
    arr = to_numpy(value, dtype)
    filled = False
    if shape is not None:
        shape = tuple(as_shape(shape).as_list())
        if arr.size == 1:
            arr = np.full(shape, arr.reshape(()), dtype=arr.dtype)
            filled = arr.size != 1
        elif arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        else:
            raise TypeError(f"Expected Tensor's shape: {shape}, got {arr.shape}.")
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)  # kernels share it; nothing may change a constant
    g = get_default_graph()
    op = g.create_op("Const", [], {"dtype": dtype, "value": arr}, name=name)
    op._filled = filled  # one value repeated: TF's TensorProto stores that value once
    return op.outputs[0]


def convert_to_tensor(value, dtype=None, name: str | None = None) -> Tensor:
    """A Tensor for `value`: tensors pass through (dtype checked), others become constants."""
    want = dtypes.as_dtype(dtype) if dtype is not None else None
    if hasattr(value, "_as_graph_tensor") and not isinstance(value, Tensor):
        value = value._as_graph_tensor()
    if isinstance(value, Tensor):
        if want is not None and value.dtype.base_dtype is not want.base_dtype:
            raise ValueError(f"Tensor conversion requested dtype {want.name} for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    if isinstance(value, Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor (target dtype="
                        f"{None if want is None else want.name}, name={name}, as_ref=False)")
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        # TF1 auto-packs a list holding tensors into one Pack op named 'packed'.
        packed = _stack([convert_to_tensor(v, dtype=want) if _holds_tensor([v]) else v
                               for v in value], name=name or "packed")
        return convert_to_tensor(packed, dtype=want)
    return constant(value, dtype=want, name=name or "Const")


def _holds_tensor(values) -> bool:
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor) or hasattr(v, "_as_graph_tensor"):
            return True
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


def _stack(values, name: str) -> Tensor:
    from flowlog.engine.shape_ops import stack  # an op module, built on this one

    return stack(values, name=name)
