"""Protobuf's wire format at the byte level: varints and a message's fields, for bulk decoding."""

from __future__ import annotations

from collections.abc import Iterator

# A serialized message is a sequence of fields, each a varint key (field number << 3 | wire
# type) and a payload: wire type 0 a varint, 1 eight bytes, 2 a varint length and that many
# bytes (strings, bytes, sub-messages, packed repeated numbers), 5 four bytes. Varints hold 7
# bits per byte, least significant first, the top bit set on every byte but the last; an int64
# takes at most 10 bytes (negative numbers always take 10).
MAX_VARINT = 10


def varint(n: int) -> bytes:
    """The varint of an int64 (negative numbers as their two's complement: ten bytes)."""
    n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(data: bytes, pos: int, end: int | None = None) -> tuple[int, int]:
    """The unsigned varint at `data[pos]` and the position after it.

    ValueError if it runs past `end` (default: the end of `data`) or past ten bytes.
    """
    end = len(data) if end is None else end
    result = shift = 0
    for i in range(pos, min(end, pos + MAX_VARINT)):
        b = data[i]
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, i + 1
        shift += 7
    raise ValueError(f"truncated or overlong varint at byte {pos}")


def as_int64(n: int) -> int:
    """An unsigned 64-bit varint value read as the int64 it encodes."""
    return n - (1 << 64) if n >= 1 << 63 else n


def fields(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, payload start, payload end) of each field in data[start:end].

    ValueError on a malformed message (unknown wire type, a field running past `end`).
    """
    i = start
    while i < end:
        key, i = read_varint(data, i, end)
        num, wire = key >> 3, key & 7
        if wire == 0:
            _, j = read_varint(data, i, end)
        elif wire == 1:
            j = i + 8
        elif wire == 5:
            j = i + 4
        elif wire == 2:
            size, i = read_varint(data, i, end)
            j = i + size
        else:
            raise ValueError(f"unsupported wire type {wire} at byte {i}")
        if j > end or num == 0:
            raise ValueError(f"field {num} runs past its message at byte {i}")
        yield num, wire, i, j
        i = j
