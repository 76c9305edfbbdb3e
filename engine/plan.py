"""Execution plans: the ops one `Session.run` signature needs, compiled to straight-line Python.

A plan is built once per (fetches, feeds) signature. Building walks the graph back from the
fetches, folds what depends only on constants, drops NoOps and Identities, and emits the rest as
one generated function `t5 = k3(t1, t2)` over local variables, so a run costs one Python call
per remaining kernel and nothing else: no graph walk, no dict lookups, no slot arrays.
"""
from __future__ import annotations

import functools
import itertools
import operator
import time

import numpy as np
from flowlog.engine import errors, plan_memo
from flowlog.engine.framework import Operation, Tensor, get_opdef
from flowlog.engine.shapes import TensorShape

_ALIAS_OPS = frozenset({"Identity", "StopGradient", "Snapshot"})
_USER_ERRORS = (ValueError, TypeError, IndexError, ArithmeticError)
# Kernels that are NumPy ufuncs run through Python's operators instead: the same ufunc for
# arrays, but NumPy scalars (what scalar graphs pass around) take a path ten times shorter.
_OPERATOR_FORM = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
                  np.negative: operator.neg}
_plan_ids = itertools.count()


class Cell:
    """The value of one variable in one session; `value` is None until it is initialized."""

    __slots__ = ("op", "value")

    def __init__(self, op: Operation):
        self.op = op
        self.value = None

    def read(self):
        v = self.value
        if v is None:
            uninitialized(self)
        return v


def uninitialized(cell: Cell):
    raise errors.FailedPreconditionError(
        None, cell.op, f"Attempting to use uninitialized value {cell.op.name}")


def _out(v):
    """Fetched 0-d arrays come back as NumPy scalars, as in TF1."""
    return v[()] if type(v) is np.ndarray and v.ndim == 0 else v


def _bytes(v):
    """Fetched strings come back as bytes (arrays of them as object arrays of bytes)."""
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, np.ndarray) and v.dtype == object:
        out = np.empty(v.shape, dtype=object)
        out.flat = [x.encode() if isinstance(x, str) else x for x in v.flat]
        return out[()] if out.ndim == 0 else out
    return v


def _copy(v):
    return np.array(v) if type(v) is np.ndarray and v.ndim else _out(v)


class Plan:
    """A compiled run signature: `fn(*feed_values)` returns the fetched structure."""

    def __init__(self, source: str, namespace: dict, lines: dict, ops: list):
        self.source = source
        self.lines = lines  # line number -> Operation run (or fed Tensor converted) there
        self.ops = ops  # Operations in the order the plan runs them (for step stats)
        code = compile(source, f"<flowlog plan {next(_plan_ids)}>", "exec")
        exec(code, namespace)  # noqa: S102 - our own generated straight-line code
        self.fn = namespace["_plan"]
        self.code = self.fn.__code__

    def culprit(self, exc: BaseException):
        """The op (or fed tensor) whose line in the generated code raised `exc`."""
        tb = exc.__traceback__
        found = None
        while tb is not None:
            if tb.tb_frame.f_code is self.code:
                found = self.lines.get(tb.tb_lineno)
            tb = tb.tb_next
        return found

    def reraise(self, e: Exception):
        """Raise what `fn` raised, as TF does: op errors name their op; a kernel's ValueError or
        TypeError becomes InvalidArgumentError naming the op; tracebacks stop at `run`."""
        if isinstance(e, errors.OpError):
            if e.op is None:
                where = self.culprit(e)
                e.op = where if isinstance(where, Operation) else None
            raise e.with_traceback(None) from None
        if isinstance(e, _USER_ERRORS):
            where = self.culprit(e)
            if not isinstance(where, Operation):
                raise e.with_traceback(None) from None  # a feed's own conversion error
            raise errors.InvalidArgumentError(None, where, str(e)) from None
        raise e


