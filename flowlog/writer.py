"""Event-file writers: `EventFileWriter` (queue + thread), TF1's `FileWriter`, torch-style `SummaryWriter`."""
from __future__ import annotations

import atexit
import itertools
import os
import socket
import struct
import sys
import threading
import time
from time import time as _now
from typing import Any

from google.protobuf.message import DecodeError

from flowlog import builders
from flowlog.proto import event_pb2, graph_pb2, summary_pb2
from flowlog.records import SCALAR_ITEM, frame, frame_scalars, scalar_tag_id, varint

FILE_VERSION = "brain.Event:2"
# Events pending in memory before the writer thread is woken to write them in one batch.
DEFAULT_MAX_QUEUE = 1024
_file_counter = itertools.count()

_PACK_SCALAR = SCALAR_ITEM.pack


def encode_batch(items: list) -> tuple[bytes, list]:
    """Frame a batch of queued items into one string of records, in order.

    Items are packed scalars (`SCALAR_ITEM` bytes, framed in bulk by `frame_scalars`),
    serialized Events wrapped in a 1-tuple, or flush markers, returned apart.
    """
    try:
        return (frame_scalars(b"".join(items)) if items else b""), []  # only scalars: usual
    except TypeError:
        pass
    parts, markers, run = [], [], []
    for item in items:
        if type(item) is bytes:
            run.append(item)
            continue
        if run:
            parts.append(frame_scalars(b"".join(run)))
            run = []
        if type(item) is tuple:
            parts.append(frame(item[0]))
        else:
            markers.append(item)
    if run:
        parts.append(frame_scalars(b"".join(run)))
    return b"".join(parts), markers


class _FlushMarker:
    """Queued by `flush()`; set by the writer thread once everything before it is written."""

    __slots__ = ("done", "error")

    def __init__(self):
        self.done = threading.Event()
        self.error: BaseException | None = None


def _named_error(e: OSError, path: str, doing: str) -> OSError:
    """The same kind of OSError, saying what failed and naming the file or directory."""
    return OSError(e.errno, f"{doing} failed: {e.strerror or e}", path)


def _open_event_file(logdir: str, suffix: str) -> tuple[int, str]:
    """Create a new event file in `logdir` (made if missing); never reuses an existing name."""
    try:
        os.makedirs(logdir, exist_ok=True)
    except OSError as e:
        raise _named_error(e, logdir, "creating logdir") from None
    host = socket.gethostname()
    while True:
        name = f"events.out.tfevents.{int(time.time()):010d}.{host}.{os.getpid()}.{next(_file_counter)}{suffix}"
        path = os.path.join(logdir, name)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_BINARY", 0)
            return os.open(path, flags, 0o666), path
        except FileExistsError:  # another process with our pid and counter (pid reuse)
            continue
        except OSError as e:
            raise _named_error(e, logdir, "creating an event file in logdir") from None


_open_writers: set[EventFileWriter] = set()
_open_lock = threading.Lock()


@atexit.register
def _close_open_writers() -> None:
    """Write out every writer still open when the interpreter exits."""
    with _open_lock:
        writers = list(_open_writers)
    for w in writers:
        try:
            w.close()
        except Exception as e:  # noqa: BLE001  (nothing to raise to any more: say it)
            print(f"flowlog: closing {w.path} at exit: {e}", file=sys.stderr)


