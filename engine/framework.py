"""The graph: operations, the tensors they produce, names, scopes and the op registry."""
from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.shapes import TensorShape, as_shape

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


# --- the op registry ------------------------------------------------------------------


@dataclass
class OpDef:
    """Everything about one op type: kernel, output inference, gradient, session binding.

    - `kernel(*input_values, **attrs)` computes the outputs from NumPy inputs; `attrs` are
      the op attributes named in `attrs`, bound once per execution plan. It returns one value
      for a one-output op, a tuple for several, None for none.
    - `infer(op)` returns a list of (DType, TensorShape), one per output.
    - `grad(op, *output_grads)` returns one gradient Tensor (or None) per input.
    - `bind(op, session)` (stateful ops) returns the callable a plan runs instead of `kernel`.
    """

    type: str
    kernel: Callable | None
    infer: Callable
    grad: Callable | None = None
    bind: Callable | None = None
    attrs: tuple[str, ...] = ()
    stateful: bool = False


_REGISTRY: dict[str, OpDef] = {}


def same_as_first_input(op: Operation) -> list:
    """Output inference of elementwise unary ops: dtype and shape of the first input."""
    x = op.inputs[0]
    return [(x.dtype.base_dtype, x.shape)]


def register_op(op_type: str, *, infer: Callable = same_as_first_input, grad: Callable | None = None,
                bind: Callable | None = None, attrs: tuple[str, ...] = (),
                stateful: bool = False) -> Callable:
    """Decorator registering `kernel` as the op type `op_type` with its rules."""

    def deco(kernel: Callable | None) -> Callable | None:
        _REGISTRY[op_type] = OpDef(op_type, kernel, infer, grad, bind, tuple(attrs), stateful)
        return kernel

    return deco


def register_gradient(op_type: str) -> Callable:
    """Decorator attaching a gradient rule to an already registered op type."""

    def deco(fn: Callable) -> Callable:
        get_opdef(op_type).grad = fn
        return fn

    return deco


def get_opdef(op_type: str) -> OpDef:
    """The registration of `op_type`; LookupError naming it when there is none."""
    try:
        return _REGISTRY[op_type]
    except KeyError:
        raise LookupError(f"No op registered for type '{op_type}'") from None


def registered_op_types() -> list[str]:
    """The names of every registered op type, sorted."""
    return sorted(_REGISTRY)


# --- operators shared by Tensor and Variable ------------------------------------------


def _api():
    from flowlog.engine import ops  # the op constructors; imported late to avoid a cycle

    return ops


def _binary(func: str, scope: str, reverse: bool = False) -> Callable:
    """A Python operator building the op `func` in a name scope `scope` (TF1's naming)."""

    def operator(self, other):
        g = _graph_of(self)
        with g.name_scope(scope) as name:
            me = convert_to_tensor(self)
            other_t = convert_to_tensor(other, dtype=me.dtype.base_dtype,
                                        name="x" if reverse else "y")
            x, y = (other_t, me) if reverse else (me, other_t)
            return getattr(_api(), func)(x, y, name=name)

    operator.__name__ = f"__{'r' if reverse else ''}{scope}__"
    return operator


class OperatorsMixin:
    """Python operators that add ops to the graph: `a + b` adds an `Add` op named 'add'."""

    __slots__ = ()
    __array_priority__ = 100  # NumPy defers to these operators

    __add__ = _binary("add", "add")
    __radd__ = _binary("add", "add", reverse=True)
    __sub__ = _binary("subtract", "sub")
    __rsub__ = _binary("subtract", "sub", reverse=True)
    __mul__ = _binary("multiply", "mul")
    __rmul__ = _binary("multiply", "mul", reverse=True)
    __truediv__ = _binary("truediv", "truediv")
    __rtruediv__ = _binary("truediv", "truediv", reverse=True)
    __floordiv__ = _binary("floordiv", "floordiv")
    __rfloordiv__ = _binary("floordiv", "floordiv", reverse=True)
    __mod__ = _binary("floormod", "mod")
    __rmod__ = _binary("floormod", "mod", reverse=True)
    __pow__ = _binary("pow", "pow")
    __rpow__ = _binary("pow", "pow", reverse=True)
    __matmul__ = _binary("matmul", "matmul")
    __rmatmul__ = _binary("matmul", "matmul", reverse=True)
    __lt__ = _binary("less", "Less")
    __le__ = _binary("less_equal", "LessEqual")
    __gt__ = _binary("greater", "Greater")
    __ge__ = _binary("greater_equal", "GreaterEqual")
    __and__ = _binary("logical_and", "and")
    __rand__ = _binary("logical_and", "and", reverse=True)
    __or__ = _binary("logical_or", "or")
    __ror__ = _binary("logical_or", "or", reverse=True)

    def __neg__(self):
        return _api().negative(self, name="Neg")

    def __abs__(self):
        return _api().abs(self, name="Abs")

    def __invert__(self):
        return _api().logical_not(self, name="LogicalNot")

    def __getitem__(self, key):
        return _api().slice_helper(self, key)

    def __bool__(self):
        raise TypeError("Using a `fl.Tensor` as a Python `bool` is not allowed. "
                        "Use `if t is not None:` to test that a tensor is defined, "
                        "or run it in a Session to use its value.")

    def __iter__(self):
        raise TypeError("'Tensor' object is not iterable.")

    __hash__ = object.__hash__  # == is identity, as in TF1 graph mode


