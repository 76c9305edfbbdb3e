"""Simple scalar events as bytes: their layout, and bulk framing for the writer."""

from __future__ import annotations

import struct
import threading

import numpy as np
from google_crc32c import value as _crc32c

from flowlog.events.crc import crc_table, mask_crcs, masked_crc32c
from flowlog.events.records import FOOTER_SIZE, HEADER_SIZE
from flowlog.events.wire import varint

_HEADER = struct.Struct("<QI")
_LENGTH = struct.Struct("<Q")

# A simple scalar event (an Event whose Summary holds one `simple_value`) serializes as
#
#     09 <wall_time: 8-byte double> 10 <step: varint> <prefix> <simple_value: 4-byte float>
#
# where the prefix (`2a len 0a len 0a len <tag> 15`: summary, value, tag and the float's field
# tag) depends only on the tag. The writer queues packed `SCALAR_ITEM`s and frames whole
# batches here with NumPy: rows of equal layout (same tag, same varint length) are filled
# column by column, and their CRCs come from per-byte tables (see `crc.crc_table`).


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
    """A small int standing for `tag` in queued scalars (one per tag and process)."""
    found = _tag_ids.get(tag)
    if found is None:
        with _tag_lock:
            found = _tag_ids.get(tag)
            if found is None:
                scalar_prefixes.append(scalar_prefix(tag))
                found = _tag_ids[tag] = len(scalar_prefixes) - 1
    return found


_VARINT_LIMITS = np.array([1 << (7 * k) for k in range(1, 10)], dtype=np.uint64)


def _scalar_rows(prefix: bytes, nvar: int, wall, step, value) -> np.ndarray:
    """Framed records, one row each, for scalars sharing a prefix and a step varint length."""
    size = 10 + nvar + len(prefix) + 4
    start = 22 + nvar + len(prefix)  # column of the float
    template = b"".join(
        (
            _HEADER.pack(size, masked_crc32c(_LENGTH.pack(size))),
            b"\t",
            bytes(8),
            b"\x10",
            bytes(nvar),
            prefix,
            bytes(8),
        )
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
        crc ^= crc_table(last - col)[rows[:, col]]
    rows[:, -4:] = mask_crcs(crc).astype("<u4").view(np.uint8).reshape(-1, 4)
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
