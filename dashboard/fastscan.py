"""Bulk reading of event-file bytes: frame records and decode plain scalar events with NumPy."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import google_crc32c
import numpy as np

from flowlog.records import FOOTER_SIZE, HEADER_SIZE, masked_crc32c

# Per-record Python work (framing, protobuf parsing, attribute access) costs microseconds, and
# a scalar log holds millions of records. Most of those records are the same few bytes with
# different numbers: an Event with wall_time, step and a Summary holding one tagged float.
# So records are framed in bulk, grouped by length, and each group is compared byte-for-byte
# with a template record whose layout was parsed once; every record that equals the template
# outside the number fields parses to the same fields, so its numbers are read as NumPy
# columns. Everything else (graphs, histograms, metadata, odd encodings) takes the ordinary
# protobuf path. CRCs are checked for every record either way.

_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_RECORD_OVERHEAD = HEADER_SIZE + FOOTER_SIZE
# Groups smaller than this are not worth a template.
MIN_GROUP = 8
# Distinct layouts tried per record length before the rest goes the ordinary way.
MAX_LAYOUTS = 64
MAX_PERIOD = 32


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
    starts, lengths, end = _walk(buf, arr)
    bad = _bad_headers(arr, starts, lengths)
    damaged = bool(bad.size)
    if damaged:
        keep = int(bad[0])
        end = int(starts[keep])
        starts, lengths = starts[:keep], lengths[:keep]
    need = 0
    if not damaged:
        damaged, need = _tail(buf, end)
    groups, slow = _classify(arr, starts, lengths)
    first_bad = _first_bad_crc(buf, arr, starts, lengths, groups, slow)
    if first_bad is not None:
        groups = [_cut(g, first_bad) for g in groups]
        slow = slow[slow < first_bad]
        end, damaged, need = first_bad, True, 0
    others = [(int(s), buf[s + HEADER_SIZE : s + HEADER_SIZE + n])
              for s, n in zip(starts[slow].tolist(), lengths[slow].tolist())]
    return Chunk(end, damaged, need, [g for g in groups if g.pos.size], others)


def _walk(buf: bytes, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Record start offsets and data lengths, following length fields; and where they end.

    Runs of records whose sizes repeat with a short period (one record per tag per step)
    are extrapolated and checked in bulk against the expected 12-byte headers.
    """
    n = len(buf)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    recent: list[int] = []  # starts walked one by one since the last bulk run
    sizes: list[int] = []
    p = 0
    while p + HEADER_SIZE <= n:
        size = _U64.unpack_from(buf, p)[0] + _RECORD_OVERHEAD
        if p + size > n:
            break
        recent.append(p)
        sizes.append(size)
        p += size
        if len(sizes) % 4 == 0:
            period = _period(sizes)
            if period or len(sizes) >= 4 * MAX_PERIOD:
                found.append((np.array(recent, np.int64), np.array(sizes, np.int64)))
                if period:
                    found.append(_extrapolate(buf, arr, p, recent[-period:], sizes[-period:]))
                    p = int(found[-1][0][-1] + found[-1][1][-1]) if found[-1][0].size else p
                recent, sizes = [], []
    found.append((np.array(recent, np.int64), np.array(sizes, np.int64)))
    starts = np.concatenate([f[0] for f in found])
    lengths = np.concatenate([f[1] for f in found]) - _RECORD_OVERHEAD
    return starts, lengths, p


