"""Reading event files for users: `read_events` (all events), `read_scalars` (columnar scalars)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import numpy as np

from flowlog.events.decoder import EventDecoder
from flowlog.events.record_reader import RecordReader
from flowlog.events.values import EventFileReader
from flowlog.proto import event_pb2
from flowlog.storage import filesystem, is_url, list_runs, local

Series = tuple[np.ndarray, np.ndarray, np.ndarray]


def run_files(logdir: str | os.PathLike, storage_options: dict | None = None
              ) -> dict[str, list[str]]:
    """Every run under `logdir` (a path or URL) with its event files: `{run: [path, ...]}`,
    oldest first.

    Entries named like event files that are not regular files (a FIFO would block a reader
    forever), and directories that cannot be listed, are skipped with a warning.
    """
    def unreadable(e: OSError) -> None:
        warnings.warn(f"{e.filename}: skipped: cannot list it ({e.strerror})", stacklevel=4)

    out = {}
    for run, found in list_runs(logdir, unreadable, storage_options).items():
        for path in found.odd:
            warnings.warn(f"{path}: skipped: not a regular file", stacklevel=3)
        if found.files:
            out[run] = [f.path for f in found.files]
    return out


def _warn_damage(path: str, records: RecordReader, bad_events: int = 0) -> None:
    if records.corrupt_records or bad_events:
        warnings.warn(
            f"{path}: skipped {records.corrupt_records} damaged region(s) "
            f"({records.skipped_bytes} bytes) and {bad_events} undecodable record(s)",
            stacklevel=3,
        )


def read_events(path: str | os.PathLike, storage_options: dict | None = None
                ) -> Iterator[event_pb2.Event]:
    """Yield the `Event`s of an event file, or of every event file under a directory.

    `path` is a local path or any fsspec URL (`s3://bucket/logs`, ...; `storage_options` go
    to its filesystem). Files are read in order (runs sorted by path, files by name), each
    from start to end. Damaged records are skipped with a warning; every intact record is
    yielded.
    """
    path = os.fspath(path)
    if _is_dir(path, storage_options):
        files = [f for fs in run_files(path, storage_options).values() for f in fs]
    elif is_url(path) or os.path.lexists(local(path)):
        files = [path]
    else:
        raise FileNotFoundError(f"no such event file or directory: {path!r}")
    for file in files:
        reader = EventFileReader(file, storage_options=storage_options)
        try:
            yield from reader.read()
        except OSError as e:  # unreadable, not a regular file, or removed meanwhile
            warnings.warn(f"{file}: cannot read: {e}", stacklevel=2)
            continue
        _warn_damage(file, reader.records, reader.bad_events)


def _is_dir(path: str, storage_options: dict | None) -> bool:
    if not is_url(path):
        return os.path.isdir(local(path))
    fs, inner = filesystem(path, storage_options)
    return fs.isdir(inner)


def read_scalars(logdir: str | os.PathLike, storage_options: dict | None = None
                 ) -> dict[str, dict[str, Series]]:
    """All scalars under `logdir`: `{run: {tag: (steps, wall_times, values)}}` as NumPy arrays.

    `logdir` is a local path or any fsspec URL (`s3://bucket/logs`, ...; `storage_options`
    go to its filesystem).

    Runs are the directories holding event files ("." for `logdir` itself). Both old-style
    `simple_value` scalars and tensor scalars of the scalars plugin (TF2, Keras,
    `new_style=True`) are read, one or many per event. Points keep file order (files by
    name, records as written): they are not sorted by step, and a step written twice
    appears twice.
    """
    logdir = os.fspath(logdir)
    if not _is_dir(logdir, storage_options):
        raise FileNotFoundError(f"read_scalars expects a log directory, got {logdir!r}")
    result = {}
    for run, files in run_files(logdir, storage_options).items():
        decoder = EventDecoder()
        parts: dict[str, list] = {}
        for path in files:
            records = RecordReader(path, storage_options=storage_options)
            bad_before = decoder.bad_events
            try:
                for chunk in records.read_chunks():
                    for tag, (_, step, wall, value) in decoder.decode(*chunk).scalars.items():
                        parts.setdefault(tag, []).append((step, wall, value))
            except OSError as e:
                warnings.warn(f"{path}: cannot read: {e}", stacklevel=2)
                continue
            _warn_damage(path, records, decoder.bad_events - bad_before)
        result[run] = {
            tag: tuple(np.concatenate([p[i] for p in ps]) for i in range(3))
            for tag, ps in parts.items()
        }
    return result
