"""A `GraphDef` as a tree of name scopes: which ops and scopes are visible for a set of expanded scopes."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from google.protobuf.message import DecodeError

from flowlog.graph.format import (  # noqa: F401 -- importable from here as before
    format_attr,
    format_dtype,
    format_shape,
    format_tensor,
    printable,
    shorten,
)
from flowlog.graph.series import SERIES_MIN, blocks_of, series_of  # noqa: F401
from flowlog.graph.tree import build_tree
from flowlog.proto import graph_pb2

ALL = "all"  # `expand=ALL` opens every scope

# Scopes that hold training machinery rather than the model; drawn quieter.
_QUIET = re.compile(
    r"(gradients|GradientDescent|Adam|Momentum|RMSProp|Adagrad|AdagradDA|Adadelta|Ftrl|"
    r"ProximalAdagrad|ProximalGradientDescent|beta1_power|beta2_power|train|save|init)(_\d+)?")


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


def is_quiet(path: str) -> bool:
    """True for gradient, optimizer and bookkeeping scopes (and everything inside them)."""
    return any(_QUIET.fullmatch(part) for part in path.split("/"))



# Op types of variables and their bookkeeping: a top-level scope of only these (and its
# initialisers) is a variable scope, as Keras makes one per layer.
_VARIABLE_OPS = frozenset(
    ["VariableV2", "Variable", "VarHandleOp", "ReadVariableOp", "Assign", "AssignVariableOp", "VarIsInitializedOp", "IsVariableInitialized", "Identity", "Const"])
_VARIABLE = frozenset({"VariableV2", "Variable", "VarHandleOp"})
# With this many variable scopes at the top level (Keras: one per layer), they are auxiliary.
MANY_VARIABLE_SCOPES = 8
# A top level with more boxes than this draws auxiliary boxes apart, without their edges.
SPLIT_TOP = 24
# The default view opens a scope holding at least this share of the model's ops, down to this
# many levels: the model scope of a Keras model, not a box among a hundred variable scopes.
DOMINANT_SHARE, DOMINANT_DEPTH = 0.5, 4
# A dominant scope of ops only (no inner scopes) opens when it holds at most this many: a
# Sequential model's layers read as boxes; a flat scope of thousands of ops stays one box.
FLAT_OPEN = 64


class GraphModel:
    """Ops of a GraphDef grouped in name scopes, series of repeated scopes, and blocks.

    An op whose name is also a scope (TF's `weight` beside `weight/read`) lives inside that
    scope, as in TensorBoard. `scopes` maps each scope path ('' is the root) to its op count;
    `chain[op]` lists the scopes (and series and blocks) holding the op, outermost first.
    """

    def __init__(self, graph: graph_pb2.GraphDef):
        self.graph = graph
        self.nodes = {n.name: n for n in graph.node}
        self.inputs = {n.name: [parse_input(i) for i in n.input] for n in graph.node}
        self.tree = build_tree(self.nodes)
        self.chain = self.tree.chain
        self.scopes = self.tree.count
        self._consumers: dict[str, list[tuple[str, int, bool]]] | None = None
        self._aux: frozenset[str] | None = None
        self._many_variables = False
        self._children: dict[str, list[str]] | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def kind(self, path: str) -> str:
        """"scope", "series" (of repeated scopes or blocks) or "block" (names sharing a number)."""
        return self.tree.kind[path]

    def parent(self, path: str) -> str:
        """The scope, series or block holding `path` ('' at the top)."""
        return self.tree.parent.get(path, "")

    def leaf(self, path: str) -> str:
        """A scope's own name: its path after the nearest enclosing scope it is named in
        (series and blocks hold scopes named in their parent, not in them)."""
        up = self.parent(path)
        while up and not path.startswith(up + "/"):
            up = self.parent(up)
        return path[len(up) + 1:] if up else path

    def children(self, path: str) -> list[str]:
        """Scopes, series and blocks directly inside `path`."""
        if self._children is None:
            kids: dict[str, list[str]] = {}
            for child, up in self.tree.parent.items():
                kids.setdefault(up, []).append(child)
            self._children = kids
        return self._children.get(path, [])

    def normalize_expand(self, expand: str | Iterable[str] | None) -> frozenset[str] | str:
        """The set of open scopes (with their ancestors), or ALL; unknown names are an error.

        None is the default view (see `default_open`); an empty list keeps everything closed.
        """
        if expand is None:
            return self.default_open()
        if isinstance(expand, str):
            if expand.strip() == ALL:
                return ALL
            expand = expand.split(",")
        opened: set[str] = set()
        for scope in expand:
            scope = scope.strip().strip("/")
            if not scope:
                continue
            if scope not in self.scopes:
                raise GraphError(
                    f"no name scope '{printable(shorten(scope, 200))}' in the graph; expected "
                    "one of: " + ", ".join(printable(shorten(s)) for s in self.top_scopes()[:20]))
            while scope and scope not in opened:
                opened.add(scope)
                scope = self.parent(scope)
        return frozenset(opened)

    def reveal(self, name: str) -> list[str]:
        """The scopes to open so op `name` shows as itself."""
        if name not in self.nodes:
            raise GraphError(f"no op named '{printable(shorten(name, 200))}' in the graph")
        return list(self.chain[name])

    def series(self) -> dict[str, tuple[str, list[str]]]:
        """Series by path (`gradients/layer_[0-9]`): (parent, member boxes)."""
        return {p: (self.parent(p), m) for p, m in self.tree.members.items()}

    def top_scopes(self) -> list[str]:
        """Top-level scope, series and block paths."""
        return self.children("")

    def unit_of(self, name: str, opened: frozenset[str] | str) -> tuple[str, str]:
        """What stands for op `name` in a view: ("op", name) or (kind, closed scope path)."""
        if opened == ALL:
            return "op", name
        for scope in self.chain[name]:
            if scope not in opened:
                return self.tree.kind[scope], scope
        return "op", name

    def top_of(self, path: str) -> str:
        """The top-level box or op holding `path` (a scope path or an op name)."""
        chain = self.chain.get(path)
        if chain is not None:
            return chain[0] if chain else path
        while self.parent(path):
            path = self.parent(path)
        return path

    def auxiliary(self) -> frozenset[str]:
        """Top-level boxes drawn apart: training, saving and init scopes, and (Keras' one per
        layer) variable scopes when there are many of them."""
        if self._aux is None:
            ops: Counter[str] = Counter()
            var_ish: Counter[str] = Counter()
            has_var: set[str] = set()
            for name, node in self.nodes.items():
                chain = self.chain[name]
                real = next((p for p in chain if self.tree.kind[p] == "scope"), name)
                top = real.split("/", 1)[0] if chain else name
                ops[top] += 1
                if node.op in _VARIABLE_OPS or "/Initializer/" in name:
                    var_ish[top] += 1
                if node.op in _VARIABLE:
                    has_var.add(top)
            variables = {t for t in has_var if var_ish[t] >= 0.9 * ops[t]}
            many = self._many_variables = len(variables) >= MANY_VARIABLE_SCOPES
            aux = set()
            for top in self.children("") + [n for n, c in self.chain.items() if not c]:
                reals = self.tree.covers.get(top, [top])
                if all(is_quiet(r) or (many and r in variables) for r in reals):
                    aux.add(top)
            self._aux = frozenset(aux)
        return self._aux

    def split_auxiliary(self) -> bool:
        """Whether views draw auxiliary boxes apart (a crowded top level, or Keras' scopes)."""
        tops = len(self.children("")) + sum(1 for c in self.chain.values() if not c)
        return bool(self.auxiliary()) and (tops > SPLIT_TOP or self._many_variables)

    def default_open(self) -> frozenset[str]:
        """Scopes the first view opens: the model's scope when one holds most of its ops."""
        aux = self.auxiliary()  # training machinery is never the model, drawn apart or not
        opened: set[str] = set()
        path = ""
        for _ in range(DOMINANT_DEPTH):
            kids = [k for k in self.children(path) if k not in aux]
            if not kids:
                break
            direct = self.scopes[path] - sum(self.scopes[k] for k in self.children(path))
            main = sum(self.scopes[k] for k in kids) + direct
            best = max(kids, key=lambda k: self.scopes[k])
            if (self.tree.kind[best] != "scope" or self.scopes[best] < DOMINANT_SHARE * main
                    or (not self.children(best) and self.scopes[best] > FLAT_OPEN)):
                break
            opened.add(best)
            path = best
        return frozenset(opened)

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