# --- tensors and operations -----------------------------------------------------------


class Tensor(OperatorsMixin):
    """A symbolic handle to one output of an Operation; its value exists only in a Session."""

    __slots__ = ("_shape", "dtype", "op", "value_index")

    def __init__(self, op: Operation, value_index: int, dtype: dtypes.DType, shape):
        self.op = op
        self.value_index = value_index
        self.dtype = dtype
        self._shape = as_shape(shape)

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self) -> Graph:
        return self.op.graph

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape) -> None:
        self._shape = self._shape.merge_with(shape)

    @property
    def device(self) -> str:
        return self.op.device

    def consumers(self) -> list[Operation]:
        return [op for op in self.op.graph._ops if self in op.inputs]

    def eval(self, feed_dict=None, session=None):
        """The value of this tensor, run in `session` or the default session."""
        return _run_in(session, self, feed_dict, "evaluate tensor")

    def __repr__(self) -> str:
        return f"<fl.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    def __str__(self) -> str:
        return f'Tensor("{self.name}", shape={self._shape}, dtype={self.dtype.name})'


class Operation:
    """A node of the graph: a type, named inputs, attributes and output tensors."""

    def __init__(self, graph: Graph, op_type: str, name: str, inputs: list[Tensor],
                 attrs: dict, control_inputs: list[Operation], device: str = ""):
        self.graph = graph
        self.type = op_type
        self.name = name
        self._inputs = tuple(inputs)
        self.attrs = attrs
        self.control_inputs = control_inputs
        self.device = device
        self.outputs: list[Tensor] = []
        self._id = len(graph._ops)

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return self._inputs

    @property
    def node_def(self):
        from flowlog.engine import graphdef

        return graphdef.node_def(self)

    def get_attr(self, name: str):
        try:
            return self.attrs[name]
        except KeyError:
            raise ValueError(f"Operation '{self.name}' has no attr named '{name}'.") from None

    def values(self) -> tuple[Tensor, ...]:
        return tuple(self.outputs)

    def colocation_groups(self) -> list[bytes]:
        """The colocation groups of this op, as TF1 lists them: `[b"loc:@name"]`."""
        return [g.encode() for g in colocation_groups(self)]

    def run(self, feed_dict=None, session=None) -> None:
        """Run this operation in `session` or the default session."""
        _run_in(session, self, feed_dict, "run operation")

    def __repr__(self) -> str:
        return f"<fl.Operation '{self.name}' type={self.type}>"


def colocation_groups(op: Operation) -> list[str]:
    """The `loc:@<name>` groups `op` belongs to: its `_class`, else its own name."""
    return list(op.attrs.get("_class") or [f"loc:@{op.name}"])


def _run_in(session, fetch, feed_dict, what: str):
    if session is None:
        from flowlog.engine.session import get_default_session

        session = get_default_session()
        if session is None:
            raise ValueError(f"Cannot {what} using the default session: no default session "
                             "is registered. Use `with sess.as_default()` or pass an explicit "
                             "session to eval(session=sess) / run(session=sess)")
    if session.graph is not fetch.graph:
        raise ValueError(f"Cannot use the given session to {what}: the session's graph is "
                         f"different from the graph of '{fetch.name}'.")
    return session.run(fetch, feed_dict)


# --- the graph ------------------------------------------------------------------------


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
        from flowlog.engine import graphdef

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
        _stack().append(self)
        try:
            yield self
        finally:
            _stack().pop()


# --- the default graph ----------------------------------------------------------------

_local = threading.local()
_global_default: list[Graph] = [Graph()]


def _stack() -> list[Graph]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def get_default_graph() -> Graph:
    """The graph that new operations go to: the innermost `as_default()` one, else the global one."""
    stack = _stack()
    return stack[-1] if stack else _global_default[0]


def reset_default_graph() -> None:
    """Replace the global default graph with a new, empty one."""
    if _stack():
        raise AssertionError("Do not use reset_default_graph() to clear nested graphs. If you "
                             "need a cleared graph, exit the nesting and create a new graph.")
    _global_default[0] = Graph()


def _graph_of(*values) -> Graph:
    for v in values:
        if isinstance(v, (Tensor, Operation)):
            return v.graph
        if hasattr(v, "_as_graph_tensor"):
            return v._as_graph_tensor().graph
    return get_default_graph()


@contextlib.contextmanager
def name_scope(name: str | None, default_name: str | None = None, values=None) -> Iterator[str]:
    """Open a name scope in the graph of `values` (or the default graph); yields 'scope/'."""
    g = _graph_of(*(values or ()))
    with g.name_scope(name if name is not None else default_name) as scope:
        yield scope


