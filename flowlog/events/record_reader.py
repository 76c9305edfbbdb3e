"""`RecordReader`: the intact records of one event file, read in bounded chunks, resumable."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from flowlog import storage
from flowlog.events.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    IntactRecords,
    bytes_needed,
    is_damaged,
    scan,
)

# Files are read in chunks of this size, so memory stays bounded on huge files.
CHUNK_SIZE = 16 << 20


class NotRegularFile(OSError):
    """An event file name that is not a regular file (a FIFO, a device, a directory)."""


@dataclass
class RecordReader:
    """Reads the records of one file from a byte offset, and can resume where it stopped.

    A record cut short at the end of the file means "not written yet": reading stops and
    `offset` stays at that record's start, so a later `read()` picks it up once complete.
    A record whose length or data CRC fails is corruption: the reader moves on to the next
    intact record, and counts the damaged region once in `corrupt_records` and its size in
    `skipped_bytes`. An incomplete record at the end that is followed by an intact one was
    torn, not in progress, and is skipped the same way. Nothing is allocated beyond what the
    file holds, whatever a length field says, and damage costs time linear in the file's
    size, however many fake headers it holds (see `records.IntactRecords`).

    Only regular files are read: anything else raises `NotRegularFile` without blocking.
    """

    path: str | os.PathLike  # a local path or an fsspec URL (see `flowlog.storage`)
    offset: int = 0
    corrupt_records: int = 0
    skipped_bytes: int = 0
    storage_options: dict | None = field(default=None, repr=False)
    # True while scanning through a damaged region, so that it is counted once.
    _resyncing: bool = False

    def read(self) -> Iterator[bytes]:
        """Yield the data of every intact record from `offset` to the end of the file."""
        for buf, base, starts, sizes in self._chunks():
            for start, size in zip(starts.tolist(), sizes.tolist()):
                yield buf[start : start + size]
                self.offset = base + start + size + FOOTER_SIZE

    def read_chunks(self) -> Iterator[tuple[bytes, int, np.ndarray, np.ndarray]]:
        """Yield `(buf, base, starts, sizes)`: intact records' data at `buf[start:start + size]`,
        `buf[0]` being the file's byte `base`.

        For bulk decoders; `offset` moves past a chunk when the next one is asked for.
        """
        return self._chunks()

    def _chunks(self) -> Iterator[tuple[bytes, int, np.ndarray, np.ndarray]]:
        with storage.opener(os.fspath(self.path), self.storage_options)() as f:
            size = _size(f)
            if size < self.offset:  # the file was truncated or replaced: start over
                self.offset = 0
                self._resyncing = False
            f.seek(self.offset)
            base = self.offset  # file position of buf[0]
            buf = f.read(min(CHUNK_SIZE, size - base))
            pos = 0
            # Records per scan: grows while the file is intact, so that damage every few
            # records does not make each scan check (and then drop) the rest of the chunk.
            limit = 1024
            # Once a chunk shows damage, the rest of it is read from a map of its intact
            # records, built once (a scan from every damaged spot could cost the chunk again).
            intact: IntactRecords | None = None
            while True:
                at_end = base + len(buf) >= size
                if intact is None:
                    starts, sizes, stop = scan(buf, pos, limit)
                    if len(starts):
                        self._resyncing = False
                        yield buf, base, starts, sizes
                        pos = stop
                        self.offset = base + pos
                    if len(starts) == limit:
                        limit = min(limit * 4, 1 << 22)
                        continue
                    limit = 1024
                    # Damage, or an unfinished record at the very end that may be torn.
                    if is_damaged(buf, pos) or (at_end and len(buf) - pos >= HEADER_SIZE):
                        intact = IntactRecords(buf, pos)
                if intact is not None:
                    starts, sizes, stop, gaps = intact.chain(pos, at_end)
                    for at, gap in gaps:
                        if at != pos:  # not where an earlier region may have gone on
                            self._resyncing = False
                        self._skip(gap)
                    # A region that reaches the end of this stretch may go on in the next.
                    self._resyncing = bool(gaps) and gaps[-1][0] + gaps[-1][1] == stop
                    if len(starts):
                        self._resyncing = False
                        yield buf, base, starts, sizes
                    pos = stop
                    self.offset = base + pos
                if at_end:
                    return
                # More bytes are needed, and the file has them. The buffer at least doubles,
                # so that headers claiming ever more bytes cost O(file) reads in all.
                carry = buf[pos:]
                base += pos
                want = max(CHUNK_SIZE, bytes_needed(carry), 2 * len(carry))
                buf = carry + f.read(min(want, size - base) - len(carry))
                pos, intact = 0, None

    def _skip(self, nbytes: int) -> None:
        if not self._resyncing:
            self.corrupt_records += 1
            self._resyncing = True
        self.skipped_bytes += nbytes


def _size(f) -> int:
    """The size of an open file: a local one's, or an fsspec object's."""
    try:
        return os.fstat(f.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        return int(f.size)


def open_regular(path: str | os.PathLike):
    """Open `path` for binary reading if it is a regular file; never blocks on a FIFO."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"{os.fspath(path)!r} is not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_records(path: str | os.PathLike, offset: int = 0) -> Iterator[bytes]:
    """Yield the data of every intact record of the file at `path`, from byte `offset`."""
    return RecordReader(path, offset).read()
