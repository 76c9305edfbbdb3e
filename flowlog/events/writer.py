"""`EventFileWriter`: appends events to a new event file from a background thread, in batches."""

from __future__ import annotations

import atexit
import itertools
import os
import socket
import sys
import threading
import time
import warnings
from typing import Any

from flowlog.events.records import frame
from flowlog.events.scalar_records import frame_scalars
from flowlog.proto import event_pb2
from flowlog.storage import is_url, local
from flowlog.storage.objects import ObjectParts

FILE_VERSION = "brain.Event:2"
# Events pending in memory before the writer thread is woken to write them in one batch.
DEFAULT_MAX_QUEUE = 1024
_file_counter = itertools.count()


def encode_batch(items: list, only_scalars: bool) -> tuple[bytes, list]:
    """Frame a batch of queued items into one string of records, in order.

    Items are packed scalars (`SCALAR_ITEM` bytes, framed in bulk by `frame_scalars`),
    serialized Events wrapped in a 1-tuple, or flush markers, returned apart. The writer
    knows whether it queued anything but scalars (`only_scalars`: the usual batch).
    """
    if only_scalars:
        return (frame_scalars(b"".join(items)) if items else b""), []
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

    __slots__ = ("done",)

    def __init__(self):
        self.done = threading.Event()


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
        stamp = f"{int(time.time()):010d}.{host}.{os.getpid()}.{next(_file_counter)}"
        name = f"events.out.tfevents.{stamp}{suffix}"
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


def _forget_after_fork() -> None:
    """In a forked child the open writers are the parent's: closed here, nothing written twice.

    The child holds a copy of every pending event, and no writer thread; writing them at
    its exit would duplicate the parent's data.
    """
    global _open_lock
    _open_lock = threading.Lock()  # another thread may have held it at the fork
    for w in _open_writers:
        w._error_lock, w._mixed_lock = threading.Lock(), threading.Lock()
        w.closed, w._limit, w._unwritten = True, 0, b""
        w._pending.clear()
    _open_writers.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


