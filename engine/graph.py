"""The Graph: operations in creation order, their names and scopes, and collections."""
from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from flowlog.engine.op_registry import get_opdef
from flowlog.engine.operation import Operation, Tensor, colocation_groups

_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\-/>]*$")


class GraphKeys:
    """Standard collection names, as TensorFlow 1 spells them."""

    GLOBAL_VARIABLES = "variables"
    VARIABLES = GLOBAL_VARIABLES
    LOCAL_VARIABLES = "local_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    TRAIN_OP = "train_op"
    GLOBAL_STEP = "global_step"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"


@dataclass
class _GraphState:
    name_stack: str = ""
    control_stack: list = field(default_factory=list)
    device: str = ""
    colocation: tuple = ()  # the `loc:@<op>` groups new ops join


class Graph:
    """A dataflow graph: operations in creation order (which is also a topological order)."""

    def __init__(self):
        self._ops: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._collections: dict[str, list] = {}
        self._state = _GraphState()
        self._lock = threading.RLock()
        self.seed: int | None = None
        self._graph_seeded_ops = 0  # random ops given an op seed from the graph seed alone
        self._finalized = False
        self._gradient_scope_count = 0

    # names
    def unique_name(self, name: str, mark_as_used: bool = True, ignore_case: bool = False) -> str:
        """`name` inside the current name scope, suffixed `_1`, `_2`... when already taken.

        Names are told apart by case ('Add', then 'add'), as in the TF1 of the tutorials;
        `ignore_case` compares them as TF 2's `tf.compat.v1` does (summary scopes, whose names
        are the summaries' tags: a 'Loss' scope makes a 'loss' summary 'loss_1').
        """
        if self._state.name_stack:
            name = self._state.name_stack + "/" + name
        if ignore_case:
            return self._unique_ignoring_case(name, mark_as_used)
        key = name  # case-sensitive, as in the TF1 of the tutorials: 'Add', then 'add'
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{i - 1}"
        return name

    def _unique_ignoring_case(self, name: str, mark_as_used: bool) -> str:
        used: dict[str, int] = {}
        for key, count in self._names_in_use.items():
            used[key.lower()] = max(used.get(key.lower(), 0), count)
        i = used.get(name.lower(), 0)
        unique = name
        if i > 0:
            while f"{name}_{i}".lower() in used:
                i += 1
            unique = f"{name}_{i}"
        if mark_as_used:
            self._names_in_use[name] = self._names_in_use.get(name, 0) + 1
            self._names_in_use[unique] = max(self._names_in_use.get(unique, 0), 1)
        return unique

    def get_name_scope(self) -> str:
        return self._state.name_stack

    @contextlib.contextmanager
    def name_scope(self, name: str | None, ignore_case: bool = False) -> Iterator[str]:
        """Open a name scope; yields the scope string ending in '/' ('' at the root).

        A name ending in '/' re-enters that exact scope; a new name is made unique (see
        `unique_name` for `ignore_case`).
        """
        if name:
            pattern = _VALID_SCOPE_NAME if self._state.name_stack else _VALID_OP_NAME
            if not pattern.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
        old = self._state.name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        else:
            new = self.unique_name(name, ignore_case=ignore_case)
        self._state.name_stack = new
        try:
            yield new + "/" if new else ""
        finally:
            self._state.name_stack = old

    # control dependencies
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs) -> Iterator[None]:
        """Ops created inside run only after `control_inputs` (None clears the context)."""
        old = self._state.control_stack
        if control_inputs is None:
            self._state.control_stack = []
        else:
            ops = []
            for c in control_inputs:
                c = self.as_graph_element(c, allow_tensor=True, allow_operation=True)
                ops.append(c.op if isinstance(c, Tensor) else c)
            self._state.control_stack = old + ops
        try:
            yield
        finally:
            self._state.control_stack = old

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing: bool = False) -> Iterator[None]:
        """Ops created inside join the colocation groups of `op` (a tensor's op, a variable's
        VariableV2), which GraphDefs record as `_class: ["loc:@<name>"]`, as TF1's."""
        if op is None:
            groups = ()
        elif isinstance(op, str):  # a group by name, for ops made before their anchor exists
            groups = (op,)
        else:
            op = self.as_graph_element(op, allow_tensor=True, allow_operation=True)
            groups = tuple(colocation_groups(op.op if isinstance(op, Tensor) else op))
        old = self._state.colocation
        self._state.colocation = groups if ignore_existing or op is None else old + groups
        try:
            yield
        finally:
            self._state.colocation = old

    @contextlib.contextmanager
    def device(self, device_name: str | None) -> Iterator[None]:
        old = self._state.device
        self._state.device = device_name or ""
        try:
            yield
        finally:
            self._state.device = old

    # operations
    def create_op(self, op_type: str, inputs: list[Tensor], attrs: dict | None = None,
                  name: str | None = None) -> Operation:
        """Add an operation of a registered type; returns it with its outputs inferred."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        opdef = get_opdef(op_type)
        for t in inputs:
            if not isinstance(t, Tensor):
                raise TypeError(f"Input to '{op_type}' must be a Tensor, got {t!r}")
            if t.graph is not self:
                raise ValueError(f"Tensor {t} must be from the same graph as the operation "
                                 f"'{name or op_type}' being created.")
        with self._lock:
            if name is None:
                name = self.unique_name(op_type)
            elif name.endswith("/"):
                name = name[:-1]
                self._names_in_use.setdefault(name, 1)
            else:
                name = self.unique_name(name)
            input_ops = {t.op for t in inputs}
            control = []
            for c in self._state.control_stack:
                if c not in input_ops and c not in control:
                    control.append(c)
            attrs = dict(attrs or {})
            # As TF's op library: an op taking a variable by reference lives with it.
            groups = list(self._state.colocation)
            for t in inputs:
                if t.dtype.is_ref_dtype:
                    groups.extend(colocation_groups(t.op))
            if groups:
                attrs["_class"] = sorted(set(groups))
            op = Operation(self, op_type, name, inputs, attrs, control, self._state.device)
            for i, (dtype, shape) in enumerate(opdef.infer(op)):
                op.outputs.append(Tensor(op, i, dtype, shape))
            self._ops.append(op)
            self._by_name[name] = op
        return op

    def get_operations(self) -> list[Operation]:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor: bool = True, allow_operation: bool = True):
        """Resolve a Tensor, Operation, Variable or name ('op' / 'op:0') to a graph element."""
        if hasattr(obj, "_as_graph_element") and not isinstance(obj, Tensor):
            obj = obj._as_graph_element() if allow_tensor else obj.op
        elif hasattr(obj, "_as_graph_tensor") and not isinstance(obj, Tensor):
            obj = obj._as_graph_tensor() if allow_tensor else obj.op
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                op_name, _, index = obj.rpartition(":")
                try:
                    index = int(index)
                except ValueError:
                    raise ValueError(f"The name '{obj}' looks a like a Tensor name, but is not "
                                     "a valid one. Tensor names must be of the form "
                                     "\"<op_name>:<output_index>\".") from None
                if op_name not in self._by_name:
                    raise KeyError(f"The name '{obj}' refers to a Tensor which does not exist. "
                                   f"The operation, '{op_name}', does not exist in the graph.")
                op = self._by_name[op_name]
                if index >= len(op.outputs):
                    raise KeyError(f"The name '{obj}' refers to a Tensor which does not exist. "
                                   f"The operation, '{op_name}', exists but only has "
                                   f"{len(op.outputs)} outputs.")
                return op.outputs[index]
            if ":" in obj:
                raise ValueError(f"Name '{obj}' appears to refer to a Tensor, not an Operation.")
            if obj not in self._by_name:
                raise KeyError(f"The name '{obj}' refers to an Operation not in the graph.")
            if not allow_operation:
                raise ValueError(f"The name '{obj}' refers to an Operation, not a Tensor. Tensor "
                                 "names must be of the form \"<op_name>:<output_index>\".")
            return self._by_name[obj]
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a "
                        f"{'Tensor or Operation' if allow_tensor and allow_operation else 'Tensor' if allow_tensor else 'Operation'}.")

    # collections
    def add_to_collection(self, name: str, value) -> None:
        self._collections.setdefault(name, []).append(value)

    def get_collection(self, name: str, scope: str | None = None) -> list:
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [v for v in items if pattern.match(getattr(v, "name", ""))]

    def get_collection_ref(self, name: str) -> list:
        return self._collections.setdefault(name, [])

    def get_all_collection_keys(self) -> list[str]:
        return list(self._collections)

    # whole graph
    def as_graph_def(self, add_shapes: bool = False):
        """A `GraphDef` protobuf of this graph (what FileWriter writes and TensorBoard draws)."""
        from flowlog.engine import graphdef  # which builds on this module

        return graphdef.graph_def(self, add_shapes=add_shapes)

    @property
    def version(self) -> int:
        return len(self._ops)

    def finalize(self) -> None:
        self._finalized = True

    @property
    def finalized(self) -> bool:
        return self._finalized

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        """Make this graph the default graph inside the `with` block."""
        default_graph_stack().append(self)
        try:
            yield self
        finally:
            default_graph_stack().pop()


_local = threading.local()


def default_graph_stack() -> list[Graph]:
    """This thread's graphs made default by `Graph.as_default()`, innermost last."""
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack
