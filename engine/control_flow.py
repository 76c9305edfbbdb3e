"""Control flow: `cond` and `case` with gradients, and the contexts `while_loop` builds on.

Each construct is one op ("If", "While") whose branches or body are ordinary ops of the graph,
built inside a *context*. Running the op runs a separate compiled plan of the chosen branch
(or of the body, once per iteration), fed with the values of the tensors the branch captured
from outside, so only the taken branch runs and its stateful ops run once. Branch ops are never
part of the enclosing plan: the op's inputs are its predicate and its captures, not the
branch's outputs.

A gradient is built the same way: the gradient of a cond is a cond of the branches' gradients;
the gradient of a while loop is one op that replays the loop to record each iteration's
values, then runs the body's gradient plan backwards over them. Tensors of another context that
a gradient needs (the forward branch's) are recomputed inside the gradient's plan rather than
captured, so the enclosing plan never runs a branch that was not taken.
"""
from __future__ import annotations

import contextlib

from flowlog.engine import array_ops as _a
from flowlog.engine import dtypes
from flowlog.engine.framework import (
    Operation,
    Tensor,
    convert_to_tensor,
    name_scope,
    register_op,
)
from flowlog.engine.plan import build_plan
from flowlog.engine.shapes import TensorShape

# --- contexts and captures ---------------------------------------------------------------------


class _Context:
    """The ops one branch or loop body made; `parent` is the context it was built in.

    A branch's values can be recomputed anywhere its captures exist; a loop body's depend on
    its loop variables, which exist only in the plans that feed them (`recomputable` False).
    """

    def __init__(self, parent, recomputable: bool):
        self.parent = parent
        self.recomputable = recomputable
        self.feeds_loop = None  # the loop body whose loop variables this context's plan feeds
        self.ops: list[Operation] = []


def _current(graph):
    return graph.__dict__.get("_flow_context")


@contextlib.contextmanager
def building(graph, recomputable: bool = True):
    """Record the ops made inside as a new context's. Control dependencies in force outside
    apply to the construct's op as a whole, not again inside every branch run."""
    parent = _current(graph)
    ctx = _Context(parent, recomputable)
    start = len(graph._ops)
    graph._flow_context = ctx
    try:
        with graph.control_dependencies(None):
            yield ctx
    finally:
        graph._flow_context = parent
        ctx.ops = graph._ops[start:]
        for op in ctx.ops:  # nested contexts marked theirs already
            if op.__dict__.get("_flow_ctx") is None:
                op._flow_ctx = ctx


def _encloses(outer, ctx) -> bool:
    """True when values of context `outer` (None: the graph) exist wherever `ctx` runs."""
    c = ctx
    while True:
        if c is outer:
            return True
        if c is None:
            return False
        c = c.parent


def captures(ctx: _Context, outputs, exclude=()) -> list[Tensor]:
    """The outside tensors the ops of `ctx` (and `outputs`) read, to be fed to its plan.

    Tensors of an enclosing context are captured. Tensors of another branch (a forward
    branch, from a gradient) are recomputed inside instead, so their own inputs are looked at;
    those of another loop body are captured (only the plan around can feed its loop
    variables). Variables' refs are not captured: the plan reads the variable itself.
    """
    inside = set(ctx.ops)
    skip = set(exclude)
    found: dict[Tensor, None] = {}
    seen: set = set()
    stack = list(reversed(outputs))
    for op in reversed(ctx.ops):
        stack.extend(reversed(op.inputs))
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        if t.op in inside or t in skip:
            continue
        owner = t.op.__dict__.get("_flow_ctx")
        if owner is not None and not _encloses(owner, ctx) and (
                owner.recomputable or owner is ctx.feeds_loop):
            stack.extend(t.op.inputs)
        elif not t.dtype.is_ref_dtype:
            found[t] = None
    return list(found)


def _identity_conv(value):
    return value


class SubPlan:
    """`fetches` computed from values of `feeds`, compiled once per session.

    The compiled plans live in the session (they hold its variables), so they go with it.
    """

    def __init__(self, fetches: list[Tensor], feeds: list[Tensor]):
        self.fetches, self.feeds = list(fetches), list(feeds)

    def __call__(self, session, values) -> list:
        plans = session.__dict__.setdefault("_subplans", {})
        plan = plans.get(self)
        if plan is None:
            plan = plans[self] = build_plan(
                session, list(self.fetches), self.feeds, [_identity_conv] * len(self.feeds))
        return plan.fn(*values)


# --- nested structures -------------------------------------------------------------------------


def flatten(structure) -> list:
    """The leaves of a structure of tuples, lists and dicts (dicts in sorted key order)."""
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in flatten(s)]
    return [structure]


def pack(structure, flat: list):
    """`flat`'s leaves arranged as `structure`."""
    it = iter(flat)

    def build(s):
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)} if type(s) is dict else \
                type(s)({k: build(s[k]) for k in sorted(s)})
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*(build(x) for x in s))
        if isinstance(s, (list, tuple)):
            return type(s)(build(x) for x in s)
        return next(it)

    return build(structure)


def same_structure(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b) and \
            all(same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and \
            len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b))
    return True


def as_tensors(values) -> list[Tensor]:
    out = []
    for v in values:
        if isinstance(v, Operation):
            raise TypeError(f"A branch or loop body returned the operation '{v.name}'; return "
                            "tensors (wrap it: `with fl.control_dependencies([op]): "
                            "return fl.identity(x)`)")
        out.append(convert_to_tensor(v))
    return out


def _join_shapes(a: TensorShape, b: TensorShape) -> TensorShape:
    """The most specific shape both shapes fit (TF: the branches' common shape)."""
    if a.dims is None or b.dims is None or len(a.dims) != len(b.dims):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])


