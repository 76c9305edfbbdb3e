"""Reading event files for users: `read_events` (every event) and `read_scalars` (columnar scalars)."""
from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator

import numpy as np
from google.protobuf.message import DecodeError

from flowlog.events import EventFileReader, is_event_file, plugin_of, scalar_of
from flowlog.proto import event_pb2
from flowlog.records import RecordReader, scalar_prefix

Series = tuple[np.ndarray, np.ndarray, np.ndarray]
_WALL = struct.Struct("<d").unpack_from
_FLOAT = struct.Struct("<f").unpack_from


def find_runs(logdir: str | os.PathLike) -> dict[str, list[str]]:
    """Every directory under `logdir` that holds event files, by path relative to `logdir`.

    The logdir itself is the run ".". Each run's files are sorted by name, which orders
    them by creation time (the name holds the creation second).
    """
    root = os.fspath(logdir)
    runs: dict[str, list[str]] = {}
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        names = sorted(f for f in files if is_event_file(f))
        if names:
            run = os.path.relpath(directory, root).replace(os.sep, "/")
            runs[run] = [os.path.join(directory, f) for f in names]
    return runs


def _warn_damage(path: str, records: RecordReader, bad_events: int = 0) -> None:
    if records.corrupt_records or bad_events:
        warnings.warn(
            f"{path}: skipped {records.corrupt_records} damaged region(s) "
            f"({records.skipped_bytes} bytes) and {bad_events} undecodable record(s)",
            stacklevel=3,
        )


def read_events(path: str | os.PathLike) -> Iterator[event_pb2.Event]:
    """Yield the `Event`s of an event file, or of every event file under a directory.

    Files are read in order (runs sorted by path, files by name), each from start to end.
    Damaged records are skipped with a warning; every intact record is yielded.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        files = [f for run_files in find_runs(path).values() for f in run_files]
    elif os.path.exists(path):
        files = [path]
    else:
        raise FileNotFoundError(f"no such event file or directory: {path!r}")
    for file in files:
        reader = EventFileReader(file)
        try:
            yield from reader.read()
        except OSError as e:  # unreadable, or removed meanwhile: the others still count
            warnings.warn(f"{file}: cannot read: {e}", stacklevel=2)
            continue
        _warn_damage(file, reader.records, reader.bad_events)


class _ScalarCollector:
    """Columns of one run's scalars, tag by tag, filled from record payloads.

    Simple scalar events (what `SummaryWriter.add_scalar`, tensorboardX and TensorFlow
    write for `simple_value`) are decoded without protobuf: `wall_time | step | prefix |
    float`, where the prefix depends only on the tag and is looked up in a dict learned
    from protobuf-parsed events. Everything else takes the protobuf path.
    """

    def __init__(self, prefix_tags: dict[bytes, str]):
        self.prefix_tags = prefix_tags
        self.plugins: dict[str, str] = {}  # tag -> plugin, remembered across the run's files
        self.columns: dict[str, tuple[list, list, list]] = {}
        self.bad_events = 0

    def add(self, data: bytes) -> None:
        if data[:1] == b"\x09" and len(data) > 14:
            if data[9] == 0x10:  # step field: a one-byte varint in the common case
                step = data[10]
                pos = 11
                if step > 0x7F:
                    step, pos = _varint(data, 10)
            else:
                step, pos = 0, 9
            tag = self.prefix_tags.get(data[pos:-4])
            if tag is not None:
                columns = self.columns.get(tag)
                if columns is None:
                    columns = self.columns[tag] = ([], [], [])
                steps, walls, values = columns
                steps.append(step)
                walls.append(_WALL(data, 1)[0])
                values.append(_FLOAT(data, len(data) - 4)[0])
                return
        self._add_parsed(data)

    def _add_parsed(self, data: bytes) -> None:
        event = event_pb2.Event()
        try:
            event.ParseFromString(data)
        except DecodeError:
            self.bad_events += 1
            return
        if not event.HasField("summary"):
            return
        for value in event.summary.value:
            v = scalar_of(value, plugin_of(value, self.plugins))
            if v is None:
                continue
            columns = self.columns.get(value.tag)
            if columns is None:
                columns = self.columns[value.tag] = ([], [], [])
            columns[0].append(event.step)
            columns[1].append(event.wall_time)
            columns[2].append(v)
            if (
                len(event.summary.value) == 1
                and value.WhichOneof("value") == "simple_value"
                and data.endswith(scalar_prefix(value.tag) + data[-4:])
            ):
                self.prefix_tags[scalar_prefix(value.tag)] = value.tag

    def arrays(self) -> dict[str, Series]:
        return {
            tag: (
                np.array(steps, dtype=np.int64),
                np.array(walls, dtype=np.float64),
                np.array(values, dtype=np.float64),
            )
            for tag, (steps, walls, values) in self.columns.items()
        }


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """The int64 varint at `data[pos]` and the position after it."""
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    if result >= 1 << 63:
        result -= 1 << 64
    return result, pos


def read_scalars(logdir: str | os.PathLike) -> dict[str, dict[str, Series]]:
    """All scalars under `logdir`: `{run: {tag: (steps, wall_times, values)}}` as NumPy arrays.

    Runs are the directories holding event files ("." for `logdir` itself). Both old-style
    `simple_value` scalars and tensor scalars of the scalars plugin (TF2, `new_style=True`)
    are read. Points keep file order (files by name, records as written): they are not
    sorted by step, and a step written twice appears twice.
    """
    prefix_tags: dict[bytes, str] = {}
    result = {}
    for run, files in find_runs(logdir).items():
        collector = _ScalarCollector(prefix_tags)
        for path in files:
            records = RecordReader(path)
            try:
                for data in records.read():
                    collector.add(data)
            except OSError as e:
                warnings.warn(f"{path}: cannot read: {e}", stacklevel=2)
                continue
            _warn_damage(path, records, collector.bad_events)
            collector.bad_events = 0
        result[run] = collector.arrays()
    return result
