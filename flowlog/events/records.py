"""TFRecord framing of event files: writing one record, reading records back tolerantly."""

from __future__ import annotations

import functools
import io
import os
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import google_crc32c
import numpy as np

from flowlog import storage

# Record layout (TFRecord, as TensorFlow writes event files), all integers little-endian:
#
#     uint64  length                    number of bytes in data
#     uint32  masked_crc32c(length)     CRC of the 8 length bytes
#     byte    data[length]              a serialized Event
#     uint32  masked_crc32c(data)
#
# CRC32C is the Castagnoli polynomial (computed by google-crc32c's C code, never in Python).
# The mask rotates the CRC right by 15 bits and adds a constant, so that a CRC of data that
# itself contains CRCs is not degenerate:
#
#     masked = ((crc >> 15 | crc << 17) + 0xA282EAD8) mod 2**32
HEADER_SIZE = 12
FOOTER_SIZE = 4
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF
_LENGTH = struct.Struct("<Q")
_HEADER = struct.Struct("<QI")
_CRC = struct.Struct("<I")
_crc32c = google_crc32c.value
_crc_extend = google_crc32c.extend
# Files are read in chunks of this size, so memory stays bounded on huge files.
CHUNK_SIZE = 16 << 20


def masked_crc32c(data: bytes) -> int:
    """The masked CRC32C of `data`, as stored in a TFRecord."""
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & _U32


def frame(data: bytes) -> bytes:
    """One TFRecord holding `data`: header, data and footer, ready to append to a file."""
    length = _LENGTH.pack(len(data))
    return b"".join(
        (length, _CRC.pack(masked_crc32c(length)), data, _CRC.pack(masked_crc32c(data)))
    )


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
    size, however many fake headers it holds (see `_intact_after`).

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
            intact: _IntactMap | None = None
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
                    if _damaged(buf, pos) or (at_end and len(buf) - pos >= HEADER_SIZE):
                        intact = _IntactMap(buf, pos)
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
                want = max(CHUNK_SIZE, _needed(carry), 2 * len(carry))
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


_EMPTY = np.zeros(0, dtype=np.int64)
_windows = np.lib.stride_tricks.sliding_window_view
# Record sizes repeat with a short period in most files (one record per tag per step);
# the walk checks for periods up to this long, and groups of equal-size records at least
# MIN_GROUP long have their CRCs computed together.
MAX_PERIOD = 32
MIN_GROUP = 16
MAX_GROUP_WIDTH = 1024