def _period(sizes: list[int]) -> int:
    """The shortest period (twice repeated) of the latest record sizes, or 0."""
    for period in range(1, min(MAX_PERIOD, len(sizes) // 2) + 1):
        if sizes[-period:] == sizes[-2 * period : -period]:
            return period
    return 0


def _extrapolate(buf: bytes, arr: np.ndarray, p: int, starts: list[int], sizes: list[int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of the records from `p` on that continue the pattern of the given ones."""
    headers = np.stack([arr[s : s + HEADER_SIZE] for s in starts])  # one per slot
    offsets = np.cumsum([0] + sizes[:-1])
    stride = sum(sizes)
    runs = []
    reps = 64
    while True:
        reps = min(reps, (len(buf) - p) // stride)
        if reps <= 0:
            break
        pos = (p + stride * np.arange(reps)[:, None] + offsets).ravel()
        got = _rows(arr, pos, HEADER_SIZE).reshape(reps, len(sizes), HEADER_SIZE)
        ok = (got == headers).all(axis=2).ravel()
        nok = int(ok.size if ok.all() else np.argmin(ok))
        runs.append(pos[:nok])
        if nok < ok.size:
            break
        p += stride * reps
        reps *= 4
    pos = np.concatenate(runs) if runs else np.zeros(0, np.int64)
    reps = -(-pos.size // len(sizes))
    return pos, np.tile(np.array(sizes, np.int64), reps)[: pos.size]


def _rows(arr: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    """The `width` bytes at each position, as an (n, width) array (one copy, no index grid)."""
    return np.lib.stride_tricks.sliding_window_view(arr, width)[pos]


def _u32(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return _rows(arr, pos, 4).view("<u4").ravel()


def _bad_headers(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices of records whose length CRC does not match."""
    if not starts.size:
        return np.zeros(0, np.intp)
    uniq, inverse = np.unique(lengths, return_inverse=True)
    crcs = np.array([masked_crc32c(_U64.pack(int(n))) for n in uniq], dtype=np.uint32)
    return np.flatnonzero(crcs[inverse] != _u32(arr, starts + 8))


def _tail(buf: bytes, end: int) -> tuple[bool, int]:
    """Whether the bytes at `end` are damaged, and the size of the record they start."""
    if len(buf) - end < HEADER_SIZE:
        return False, 0
    length = buf[end : end + 8]
    if masked_crc32c(length) != _U32.unpack_from(buf, end + 8)[0]:
        return True, 0
    return False, _U64.unpack(length)[0] + _RECORD_OVERHEAD


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
        rows = _rows(arr, starts[idx] + HEADER_SIZE, n)
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
            match = _matches(rows[rest], template, layout)
            hit = rest[match]
            groups.append(_decode(rows[hit], starts[idx[hit]], layout))
            rest = rest[~match]
        slow.append(idx[rest])
    slow_idx = np.sort(np.concatenate(slow)) if slow else np.zeros(0, np.intp)
    return groups, slow_idx


def _matches(rows: np.ndarray, template: np.ndarray, layout: Layout) -> np.ndarray:
    """Rows equal to the template outside the number fields, with a well-formed step varint."""
    fixed = np.ones(template.size, dtype=bool)
    fixed[layout.varying()] = False
    ok = (rows[:, fixed] == template[fixed]).all(axis=1)
    if layout.step:
        a, b = layout.step
        cont = rows[:, a:b] >= 0x80
        ok &= cont[:, :-1].all(axis=1) & ~cont[:, -1]
    return ok


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
    group = ScalarGroup(layout, starts, step.view(np.int64), wall.copy(), value)
    group.rows = rows  # kept until the CRC check
    return group


def _first_bad_crc(buf: bytes, arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                   groups: list[ScalarGroup], slow: np.ndarray) -> int | None:
    """Offset of the first record whose data CRC fails, or None."""
    bad = []
    for g in groups:
        rows = g.__dict__.pop("rows")
        n = rows.shape[1]
        stored = _u32(arr, g.pos + HEADER_SIZE + n)
        wrong = _group_crcs(rows, g.layout) != stored
        if wrong.any():
            bad.append(int(g.pos[np.argmax(wrong)]))
    for s, n in zip(starts[slow].tolist(), lengths[slow].tolist()):
        data = buf[s + HEADER_SIZE : s + HEADER_SIZE + n]
        if masked_crc32c(data) != _U32.unpack_from(buf, s + HEADER_SIZE + n)[0]:
            bad.append(s)
            break
    return min(bad) if bad else None


def _group_crcs(rows: np.ndarray, layout: Layout) -> np.ndarray:
    """Masked CRC32C of every row, from the template's CRC and the bytes that differ.

    CRC32C is affine over GF(2): crc(a ^ b) = crc(a) ^ crc(b) ^ crc(zeros). So a row's CRC is
    the template's, xor one table entry per differing byte position and value.
    """
    template = rows[0]
    n = rows.shape[1]
    zero = google_crc32c.value(bytes(n))
    crc = np.full(rows.shape[0], google_crc32c.value(template.tobytes()), dtype=np.uint32)
    for p in layout.varying().tolist():
        table = _position_table(n, p, zero)
        crc ^= table[rows[:, p] ^ template[p]]
    rotated = (crc >> np.uint32(15)) | (crc << np.uint32(17))
    return (rotated + np.uint32(0xA282EAD8)).astype(np.uint32)


_TABLES: dict[tuple[int, int], np.ndarray] = {}


def _position_table(n: int, p: int, zero: int) -> np.ndarray:
    """CRC contribution of each byte value at position `p` of an `n`-byte message."""
    key = (n, p)
    table = _TABLES.get(key)
    if table is None:
        bits = []
        for b in range(8):
            msg = bytearray(n)
            msg[p] = 1 << b
            bits.append(google_crc32c.value(bytes(msg)) ^ zero)
        v = np.arange(256)
        table = np.zeros(256, dtype=np.uint32)
        for b in range(8):
            table[(v >> b) & 1 == 1] ^= np.uint32(bits[b])
        if len(_TABLES) > 4096:
            _TABLES.clear()
        _TABLES[key] = table
    return table


def _cut(g: ScalarGroup, limit: int) -> ScalarGroup:
    keep = g.pos < limit
    return ScalarGroup(g.layout, g.pos[keep], g.step[keep], g.wall[keep], g.value[keep])


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