class _Emitter:
    """Accumulates generated source lines, namespace entries and the line -> op map."""

    def __init__(self, trace: bool):
        self.trace = trace
        self.lines: list[str] = []
        self.ns: dict = {"_out": _out, "_bytes": _bytes, "_copy": _copy,
                         "_uninit": uninitialized, "_now": time.perf_counter_ns}
        self.where: dict[int, object] = {}
        self.counter = itertools.count()
        self.ops: list[Operation] = []

    def name(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def bind(self, prefix: str, value) -> str:
        n = self.name(prefix)
        self.ns[n] = value
        return n

    def emit(self, line: str, what=None) -> None:
        self.lines.append("    " + line)
        if what is not None:
            self.where[len(self.lines) + 1] = what  # +1: the `def` line comes first

    def timed(self, line: str, op: Operation) -> None:
        if not self.trace:
            self.emit(line, op)
            return
        self.emit("_s = _now()")
        self.emit(line, op)
        self.emit(f"_stats.append(({len(self.ops)}, _s, _now()))")
        self.ops.append(op)


def build_plan(session, fetches, feeds: list[Tensor], converters: list, trace: bool = False):
    """Compile the run of `fetches` given fed tensors `feeds` (with their value converters).

    A plan needs two things of `session`: its `graph`, and the session itself to hand to the
    `bind` of stateful ops (variables, random ops), which reach their state in it.
    """
    builder = _Builder(session, trace)
    args = [builder.feed(i, t, conv) for i, (t, conv) in enumerate(zip(feeds, converters))]
    em = builder.em
    fetched: list[Tensor] = []
    targets: list[Operation] = []
    structure = _structure(session.graph, fetches, em, fetched, targets)
    for op in _needed_ops(fetched, targets, set(builder.expr)):
        builder.add(op)
    results = [builder.result(t) for t in fetched]
    for i, r in enumerate(results):
        em.emit(f"r{i} = {r}")
    em.emit(f"return {structure}")
    params = (["_stats"] if trace else []) + args
    source = f"def _plan({', '.join(params)}):\n" + "\n".join(em.lines) + "\n"
    return Plan(source, em.ns, em.where, em.ops)


class _Builder:
    """Turns the ops of one run into lines: each value gets a local name, a folded constant or
    a variable's Cell; NoOps and Identities cost nothing."""

    def __init__(self, session, trace: bool):
        self.session = session
        self.em = _Emitter(trace)
        self.expr: dict[Tensor, str] = {}      # tensor -> local name holding its value
        self.const: dict[Tensor, object] = {}  # tensor -> value folded at build time
        self.cells: dict[Tensor, str] = {}     # variable ref tensor -> namespace name of its Cell
        self.shared: set[str] = set()          # locals that are a variable's own storage
        self.memo: set[Tensor] = set()         # tensors whose values plan_memo remembers

    def feed(self, i: int, t: Tensor, conv) -> str:
        """The argument `f<i>` of the plan, converted into `t`'s value."""
        name = self.em.name("t")
        self.em.emit(f"{name} = {self.em.bind('conv', conv)}(f{i})", t)
        self.expr[t] = name
        return f"f{i}"

    def add(self, op: Operation) -> None:
        """What running `op` takes: nothing (NoOp, alias, constant folded now) or one call."""
        opdef = get_opdef(op.type)
        if op.type == "NoOp":
            return
        if op.type == "Placeholder":
            opdef.bind(op, self.session)()  # raises: not fed
        if not op.inputs and op.outputs and op.outputs[0].dtype.is_ref_dtype and opdef.bind:
            self.cells[op.outputs[0]] = self.em.bind("v", opdef.bind(op, self.session)())
            return
        ins = self._inputs(op, opdef.bind is not None)
        if op.type in _ALIAS_OPS and len(op.inputs) == 1:
            if ins[0] is None:
                self.const[op.outputs[0]] = self.const[op.inputs[0]]
            else:
                self.expr[op.outputs[0]] = ins[0]
        elif opdef.bind is None and not opdef.stateful and op.outputs and \
                all(x is None for x in ins):
            _fold(op, opdef, self.const)
        else:
            self._call(op, opdef, ins)

    def _inputs(self, op: Operation, binds: bool) -> list:
        """The names of `op`'s input values; None for a folded constant (named when needed).

        A variable reaches a binding op (assign, an optimizer's update) as its Cell, any other
        op as its current value."""
        ins = []
        for t in op.inputs:
            if t in self.cells:
                ins.append(self.cells[t] if binds else self._deref(self.cells[t], op))
            else:
                ins.append(self.expr.get(t))
        return ins

    def _call(self, op: Operation, opdef, ins: list) -> None:
        binds = opdef.bind is not None
        memo = None if binds else self._memo(op, ins)
        ins = [x if x is not None else self._const_name(t) for x, t in zip(ins, op.inputs)]
        fn = opdef.bind(op, self.session) if binds else _kernel(op, opdef)
        call = f"{self.em.bind('k', memo(fn) if memo else fn)}({', '.join(ins)})"
        names = [self.em.name("t") for _ in op.outputs]
        for t, n in zip(op.outputs, names):
            if self.expr.setdefault(t, n) != n:
                continue  # a fed output keeps its fed value
            if binds or memo:
                self.shared.add(n)  # a fetch gets a copy: the value stays the plan's
            if memo:
                self.memo.add(t)
        if binds and op.outputs and op.outputs[0].dtype.is_ref_dtype and op.inputs[:1] and \
                op.inputs[0] in self.cells:
            self.cells[op.outputs[0]] = self.cells[op.inputs[0]]  # `assign(assign(v, 1), 2)`
        self.em.timed(f"{', '.join(names)} = {call}" if names else call, op)

    def _memo(self, op: Operation, ins: list):
        """plan_memo's wrapper for `op`'s kernel when its value can be remembered, else None."""
        if op.type in plan_memo.BY_SHAPE:
            return plan_memo.by_shape
        if op.type in plan_memo.BY_INPUTS and any(x is not None for x in ins) and \
                all(x is None or t in self.memo for x, t in zip(ins, op.inputs)):
            return plan_memo.by_inputs
        return None

    def result(self, t: Tensor) -> str:
        """The expression of fetched `t`'s value as a run returns it."""
        if t in self.cells:
            value = self._deref(self.cells[t], t.op)
        elif t in self.expr:
            value = self.expr[t]
        else:
            value = self._const_name(t)
        return _wrap(value, t, value in self.shared)

    def _deref(self, cell_name: str, op: Operation) -> str:
        n = self.em.name("t")
        self.em.timed(f"{n} = {cell_name}.value", op)
        self.em.emit(f"if {n} is None: _uninit({cell_name})", op)
        self.shared.add(n)
        return n

    def _const_name(self, t: Tensor) -> str:
        value = self.const[t]
        if type(value) is np.ndarray and value.ndim == 0 and value.dtype != object:
            value = value[()]  # NumPy computes on scalars far faster than on 0-d arrays
        return self.em.bind("c", value)


def _wrap(value: str, t: Tensor, shared: bool) -> str:
    if t.dtype.base_dtype.name == "string":
        return f"_bytes({value})"
    if shared:
        return f"_copy({value})"
    dims = t.shape.dims
    if dims is None or dims == ():
        return f"_out({value})"
    return value


def _kernel(op: Operation, opdef):
    attrs = {a: op.attrs[a] for a in opdef.attrs if a in op.attrs}
    if opdef.kernel is None:
        raise errors.UnimplementedError(None, op, f"Op type '{op.type}' has no kernel to run it.")
    if attrs:
        return functools.partial(opdef.kernel, **attrs)
    return _OPERATOR_FORM.get(opdef.kernel, opdef.kernel)


def _fold(op: Operation, opdef, const: dict) -> None:
    try:
        out = _kernel(op, opdef)(*(const[t] for t in op.inputs))
    except errors.OpError as e:
        if e.op is None:
            e.op = op
        raise
    except _USER_ERRORS as e:
        raise errors.InvalidArgumentError(None, op, str(e)) from None
    outs = (out,) if len(op.outputs) == 1 else tuple(out)
    for t, v in zip(op.outputs, outs):
        const[t] = v


def _needed_ops(fetched: list[Tensor], targets: list[Operation], fed: set) -> list[Operation]:
    """The ops a run must execute, in creation order (a topological order of all edges).

    That is every stateful op the fetches depend on (through inputs and control inputs), and
    the ops whose values those and the fetched tensors use. A pure op reached only through
    control edges is left out: skipping it cannot be observed (as with the input gradients
    that `gate_gradients` groups for placeholders).
    """
    reached: set[Operation] = set()
    stack = [t.op for t in fetched if t not in fed] + list(targets)
    while stack:
        op = stack.pop()
        if op in reached:
            continue
        reached.add(op)
        stack.extend(t.op for t in op.inputs if t not in fed)
        stack.extend(op.control_inputs)
    keep: set[Operation] = set()
    stack = [t.op for t in fetched if t not in fed] + [op for op in reached if _effectful(op)]
    while stack:
        op = stack.pop()
        if op not in keep:
            keep.add(op)
            stack.extend(t.op for t in op.inputs if t not in fed)
    return sorted(keep, key=lambda o: o._id)


def _effectful(op: Operation) -> bool:
    opdef = get_opdef(op.type)
    return opdef.stateful or opdef.bind is not None


def _structure(graph, fetch, em: _Emitter, fetched: list, targets: list) -> str:
    """Source of an expression rebuilding `fetch` with each element replaced by its value."""
    if isinstance(fetch, list):
        return "[" + ", ".join(_structure(graph, f, em, fetched, targets) for f in fetch) + "]"
    if isinstance(fetch, tuple) and hasattr(fetch, "_fields"):
        items = ", ".join(_structure(graph, f, em, fetched, targets) for f in fetch)
        return f"{em.bind('n', type(fetch))}({items})"
    if isinstance(fetch, tuple):
        return "(" + "".join(_structure(graph, f, em, fetched, targets) + ", " for f in fetch) + ")"
    if isinstance(fetch, dict):
        items = ", ".join(f"{em.bind('key', k)}: {_structure(graph, v, em, fetched, targets)}"
                          for k, v in fetch.items())
        return "{" + items + "}" if type(fetch) is dict else f"{em.bind('d', type(fetch))}({{{items}}})"
    element = resolve_fetch(graph, fetch)
    if isinstance(element, Operation):
        targets.append(element)
        return "None"
    fetched.append(element)
    return f"r{len(fetched) - 1}"


def resolve_fetch(graph, fetch):
    """A fetch argument as a graph element, with TF1's error messages."""
    if fetch is None:
        raise TypeError(f"Fetch argument None has invalid type {type(None)}")
    try:
        return graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
    except TypeError as e:
        raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a "
                        f"string or Tensor. ({e})") from None
    except ValueError as e:
        raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. "
                         f"({e})") from None
    except KeyError as e:
        raise KeyError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. "
                       f"({e.args[0]})") from None


def shape_checker(t: Tensor):
    """A function raising TF1's ValueError when a fed array's shape contradicts `t`'s shape."""
    dims = t.shape.dims
    if dims is None:
        return None

    def check(arr) -> None:
        shape = arr.shape
        if len(shape) != len(dims) or any(d is not None and d != s for d, s in zip(dims, shape)):
            raise ValueError(f"Cannot feed value of shape {shape} for Tensor '{t.name}', "
                             f"which has shape '{TensorShape(dims)}'")

    return check
