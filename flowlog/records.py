"""TFRecord framing of event files: writing one record, reading records back tolerantly."""
from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import google_crc32c

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
