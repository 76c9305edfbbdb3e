"""TFRecord framing of event files: writing one record, reading records back tolerantly."""
from __future__ import annotations

import functools
import os
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import google_crc32c
import numpy as np

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


@dataclass
class RecordReader:
    """Reads the records of one file from a byte offset, and can resume where it stopped.

    A record cut short at the end of the file means "not written yet": reading stops and
    `offset` stays at that record's start, so a later `read()` picks it up once complete.
    A record whose length or data CRC fails is corruption: the reader scans forward byte by
    byte to the next intact record, and counts the damaged region once in `corrupt_records`
    and its size in `skipped_bytes`. An incomplete record at the end that is followed by an
    intact one was torn, not in progress, and is skipped the same way. Nothing is allocated
    beyond what the file holds, whatever a length field says.
    """

    path: str | os.PathLike
    offset: int = 0
    corrupt_records: int = 0
    skipped_bytes: int = 0
    # True while scanning through a damaged region, so that it is counted once.
    _resyncing: bool = False

    def read(self) -> Iterator[bytes]:
        """Yield the data of every intact record from `offset` to the end of the file."""
        with open(self.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < self.offset:  # the file was truncated or replaced: start over
                self.offset = 0
                self._resyncing = False
            f.seek(self.offset)
            base = self.offset  # file position of buf[0]
            buf = f.read(min(CHUNK_SIZE, size - base))
            pos = 0
            while True:
                n = _check(buf, pos)
                if n > 0:
                    yield buf[pos + HEADER_SIZE : pos + n - FOOTER_SIZE]
                    pos += n
                    self.offset = base + pos
                    self._resyncing = False
                    continue
                if n < 0:
                    self._skip(1)
                    pos += 1
                    self.offset = base + pos
                    continue
                if base + len(buf) < size:  # need more bytes, and the file has them
                    carry = buf[pos:]
                    base += pos
                    want = max(CHUNK_SIZE, _needed(carry))
                    buf = carry + f.read(min(want, size - base) - len(carry))
                    pos = 0
                    continue
                # An incomplete record at the end: in progress, unless an intact one follows.
                nxt = _next_intact(buf, pos + 1)
                if nxt < 0:
                    return
                self._skip(nxt - pos)
                pos = nxt
                self.offset = base + pos

    def _skip(self, nbytes: int) -> None:
        if not self._resyncing:
            self.corrupt_records += 1
            self._resyncing = True
        self.skipped_bytes += nbytes


def _check(buf: bytes, pos: int) -> int:
    """Size of the intact record at `pos`; 0 when `buf` ends before it can be told; -1 if damaged."""
    if len(buf) - pos < HEADER_SIZE:
        return 0
    length, length_crc = _HEADER.unpack_from(buf, pos)
    if masked_crc32c(buf[pos : pos + 8]) != length_crc:
        return -1
    end = pos + HEADER_SIZE + length
    if end + FOOTER_SIZE > len(buf):
        return 0
    if masked_crc32c(buf[pos + HEADER_SIZE : end]) != _CRC.unpack_from(buf, end)[0]:
        return -1
    return HEADER_SIZE + length + FOOTER_SIZE


def _needed(buf: bytes) -> int:
    """Bytes needed to hold the record starting at buf[0] (a header's worth if unknown)."""
    if len(buf) >= HEADER_SIZE:
        length, length_crc = _HEADER.unpack_from(buf, 0)
        if masked_crc32c(buf[:8]) == length_crc:
            return HEADER_SIZE + length + FOOTER_SIZE
    return HEADER_SIZE


def _next_intact(buf: bytes, start: int) -> int:
    """Position of the first complete, intact record at or after `start`, or -1."""
    for pos in range(start, len(buf) - HEADER_SIZE - FOOTER_SIZE + 1):
        if _check(buf, pos) > 0:
            return pos
    return -1


def read_records(path: str | os.PathLike, offset: int = 0) -> Iterator[bytes]:
    """Yield the data of every intact record of the file at `path`, from byte `offset`."""
    return RecordReader(path, offset).read()


# Scalar events in bulk. A simple scalar event serializes as
#
#     09 <wall_time: 8-byte double> 10 <step: varint> <prefix> <simple_value: 4-byte float>
#
# where the prefix (`2a len 0a len 0a len <tag> 15`: summary, value, tag and the float's field
# tag) depends only on the tag. The writer queues `(wall_time, step, tag_id, value)` tuples and
# frames whole batches here with NumPy: rows of equal layout (same tag, same varint length)
# are filled column by column, and their CRCs come from per-byte tables (see `_crc_table`).


def varint(n: int) -> bytes:
    """Protobuf base-128 varint of an int64 (negative numbers take ten bytes)."""
    n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def scalar_prefix(tag: str) -> bytes:
    """The bytes of a simple scalar event between its step and its float (see above)."""
    name = tag.encode("utf-8")
    tag_field = b"\x0a" + varint(len(name)) + name + b"\x15"
    value_size = len(tag_field) + 4
    summary = b"\x0a" + varint(value_size) + tag_field
    return b"\x2a" + varint(len(summary) + 4) + summary


_tag_ids: dict[str, int] = {}
_tag_lock = threading.Lock()
# Prefix of each registered tag, indexed by the tag's id.
scalar_prefixes: list[bytes] = []


def scalar_tag_id(tag: str) -> int:
    """A small int standing for `tag` in queued scalar tuples (one per tag and process)."""
    found = _tag_ids.get(tag)
    if found is None:
        with _tag_lock:
            found = _tag_ids.get(tag)
            if found is None:
                scalar_prefixes.append(scalar_prefix(tag))
                found = _tag_ids[tag] = len(scalar_prefixes) - 1
    return found


@functools.cache
def _crc_table(distance: int) -> np.ndarray:
    """For each byte value b: crc32c(b, then `distance` zeros) ^ crc32c(`distance`+1 zeros).

    CRC32C is affine over GF(2): for equal-length messages crc(a ^ b) = crc(a) ^ crc(b) ^
    crc(zeros). So a message that differs from a template in a few bytes has the template's
    CRC xor, for each such byte, this table's entry at the byte's distance from the end.
    Every entry comes from google-crc32c; only xors are done here.
    """
    zeros = bytes(distance)
    base = _crc32c(bytes(distance + 1))
    return np.array([_crc32c(bytes((b,)) + zeros) ^ base for b in range(256)], dtype=np.uint32)


_VARINT_LIMITS = np.array([1 << (7 * k) for k in range(1, 10)], dtype=np.uint64)


def _scalar_rows(prefix: bytes, nvar: int, wall, step, value) -> np.ndarray:
    """Framed records, one row each, for scalars sharing a prefix and a step varint length."""
    size = 10 + nvar + len(prefix) + 4
    start = 22 + nvar + len(prefix)  # column of the float
    template = b"".join(
        (_HEADER.pack(size, masked_crc32c(_LENGTH.pack(size))), b"\t", bytes(8), b"\x10",
         bytes(nvar), prefix, bytes(8))
    )
    rows = np.empty((len(wall), HEADER_SIZE + size + FOOTER_SIZE), dtype=np.uint8)
    rows[:] = np.frombuffer(template, dtype=np.uint8)
    rows[:, 13:21] = wall.view(np.uint8).reshape(-1, 8)
    for j in range(nvar):
        byte = (step >> np.uint64(7 * j)) & np.uint64(0x7F)
        rows[:, 22 + j] = byte | np.uint64(0x80) if j < nvar - 1 else byte
    rows[:, start : start + 4] = value.view(np.uint8).reshape(-1, 4)
    crc = np.full(len(wall), _crc32c(template[HEADER_SIZE : HEADER_SIZE + size]), dtype=np.uint32)
    last = HEADER_SIZE + size - 1
    for col in (*range(13, 21), *range(22, 22 + nvar), *range(start, start + 4)):
        crc ^= _crc_table(last - col)[rows[:, col]]
    masked = ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)
    rows[:, -4:] = masked.astype("<u4").view(np.uint8).reshape(-1, 4)
    return rows


