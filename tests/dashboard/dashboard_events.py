"""Event files for the dashboard tests, written record by record from the protos."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from flowlog.codecs.png import encode_png
from flowlog.events.records import frame
from flowlog.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

WALL0 = 1_700_000_000.0


def event(step: int = 0, wall: float | None = None, **what) -> event_pb2.Event:
    """An Event at `step` with one `what` field set (summary=..., session_log=..., ...)."""
    return event_pb2.Event(step=step, wall_time=WALL0 + step if wall is None else wall, **what)


def scalar(tag: str, step: int, value: float, wall: float | None = None) -> event_pb2.Event:
    """An old-style scalar (simple_value)."""
    v = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    return event(step, wall, summary=summary_pb2.Summary(value=[v]))


def tensor_scalar(tag: str, step: int, value: float, metadata: bool = False,
                  dtype: int = types_pb2.DT_FLOAT) -> event_pb2.Event:
    """A new-style scalar: a 0-d tensor, with `scalars` plugin metadata if `metadata`."""
    t = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto())
    (t.float_val if dtype == types_pb2.DT_FLOAT else t.double_val).append(value)
    v = summary_pb2.Summary.Value(tag=tag, tensor=t)
    if metadata:
        v.metadata.plugin_data.plugin_name = "scalars"
    return event(step, summary=summary_pb2.Summary(value=[v]))


def histogram(tag: str, step: int, values) -> event_pb2.Event:
    """An old-style histogram (HistogramProto) of `values`."""
    values = np.asarray(values, dtype=float)
    counts, edges = np.histogram(values, bins=10)
    h = summary_pb2.HistogramProto(min=values.min(), max=values.max(), num=values.size,
                                   sum=values.sum(), sum_squares=(values ** 2).sum(),
                                   bucket_limit=edges[1:].tolist(), bucket=counts.tolist())
    return event(step, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag=tag, histo=h)]))


def image(tag: str, step: int, pixels: np.ndarray) -> event_pb2.Event:
    """An old-style image summary holding `pixels` (h, w, c uint8) as PNG."""
    h, w, c = pixels.shape
    img = summary_pb2.Summary.Image(height=h, width=w, colorspace=c,
                                    encoded_image_string=encode_png(pixels))
    return event(step, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag=tag, image=img)]))


def text(tag: str, step: int, content: str) -> event_pb2.Event:
    """A text summary: a string tensor with `text` plugin metadata."""
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[content.encode()],
                               tensor_shape=tensor_shape_pb2.TensorShapeProto())
    v = summary_pb2.Summary.Value(tag=tag, tensor=t)
    v.metadata.plugin_data.plugin_name = "text"
    return event(step, summary=summary_pb2.Summary(value=[v]))


def start(step: int) -> event_pb2.Event:
    """A SessionLog.START at `step`: the run restarted there."""
    return event(step, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))


def append(path: str | os.PathLike, events) -> Path:
    """Append `events` (Event messages or raw bytes) to the event file at `path`, framed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as f:
        f.writelines(frame(e if isinstance(e, bytes) else e.SerializeToString()) for e in events)
    return path


def event_file(run_dir: str | os.PathLike, n: int = 0) -> Path:
    """A path for a new event file in `run_dir`, named as writers name them."""
    return Path(run_dir) / f"events.out.tfevents.{int(time.time()) + n:010d}.host.1.{n}"


def new_file(run_dir, events, n: int = 0) -> Path:
    """A new event file in `run_dir` opening with a file_version event, then `events`."""
    return append(event_file(run_dir, n), [event(file_version="brain.Event:2"), *events])


def loaded_client(logdir):
    """A Flask test client of flowboard over `logdir`, everything in it read."""
    from flowlog.dashboard.app import PROVIDER, create_app

    app = create_app(logdir, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    return app.test_client()
