"""Event-level reading shared by `fl.read_events`, `fl.read_scalars` and the dashboard."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
from google.protobuf.message import DecodeError

from flowlog.events.record_reader import RecordReader
from flowlog.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2

# The most elements a tensor stored as one repeated value may expand to (TensorFlow writes a
# tensor whose elements are all equal as one value; a damaged shape could claim 2**60).
MAX_FILL = 1 << 24

# NumPy dtype of each DataType that a summary tensor may hold, and the repeated field that
# carries its values when tensor_content is empty.
_NUMPY = {
    types_pb2.DT_FLOAT: (np.float32, "float_val"),
    types_pb2.DT_DOUBLE: (np.float64, "double_val"),
    types_pb2.DT_HALF: (np.float16, "half_val"),
    types_pb2.DT_BFLOAT16: (None, "half_val"),
    types_pb2.DT_INT8: (np.int8, "int_val"),
    types_pb2.DT_INT16: (np.int16, "int_val"),
    types_pb2.DT_INT32: (np.int32, "int_val"),
    types_pb2.DT_INT64: (np.int64, "int64_val"),
    types_pb2.DT_UINT8: (np.uint8, "int_val"),
    types_pb2.DT_UINT16: (np.uint16, "int_val"),
    types_pb2.DT_UINT32: (np.uint32, "uint32_val"),
    types_pb2.DT_UINT64: (np.uint64, "uint64_val"),
    types_pb2.DT_BOOL: (np.bool_, "bool_val"),
}


def decode_tensor(t: tensor_pb2.TensorProto) -> np.ndarray:
    """The value of a TensorProto as a NumPy array (strings as an object array of bytes)."""
    shape = tuple(d.size for d in t.tensor_shape.dim)
    if t.dtype == types_pb2.DT_STRING:
        arr = np.empty(len(t.string_val), dtype=object)
        arr[:] = list(t.string_val)
        return arr.reshape(shape) if arr.size == _element_count(shape) else arr
    if t.dtype not in _NUMPY:
        raise ValueError(f"tensor dtype {types_pb2.DataType.Name(t.dtype)} is not supported")
    np_dtype, field = _NUMPY[t.dtype]
    n = _element_count(shape)
    if t.dtype == types_pb2.DT_BFLOAT16:  # upper halves of float32 words
        raw = np.asarray(getattr(t, field), dtype=np.uint32) << 16
        arr = raw.view(np.float32)
    elif t.tensor_content:
        arr = np.frombuffer(t.tensor_content, dtype=np.dtype(np_dtype).newbyteorder("<"))
    elif t.dtype == types_pb2.DT_HALF:  # half_val holds the raw bits in int32s
        arr = np.asarray(t.half_val, dtype=np.uint16).view(np.float16)
    else:
        arr = np.asarray(getattr(t, field), dtype=np_dtype)
    if arr.size == 1 and 1 < n <= MAX_FILL:  # a single value stands for a tensor filled with it
        arr = np.full(n, arr[0], dtype=arr.dtype)
    if arr.size != n:
        raise ValueError(f"damaged tensor: shape {list(shape)} holds {n} values, "
                         f"its content {arr.size}")
    return arr.reshape(shape)


def _element_count(shape: tuple[int, ...]) -> int:
    """Elements of a tensor of `shape`, checked: a damaged shape must not size an allocation."""
    n = 1
    for d in shape:
        if d < 0:
            raise ValueError(f"damaged tensor: shape {list(shape)} has a negative dimension")
        n *= d
    return n


def plugin_of(value: summary_pb2.Summary.Value, known: dict[str, str]) -> str:
    """The plugin a summary value belongs to.

    Writers attach metadata to the first value of a tag only, so `known` (tag -> plugin
    name, kept per run by the caller) remembers it for the values that follow.
    """
    if value.HasField("metadata") and value.metadata.plugin_data.plugin_name:
        known[value.tag] = value.metadata.plugin_data.plugin_name
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return "scalars"
    if kind == "histo":
        return "histograms"
    if kind == "image":
        return "images"
    if kind == "audio":
        return "audio"
    return known.get(value.tag, "")


def scalar_of(value: summary_pb2.Summary.Value, plugin: str) -> float | None:
    """The scalar a summary value holds (old `simple_value` or a `scalars` tensor), or None.

    ValueError if it is a `scalars` tensor that is damaged (see `decode_tensor`).
    """
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return value.simple_value
    if kind == "tensor" and plugin == "scalars":
        arr = decode_tensor(value.tensor)
        if arr.size == 1:
            return float(arr.reshape(-1)[0])
    return None


class EventFileReader:
    """Yields the `Event`s of one file, resumably (see `RecordReader`).

    Records whose framing is intact but whose bytes are not an Event are skipped and counted
    in `bad_events`.
    """

    def __init__(self, path: str | os.PathLike, offset: int = 0,
                 storage_options: dict | None = None):
        self.records = RecordReader(path, offset, storage_options=storage_options)
        self.bad_events = 0

    @property
    def path(self) -> str | os.PathLike:
        """Path of the event file."""
        return self.records.path

    @property
    def offset(self) -> int:
        """Byte offset where the next `read()` resumes (past the last record read or skipped)."""
        return self.records.offset

    def read(self) -> Iterator[event_pb2.Event]:
        """Yield each new event from the current offset to the end of the file."""
        for data in self.records.read():
            event = event_pb2.Event()
            try:
                event.ParseFromString(data)
            except DecodeError:
                self.bad_events += 1
                continue
            yield event
