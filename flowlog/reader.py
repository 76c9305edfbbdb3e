"""Reading event files for users: `read_events` (all events), `read_scalars` (columnar scalars)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import numpy as np
from google.protobuf.message import DecodeError

from flowlog.events import EventFileReader, is_event_file, plugin_of, scalar_of
from flowlog.proto import event_pb2
from flowlog.records import MIN_GROUP, RecordReader
from flowlog.scalars import read_varint, scalar_prefix

Series = tuple[np.ndarray, np.ndarray, np.ndarray]
_windows = np.lib.stride_tricks.sliding_window_view
# Templates tried per prefix length before the remaining records are looked up one by one.
_TEMPLATES = 8


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
    """Columns of one run's scalars, tag by tag, filled a chunk of records at a time.

    Simple scalar events (what `SummaryWriter.add_scalar`, tensorboardX and TensorFlow write
    for `simple_value`) are `09 wall_time 10 step <prefix> float`, where the prefix depends
    only on the tag (see `flowlog.scalars`). They are decoded in bulk: NumPy decodes the
    steps, records whose prefixes are equal are found by comparing rows at once, a dict maps
    each distinct prefix to its tag, and NumPy reads the numbers. Everything else (tensor
    scalars, other events) takes the protobuf path. Each point keeps its record's sequence
    number, so a tag's points stay in file order whichever path they took.
    """

    def __init__(self):
        self.plugins: dict[str, str] = {}  # tag -> plugin, remembered across the run's files
        self.tag_of_prefix: dict[bytes, str] = {}
        self.tags: list[str] = []
        self.tag_index: dict[str, int] = {}
        self.parts: dict[str, list[tuple[np.ndarray, ...]]] = {}
        self.seen = 0  # records before the current chunk
        self.bad_events = 0

    def add_chunk(self, buf: bytes, starts: np.ndarray, sizes: np.ndarray) -> None:
        arr = np.frombuffer(buf, dtype=np.uint8)
        ids = np.full(len(starts), -1, dtype=np.int64)
        cand = np.flatnonzero(sizes >= 16)
        p, n = starts[cand], sizes[cand]
        ok = arr[p] == 0x09
        has_step = arr[p + 9] == 0x10
        step, nvar, ok = _varints(arr, p + 10, p + n - 5, has_step, ok)
        prefix = p + 9 + np.where(has_step, 1 + nvar, 0)
        cand, p, n, step, prefix = (x[ok] for x in (cand, p, n, step, prefix))
        ids[cand] = self._tag_ids(buf, arr, prefix, p + n - 4)
        hit = ids[cand] >= 0
        if hit.any():
            cand, p, n, step = cand[hit], p[hit], n[hit], step[hit]
            wall = _windows(arr, 8)[p + 1].copy().view("<f8").ravel()
            value = _windows(arr, 4)[p + n - 4].copy().view("<f4").ravel().astype(np.float64)
            order = np.argsort(ids[cand], kind="stable")
            bounds = np.flatnonzero(np.diff(ids[cand][order])) + 1
            for group in np.split(order, bounds):
                tag = self.tags[ids[cand[group[0]]]]
                self._add(tag, cand[group] + self.seen, step[group], wall[group], value[group])
        for i in np.flatnonzero(ids < 0).tolist():
            start = int(starts[i])
            self._add_parsed(buf[start : start + int(sizes[i])], self.seen + i)
        self.seen += len(starts)

    def _tag_ids(self, buf: bytes, arr: np.ndarray, begin: np.ndarray, end: np.ndarray):
        """The tag id of each record's prefix `buf[begin:end]`, -1 if not a scalar's prefix.

        Records with prefixes of one length in large numbers are compared with a few
        templates at once; the rest are looked up one by one.
        """
        ids = np.full(len(begin), -1, dtype=np.int64)
        size = end - begin
        order = np.argsort(size, kind="stable")
        for group in np.split(order, np.flatnonzero(np.diff(size[order])) + 1):
            width = int(size[group[0]]) if len(group) else 0
            if len(group) >= MIN_GROUP and width > 0:
                # each row as one opaque value, so that comparing rows is one memcmp each
                rows = _windows(arr, width)[begin[group]].view(f"V{width}").ravel()
                for _ in range(_TEMPLATES):
                    same = rows == rows[0]
                    tag = self._lookup(rows[0].tobytes())
                    if tag is not None:
                        ids[group[same]] = self.tag_index[tag]
                    group, rows = group[~same], rows[~same]
                    if len(group) < MIN_GROUP:
                        break
            for i in group.tolist():
                tag = self._lookup(buf[int(begin[i]) : int(end[i])])
                if tag is not None:
                    ids[i] = self.tag_index[tag]
        return ids

    def _lookup(self, key: bytes) -> str | None:
        tag = self.tag_of_prefix.get(key)
        return tag if tag is not None else self._learn(key)

    def _learn(self, key: bytes) -> str | None:
        """The tag whose scalar prefix `key` is, registered for later records; else None."""
        if len(key) < 8 or key[0] != 0x2A or key[-1] != 0x15:
            return None
        try:  # the tag sits between its length varint and the 0x15 that closes the prefix
            _, pos = read_varint(key, 1)
            _, pos = read_varint(key, pos + 1)
            size, pos = read_varint(key, pos + 1)
            tag = key[pos : pos + size].decode("utf-8")
        except (IndexError, UnicodeDecodeError):
            return None
        if scalar_prefix(tag) != key:
            return None
        self.tag_of_prefix[key] = tag
        if tag not in self.tag_index:
            self.tag_index[tag] = len(self.tags)
            self.tags.append(tag)
        return tag

    def _add(self, tag: str, seq, step, wall, value) -> None:
        self.parts.setdefault(tag, []).append((seq, step, wall, value))

    def _add_parsed(self, data: bytes, seq: int) -> None:
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
            if v is not None:
                self._add(value.tag, [seq], [event.step], [event.wall_time], [v])

    def arrays(self) -> dict[str, Series]:
        result = {}
        for tag, parts in self.parts.items():
            seq, steps, walls, values = (
                np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(4)
            )
            order = np.argsort(seq, kind="stable") if (np.diff(seq) < 0).any() else slice(None)
            result[tag] = (
                steps[order].astype(np.int64),
                walls[order].astype(np.float64),
                values[order].astype(np.float64),
            )
        return result


def _varints(
    arr: np.ndarray, at: np.ndarray, last: np.ndarray, present: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the int64 varints at `arr[at]` where `present` (0 elsewhere), reading no
    further than `last`: (values, byte counts, ok with bad varints cleared)."""
    value = np.zeros(len(at), dtype=np.uint64)
    count = np.zeros(len(at), dtype=np.int64)
    active = present & ok
    for j in range(10):
        if not active.any():
            break
        byte = arr[np.minimum(at + j, last)].astype(np.uint64)
        value |= np.where(active, (byte & np.uint64(0x7F)) << np.uint64(7 * j), np.uint64(0))
        count += active
        active &= (byte >= 0x80) & (at + j < last)
    return value.view(np.int64), count, ok & ~active


def read_scalars(logdir: str | os.PathLike) -> dict[str, dict[str, Series]]:
    """All scalars under `logdir`: `{run: {tag: (steps, wall_times, values)}}` as NumPy arrays.

    Runs are the directories holding event files ("." for `logdir` itself). Both old-style
    `simple_value` scalars and tensor scalars of the scalars plugin (TF2, `new_style=True`)
    are read. Points keep file order (files by name, records as written): they are not
    sorted by step, and a step written twice appears twice.
    """
    if not os.path.isdir(logdir):
        raise FileNotFoundError(f"read_scalars expects a log directory, got {os.fspath(logdir)!r}")
    result = {}
    for run, files in find_runs(logdir).items():
        collector = _ScalarCollector()
        for path in files:
            records = RecordReader(path)
            try:
                for chunk in records.read_chunks():
                    collector.add_chunk(*chunk)
            except OSError as e:
                warnings.warn(f"{path}: cannot read: {e}", stacklevel=2)
                continue
            _warn_damage(path, records, collector.bad_events)
            collector.bad_events = 0
        result[run] = collector.arrays()
    return result