def _varint_size(n: int) -> int:
    """Bytes in the varint of an unsigned 64-bit `n`."""
    return max(1, (n.bit_length() + 6) // 7)


# A queued scalar: `SCALAR_ITEM.pack(wall_time, step, tag_id, value)`. Plain bytes, so the
# cyclic garbage collector never has to look at queued scalars (tuples would make it).
SCALAR_ITEM = struct.Struct("<dqid")
_ITEM_DTYPE = np.dtype([("wall", "<f8"), ("step", "<i8"), ("tag", "<i4"), ("value", "<f8")])


def frame_scalars(packed: bytes) -> bytes:
    """Framed simple scalar events, in order, from concatenated `SCALAR_ITEM`s."""
    items = np.frombuffer(packed, dtype=_ITEM_DTYPE)
    wall = np.ascontiguousarray(items["wall"])
    step = items["step"].view(np.uint64)
    tag = items["tag"]
    with np.errstate(over="ignore"):  # beyond float32: +-inf, as protobuf stores it
        value = items["value"].astype("<f4")
    nvar = _varint_size(int(step.min()))
    if tag.min() == tag.max() and nvar == _varint_size(int(step.max())):
        # One tag, one varint length (the usual batch): the rows are the file bytes.
        return _scalar_rows(scalar_prefixes[tag[0]], nvar, wall, step, value).tobytes()
    # Several layouts: build each group's rows, place them in a padded table in item order,
    # and keep each row's real length.
    sizes = np.searchsorted(_VARINT_LIMITS, step, side="right") + 1
    group = tag.astype(np.int64) * 16 + sizes
    lengths = np.empty(len(wall), dtype=np.int64)
    parts = []
    for g in np.unique(group):
        sel = np.flatnonzero(group == g)
        rows = _scalar_rows(scalar_prefixes[g // 16], int(g % 16), wall[sel], step[sel], value[sel])
        lengths[sel] = rows.shape[1]
        parts.append((sel, rows))
    table = np.zeros((len(wall), int(lengths.max())), dtype=np.uint8)
    for sel, rows in parts:
        table[sel, : rows.shape[1]] = rows
    return table[np.arange(table.shape[1]) < lengths[:, None]].tobytes()