class EventFileWriter:
    """Appends events to a new event file from a background thread.

    `add_event` and the `SummaryWriter` fast paths only append to an in-memory list; the
    thread frames whole batches and hands each to the OS with one `write()`. The thread
    wakes when `max_queue` events are pending, every `flush_secs`, and on `flush()` /
    `close()`. A caller blocks only when the thread falls far behind. A write error (disk
    full, ...) is raised, naming the file, by the next `add_event`/`flush`/`close`; the
    unwritten bytes are kept and retried first at the next write.
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ):
        if int(max_queue) < 1:
            raise ValueError(f"max_queue must be a positive int, got {max_queue!r}")
        self._logdir = os.fspath(logdir)
        self._fd, self._path = _open_event_file(self._logdir, filename_suffix or "")
        self._max_queue = int(max_queue)
        self._bound = max(8 * self._max_queue, 8192)
        # The hot path calls `_overflow` once `_pending` reaches `_limit`; errors and close
        # set it to 0 so that check doubles as theirs at no extra cost.
        self._limit = self._max_queue
        self._flush_secs = float(flush_secs)
        self._pending: list = []
        self._unwritten = b""
        self._error: OSError | None = None
        self._error_lock = threading.Lock()
        self._closed = False
        self._stopping = False
        self._wake = threading.Event()
        self._drained = threading.Condition()
        version = event_pb2.Event(wall_time=time.time(), file_version=FILE_VERSION)
        try:
            self._write(frame(version.SerializeToString()))
        except OSError:
            os.close(self._fd)
            raise self._take_error() from None
        self._thread = threading.Thread(target=self._run, name="flowlog-writer", daemon=True)
        self._thread.start()
        with _open_lock:
            _open_writers.add(self)

    @property
    def path(self) -> str:
        """Path of the event file."""
        return self._path

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._logdir

    def add_event(self, event: Any) -> None:
        """Queue an `Event` (any protobuf message with `SerializeToString`) for writing."""
        self._put((event.SerializeToString(),))

    def add_serialized(self, data: bytes) -> None:
        """Queue an already serialized `Event`."""
        self._put((bytes(data),))

    def _put(self, item: Any) -> None:
        pending = self._pending
        if len(pending) >= self._limit:
            self._overflow()
        pending.append(item)

    def _overflow(self) -> None:
        """Called from `_put` past the limit: raise a pending error, wake the thread, or wait."""
        if self._closed:
            raise ValueError(f"event file writer for {self._path} is closed")
        error = self._take_error()
        if error is not None:
            raise error
        self._limit = self._bound  # wake the thread once, not on every call until it runs
        self._wake.set()
        if len(self._pending) >= self._bound:
            with self._drained:
                self._drained.wait_for(
                    lambda: len(self._pending) < self._bound
                    or self._error is not None
                    or not self._thread.is_alive()
                )
            error = self._take_error()
            if error is not None:
                raise error

    def _take_error(self) -> OSError | None:
        with self._error_lock:
            error, self._error = self._error, None
            if not self._closed:
                self._limit = self._max_queue
            return error

    def flush(self) -> None:
        """Return once every event added so far has been written to the OS."""
        if self._closed:
            return
        marker = _FlushMarker()
        self._pending.append(marker)
        self._wake.set()
        while not marker.done.wait(1.0):
            if not self._thread.is_alive():
                break
        error = self._take_error()
        if error is not None:
            raise error

    def close(self) -> None:
        """Write everything out and close the file; later `add_*` calls raise ValueError."""
        if self._closed:
            return
        with self._error_lock:
            self._closed = True
            self._limit = 0
        self._stopping = True
        self._wake.set()
        self._thread.join()
        self._drain()  # anything a racing add_* appended after the thread's last batch
        os.close(self._fd)
        with _open_lock:
            _open_writers.discard(self)
        error = self._take_error()
        if error is not None:
            raise error
        if self._unwritten:
            raise OSError(f"{len(self._unwritten)} bytes could not be written to {self._path}")

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_secs)
            self._wake.clear()
            stopping = self._stopping
            self._drain()
            if stopping:
                return

    def _drain(self) -> None:
        """Write every pending item (in the writer thread, or at close)."""
        pending = self._pending
        n = len(pending)
        # Callers only ever append, so the first n items stay put while we take them.
        items = pending[:n]
        del pending[:n]
        if not self._closed:
            self._limit = self._max_queue
        with self._drained:
            self._drained.notify_all()
        markers = []
        try:
            data, markers = encode_batch(items)
            self._write(self._unwritten + data if self._unwritten else data)
        except OSError:
            pass  # recorded by _write; raised on the next add/flush
        except Exception as e:  # noqa: BLE001  (a bug must not stop the thread silently)
            with self._error_lock:
                self._error, self._limit = OSError(f"writing {self._path} failed: {e!r}"), 0
        for marker in markers:
            marker.done.set()

    def _write(self, data: bytes) -> None:
        """Hand `data` to the OS; on failure keep what was not written and record the error."""
        view = memoryview(data)
        done = 0
        try:
            while done < len(view):
                done += os.write(self._fd, view[done:])
            self._unwritten = b""
        except OSError as e:
            self._unwritten = bytes(view[done:])
            with self._error_lock:
                self._error = _named_error(e, self._path, "writing event file")
                self._limit = 0
            raise


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


def graph_bytes(graph: Any) -> bytes:
    """A serialized GraphDef from a GraphDef, its bytes, or anything with `.as_graph_def()`."""
    if hasattr(graph, "as_graph_def"):
        graph = graph.as_graph_def()
    if isinstance(graph, (bytes, bytearray, memoryview)):
        data = bytes(graph)
        try:
            graph_pb2.GraphDef.FromString(data)
        except DecodeError:
            raise ValueError("graph bytes are not a serialized GraphDef") from None
        return data
    if hasattr(graph, "SerializeToString") and "GraphDef" in type(graph).__name__:
        return graph.SerializeToString()
    raise TypeError(
        f"expected a GraphDef, its serialized bytes or a graph with as_graph_def(), "
        f"got {type(graph).__name__}"
    )


def _run_metadata_bytes(run_metadata: Any) -> bytes:
    if isinstance(run_metadata, (bytes, bytearray)):
        return bytes(run_metadata)
    if hasattr(run_metadata, "SerializeToString"):
        return run_metadata.SerializeToString()
    raise TypeError(f"expected a RunMetadata or its bytes, got {type(run_metadata).__name__}")


def _default_logdir(comment: str) -> str:
    """`runs/<Mon>DD_HH-MM-SS_<host><comment>`, as torch.utils.tensorboard names runs."""
    stamp = time.strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """tensorboardX / torch.utils.tensorboard style writer for plain training loops.

    `add_*` calls are thread-safe and cheap: `add_scalar` queues a tuple that the writer
    thread encodes. Values may be Python numbers, NumPy scalars or 0-d arrays, or anything
    with `.item()` (torch tensors).
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
        if tag_id is None or new_style or type(scalar_value) is not float:
            self._slow_scalar(self._put, tag, scalar_value, global_step, walltime, new_style)
            return
        step = global_step if type(global_step) is int else _int_step(global_step)
        pending = self._pending
        if len(pending) >= self._writer._limit:
            self._writer._overflow()
        try:
            pending.append(_PACK_SCALAR(_now() if walltime is None else walltime, step, tag_id, scalar_value))
        except struct.error:  # a step beyond int64, or a walltime that is no number
            self._slow_scalar(self._put, tag, scalar_value, global_step, walltime, new_style)

    def _slow_scalar(self, put, tag, value, step, walltime, new_style) -> None:
        builders.check_tag(tag)
        if new_style:
            summary = builders.scalar(tag, value, new_style=True)
            put((summary_event(summary.SerializeToString(), step, walltime),))
            return
        value = builders.to_float(value, tag)
        tag_id = self._tag_ids[tag] = scalar_tag_id(tag)
        put(_PACK_SCALAR(_now() if walltime is None else float(walltime), _int_step(step), tag_id, value))

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict[str, Any],
        global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log several scalars under `main_tag`, each in its own run `logdir/<main_tag>_<name>`."""
        builders.check_tag(main_tag)
        wall = _now() if walltime is None else walltime
        for name, value in tag_scalar_dict.items():
            run = os.path.join(self._logdir, f"{main_tag.replace('/', '_')}_{name}")
            with self._lock:
                writer = self._subwriters.get(run)
                if writer is None:
                    writer = self._subwriters[run] = EventFileWriter(run, *self._options)
            self._slow_scalar(writer._put, main_tag, value, global_step, wall, False)

    def add_summary(self, summary: Any, global_step: Any = None, walltime: float | None = None):
        """Log a `Summary` (or its serialized bytes), e.g. one built by `flowlog.builders`."""
        data = summary if isinstance(summary, bytes) else summary.SerializeToString()
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
            event_pb2.Event(wall_time=_now(), step=_int_step(global_step), tagged_run_metadata=tagged)
        )

    def flush(self) -> None:
        """Return once everything logged so far is written to the OS."""
        for writer in [self._writer, *self._subwriters.values()]:
            writer.flush()

    def close(self) -> None:
        """Write everything out and close every event file of this writer."""
        errors = []
        for writer in [self._writer, *self._subwriters.values()]:
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
                raise ValueError("add_summary got bytes that are not a serialized Summary") from None
            summary = parsed
        elif not isinstance(summary, summary_pb2.Summary):
            summary = summary_pb2.Summary.FromString(summary.SerializeToString())
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
        self._add(event_pb2.Event(graph_def=graph_bytes(graph if graph is not None else graph_def)), global_step)

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
        tagged = event_pb2.TaggedRunMetadata(tag=tag, run_metadata=_run_metadata_bytes(run_metadata))
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
