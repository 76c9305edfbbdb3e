"""Where the numbers sit in a scalar record: its layout, found once from its wire fields.

A record holding only a wall time, a step and tagged scalars (a `simple_value`, or a
one-element tensor of a fixed-width dtype) has a `Layout`; the decoder compares other records
with it byte by byte and reads their numbers as columns (see `decoder`). Anything else, or
anything not fully understood here, has no layout and is parsed by protobuf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlog.events.wire import fields, read_varint

# tensor_content dtypes of a scalar tensor (TensorFlow's DataType numbers).
_CONTENT_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8",
                   10: "u1", 17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8"}
# Fixed-width repeated fields that may hold a scalar: (field, wire type) -> dtype, by DataType.
_VALUE_FIELDS = {1: {(5, 2): "<f4", (5, 5): "<f4"}, 2: {(6, 2): "<f8", (6, 1): "<f8"}}


@dataclass(frozen=True)
class Slot:
    """One scalar inside a record layout: its tag and where its number sits."""

    tag: str
    offset: int
    dtype: str
    tensor: bool  # a tensor: a scalar only if the tag belongs to the scalars plugin
    plugin: str  # plugin named by this value's metadata, "" if it has none


@dataclass(frozen=True)
class Layout:
    """Where the numbers sit in a record made of a wall time, a step and scalars only."""

    wall: int  # offset of the float64 wall time, -1 if absent (0.0)
    step: tuple[int, int] | None  # byte range of the step varint; absent means step 0
    slots: tuple[Slot, ...]

    def varying(self) -> np.ndarray:
        """Byte offsets that may differ between records of this layout."""
        spans = [range(s.offset, s.offset + np.dtype(s.dtype).itemsize) for s in self.slots]
        if self.wall >= 0:
            spans.append(range(self.wall, self.wall + 8))
        if self.step:
            spans.append(range(*self.step))
        return np.array(sorted(i for s in spans for i in s), dtype=np.intp)


def layout_of(rec: bytes) -> Layout | None:
    """The layout of a record holding only a wall time, a step and scalars; else None."""
    try:
        return _layout(rec)
    except (ValueError, UnicodeDecodeError):
        return None


def _layout(rec: bytes) -> Layout | None:
    found: dict[int, tuple[int, int]] = {}
    for num, wire, a, b in fields(rec, 0, len(rec)):
        if (num, wire) not in ((1, 1), (2, 0), (5, 2)) or num in found:
            return None
        found[num] = (a, b)
    if 5 not in found:
        return None
    slots = []
    for num, wire, a, b in fields(rec, *found[5]):
        if (num, wire) != (1, 2):
            return None
        slot = _slot(rec, a, b)
        if slot is None:
            return None
        slots.append(slot)
    if not slots:
        return None
    wall = found[1][0] if 1 in found else -1
    return Layout(wall, found.get(2), tuple(slots))


def _slot(rec: bytes, a: int, b: int) -> Slot | None:
    """The scalar of one Summary.Value: a tag and a simple_value or scalar tensor."""
    parts: dict[int, tuple[int, int, int]] = {}
    for num, wire, x, y in fields(rec, a, b):
        if num in parts:
            return None
        parts[num] = (wire, x, y)
    tag = parts.pop(1, None)
    parts.pop(7, None)  # node_name: not used
    if tag is None or tag[0] != 2:
        return None
    name = rec[tag[1] : tag[2]].decode("utf-8")
    plugin = ""
    meta = parts.pop(9, None)
    if meta is not None:
        plugin = _plugin_name(rec, meta)
        if plugin is None:
            return None
    if len(parts) != 1:
        return None
    (num, (wire, x, y)), = parts.items()
    if num == 2 and wire == 5:
        return Slot(name, x, "<f4", False, plugin)
    if num == 8 and wire == 2:
        where = _tensor_scalar(rec, x, y)
        if where:
            return Slot(name, where[0], where[1], True, plugin)
    return None


def _plugin_name(rec: bytes, meta: tuple[int, int, int]) -> str | None:
    """The plugin name inside a SummaryMetadata, "" if none; None if malformed."""
    wire, a, b = meta
    if wire != 2:
        return None
    for num, w, x, y in fields(rec, a, b):
        if num == 1 and w == 2:  # plugin_data
            for n2, w2, x2, y2 in fields(rec, x, y):
                if n2 == 1 and w2 == 2:
                    return rec[x2:y2].decode("utf-8")
    return ""


def _tensor_scalar(rec: bytes, a: int, b: int) -> tuple[int, str] | None:
    """Offset and dtype of the single fixed-width number of a one-element tensor, else None."""
    dtype, value = None, None
    for num, wire, x, y in fields(rec, a, b):
        if num == 1 and wire == 0 and dtype is None:
            dtype = read_varint(rec, x, y)[0]
        elif num == 2 and wire == 2:
            if not _one_element(rec, x, y):
                return None
        elif num == 3 and wire == 0:
            continue  # version_number
        elif value is None and num != 1:
            value = (num, wire, x, y)
        else:
            return None
    if dtype is None or value is None:
        return None
    num, wire, x, y = value
    if num == 4 and wire == 2 and dtype in _CONTENT_DTYPES:
        want = _CONTENT_DTYPES[dtype]
    else:
        want = _VALUE_FIELDS.get(dtype, {}).get((num, wire))
    if want is None or y - x != np.dtype(want).itemsize:
        return None
    return x, want


def _one_element(rec: bytes, a: int, b: int) -> bool:
    """Whether a TensorShapeProto has a known rank and every dimension of size 1."""
    for num, wire, x, y in fields(rec, a, b):
        if num != 2 or wire != 2:
            return False
        sizes = [read_varint(rec, x2, y2)[0] if w2 == 0 else -1
                 for n2, w2, x2, y2 in fields(rec, x, y) if n2 == 1]
        if sizes != [1]:  # an absent size is 0
            return False
    return True