class EventFileWriter:
    """Appends events to a new event file from a background thread.

    `add_event`, `add_serialized` and `add_packed_scalar` only append to an in-memory list; the
    thread frames whole batches and hands each to the OS with one `write()`. The thread
    wakes when `max_queue` events are pending, every `flush_secs`, and on `flush()` /
    `close()`. A caller blocks only when the thread falls far behind. A write error (disk
    full, ...) is raised, naming the file, by the next `add_event`/`flush`/`close`; the
    unwritten bytes are kept and retried first at the next write (an error whose bytes a
    retry wrote before anyone was told is dropped: nothing was lost).
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flush_secs: float = 120,
        filename_suffix: str = "",
        storage_options: dict | None = None,
    ):
        if int(max_queue) < 1:
            raise ValueError(f"max_queue must be a positive int, got {max_queue!r}")
        self._logdir = os.fspath(logdir)
        self._suffix = filename_suffix or ""
        # A local file we append to, or the parts of one on an object store (see objects.py).
        self._parts: ObjectParts | None = None
        if is_url(self._logdir):
            self._parts = ObjectParts(self._logdir, self._suffix, storage_options)
            self._fd, self._path = -1, self._parts.url
        else:
            self._fd, self._path = _open_event_file(local(self._logdir), self._suffix)
        self._max_queue = int(max_queue)
        self._bound = max(8 * self._max_queue, 8192)
        # The add_* methods call `_overflow` once `_pending` reaches `_limit`; errors and close
        # set it to 0 so that check doubles as theirs at no extra cost.
        self._limit = self._max_queue
        self._flush_secs = float(flush_secs)
        self._pending: list = []
        # Whether anything but packed scalars (events, flush markers) is pending. Those are
        # appended under `_mixed_lock`, so the writer thread's snapshot of the list and of
        # the flag agree.
        self._mixed = False
        self._mixed_lock = threading.Lock()
        self._unwritten = b""
        self._error: OSError | None = None
        self._error_lock = threading.Lock()
        # Whether `close()` was called (or this is a forked child's copy): read, never set, by
        # callers; a plain attribute because SummaryWriter.add_scalar checks it on every call.
        self.closed = False
        self._recreated = False
        self._stopping = False
        self._wake = threading.Event()
        self._drained = threading.Condition()
        version = event_pb2.Event(wall_time=time.time(), file_version=FILE_VERSION)
        try:
            self._write(frame(version.SerializeToString()), force=False)
        except OSError:
            self._close_file()
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
        if not hasattr(event, "SerializeToString"):
            raise TypeError(f"add_event expects an Event, got {type(event).__name__}")
        self.add_serialized(event.SerializeToString())

    def add_serialized(self, data: bytes) -> None:
        """Queue an already serialized `Event`."""
        if len(self._pending) >= self._limit:
            self._overflow()
        self._append_mixed((bytes(data),))

    def add_packed_scalar(self, item: bytes) -> None:
        """Queue a simple scalar event packed as `scalar_records.SCALAR_ITEM`.

        The cheapest way to log a scalar: the writer thread frames whole batches of them
        with NumPy (see `scalar_records.frame_scalars`).
        """
        pending = self._pending
        if len(pending) >= self._limit:
            self._overflow()
        pending.append(item)

    def _append_mixed(self, item: Any) -> None:
        with self._mixed_lock:
            self._pending.append(item)
            self._mixed = True

    def _overflow(self) -> None:
        """Called from the add_* methods past the limit: raise a pending error, wake the thread, or wait."""
        if self.closed:
            raise ValueError(f"event file writer for {self._path} is closed")
        error = self._take_error()
        if error is not None:
            raise error
        self._limit = self._bound  # wake the thread once, not on every call until it runs
        self._wake.set()
        if len(self._pending) >= self._bound:
            with self._drained:
                while len(self._pending) >= self._bound and self._error is None:
                    # the timeout only guards against a writer thread that died
                    if not self._drained.wait(1.0) and not self._thread.is_alive():
                        break
            error = self._take_error()
            if error is not None:
                raise error

    def _take_error(self) -> OSError | None:
        with self._error_lock:
            error, self._error = self._error, None
            if not self.closed:
                self._limit = self._max_queue
            return error

    def flush(self) -> None:
        """Return once every event added so far has been written to the OS."""
        if self.closed:
            return
        marker = _FlushMarker()
        self._append_mixed(marker)
        self._wake.set()
        while not marker.done.wait(1.0):
            if not self._thread.is_alive():
                break
        error = self._take_error()
        if error is not None:
            raise error

    def close(self) -> None:
        """Write everything out and close the file; later `add_*` calls raise ValueError."""
        if self.closed:
            return
        with self._error_lock:
            self.closed = True
            self._limit = 0
        self._stopping = True
        self._wake.set()
        self._thread.join()
        self._drain(force=True)  # anything a racing add_* appended after the thread's last batch
        if self._parts is not None and self._parts.buffer and self._error is None:
            self._write(b"", force=True)  # the last part, if the thread's try failed
        self._close_file()
        with _open_lock:
            _open_writers.discard(self)
        error = self._take_error()
        if error is not None:
            raise error
        unwritten = len(self._unwritten) + (len(self._parts.buffer) if self._parts else 0)
        if unwritten:
            raise OSError(f"{unwritten} bytes could not be written to {self._path}")

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _recreate(self) -> None:
        """Go on in a new file: ours was deleted (its run directory removed, say) while we
        wrote, and what we write into a deleted file is lost. TensorFlow's writer does the
        same. Said once per writer."""
        old, old_fd = self._path, self._fd
        self._fd, self._path = _open_event_file(self._logdir, self._suffix)
        os.close(old_fd)
        version = event_pb2.Event(wall_time=time.time(), file_version=FILE_VERSION)
        os.write(self._fd, frame(version.SerializeToString()))
        if not self._recreated:
            self._recreated = True
            warnings.warn(f"event file {old} was deleted while being written; writing on "
                          f"into {self._path}", stacklevel=2)

    def _close_file(self) -> None:
        if self._parts is None:
            os.close(self._fd)

    def _run(self) -> None:
        while True:
            timed_out = not self._wake.wait(self._flush_secs)
            self._wake.clear()
            stopping = self._stopping
            self._drain(force=timed_out or stopping)
            if stopping:
                return

    def _drain(self, force: bool = False) -> None:
        """Write every pending item (in the writer thread, or at close)."""
        pending = self._pending
        with self._mixed_lock:
            n, mixed, self._mixed = len(pending), self._mixed, False
        # Callers only ever append, so the first n items stay put while we take them.
        items = pending[:n]
        del pending[:n]
        if not self.closed:
            self._limit = self._max_queue
        with self._drained:
            self._drained.notify_all()
        markers = []
        try:
            data, markers = encode_batch(items, only_scalars=not mixed)
            # A flush, the flush interval or closing store a part; a full queue may not.
            self._write(self._unwritten + data if self._unwritten else data,
                        force=force or bool(markers))
        except OSError:
            pass  # recorded by _write; raised on the next add/flush
        except Exception as e:  # noqa: BLE001  (a bug must not stop the thread silently)
            with self._error_lock:
                self._error, self._limit = OSError(f"writing {self._path} failed: {e!r}"), 0
            # encode_batch never returned its markers: release their flush() callers anyway
            markers = [item for item in items if type(item) is _FlushMarker]
        for marker in markers:
            marker.done.set()

    def _write(self, data: bytes, force: bool = True) -> None:
        """Hand `data` to the OS (or the object store, when a part is due: see `ObjectParts`);
        on failure keep what was not written and record the error."""
        view = memoryview(data)
        done = 0
        try:
            if self._parts is not None:
                self._parts.buffer += data
                done = len(view)
                self._parts.ship(force)
            elif os.fstat(self._fd).st_nlink == 0:
                self._recreate()
            while done < len(view):
                done += os.write(self._fd, view[done:])
            if self._unwritten or self._error is not None:
                with self._error_lock:  # a retry made it: the earlier failure lost nothing
                    self._unwritten, self._error = b"", None
                    if not self.closed:
                        self._limit = self._max_queue
        except OSError as e:
            self._unwritten = bytes(view[done:])
            with self._error_lock:
                self._error = e if self._parts else _named_error(e, self._path, "writing event file")
                self._limit = 0
            raise
