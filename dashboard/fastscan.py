"""Bulk reading of event-file bytes: frame records and decode plain scalar events with NumPy."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from flowlog import records
from flowlog.records import FOOTER_SIZE, HEADER_SIZE, masked_crc32c

# Per-record Python work (protobuf parsing, attribute access) costs microseconds, and a scalar
# log holds millions of records. Most of those records are the same few bytes with different
# numbers: an Event with wall_time, step and a Summary holding one tagged float. So records
# are framed and CRC-checked in bulk (`flowlog.records.scan`), grouped by length, and each
# group is compared byte-for-byte with a template record whose layout was parsed once; every
# record that equals the template outside the number fields parses to the same fields, so its
# numbers are read as NumPy columns. Everything else (graphs, histograms, metadata, odd
# encodings) takes the ordinary protobuf path.

_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
# Groups smaller than this are not worth a template.
MIN_GROUP = 8
# Distinct layouts tried per record length before the rest goes the ordinary way.
MAX_LAYOUTS = 64


@dataclass
class Layout:
    """Where the numbers sit in a plain scalar event of one byte length."""

    tag: str
    wall: int  # offset of the float64 wall_time
    step: tuple[int, int] | None  # byte range of the step varint (absent means step 0)
    value: int  # offset of the float value
    dtype: str  # "<f4" or "<f8"
    tensor: bool  # new-style scalar (a tensor; counts only for tags of the scalars plugin)

    def varying(self) -> np.ndarray:
        """Byte offsets that may differ between records of this layout."""
        spans = [range(self.wall, self.wall + 8), range(self.value, self.value + self.width)]
        if self.step:
            spans.append(range(*self.step))
        return np.array(sorted(i for s in spans for i in s), dtype=np.intp)

    @property
    def width(self) -> int:
        return 4 if self.dtype == "<f4" else 8


@dataclass
class ScalarGroup:
    """Scalars of one tag decoded in bulk; `pos` orders them among the other records."""

    layout: Layout
    pos: np.ndarray
    step: np.ndarray
    wall: np.ndarray
    value: np.ndarray


@dataclass
class Chunk:
    """The intact records at the start of a buffer, decoded as far as the fast path goes."""

    end: int  # bytes consumed: every record before this offset is intact and included
    damaged: bool  # the bytes at `end` are not an intact record (a tolerant reader takes over)
    need: int = 0  # when not damaged: bytes the record at `end` needs (0 if unknown)
    groups: list[ScalarGroup] = field(default_factory=list)
    others: list[tuple[int, bytes]] = field(default_factory=list)  # (offset, event bytes)


def scan(buf: bytes) -> Chunk:
    """Frame and decode the complete, intact records at the start of `buf`."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    starts, lengths, end = records.scan(buf)  # data starts and sizes, CRCs checked
    damaged, need = _tail(buf, end)
    groups, slow = _classify(arr, starts, lengths)
    others = [(s - HEADER_SIZE, buf[s : s + n])
              for s, n in zip(starts[slow].tolist(), lengths[slow].tolist())]
    return Chunk(end, damaged, need, groups, others)