# --- cond --------------------------------------------------------------------------------------


class _Branch:
    def __init__(self, ctx: _Context, outputs: list[Tensor]):
        self.ctx, self.outputs = ctx, outputs


def _if_infer(op):
    return list(op.attrs["_out"])


def _if_bind(op, session):
    then_plan, else_plan = op.attrs["then_branch"].plan, op.attrs["else_branch"].plan
    single = len(op.outputs) == 1

    def run(pred, *captured):
        out = (then_plan if pred else else_plan)(session, captured)
        return out[0] if single else tuple(out)

    return run


def _if_grad(op, *grads):
    pred, caps = op.inputs[0], list(op.inputs[1:])
    wanted = [i for i, c in enumerate(caps) if c.dtype.is_floating]
    if not wanted:
        return [None] * len(op.inputs)

    def branch_grad(branch: _Branch):
        def fn():
            from flowlog.engine.gradients import gradients

            pairs = [(y, g) for y, g in zip(branch.outputs, grads)
                     if g is not None and y.dtype.is_floating]
            xs = [caps[i] for i in wanted]
            found = gradients([y for y, _ in pairs], xs, grad_ys=[g for _, g in pairs]) \
                if pairs else [None] * len(xs)
            return [g if g is not None else _a.zeros_like(x) for g, x in zip(found, xs)]
        return fn

    out = cond(pred, branch_grad(op.attrs["then_branch"]),
               branch_grad(op.attrs["else_branch"]), strict=True)
    result: list = [None] * len(op.inputs)
    for k, i in enumerate(wanted):
        result[1 + i] = out[k]
    return result


register_op("If", infer=_if_infer, grad=_if_grad, bind=_if_bind, stateful=True)(None)


def _build_branch(graph, fn, what: str):
    with building(graph) as ctx:
        result = fn()
        if result is None:
            raise ValueError(f"{what} must return at least one result; it returned None")
        leaves = as_tensors(flatten(result))
    return ctx, result, leaves


def cond(pred, true_fn=None, false_fn=None, strict: bool = False, name: str | None = None,
         fn1=None, fn2=None):
    """`true_fn()` if `pred` else `false_fn()`; only the chosen function's ops run.

    Both functions return the same structure of tensors; a one-element list comes back as its
    tensor unless `strict`. Gradients flow into the tensors either branch reads.
    """
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    with name_scope(name, "cond", [pred]) as scope:
        p = convert_to_tensor(pred, name="pred")
        if p.dtype.base_dtype is not dtypes.bool_:
            raise TypeError(f"pred must be a bool tensor, got {p.dtype.base_dtype.name}")
        if p.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {p.shape.ndims} for "
                             f"'{scope}Switch' (op: 'Switch').")
        g = p.graph
        t_ctx, t_result, t_out = _build_branch(g, true_fn, "true_fn")
        f_ctx, f_result, f_out = _build_branch(g, false_fn, "false_fn")
        if not same_structure(t_result, f_result) or len(t_out) != len(f_out):
            raise ValueError("true_fn and false_fn must return the same nested structure: "
                             f"{describe(t_result)} vs {describe(f_result)}")
        out_specs = []
        for a, b in zip(t_out, f_out):
            if a.dtype.base_dtype is not b.dtype.base_dtype:
                raise ValueError(f"Outputs of true_fn and false_fn must have the same type: "
                                 f"{a.dtype.base_dtype.name}, {b.dtype.base_dtype.name}")
            out_specs.append((a.dtype.base_dtype, _join_shapes(a.shape, b.shape)))
        caps = captures(t_ctx, t_out)
        for c in captures(f_ctx, f_out):
            if c not in caps:
                caps.append(c)
        then_b, else_b = _Branch(t_ctx, t_out), _Branch(f_ctx, f_out)
        then_b.plan, else_b.plan = SubPlan(t_out, caps), SubPlan(f_out, caps)
        attrs = {"Tout": [d for d, _ in out_specs], "_out": out_specs,
                 "then_branch": then_b, "else_branch": else_b}
        op = g.create_op("If", [p] + caps, attrs, name=scope)
        outputs = pack(t_result, op.outputs)
        if not strict and isinstance(outputs, (list, tuple)) and len(outputs) == 1 \
                and not hasattr(outputs, "_fields"):
            return outputs[0]
        return outputs


def describe(structure) -> str:
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in sorted(structure.items())) + "}"
    if isinstance(structure, (list, tuple)):
        inner = ", ".join(describe(s) for s in structure)
        return f"[{inner}]" if isinstance(structure, list) else f"({inner})"
    return "tensor"


def case(pred_fn_pairs, default=None, exclusive: bool = False, strict: bool = False,
         name: str = "case"):
    """The result of the first function whose predicate is true, else of `default`.

    Without `default`, the last function is the default (TF1 does so too, asserting that its
    predicate holds).
    """
    if isinstance(pred_fn_pairs, dict):
        pairs = list(pred_fn_pairs.items())
    else:
        pairs = list(pred_fn_pairs)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple, got {pair!r}")
        if not callable(pair[1]):
            raise TypeError(f"fn for pred {pair[0]} must be callable.")
    if not pairs:
        raise ValueError("pred_fn_pairs must not be empty")
    if default is None:
        pairs, default = pairs[:-1], pairs[-1][1]
    with name_scope(name, "case", [p for p, _ in pairs]):
        fn = default
        for pred, branch in reversed(pairs):
            fn = _chain(pred, branch, fn, strict)
        return fn()


def _chain(pred, branch, rest, strict: bool):
    """A function running `branch` if `pred`, else `rest` (one link of `case`)."""
    return lambda: cond(pred, branch, rest, strict=strict)


__all__ = ["case", "cond"]
