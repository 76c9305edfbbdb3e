"""Encoding shared by the writers: steps, Summary events, graphs and run metadata as bytes."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from google.protobuf.message import DecodeError

from flowlog.events.wire import varint
from flowlog.proto import event_pb2, graph_pb2, step_stats_pb2


def _int_step(step: Any) -> int:
    """The int64 step of an event (None: 0)."""
    if step is None:
        return 0
    try:
        plain = step.item() if hasattr(step, "item") else step
        value = int(plain)
        if value != plain:  # 1.5 would silently become 1
            raise ValueError
    except (TypeError, ValueError, RuntimeError, OverflowError):  # RuntimeError: many elements
        shape = getattr(step, "shape", None)
        what = f"{type(step).__name__} of shape {tuple(shape)}" if shape else repr(step)[:80]
        raise TypeError(f"global_step must be an int, got {what}") from None
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"global_step must fit in an int64, got {step!r}")
    return value


def summary_event(summary: bytes, step: Any = None, walltime: float | None = None) -> bytes:
    """A serialized Event holding the serialized Summary `summary`, without re-parsing it."""
    head = event_pb2.Event(
        wall_time=time.time() if walltime is None else float(walltime), step=_int_step(step)
    ).SerializeToString()
    return head + b"\x2a" + varint(len(summary)) + summary


def _message_bytes(value: Any, message: type, what: str, expected: str) -> bytes:
    """Serialized `message` from one (of this or another protobuf package) or its checked bytes."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            message.FromString(data)
        except DecodeError:
            raise ValueError(f"{what} bytes are not a serialized {message.__name__}") from None
        return data
    if hasattr(value, "SerializeToString") and message.__name__ in type(value).__name__:
        return value.SerializeToString()
    raise TypeError(f"expected {expected}, got {type(value).__name__}")


def graph_bytes(graph: Any) -> bytes:
    """A serialized GraphDef from a GraphDef, its bytes, or anything with `.as_graph_def()`."""
    if hasattr(graph, "as_graph_def"):
        try:  # shapes on the edges, as TF1's FileWriter writes them
            graph = graph.as_graph_def(add_shapes=True)
        except TypeError:
            graph = graph.as_graph_def()
    expected = "a GraphDef, its serialized bytes or a graph with as_graph_def()"
    return _message_bytes(graph, graph_pb2.GraphDef, "graph", expected)


def _run_metadata_bytes(run_metadata: Any) -> bytes:
    expected = "a RunMetadata or its serialized bytes"
    return _message_bytes(run_metadata, step_stats_pb2.RunMetadata, "run_metadata", expected)


def _default_logdir(comment: str) -> str:
    """`runs/<Mon>DD_HH-MM-SS_<host><comment>`, as torch.utils.tensorboard names runs."""
    stamp = time.strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
