"""Writers for users: TF1's `FileWriter` and the tensorboardX / torch-style `SummaryWriter`."""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Mapping
from time import time as _now
from typing import Any

from google.protobuf.message import DecodeError

from flowlog import builders
from flowlog.eventfile import DEFAULT_MAX_QUEUE, EventFileWriter
from flowlog.proto import event_pb2, graph_pb2, step_stats_pb2, summary_pb2
from flowlog.scalars import SCALAR_ITEM, scalar_tag_id, varint

__all__ = ["EventFileWriter", "FileWriter", "SummaryWriter"]
_PACK_SCALAR = SCALAR_ITEM.pack


def _int_step(step: Any) -> int:
    """The int64 step of an event (None: 0)."""
    if step is None:
        return 0
    try:
        value = int(step.item() if hasattr(step, "item") else step)
    except (TypeError, ValueError):
        raise TypeError(f"global_step must be an int, got {step!r}") from None
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


class SummaryWriter:
    """tensorboardX / torch.utils.tensorboard style writer for plain training loops.

    `add_*` calls are thread-safe and cheap: `add_scalar` queues 28 packed bytes that the
    writer thread frames in bulk (see `flowlog.scalars`). Values may be Python numbers,
    NumPy scalars or 0-d arrays, or anything with `.item()` (torch tensors).
    """

    def __init__(
        self,
        logdir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flush_secs: float = 120,
        filename_suffix: str = "",
        *,
        log_dir: str | os.PathLike | None = None,
    ):
        logdir = logdir if logdir is not None else log_dir
        self._logdir = os.fspath(logdir) if logdir is not None else _default_logdir(comment)
        self._options = (max_queue, flush_secs, filename_suffix)
        self._writer = EventFileWriter(self._logdir, *self._options)
        self._put = self._writer._put
        self._pending = self._writer._pending
        self._tag_ids: dict[str, int] = {}
        self._subwriters: dict[str, EventFileWriter] = {}
        self._lock = threading.Lock()
        if purge_step is not None:
            log = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
            self._writer.add_event(
                event_pb2.Event(wall_time=time.time(), step=_int_step(purge_step), session_log=log)
            )

    @property
    def log_dir(self) -> str:
        """The run directory this writer writes to."""
        return self._logdir

    logdir = log_dir

    def get_logdir(self) -> str:
        """The run directory this writer writes to."""
        return self._logdir

    @property
    def file_writer(self) -> EventFileWriter:
        """The underlying event file writer."""
        return self._writer

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: Any = None,
        walltime: float | None = None,
        new_style: bool = False,
    ) -> None:
        """Log one scalar; `new_style=True` stores it as a tensor for the scalars plugin."""
        # The hot path of the whole library: a known tag, a float, an int step. Anything
        # else (first use of a tag, conversions, errors) goes through _slow_scalar.
        try:
            tag_id = self._tag_ids[tag]
        except (KeyError, TypeError):
            tag_id = None
        kind = type(scalar_value)
        if tag_id is None or new_style or (kind is not float and kind is not int):
            self._slow_scalar(self._put, tag, scalar_value, global_step, walltime, new_style)
            return
        step = global_step if type(global_step) is int else _int_step(global_step)
        pending = self._pending
        if len(pending) >= self._writer._limit:
            self._writer._overflow()
        try:
            pending.append(
                _PACK_SCALAR(_now() if walltime is None else walltime, step, tag_id, scalar_value)
            )
        except (struct.error, OverflowError):  # a huge int, a step beyond int64, a bad walltime
            self._slow_scalar(self._put, tag, scalar_value, global_step, walltime, new_style)

    def _slow_scalar(self, put, tag, value, step, walltime, new_style) -> None:
        builders.check_tag(tag)
        if new_style:
            summary = builders.scalar(tag, value, new_style=True)
            put((summary_event(summary.SerializeToString(), step, walltime),))
            return
        value = builders.to_float(value, tag)
        tag_id = self._tag_ids[tag] = scalar_tag_id(tag)
        put(
            _PACK_SCALAR(
                _now() if walltime is None else float(walltime), _int_step(step), tag_id, value
            )
        )

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict[str, Any],
        global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log several scalars under `main_tag`, each in its own run `logdir/<main_tag>_<name>`."""
        builders.check_tag(main_tag)
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                f"add_scalars expects a dict of name -> value, got {type(tag_scalar_dict).__name__}"
            )
        wall = _now() if walltime is None else walltime
        for name, value in tag_scalar_dict.items():
            run = os.path.join(self._logdir, f"{main_tag.replace('/', '_')}_{name}")
            with self._lock:
                writer = self._subwriters.get(run)
                if writer is None:
                    writer = self._subwriters[run] = EventFileWriter(run, *self._options)
            self._slow_scalar(writer._put, main_tag, value, global_step, wall, False)

    def add_summary(
        self, summary: Any, global_step: Any = None, walltime: float | None = None
    ) -> None:
        """Log a `Summary` (or its serialized bytes), e.g. one built by `flowlog.builders`."""
        if isinstance(summary, (bytes, bytearray, memoryview)):
            data = bytes(summary)
        elif type(summary).__name__ == "Summary" and hasattr(summary, "SerializeToString"):
            data = summary.SerializeToString()
        else:
            raise TypeError(f"add_summary expects a Summary or its serialized bytes, "
                            f"got {type(summary).__name__}")
        self._put((summary_event(data, global_step, walltime),))

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: Any = None,
        bins: Any = "tensorflow",
        walltime: float | None = None,
    ) -> None:
        """Log a histogram of `values` (TensorBoard's bucket layout, or NumPy `bins`)."""
        self.add_summary(builders.histogram(tag, values, bins), global_step, walltime)

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Any = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log an image (CHW, HWC or HW; uint8, or float in [0, 1]) as PNG."""
        self.add_summary(builders.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Any = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images (NCHW, NHWC or NHW) as one PNG grid, 8 images a row."""
        self.add_summary(builders.images(tag, img_tensor, dataformats), global_step, walltime)

    def add_text(
        self, tag: str, text_string: str, global_step: Any = None, walltime: float | None = None
    ) -> None:
        """Log a text (markdown) summary."""
        self.add_summary(builders.text(tag, text_string), global_step, walltime)

    def add_graph(self, graph: Any, global_step: Any = None) -> None:
        """Log a graph: a GraphDef, its serialized bytes, or anything with `.as_graph_def()`."""
        event = event_pb2.Event(
            wall_time=_now(), step=_int_step(global_step), graph_def=graph_bytes(graph)
        )
        self._writer.add_event(event)

    def add_hparams(
        self,
        hparam_dict: dict[str, Any],
        metric_dict: dict[str, Any],
        run_name: str | None = None,
        global_step: Any = None,
    ) -> None:
        """Log hyperparameters and their metrics to the run `logdir/<run_name>` (default: time)."""
        summaries = builders.hparams(hparam_dict, metric_dict)
        run = os.path.join(self._logdir, run_name or str(time.time()))
        with SummaryWriter(run, max_queue=self._options[0]) as w:
            for summary in summaries:
                w.add_summary(summary)
            for tag, value in metric_dict.items():
                w.add_scalar(tag, value, global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Log a `RunMetadata` (or its bytes) of one `Session.run` under `tag`."""
        tagged = event_pb2.TaggedRunMetadata(
            tag=builders.check_tag(tag), run_metadata=_run_metadata_bytes(run_metadata)
        )
        self._writer.add_event(
            event_pb2.Event(
                wall_time=_now(), step=_int_step(global_step), tagged_run_metadata=tagged
            )
        )

    def _all_writers(self) -> list[EventFileWriter]:
        with self._lock:
            return [self._writer, *self._subwriters.values()]

    def flush(self) -> None:
        """Return once everything logged so far is written to the OS."""
        for writer in self._all_writers():
            writer.flush()

    def close(self) -> None:
        """Write everything out and close every event file of this writer."""
        errors = []
        for writer in self._all_writers():
            try:
                writer.close()
            except OSError as e:
                errors.append(e)
        if errors:
            raise errors[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileWriter:
    """TF1's `tf.summary.FileWriter`: writes Summary protos, graphs and session logs.

    Like TensorFlow, a summary tag's metadata is stored with its first value only.
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str | None = None,
        graph_def: Any = None,
    ):
        self._writer = EventFileWriter(logdir, max_queue, flush_secs, filename_suffix or "")
        self._seen_tags: set[str] = set()
        self._run_metadata_tags: set[str] = set()
        self._lock = threading.Lock()
        if graph is not None or graph_def is not None:
            self.add_graph(graph if graph is not None else graph_def)

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._writer.get_logdir()

    def add_event(self, event: Any) -> None:
        """Write an `Event` as given."""
        self._writer.add_event(event)

    def _add(self, event: event_pb2.Event, global_step: Any) -> None:
        event.wall_time = _now()
        if global_step is not None:
            event.step = _int_step(global_step)
        self._writer.add_event(event)

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Write a `Summary` or the serialized bytes a summary op returned."""
        if isinstance(summary, (bytes, bytearray)):
            parsed = summary_pb2.Summary()
            try:
                parsed.ParseFromString(bytes(summary))
            except DecodeError:
                raise ValueError(
                    "add_summary got bytes that are not a serialized Summary"
                ) from None
            summary = parsed
        elif hasattr(summary, "SerializeToString"):  # a copy: metadata is stripped below
            summary = summary_pb2.Summary.FromString(summary.SerializeToString())
        else:
            raise TypeError(f"expected a Summary or its bytes, got {type(summary).__name__}")
        with self._lock:
            for value in summary.value:
                if not value.HasField("metadata"):
                    continue
                if value.tag in self._seen_tags:
                    value.ClearField("metadata")  # saves space; readers remember it per tag
                else:
                    self._seen_tags.add(value.tag)
        self._add(event_pb2.Event(summary=summary), global_step)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Write a graph: a GraphDef, its bytes, or anything with `.as_graph_def()`."""
        self._add(
            event_pb2.Event(graph_def=graph_bytes(graph if graph is not None else graph_def)),
            global_step,
        )

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Write a `SessionLog` (START, STOP, CHECKPOINT)."""
        if not isinstance(session_log, event_pb2.SessionLog):
            session_log = event_pb2.SessionLog.FromString(session_log.SerializeToString())
        self._add(event_pb2.Event(session_log=session_log), global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Write the `RunMetadata` of one `Session.run` under `tag` (each tag once)."""
        builders.check_tag(tag)
        with self._lock:
            if tag in self._run_metadata_tags:
                raise ValueError("The provided tag was already used for this event type")
            self._run_metadata_tags.add(tag)
        tagged = event_pb2.TaggedRunMetadata(
            tag=tag, run_metadata=_run_metadata_bytes(run_metadata)
        )
        self._add(event_pb2.Event(tagged_run_metadata=tagged), global_step)

    def flush(self) -> None:
        """Return once everything added so far is written to the OS."""
        self._writer.flush()

    def close(self) -> None:
        """Write everything out and close the event file."""
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