def _rows(arr: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    """The `width` bytes at each position, as an (n, width) array (one copy, no index grid)."""
    return np.lib.stride_tricks.sliding_window_view(arr, width)[pos]


def _tail(buf: bytes, end: int) -> tuple[bool, int]:
    """Whether the bytes at `end` are damaged, and else the size of the record they start."""
    if len(buf) - end < HEADER_SIZE:
        return False, 0
    length = buf[end : end + 8]
    if masked_crc32c(length) != _U32.unpack_from(buf, end + 8)[0]:
        return True, 0
    size = _U64.unpack(length)[0] + HEADER_SIZE + FOOTER_SIZE
    if end + size <= len(buf):  # complete, yet not taken: its data CRC failed
        return True, 0
    return False, size


def _classify(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray
              ) -> tuple[list[ScalarGroup], np.ndarray]:
    """Plain scalar records decoded per template, and the indices of all other records."""
    groups: list[ScalarGroup] = []
    slow: list[np.ndarray] = []
    order = np.argsort(lengths, kind="stable")
    bounds = np.flatnonzero(np.diff(lengths[order])) + 1
    for idx in np.split(order, bounds):
        if idx.size < MIN_GROUP:
            slow.append(idx)
            continue
        n = int(lengths[idx[0]])
        rows = _rows(arr, starts[idx], n)
        rest = np.arange(idx.size)
        for _ in range(MAX_LAYOUTS):
            if rest.size < MIN_GROUP:
                break
            template = rows[rest[0]]
            layout = layout_of(template.tobytes())
            if layout is None:
                slow.append(idx[rest[:1]])
                rest = rest[1:]
                continue
            taken = np.zeros(rest.size, dtype=bool)
            for match, lay in _matches(rows[rest], template, layout):
                hit = rest[match]
                groups.append(_decode(rows[hit], starts[idx[hit]] - HEADER_SIZE, lay))
                taken |= match
            rest = rest[~taken]
        slow.append(idx[rest])
    slow_idx = np.sort(np.concatenate(slow)) if slow else np.zeros(0, np.intp)
    return groups, slow_idx


def _matches(rows: np.ndarray, template: np.ndarray, layout: Layout
             ) -> list[tuple[np.ndarray, Layout]]:
    """Rows that parse like the template, each group with its layout.

    Rows must equal the template outside the number fields, with a well-formed step varint.
    Sibling layouts (other tags of the same length, with the numbers at the same places) come
    along in the same pass: the few byte columns where rows differ from the template key them,
    and rows with equal keys are byte-for-byte the same outside the numbers.
    """
    varying = layout.varying()
    fixed = np.ones(template.size, dtype=bool)
    fixed[varying] = False
    differ = rows[:, fixed] != template[fixed]
    cols = np.flatnonzero(fixed)[np.flatnonzero(differ.any(axis=0))]
    if not 0 < cols.size <= 8:
        return [(~differ.any(axis=1) & _varint_ok(rows, layout), layout)]
    key = np.zeros(rows.shape[0], dtype=np.uint64)
    for j, c in enumerate(cols.tolist()):
        key |= rows[:, c].astype(np.uint64) << np.uint64(8 * j)
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if uniq.size > MAX_LAYOUTS:
        return [(~differ.any(axis=1) & _varint_ok(rows, layout), layout)]
    out = []
    step_ok = _varint_ok(rows, layout)  # siblings have their step at the same bytes
    for k, i in enumerate(first.tolist()):
        lay = layout if i == 0 else layout_of(rows[i].tobytes())
        if lay is not None and lay.step == layout.step and np.array_equal(lay.varying(), varying):
            out.append(((inverse == k) & step_ok, lay))
    return out


def _varint_ok(rows: np.ndarray, layout: Layout) -> np.ndarray:
    """Rows whose step bytes form one varint of the template's length."""
    if not layout.step:
        return np.ones(rows.shape[0], dtype=bool)
    a, b = layout.step
    cont = rows[:, a:b] >= 0x80
    return cont[:, :-1].all(axis=1) & ~cont[:, -1]


def _decode(rows: np.ndarray, starts: np.ndarray, layout: Layout) -> ScalarGroup:
    wall = np.ascontiguousarray(rows[:, layout.wall : layout.wall + 8]).view("<f8").ravel()
    w = layout.width
    raw = np.ascontiguousarray(rows[:, layout.value : layout.value + w])
    value = raw.view(layout.dtype).ravel().astype(np.float64)
    step = np.zeros(rows.shape[0], dtype=np.uint64)
    if layout.step:
        a, b = layout.step
        for i in range(b - a):
            step |= (rows[:, a + i] & 0x7F).astype(np.uint64) << np.uint64(7 * i)
    return ScalarGroup(layout, starts, step.view(np.int64), wall.copy(), value)


def _varint(b: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if i >= len(b) or shift > 63:
            raise ValueError("truncated varint")
        c = b[i]
        result |= (c & 0x7F) << shift
        i += 1
        if c < 0x80:
            return result, i
        shift += 7


def fields(b: bytes, i: int, end: int):
    """(field number, wire type, start, end) of each field of a message in b[i:end]."""
    while i < end:
        key, i = _varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            _, j = _varint(b, i)
        elif wire == 1:
            j = i + 8
        elif wire == 5:
            j = i + 4
        elif wire == 2:
            size, i = _varint(b, i)
            j = i + size
        else:
            raise ValueError("unsupported wire type")
        if j > end:
            raise ValueError("field runs past its message")
        yield num, wire, i, j
        i = j


def layout_of(rec: bytes) -> Layout | None:
    """The layout of a plain scalar Event (wall_time, step, one summary value), else None."""
    try:
        return _layout(rec)
    except (ValueError, UnicodeDecodeError):
        return None


def _layout(rec: bytes) -> Layout | None:
    found = {}
    for num, wire, a, b in fields(rec, 0, len(rec)):
        if (num, wire) not in ((1, 1), (2, 0), (5, 2)) or num in found:
            return None
        found[num] = (a, b)
    if 1 not in found or 5 not in found:
        return None
    values = list(fields(rec, *found[5]))
    if len(values) != 1 or values[0][:2] != (1, 2):
        return None
    parts = {}
    for num, wire, a, b in fields(rec, *values[0][2:]):
        if num in parts:
            return None
        parts[num] = (wire, a, b)
    tag = parts.pop(1, None)
    if tag is None or tag[0] != 2 or len(parts) != 1:
        return None
    name = rec[tag[1] : tag[2]].decode("utf-8")
    step = found.get(2)
    wall = found[1][0]
    if 2 in parts and parts[2][0] == 5:
        return Layout(name, wall, step, parts[2][1], "<f4", False)
    if 8 in parts and parts[8][0] == 2:
        where = _tensor_value(rec, parts[8][1], parts[8][2])
        if where:
            return Layout(name, wall, step, where[0], where[1], True)
    return None


def _tensor_value(rec: bytes, a: int, b: int) -> tuple[int, str] | None:
    """Offset and dtype of the single float of a scalar-shaped float/double tensor."""
    dtype = None
    value = None
    for num, wire, x, y in fields(rec, a, b):
        if num == 1 and wire == 0 and dtype is None:
            dtype = _varint(rec, x)[0]
        elif num == 2 and wire == 2 and y == x:
            continue  # an empty shape: a scalar
        elif num in (4, 5, 6) and value is None:
            value = (num, wire, x, y)
        else:
            return None
    if dtype not in (1, 2) or value is None:
        return None
    num, wire, x, y = value
    width = 4 if dtype == 1 else 8
    wanted = {1: ((4, 2), (5, 2), (5, 5)), 2: ((4, 2), (6, 2), (6, 1))}[dtype]
    if (num, wire) not in wanted or y - x != width:
        return None
    return x, "<f4" if dtype == 1 else "<f8"
