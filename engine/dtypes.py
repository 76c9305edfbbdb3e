"""Tensor element types, named and numbered as TensorFlow's."""
from __future__ import annotations

import numpy as np

from flowlog.proto import types_pb2


class DType:
    """An element type: `fl.float32`, `fl.int32`, ...; `_ref` variants are variable outputs."""

    __slots__ = ("_is_ref", "as_datatype_enum", "as_numpy_dtype", "name")

    def __init__(self, name: str, np_type, enum: int, is_ref: bool = False):
        self.name = name
        self.as_numpy_dtype = np_type
        self.as_datatype_enum = enum
        self._is_ref = is_ref

    @property
    def base_dtype(self) -> DType:
        return _BY_ENUM[self.as_datatype_enum - 100] if self._is_ref else self

    @property
    def is_ref_dtype(self) -> bool:
        return self._is_ref

    def _as_ref(self) -> DType:
        return self if self._is_ref else _BY_ENUM[self.as_datatype_enum + 100]

    @property
    def is_floating(self) -> bool:
        return self.base_dtype in (float16, float32, float64)

    @property
    def is_integer(self) -> bool:
        return self.base_dtype in (int8, int16, int32, int64, uint8, uint16, uint32, uint64)

    @property
    def is_bool(self) -> bool:
        return self.base_dtype is bool_

    @property
    def is_numeric(self) -> bool:
        return self.is_floating or self.is_integer

    @property
    def min(self):
        t = self.base_dtype.as_numpy_dtype
        return np.finfo(t).min if self.is_floating else np.iinfo(t).min

    @property
    def max(self):
        t = self.base_dtype.as_numpy_dtype
        return np.finfo(t).max if self.is_floating else np.iinfo(t).max

    def is_compatible_with(self, other) -> bool:
        return as_dtype(other).base_dtype is self.base_dtype

    def __repr__(self) -> str:
        return f"fl.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return as_dtype, (self.name,)


_BY_ENUM: dict[int, DType] = {}
_BY_NAME: dict[str, DType] = {}


def _make(name: str, np_type, enum: int) -> DType:
    base = DType(name, np_type, enum)
    ref = DType(name + "_ref", np_type, enum + 100, is_ref=True)
    for d in (base, ref):
        _BY_ENUM[d.as_datatype_enum] = d
        _BY_NAME[d.name] = d
    return base


float16 = half = _make("float16", np.float16, types_pb2.DT_HALF)
float32 = _make("float32", np.float32, types_pb2.DT_FLOAT)
float64 = double = _make("float64", np.float64, types_pb2.DT_DOUBLE)
int8 = _make("int8", np.int8, types_pb2.DT_INT8)
int16 = _make("int16", np.int16, types_pb2.DT_INT16)
int32 = _make("int32", np.int32, types_pb2.DT_INT32)
int64 = _make("int64", np.int64, types_pb2.DT_INT64)
uint8 = _make("uint8", np.uint8, types_pb2.DT_UINT8)
uint16 = _make("uint16", np.uint16, types_pb2.DT_UINT16)
uint32 = _make("uint32", np.uint32, types_pb2.DT_UINT32)
uint64 = _make("uint64", np.uint64, types_pb2.DT_UINT64)
bool_ = _make("bool", np.bool_, types_pb2.DT_BOOL)
string = _make("string", np.object_, types_pb2.DT_STRING)

_BY_NUMPY = {np.dtype(d.as_numpy_dtype): d for d in
             (float16, float32, float64, int8, int16, int32, int64,
              uint8, uint16, uint32, uint64, bool_)}


def as_dtype(value) -> DType:
    """Convert a DType, a name ('float32'), a NumPy dtype/type or a DataType enum to a DType."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        if value in _BY_NAME:
            return _BY_NAME[value]
        if value == "float":
            return float32
        if value == "double":
            return float64
    elif isinstance(value, int) and not isinstance(value, bool) and value in _BY_ENUM:
        return _BY_ENUM[value]
    else:
        try:
            np_dtype = np.dtype(value)
        except TypeError:
            np_dtype = None
        if np_dtype is not None:
            if np_dtype in _BY_NUMPY:
                return _BY_NUMPY[np_dtype]
            if np_dtype.kind in "SUO":
                return string
    raise TypeError(f"Cannot convert value {value!r} to a flowlog DType.")