def control_dependencies(control_inputs):
    """Ops created inside run after `control_inputs` (in the default graph)."""
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name: str | None):
    return get_default_graph().device(device_name)


def colocate_with(op, ignore_existing: bool = False):
    """Ops created inside join `op`'s colocation groups (in `op`'s graph)."""
    return _graph_of(op).colocate_with(op, ignore_existing)


def add_to_collection(name: str, value) -> None:
    get_default_graph().add_to_collection(name, value)


def get_collection(name: str, scope: str | None = None) -> list:
    return get_default_graph().get_collection(name, scope)


# --- constants and conversion ---------------------------------------------------------


def _infer_dtype(value) -> dtypes.DType:
    if isinstance(value, (np.ndarray, np.generic)):
        return dtypes.as_dtype(value.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return dtypes.float32
    if arr.dtype.kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return dtypes.int64
        return dtypes.int32
    if arr.dtype.kind == "b":
        return dtypes.bool_
    if arr.dtype.kind in "SUO":
        return dtypes.string
    if arr.dtype.kind == "c":
        raise TypeError(f"Complex values are not supported: {value!r}")
    raise TypeError(f"Cannot convert {value!r} to a Tensor: unsupported type "
                    f"'{type(value).__name__}'")


def to_numpy(value, dtype: dtypes.DType) -> np.ndarray:
    """`value` as an array of `dtype`; TypeError when that would change its value's kind."""
    if dtype is dtypes.string:
        return np.asarray(value, dtype=object)
    arr = np.asarray(value)
    # TF1 refuses Python floats for integer types even when whole (2.0); arrays must be whole.
    if dtype.is_integer and arr.dtype.kind == "f" and (
            (arr.size and not isinstance(value, (np.ndarray, np.generic)))
            or not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr))):
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    if dtype.is_bool and arr.dtype.kind != "b":
        raise TypeError(f"Expected bool, got {value!r} of type '{type(value).__name__}' instead.")
    if arr.dtype.kind in "SUO" and dtype is not dtypes.string:
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    if (dtype.is_integer and arr.dtype.kind in "iuf" and arr.size
            and arr.dtype != dtype.as_numpy_dtype):  # NumPy would wrap silently
        info = np.iinfo(dtype.as_numpy_dtype)
        low, high = arr.min(), arr.max()
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise ValueError(f"Value {bad.item()!r} is out of range for dtype {dtype.name} "
                             f"[{info.min}, {info.max}]")
    return arr.astype(dtype.as_numpy_dtype, copy=False)


def _constant_infer(op: Operation) -> list:
    return [(op.attrs["dtype"], TensorShape(op.attrs["value"].shape))]


def _constant_kernel(*, value):
    return value


register_op("Const", infer=_constant_infer, attrs=("value",))(_constant_kernel)


def constant(value, dtype=None, shape=None, name: str = "Const") -> Tensor:
    """A tensor whose value is fixed in the graph (floats become float32, ints int32)."""
    dtype = dtypes.as_dtype(dtype) if dtype is not None else _infer_dtype(value)
    arr = to_numpy(value, dtype)
    filled = False
    if shape is not None:
        shape = tuple(as_shape(shape).as_list())
        if arr.size == 1:
            arr = np.full(shape, arr.reshape(()), dtype=arr.dtype)
            filled = arr.size != 1
        elif arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        else:
            raise TypeError(f"Expected Tensor's shape: {shape}, got {arr.shape}.")
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)  # kernels share it; nothing may change a constant
    g = get_default_graph()
    op = g.create_op("Const", [], {"dtype": dtype, "value": arr}, name=name)
    op._filled = filled  # one value repeated: TF's TensorProto stores that value once
    return op.outputs[0]


def convert_to_tensor(value, dtype=None, name: str | None = None) -> Tensor:
    """A Tensor for `value`: tensors pass through (dtype checked), others become constants."""
    want = dtypes.as_dtype(dtype) if dtype is not None else None
    if hasattr(value, "_as_graph_tensor") and not isinstance(value, Tensor):
        value = value._as_graph_tensor()
    if isinstance(value, Tensor):
        if want is not None and value.dtype.base_dtype is not want.base_dtype:
            raise ValueError(f"Tensor conversion requested dtype {want.name} for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    if isinstance(value, Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor (target dtype="
                        f"{None if want is None else want.name}, name={name}, as_ref=False)")
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        # TF1 auto-packs a list holding tensors into one Pack op named 'packed'.
        packed = _api().stack([convert_to_tensor(v, dtype=want) if _holds_tensor([v]) else v
                               for v in value], name=name or "packed")
        return convert_to_tensor(packed, dtype=want)
    return constant(value, dtype=want, name=name or "Const")


def _holds_tensor(values) -> bool:
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor) or hasattr(v, "_as_graph_tensor"):
            return True
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return False