def scan(buf: bytes, pos: int = 0, limit: int = 1 << 62) -> tuple[np.ndarray, np.ndarray, int]:
    """The intact records (at most `limit`) that follow each other from `buf[pos]`, in bulk.

    Returns their data starts and sizes, and the position after the last one (where the
    buffer ends, a record is incomplete, damage begins, or the limit is reached). Every
    length CRC and data CRC is checked, for all records at once (see `_walk`, `data_crcs`).
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    begin = _walk(buf, arr, pos, limit)
    if not len(begin):
        return _EMPTY, _EMPTY, pos
    head = _windows(arr, HEADER_SIZE)[begin]
    ok = mask_crcs(_crc_of_lengths(head)) == head[:, 8:].copy().view("<u4").ravel()
    if not ok.all():  # no data CRC is computed past a bad length
        cut = int(np.argmin(ok))
        if cut == 0:
            return _EMPTY, _EMPTY, pos
        begin, head, ok = begin[:cut], head[:cut], ok[:cut]
    sizes = head[:, :8].copy().view("<u8").ravel().astype(np.int64)
    stored = _windows(arr, FOOTER_SIZE)[begin + HEADER_SIZE + sizes].copy().view("<u4").ravel()
    ok &= mask_crcs(data_crcs(buf, begin + HEADER_SIZE, sizes)) == stored
    keep = len(begin) if ok.all() else int(np.argmin(ok))  # intact up to the first bad one
    stop = int(begin[keep]) if keep < len(begin) else int(begin[-1] + sizes[-1]) + 16
    return begin[:keep] + HEADER_SIZE, sizes[:keep], stop


def _walk(buf: bytes, arr: np.ndarray, pos: int, limit: int) -> np.ndarray:
    """Starts of the complete records chained by their length fields from `buf[pos]`.

    Record by record in Python, until the sizes repeat with a period; then the pattern is
    extended in bulk as far as the next headers equal the repeating ones.
    """
    found = []
    recent: list[int] = []
    sizes: list[int] = []
    unpack, end, p, count = _LENGTH.unpack_from, len(buf), pos, 0
    while p + HEADER_SIZE + FOOTER_SIZE <= end and count + len(recent) < limit:
        size = unpack(buf, p)[0] + HEADER_SIZE + FOOTER_SIZE
        if p + size > end:
            break
        recent.append(p)
        sizes.append(size)
        p += size
        if len(sizes) % 8 == 0:
            period = _period(sizes)
            if period:
                found.append(np.array(recent, dtype=np.int64))
                count += len(recent)
                more = _extend(arr, p, recent[-period:], sizes[-period:], limit - count)
                found.append(more)
                count += len(more)
                if len(more):
                    p = int(more[-1]) + sizes[-period:][(len(more) - 1) % period]
                recent, sizes = [], []
            elif len(sizes) >= 4 * MAX_PERIOD:
                found.append(np.array(recent, dtype=np.int64))
                count += len(recent)
                recent, sizes = [], []
    found.append(np.array(recent, dtype=np.int64))
    return np.concatenate(found)


def _period(sizes: list[int]) -> int:
    """The shortest period with which the latest sizes repeat (three times), or 0."""
    for period in range(1, min(MAX_PERIOD, len(sizes) // 3) + 1):
        if sizes[-period:] == sizes[-2 * period : -period] == sizes[-3 * period : -2 * period]:
            return period
    return 0


def _extend(arr: np.ndarray, p: int, starts: list[int], sizes: list[int], limit: int) -> np.ndarray:
    """Starts of the records (whole periods, at most `limit`) from `p` on that repeat the
    headers at `starts` in order."""
    # each header as one opaque 12-byte value, so that comparing headers is one memcmp each
    opaque = f"V{HEADER_SIZE}"
    headers = [arr[s : s + HEADER_SIZE].view(opaque)[0] for s in starts]
    offsets = np.cumsum([0, *sizes[:-1]])
    stride = sum(sizes)
    runs = []
    reps = 16
    limit //= len(sizes)
    while (reps := min(reps, (len(arr) - p) // stride, limit)) > 0:
        limit -= reps
        # The next `reps` periods as rows (a view, not a copy): header j sits at column offsets[j].
        block = arr[p : p + stride * reps].reshape(reps, stride)
        same = np.column_stack([block[:, o : o + HEADER_SIZE].view(opaque)[:, 0] == h
                                for o, h in zip(offsets.tolist(), headers)]).ravel()
        keep = len(same) if same.all() else int(np.argmin(same))
        runs.append((p + stride * np.arange(reps)[:, None] + offsets).ravel()[:keep])
        if keep < len(same):
            break
        p += stride * reps
        reps *= 4
    return np.concatenate(runs) if runs else _EMPTY


def data_crcs(buf: bytes, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """CRC32C (unmasked) of each `buf[start:start + size]`.

    Records of one size in large numbers are done together: each differs from the first
    in a few byte columns only (a scalar's wall time, step and value), so its CRC is the
    first one's xor a table entry per differing byte (`crc_table`). The rest: one call each.
    """
    crcs = np.empty(len(starts), dtype=np.uint32)
    order = np.argsort(sizes, kind="stable")
    arr = np.frombuffer(buf, dtype=np.uint8)
    for group in np.split(order, np.flatnonzero(np.diff(sizes[order])) + 1):
        size = int(sizes[group[0]])
        if len(group) >= MIN_GROUP and 0 < size <= MAX_GROUP_WIDTH:
            crcs[group] = _rows_crc(_windows(arr, size)[starts[group]])
        else:
            crcs[group] = [_crc32c(buf[s : s + size]) for s in starts[group].tolist()]
    return crcs


def _rows_crc(rows: np.ndarray) -> np.ndarray:
    first = rows[0]
    diff = rows ^ first
    crc = np.full(len(rows), _crc32c(first.tobytes()), dtype=np.uint32)
    last = rows.shape[1] - 1
    for col in np.flatnonzero(diff.any(axis=0)).tolist():
        crc ^= crc_table(last - col)[diff[:, col]]
    return crc


@functools.cache
def crc_table(distance: int) -> np.ndarray:
    """For each byte value b: crc32c(b, then `distance` zeros) ^ crc32c(`distance`+1 zeros).

    CRC32C is affine over GF(2): for equal-length messages crc(a ^ b) = crc(a) ^ crc(b) ^
    crc(zeros). So a message that differs from a template in a few bytes has the template's
    CRC xor, for each such byte, this table's entry at the byte's distance from the end.
    Every entry comes from google-crc32c; only xors are done here.
    """
    zeros = bytes(distance)
    base = _crc32c(bytes(distance + 1))
    return np.array([_crc32c(bytes((b,)) + zeros) ^ base for b in range(256)], dtype=np.uint32)


def mask_crcs(crc: np.ndarray) -> np.ndarray:
    """`masked_crc32c`'s mask, applied to an array of CRCs."""
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


def _crc_of_lengths(rows: np.ndarray) -> np.ndarray:
    """CRC32C of the first 8 bytes of each row (the length fields), via `crc_table`."""
    crc = np.full(len(rows), _crc32c(bytes(8)), dtype=np.uint32)
    for col in range(8):
        crc ^= crc_table(7 - col)[rows[:, col]]
    return crc


def _damaged(buf: bytes, pos: int) -> bool:
    """Whether the bytes at `pos` are known damaged (not an intact or unfinished record).

    Called where `scan` stopped short of its limit: there the record is either incomplete
    in `buf`, or it was complete and failed its CRCs.
    """
    if len(buf) - pos < HEADER_SIZE:
        return False
    length, length_crc = _HEADER.unpack_from(buf, pos)
    if masked_crc32c(buf[pos : pos + 8]) != length_crc:
        return True
    return pos + HEADER_SIZE + length + FOOTER_SIZE <= len(buf)


def _needed(buf: bytes) -> int:
    """Bytes needed to hold the record starting at buf[0] (a header's worth if unknown)."""
    if len(buf) >= HEADER_SIZE:
        length, length_crc = _HEADER.unpack_from(buf, 0)
        if masked_crc32c(buf[:8]) == length_crc:
            return HEADER_SIZE + length + FOOTER_SIZE
    return HEADER_SIZE


class _IntactMap:
    """Every intact record of `buf` from `start` on, found in bulk, for reading past damage.

    A damaged region may hold any number of "headers" whose length CRC is right (by chance,
    or planted), each claiming up to the whole file. Checking each claim's data CRC on its
    own would cost its claimed length, so a few hundred such headers would cost hundreds of
    times the file. Instead the CRCs of all claims are found together from prefix CRCs
    (`substring_crcs`): one pass over the chunk, plus a few array operations per claim.
    """

    def __init__(self, buf: bytes, start: int):
        self.buf = buf
        cand = _header_positions(buf, start)
        arr = np.frombuffer(buf, dtype=np.uint8)
        length = _windows(arr, 8)[cand].copy().view("<u8").ravel() if len(cand) else _EMPTY
        room = len(buf) - cand - HEADER_SIZE - FOOTER_SIZE  # data bytes the chunk has
        complete = (room >= 0) & (length <= np.maximum(room, 0).astype(np.uint64))
        begin = cand[complete] + HEADER_SIZE
        size = length[complete].astype(np.int64)
        stored = _windows(arr, FOOTER_SIZE)[begin + size].copy().view("<u4").ravel()
        ok = mask_crcs(substring_crcs(buf, begin, begin + size)) == stored
        self.starts = cand[complete][ok]  # record starts (headers), ascending
        self.sizes = size[ok]
        self.pending = cand[~complete]  # headers whose record runs past the chunk

        # Records that follow each other form runs, taken in one step: run_end[i] is the
        # index after the run that record i belongs to.
        follows = self.starts[1:] == self.starts[:-1] + self.sizes[:-1] + HEADER_SIZE + FOOTER_SIZE
        cuts = np.append(np.flatnonzero(~follows) + 1, len(self.starts))
        self.run_end = np.repeat(cuts, np.diff(np.append(0, cuts)))

    def chain(self, pos: int, at_end: bool
              ) -> tuple[np.ndarray, np.ndarray, int, list[tuple[int, int]]]:
        """The records read from `pos` on: (data starts, sizes, where reading stopped, the
        position and size of each damaged region skipped).

        Reading stops before a header whose record runs past the chunk: more bytes may
        complete it. At the end of the file that happens only when no intact record follows
        (else it was torn); bytes that cannot start a record are skipped as damage.
        """
        starts, sizes, gaps = [], [], []
        n = len(self.starts)
        while True:
            i = int(np.searchsorted(self.starts, pos))
            k = int(np.searchsorted(self.pending, pos))
            wait = int(self.pending[k]) if k < len(self.pending) else -1
            if wait >= 0 and (i == n or (wait < self.starts[i] and not at_end)):
                gaps.append((pos, wait - pos))
                pos = wait
                break
            if i == n:
                last = len(self.buf) - HEADER_SIZE + 1  # a header may still start after it
                if wait < 0 and last > pos:
                    gaps.append((pos, last - pos))
                    pos = last
                break
            j = int(self.run_end[i])
            gaps.append((pos, int(self.starts[i]) - pos))
            starts.append(self.starts[i:j] + HEADER_SIZE)
            sizes.append(self.sizes[i:j])
            pos = int(self.starts[j - 1] + self.sizes[j - 1]) + HEADER_SIZE + FOOTER_SIZE
        gaps = [g for g in gaps if g[1] > 0]
        if not starts:
            return _EMPTY, _EMPTY, pos, gaps
        return np.concatenate(starts), np.concatenate(sizes), pos, gaps


def _header_positions(buf: bytes, start: int) -> np.ndarray:
    """Positions from `start` on whose 12 bytes are a length with its correct CRC.

    Checked for all positions at once, a megabyte at a time, so that crossing a damaged
    region costs a few array operations per byte rather than a CRC call.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    last = len(buf) - HEADER_SIZE  # the last position a header fits at
    found = [_EMPTY]
    for block in range(start, last + 1, 1 << 20):
        stop = min(block + (1 << 20), last + 1)
        rows = _windows(arr[block : stop + HEADER_SIZE - 1], HEADER_SIZE)
        stored = rows[:, 8:].copy().view("<u4").ravel()
        found.append(block + np.flatnonzero(mask_crcs(_crc_of_lengths(rows)) == stored))
    return np.concatenate(found)


# CRC32C as a polynomial over GF(2), in the reflected bit order google-crc32c uses. For
# strings A and B, crc(A + B) = shift(crc(A), len(B)) ^ crc(B), where shift multiplies by
# x^(8 len(B)) modulo the polynomial (the identity behind zlib's crc32_combine). So from
# prefix CRCs P(i) = crc(buf[o:i]), the CRC of any buf[s:e] is P(e) ^ shift(P(s), e - s).
_POLY = 0x82F63B78


def _mul_const(a: int, b: np.ndarray) -> np.ndarray:
    """a * b modulo the polynomial, for a constant `a` and an array `b` (reflected order)."""
    out = np.zeros_like(b)
    for bit in range(32):
        if a & (1 << (31 - bit)):
            out ^= b
        b = (b >> np.uint32(1)) ^ np.where(b & np.uint32(1), np.uint32(_POLY), np.uint32(0))
    return out


def _x_pow2_table() -> list[int]:
    """x^(2^k) modulo the polynomial, k = 0..63."""
    table = [1 << 30]  # x^1
    for _ in range(63):
        table.append(int(_mul_const(table[-1], np.array([table[-1]], np.uint32))[0]))
    return table


_X_POW2 = _x_pow2_table()


def crc_shift(crc: np.ndarray, nbytes: np.ndarray) -> np.ndarray:
    """Each CRC times x^(8 n): the CRC of its message followed by n bytes, less theirs."""
    crc = crc.astype(np.uint32, copy=True)
    nbytes = np.asarray(nbytes, dtype=np.int64)
    for k in range(int(nbytes.max()).bit_length() if len(nbytes) else 0):
        sel = ((nbytes >> k) & 1).astype(bool)
        if sel.any():
            crc[sel] = _mul_const(_X_POW2[k + 3], crc[sel])
    return crc


def substring_crcs(buf: bytes, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """CRC32C (unmasked) of each `buf[b:e]`, in one pass over `buf` whatever they overlap."""
    if not len(begin):
        return np.zeros(0, np.uint32)
    points, where = np.unique(np.concatenate((begin, end)), return_inverse=True)
    prefix = np.empty(len(points), dtype=np.uint32)
    crc, at = 0, int(points[0])
    for i, p in enumerate(points.tolist()):
        crc = _crc_extend(crc, buf[at:p]) if p > at else crc
        prefix[i], at = crc, p
    p_begin, p_end = prefix[where[: len(begin)]], prefix[where[len(begin) :]]
    return p_end ^ crc_shift(p_begin, end - begin)


def read_records(path: str | os.PathLike, offset: int = 0) -> Iterator[bytes]:
    """Yield the data of every intact record of the file at `path`, from byte `offset`."""
    return RecordReader(path, offset).read()
