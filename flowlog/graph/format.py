"""Op facts as short text for the graph's side panel (dtypes, shapes, tensors, attributes), and
names as DOT strings and labels."""
from __future__ import annotations

import re

import numpy as np

from flowlog.events.values import decode_tensor
from flowlog.proto import types_pb2

_DTYPE_NAMES = {types_pb2.DT_FLOAT: "float32", types_pb2.DT_DOUBLE: "float64",
                types_pb2.DT_HALF: "float16"}


def format_dtype(dtype: int) -> str:
    """`DT_FLOAT` -> 'float32', `DT_INT32` -> 'int32', `DT_FLOAT_REF` -> 'float32_ref'."""
    if dtype in _DTYPE_NAMES:
        return _DTYPE_NAMES[dtype]
    try:
        name = types_pb2.DataType.Name(dtype)[3:].lower()
    except ValueError:
        return f"dtype {dtype}"
    if name.endswith("_ref"):
        base = getattr(types_pb2, "DT_" + name[:-4].upper(), None)
        return (format_dtype(base) if base is not None else name[:-4]) + "_ref"
    return name


def format_shape(shape) -> str:
    """A TensorShapeProto as TF prints it: '(?, 784)', '()' or '<unknown>'."""
    if shape.unknown_rank:
        return "<unknown>"
    dims = ["?" if d.size < 0 else str(d.size) for d in shape.dim]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def format_tensor(tensor, limit: int = 10) -> str:
    """Small constants show their values; bigger ones their dtype and shape."""
    head = f"{format_dtype(tensor.dtype)} {format_shape(tensor.tensor_shape)}"
    n = int(np.prod([d.size for d in tensor.tensor_shape.dim])) if tensor.tensor_shape.dim else 1
    if n > limit:
        return head
    try:
        value = decode_tensor(tensor)
    except ValueError:
        return head
    return f"{_nested(value.tolist())} ({head})"


def _nested(x) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(v) for v in x) + "]"
    if isinstance(x, bytes):
        return repr(x.decode("utf-8", "replace"))
    if isinstance(x, float):
        return f"{x:.1f}" if x.is_integer() and abs(x) < 1e16 else f"{x:.6g}"
    return str(x)


def format_attr(value) -> str:
    """An AttrValue as short text for the side panel."""
    kind = value.WhichOneof("value")
    if kind == "type":
        return format_dtype(value.type)
    if kind == "shape":
        return format_shape(value.shape)
    if kind == "tensor":
        return format_tensor(value.tensor)
    if kind == "s":
        return value.s.decode("utf-8", "replace")
    if kind in ("i", "f", "b"):
        return str(getattr(value, kind))
    if kind == "func":
        return value.func.name
    if kind == "placeholder":
        return "$" + value.placeholder
    if kind == "list":
        lst = value.list
        items = ([format_dtype(t) for t in lst.type] + [format_shape(s) for s in lst.shape]
                 + [str(x) for x in (*lst.i, *lst.f, *lst.b)]
                 + [s.decode("utf-8", "replace") for s in lst.s]
                 + [format_tensor(t) for t in lst.tensor] + [f.name for f in lst.func])
        return "[" + ", ".join(items) + "]"
    return ""


# C0/C1 controls, DEL, surrogates and non-characters (U+FFFE, U+FDD0...) are not allowed in
# XML (the SVG) and NUL ends graphviz's strings: they are shown as escapes instead.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
LABEL_CHARS = 48  # longer names are shortened in the middle on boxes


def printable(text: str) -> str:
    """`text` with characters XML or graphviz cannot carry shown as `\\x1b`, `\\ufffe`."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 256
                            else f"\\u{ord(m[0]):04x}", text)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` cut in the middle to at most `limit` characters ('…' marks the cut)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def quote(text: str) -> str:
    """A DOT double-quoted string (characters XML cannot carry shown as escapes)."""
    return '"' + printable(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def html(text: str) -> str:
    """Text escaped for a DOT HTML-like label (characters XML cannot carry shown as escapes)."""
    return (printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def label_text(text: str) -> str:
    """A box's name as shown: shortened in the middle when long, '""' when empty."""
    return shorten(text) if text else '""'
