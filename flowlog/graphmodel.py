"""A `GraphDef` as a tree of name scopes: which ops and scopes are visible for a set of expanded scopes."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
from google.protobuf.message import DecodeError

from flowlog.events import decode_tensor
from flowlog.proto import graph_pb2, types_pb2

ALL = "all"  # `expand=ALL` opens every scope

# Scopes that hold training machinery rather than the model; drawn quieter.
_QUIET = re.compile(
    r"(gradients|GradientDescent|Adam|Momentum|RMSProp|Adagrad|AdagradDA|Adadelta|Ftrl|"
    r"ProximalAdagrad|ProximalGradientDescent|beta1_power|beta2_power|train|save|init)(_\d+)?")


# Sibling scopes `<prefix><N>` this many or more are drawn as one series box, as TensorBoard does.
SERIES_MIN = 3
_NUMBERED = re.compile(r"(.+?)(\d+)")


class GraphError(ValueError):
    """A GraphDef that cannot be read or an expand request that names no scope."""


def parse_graph_def(data: bytes | graph_pb2.GraphDef) -> graph_pb2.GraphDef:
    """A GraphDef from its serialized bytes (or the message itself)."""
    if isinstance(data, graph_pb2.GraphDef):
        return data
    graph = graph_pb2.GraphDef()
    try:
        graph.ParseFromString(bytes(data))
    except DecodeError as e:
        raise GraphError(f"the graph is not a valid GraphDef ({len(data)} bytes): {e}") from None
    return graph


def parse_input(text: str) -> tuple[str, int, bool]:
    """`"^name"` -> (name, -1, True); `"name:2"` -> (name, 2, False); `"name"` -> (name, 0, False)."""
    if text.startswith("^"):
        return text[1:], -1, True
    name, sep, index = text.rpartition(":")
    if sep and index.isdigit():
        return name, int(index), False
    return text, 0, False


def series_of(names: Iterable[str]) -> dict[str, list[str]]:
    """Numbered sibling names grouped: `"layer_[0-9]"` -> members in number order.

    `layer_0 .. layer_9` or TF's uniquified `dense, dense_1, dense_2` (the unnumbered one counts
    as 0); only families of SERIES_MIN or more members form a series.
    """
    names = list(names)
    families: dict[str, dict[int, str]] = {}
    for name in names:
        m = _NUMBERED.fullmatch(name)
        if m:
            families.setdefault(m[1], {}).setdefault(int(m[2]), name)
    for name in names:
        family = families.get(name + "_")
        if family is not None and not _NUMBERED.fullmatch(name):
            family.setdefault(0, name)
    out = {}
    for prefix, family in families.items():
        if len(family) >= SERIES_MIN:
            numbers = sorted(family)
            out[f"{prefix}[{numbers[0]}-{numbers[-1]}]"] = [family[n] for n in numbers]
    return out


def is_quiet(path: str) -> bool:
    """True for gradient, optimizer and bookkeeping scopes (and everything inside them)."""
    return any(_QUIET.fullmatch(part) for part in path.split("/"))


class GraphModel:
    """Ops of a GraphDef grouped in name scopes.

    An op whose name is also a scope (TF's `weight` beside `weight/read`) lives inside that
    scope, as in TensorBoard. `scopes` maps each scope path ('' is the root) to its op count.
    """

    def __init__(self, graph: graph_pb2.GraphDef):
        self.graph = graph
        self.nodes = {n.name: n for n in graph.node}
        self.inputs = {n.name: [parse_input(i) for i in n.input] for n in graph.node}
        scopes: set[str] = set()
        for name in self.nodes:
            parts = name.split("/")
            for k in range(1, len(parts)):
                scopes.add("/".join(parts[:k]))
        # chain[op]: the scopes holding the op, outermost first.
        self.chain: dict[str, tuple[str, ...]] = {}
        count: Counter[str] = Counter()
        for name in self.nodes:
            parts = name.split("/")
            depth = len(parts) if name in scopes else len(parts) - 1
            chain = tuple("/".join(parts[:k]) for k in range(1, depth + 1))
            self.chain[name] = chain
            count.update(chain)
        count[""] = len(self.nodes)
        self.scopes = dict(count)
        self._consumers: dict[str, list[tuple[str, int, bool]]] | None = None
        self._series: dict[str, tuple[str, list[str]]] | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def normalize_expand(self, expand: str | Iterable[str] | None) -> frozenset[str] | str:
        """The set of open scopes (with their ancestors), or ALL; unknown names are an error."""
        if expand is None:
            return frozenset()
        if isinstance(expand, str):
            if expand.strip() == ALL:
                return ALL
            expand = [s for s in expand.split(",")]
        opened: set[str] = set()
        for scope in expand:
            scope = scope.strip().strip("/")
            if not scope:
                continue
            if scope not in self.scopes and scope not in self.series():
                raise GraphError(f"no name scope '{scope}' in the graph; expected one of: "
                                 + ", ".join(sorted(self.top_scopes())[:20]))
            parts = scope.split("/")
            opened.update("/".join(parts[:k]) for k in range(1, len(parts) + 1))
        return frozenset(opened)

    def series(self) -> dict[str, tuple[str, list[str]]]:
        """Series of numbered sibling scopes by path (`gradients/layer_[0-9]`): (parent, members)."""
        if self._series is None:
            children: dict[str, list[str]] = {}
            for scope in self.scopes:
                if scope:
                    parent, _, leaf = scope.rpartition("/")
                    children.setdefault(parent, []).append(leaf)
            self._series = {}
            for parent, leaves in children.items():
                base = parent + "/" if parent else ""
                for label, members in series_of(leaves).items():
                    self._series[base + label] = (parent, [base + m for m in members])
        return self._series

    def grouped_scopes(self, opened: frozenset[str] | str) -> dict[str, str]:
        """Closed scopes a view draws inside a series box: scope -> series path.

        A series groups while its parent is open and neither it nor any member is.
        """
        if opened == ALL:
            return {}
        out: dict[str, str] = {}
        for path, (parent, members) in self.series().items():
            if (parent and parent not in opened) or path in opened or not opened.isdisjoint(members):
                continue
            out.update(dict.fromkeys(members, path))
        return out

    def top_scopes(self) -> list[str]:
        """Top-level scope names."""
        return [s for s in self.scopes if s and "/" not in s]

    def unit_of(self, name: str, opened: frozenset[str] | str) -> tuple[str, str]:
        """What stands for op `name` in a view: ("op", name) or ("scope", collapsed scope)."""
        if opened == ALL:
            return "op", name
        for scope in self.chain[name]:
            if scope not in opened:
                return "scope", scope
        return "op", name

    def consumers(self, name: str) -> list[tuple[str, int, bool]]:
        """Ops reading `name`: (consumer, output index, is control)."""
        if self._consumers is None:
            table: dict[str, list[tuple[str, int, bool]]] = {}
            for dst, inputs in self.inputs.items():
                for src, index, control in inputs:
                    table.setdefault(src, []).append((dst, index, control))
            self._consumers = table
        return self._consumers.get(name, [])

    def ancestors(self, name: str) -> list[str]:
        """Every op `name` depends on through data or control inputs (iteratively)."""
        seen, stack = {name}, [name]
        while stack:
            for src, _, _ in self.inputs.get(stack.pop(), ()):
                if src in self.nodes and src not in seen:
                    seen.add(src)
                    stack.append(src)
        seen.discard(name)
        return sorted(seen)

    def output_shape(self, name: str, index: int) -> str:
        """The `_output_shapes` entry of an output as text ('' when not recorded)."""
        node = self.nodes.get(name)
        if node is None or index < 0 or "_output_shapes" not in node.attr:
            return ""
        shapes = node.attr["_output_shapes"].list.shape
        return format_shape(shapes[index]) if index < len(shapes) else ""

    def node_info(self, name: str, timings: dict[str, float] | None = None) -> dict:
        """Side-panel facts about one op: op, device, attributes, inputs and outputs with shapes."""
        node = self.nodes[name]
        info = {
            "name": name, "op": node.op, "device": node.device,
            "attrs": {k: format_attr(v) for k, v in sorted(node.attr.items())
                      if k != "_output_shapes"},
            "inputs": [{"name": src, "output": i, "control": c, "shape": self.output_shape(src, i)}
                       for src, i, c in self.inputs[name]],
            "outputs": [{"name": dst, "output": i, "control": c,
                         "shape": self.output_shape(name, i)}
                        for dst, i, c in self.consumers(name)],
            "scope": self.chain[name][-1] if self.chain[name] else "",
        }
        if timings and name in timings:
            info["time_us"] = timings[name]
        return info


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
