"""The one bulk decoder of event records: scalar columns for every layout real writers produce.

Per-record Python work (protobuf parsing, attribute access) costs microseconds, and a scalar
log holds millions of records. But most records are the same bytes with other numbers: an
Event with a wall time, a step and a Summary of one or more tagged numbers (one `simple_value`
per event from tensorboardX and torch; ten of them per event from TF1's `merge_all`; a scalar
tensor from TF2's `tf.summary.scalar` and Keras). So records of one byte length are compared,
all at once, with a template record whose layout was parsed once: a record equal to the
template outside its number fields (and whose step varint has the template's length) parses
to the same fields, so its numbers are read as NumPy columns straight from the bytes. Any
field order and unknown-to-us layout is safe: a template we do not fully understand is never
used, and such records are parsed by protobuf like everything else (graphs, histograms,
images, metadata, odd encodings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from google.protobuf.message import DecodeError

from flowlog.events.records import HEADER_SIZE
from flowlog.events.scalar_layouts import Layout, layout_of
from flowlog.events.values import plugin_of, scalar_of
from flowlog.proto import event_pb2

# Size groups smaller than this are parsed one by one; a template is not worth it.
MIN_GROUP = 8
# Distinct layouts tried per record size before the rest of the group goes the ordinary way,
# and templates in a row that may fail (images, histograms) before it does so at once.
MAX_LAYOUTS = 64
MAX_FAILED = 4
# Records longer than this are never templates (a merged summary of ~100 tags fits).
MAX_TEMPLATE = 16 << 10

Points = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # pos, step, wall, value


@dataclass
class Decoded:
    """One chunk of records, decoded.

    `scalars`: tag -> (file offset of the record, step, wall time, value) columns in file
    order; every scalar of the chunk is there, whichever path decoded it. `events`: every
    other record, parsed, as (file offset, Event) in file order; their scalar values (those
    `plugin_of` calls "scalars") are already in `scalars`.
    """

    scalars: dict[str, Points]
    events: list[tuple[int, event_pb2.Event]]


class EventDecoder:
    """Decodes the record chunks of one run's files, in order (see `RecordReader.read_chunks`).

    Keeps what spans records: the plugin of each tag (writers name it on a tag's first value
    only) and the count of intact records that are not Events, or hold a damaged scalar
    tensor (`bad_events`).
    """

    def __init__(self) -> None:
        self.plugins: dict[str, str] = {}
        self.bad_events = 0

    def decode(self, buf: bytes, base: int, starts: np.ndarray, sizes: np.ndarray) -> Decoded:
        """Decode the records at `buf[start:start + size]`, `buf[0]` being file byte `base`."""
        arr = np.frombuffer(buf, dtype=np.uint8)
        groups, slow = _classify(arr, starts, sizes)
        parts: dict[str, list[Points]] = {}
        events: list[tuple[int, event_pb2.Event]] = []
        self._parse(buf, base, starts[slow], sizes[slow], parts, events)
        late = []  # groups of tensors whose tag turned out not to be a scalar's
        for g in groups:
            if any(s.tensor and (s.plugin or self.plugins.get(s.tag)) != "scalars"
                   for s in g.layout.slots):
                late.append(g.starts)
                continue
            pos = g.starts + (base - HEADER_SIZE)
            for slot, value in zip(g.layout.slots, g.values):
                if slot.plugin:
                    self.plugins[slot.tag] = slot.plugin
                parts.setdefault(slot.tag, []).append((pos, g.step, g.wall, value))
        if late:
            more = np.sort(np.concatenate(late))
            self._parse(buf, base, more, _sizes_at(arr, more), parts, events)
            events.sort(key=lambda e: e[0])
        return Decoded({tag: _in_order(p) for tag, p in parts.items()}, events)

    def _parse(self, buf: bytes, base: int, starts: np.ndarray, sizes: np.ndarray,
               parts: dict[str, list[Points]], events: list) -> None:
        """The ordinary way: protobuf parses each record."""
        for start, size in zip(starts.tolist(), sizes.tolist()):
            event = event_pb2.Event()
            try:
                event.ParseFromString(buf[start : start + size])
            except DecodeError:
                self.bad_events += 1
                continue
            pos = base + start - HEADER_SIZE
            events.append((pos, event))
            self._scalars_of(event, pos, parts)

    def _scalars_of(self, event: event_pb2.Event, pos: int, parts: dict) -> None:
        if not event.HasField("summary"):
            return
        for value in event.summary.value:
            try:
                x = scalar_of(value, plugin_of(value, self.plugins))
            except ValueError:  # a damaged tensor: counted, and the rest goes on
                self.bad_events += 1
                continue
            if x is not None:
                point = (np.array([pos]), np.array([event.step]),
                         np.array([event.wall_time]), np.array([x], np.float64))
                parts.setdefault(value.tag, []).append(point)


def _in_order(parts: list[Points]) -> Points:
    if len(parts) == 1:
        return parts[0]
    pos, step, wall, value = (np.concatenate([p[i] for p in parts]) for i in range(4))
    order = np.argsort(pos, kind="stable")
    return pos[order], step[order], wall[order], value[order]


def _sizes_at(arr: np.ndarray, data_starts: np.ndarray) -> np.ndarray:
    heads = np.lib.stride_tricks.sliding_window_view(arr, 8)[data_starts - HEADER_SIZE]
    return heads.copy().view("<u8").ravel().astype(np.int64)


def _column(rows: np.ndarray, offset: int, dtype: str) -> np.ndarray:
    """The number of type `dtype` at `offset` of each row, as float64."""
    width = np.dtype(dtype).itemsize
    raw = np.ascontiguousarray(rows[:, offset : offset + width]).view(dtype).ravel()
    return raw.astype(np.float64)


def _walls(rows: np.ndarray, layout: Layout) -> np.ndarray:
    if layout.wall < 0:
        return np.zeros(rows.shape[0])
    return _column(rows, layout.wall, "<f8")


def _steps(rows: np.ndarray, layout: Layout) -> np.ndarray:
    step = np.zeros(rows.shape[0], dtype=np.uint64)
    if layout.step:
        a, b = layout.step
        for i in range(b - a):
            step |= (rows[:, a + i] & 0x7F).astype(np.uint64) << np.uint64(7 * i)
    return step.view(np.int64)


@dataclass
class Group:
    """Records of one layout decoded in bulk: data starts and one column per field."""

    starts: np.ndarray
    layout: Layout
    step: np.ndarray
    wall: np.ndarray
    values: list[np.ndarray]  # one per slot, as float64


def _classify(arr: np.ndarray, starts: np.ndarray, sizes: np.ndarray
              ) -> tuple[list[Group], np.ndarray]:
    """Records decoded per template, as groups, and the indices of all other records."""
    groups: list[Group] = []
    slow: list[np.ndarray] = []
    order = np.argsort(sizes, kind="stable")
    bounds = np.flatnonzero(np.diff(sizes[order])) + 1
    for idx in np.split(order, bounds):
        n = int(sizes[idx[0]]) if idx.size else 0
        if idx.size < MIN_GROUP or not 0 < n <= MAX_TEMPLATE:
            slow.append(idx)
            continue
        rows = np.lib.stride_tricks.sliding_window_view(arr, n)[starts[idx]]
        found, rest = _templates(rows)
        for hit, layout, step, wall, values in found:
            groups.append(Group(starts[idx[hit]], layout, step, wall, values))
        slow.append(idx[rest])
    slow_idx = np.sort(np.concatenate(slow)) if slow else np.zeros(0, np.intp)
    return groups, slow_idx


def _templates(rows: np.ndarray) -> tuple[list, np.ndarray]:
    """Rows of one size decoded per template: [(row indices, layout, step, wall, values)],
    and the indices of the rows left over.

    A row matches a template when it equals it outside the template's number fields (its
    number bytes zeroed, compared as words) and its step varint is well formed. Templates are taken in turn from the rows not matched yet. Columns are cut from
    all rows at once (a strided copy) and then picked per template, never row by row.
    """
    m = rows.shape[0]
    label = np.full(m, -1, dtype=np.int64)  # -1: not matched yet, -2: not a template
    found = []
    varying = words = None
    columns: dict[tuple, np.ndarray] = {}
    failed, t = 0, 0
    for _ in range(MAX_LAYOUTS):
        free = label == -1
        t = t + int(np.argmax(free[t:])) if t < m else m
        if t >= m or not free[t] or free.sum() < MIN_GROUP or failed >= MAX_FAILED:
            break
        layout = layout_of(rows[t].tobytes())
        if layout is None:
            label[t] = -2
            failed += 1
            continue
        failed = 0
        if varying is None or not np.array_equal(layout.varying(), varying):
            varying = layout.varying()
            words = _masked_words(rows, varying)
        match = free.copy()
        for w in words:
            match &= w == w[t]
        match &= _cached(columns, ("step_ok", layout.step), _varint_ok, rows, layout)
        hit = np.flatnonzero(match)
        label[hit] = len(found)
        step = _cached(columns, ("step", layout.step), _steps, rows, layout)[hit]
        wall = _cached(columns, ("wall", layout.wall), _walls, rows, layout)[hit]
        values = [_cached(columns, (s.offset, s.dtype), _column, rows, s.offset, s.dtype)[hit]
                  for s in layout.slots]
        found.append((hit, layout, step, wall, values))
    return found, np.flatnonzero(label < 0)


def _masked_words(rows: np.ndarray, varying: np.ndarray) -> list[np.ndarray]:
    """The rows with the bytes at `varying` zeroed, as 8-byte words, one array per word
    position; positions where every row holds the same word are left out (nothing to
    compare there), so comparing a template with every row costs a few word compares each."""
    m, n = rows.shape
    padded = np.zeros((m, -(-n // 8) * 8), dtype=np.uint8)
    padded[:, :n] = rows
    padded[:, varying] = 0
    columns = np.ascontiguousarray(padded.view("<u8").T)
    return [c for c in columns if not (c == c[0]).all()]


def _cached(cache: dict, key: tuple, make, *args) -> np.ndarray:
    """`make(*args)`, computed once per `key`: templates of one size often share columns."""
    if key not in cache:
        cache[key] = make(*args)
    return cache[key]


def _varint_ok(rows: np.ndarray, layout: Layout) -> np.ndarray:
    """Rows whose step bytes form one varint of the template's length."""
    if not layout.step:
        return np.ones(rows.shape[0], dtype=bool)
    a, b = layout.step
    cont = rows[:, a:b] >= 0x80
    return cont[:, :-1].all(axis=1) & ~cont[:, -1]
