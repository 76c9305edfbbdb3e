"""Control flow: `cond`, `case` and `while_loop`, with gradients through them.

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

import numpy as np
from flowlog.engine import array_ops as _a
from flowlog.engine import dtypes, errors
from flowlog.engine.framework import (
    Operation,
    Tensor,
    convert_to_tensor,
    get_default_graph,
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


def _same_structure(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b) and \
            all(_same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and \
            len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return True


def _tensors(values) -> list[Tensor]:
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
        leaves = _tensors(flatten(result))
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
        if not _same_structure(t_result, f_result) or len(t_out) != len(f_out):
            raise ValueError("true_fn and false_fn must return the same nested structure: "
                             f"{_describe(t_result)} vs {_describe(f_result)}")
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


def _describe(structure) -> str:
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in sorted(structure.items())) + "}"
    if isinstance(structure, (list, tuple)):
        inner = ", ".join(_describe(s) for s in structure)
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


# --- while_loop --------------------------------------------------------------------------------


def _loop_var_bind(op, session):
    def unfed():
        raise errors.InvalidArgumentError(None, op, f"Loop variable '{op.name}' has no value "
                                                    "outside its loop")
    return unfed


register_op("LoopVar", infer=lambda op: [(op.attrs["dtype"], op.attrs["shape"])],
            bind=_loop_var_bind, stateful=True)(None)


def loop_var(like: Tensor, shape: TensorShape, name: str) -> Tensor:
    g = like.graph
    attrs = {"dtype": like.dtype.base_dtype, "shape": shape}
    return g.create_op("LoopVar", [], attrs, name=name).outputs[0]


class _Loop:
    """A built loop: its loop-variable stand-ins, condition, body outputs and captures."""

    def __init__(self, ctx, phs, cond_t, outs, caps, back_prop):
        self.ctx, self.phs, self.cond, self.outs, self.caps = ctx, phs, cond_t, outs, caps
        self.back_prop = back_prop
        feeds = phs + caps
        self.cond_plan = SubPlan([cond_t], feeds)
        self.body_plan = SubPlan(outs, feeds)

    def run(self, session, values, captured, limit, history=None) -> list:
        values = list(values)
        i = 0
        while (limit is None or i < limit) and self.cond_plan(session, values + captured)[0]:
            if history is not None:
                history.append(values)
            values = self.body_plan(session, values + captured)
            i += 1
        return values


def _while_bind(op, session):
    loop: _Loop = op.attrs["body"]
    n, has_limit = len(loop.phs), op.attrs["has_limit"]

    def run(*inputs):
        values, rest = list(inputs[:n]), list(inputs[n:])
        limit = int(rest.pop()) if has_limit else None
        out = loop.run(session, values, rest, limit)
        return out[0] if n == 1 else tuple(out)

    return run


def _while_infer(op):
    return [(t.dtype.base_dtype, t.shape) for t in op.attrs["body"].phs]


def _while_grad(op, *grads):
    loop: _Loop = op.attrs["body"]
    n = len(loop.phs)
    if not loop.back_prop:
        return [None] * len(op.inputs)
    var_idx = [i for i in range(n) if loop.phs[i].dtype.is_floating]
    cap_idx = [j for j, c in enumerate(loop.caps) if c.dtype.is_floating]
    if not var_idx:
        return [None] * len(op.inputs)
    from flowlog.engine.gradients import gradients

    g = op.graph
    with building(g, recomputable=False) as ctx:
        ctx.feeds_loop = loop.ctx
        g_phs = [loop_var(loop.phs[i], loop.phs[i].shape, "grad_loop_var") for i in var_idx]
        xs = [loop.phs[i] for i in var_idx] + [loop.caps[j] for j in cap_idx]
        found = gradients([loop.outs[i] for i in var_idx], xs, grad_ys=g_phs)
        d_xs = [d if d is not None else _a.zeros_like(x) for d, x in zip(found, xs)]
    extra = [c for c in captures(ctx, d_xs, exclude=loop.phs) if c not in set(loop.caps)]
    grad_plan = SubPlan(d_xs, loop.phs + loop.caps + g_phs + extra)
    spec = _LoopGrad(loop, var_idx, cap_idx, grad_plan, len(extra), op.attrs["has_limit"])
    out_grads = [grads[i] if grads[i] is not None else _a.zeros_like(op.outputs[i])
                 for i in var_idx]
    inputs = list(op.inputs) + out_grads + extra
    attrs = {"_out": [(x.dtype.base_dtype, x.shape) for x in xs], "body": spec}
    grad_op = g.create_op("WhileGrad", inputs, attrs)
    result: list = [None] * len(op.inputs)
    for k, i in enumerate(var_idx):
        result[i] = grad_op.outputs[k]
    for k, j in enumerate(cap_idx):
        result[n + j] = grad_op.outputs[len(var_idx) + k]
    return result


class _LoopGrad:
    def __init__(self, loop, var_idx, cap_idx, plan, n_extra, has_limit):
        self.loop, self.var_idx, self.cap_idx, self.plan = loop, var_idx, cap_idx, plan
        self.n_extra, self.has_limit = n_extra, has_limit


def _while_grad_bind(op, session):
    spec: _LoopGrad = op.attrs["body"]
    loop = spec.loop
    n, n_caps, n_vars = len(loop.phs), len(loop.caps), len(spec.var_idx)

    def run(*inputs):
        inputs = list(inputs)
        values, captured = inputs[:n], inputs[n:n + n_caps]
        at = n + n_caps
        limit = int(inputs[at]) if spec.has_limit else None
        at += 1 if spec.has_limit else 0
        g_vars, extra = inputs[at:at + n_vars], inputs[at + n_vars:]
        history: list = []
        loop.run(session, values, captured, limit, history)
        g_caps = None
        for step in reversed(history):  # the body's chain rule, last iteration first
            d = spec.plan(session, step + captured + g_vars + extra)
            g_vars = d[:n_vars]
            g_caps = d[n_vars:] if g_caps is None else [a + b for a, b in zip(g_caps, d[n_vars:])]
        if g_caps is None:
            g_caps = [np.zeros_like(captured[j]) for j in spec.cap_idx]
        out = list(g_vars) + list(g_caps)
        return out[0] if len(out) == 1 else tuple(out)

    return run


register_op("While", infer=_while_infer, grad=_while_grad, bind=_while_bind,
            stateful=True)(None)
register_op("WhileGrad", infer=lambda op: list(op.attrs["_out"]), bind=_while_grad_bind,
            stateful=True)(None)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations: int = 10,
               back_prop: bool = True, swap_memory: bool = False, name: str | None = None,
               maximum_iterations=None, return_same_structure: bool = False):
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`; returns the last values.

    Each loop variable keeps its dtype and (unless `shape_invariants` relaxes it) its shape.
    Gradients flow back through every iteration into the initial values and the tensors the
    body reads. A single loop variable comes back as a tensor unless `return_same_structure`.
    """
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    structure = loop_vars
    flat = _tensors(flatten(loop_vars))
    if not flat:
        raise ValueError("No loop variables provided")
    invariants = [TensorShape(s) if not isinstance(s, TensorShape) else s
                  for s in flatten(shape_invariants)] if shape_invariants is not None else \
        [t.shape for t in flat]
    g = flat[0].graph if flat else get_default_graph()
    with name_scope(name, "while", flat) as scope:
        with building(g, recomputable=False) as ctx:
            phs = [loop_var(t, s, "loop_var") for t, s in zip(flat, invariants)]
            packed = pack(structure, phs)
            args = packed if isinstance(structure, (list, tuple)) and \
                not hasattr(structure, "_fields") else [packed]
            c = convert_to_tensor(cond(*args))
            if c.dtype.base_dtype is not dtypes.bool_ or c.shape.ndims not in (None, 0):
                raise ValueError(f"cond must return a boolean scalar tensor, got {c}")
            result = body(*args)
            if not isinstance(structure, (list, tuple)) and isinstance(result, (list, tuple)) \
                    and len(result) == 1:
                result = result[0]
            elif isinstance(structure, (list, tuple)) and len(structure) == 1 and \
                    not isinstance(result, (list, tuple, dict)):
                result = type(structure)([result]) if type(structure) in (list, tuple) \
                    else [result]  # TF1 wraps a body's lone tensor
            if not _same_structure(structure, result):
                raise ValueError("body must return the same nested structure as loop_vars: "
                                 f"{_describe(structure)} vs {_describe(result)}")
            outs = []
            for ph, r in zip(phs, flatten(result)):
                r = convert_to_tensor(r, dtype=ph.dtype.base_dtype) if not isinstance(r, Tensor) \
                    else r
                if r.dtype.base_dtype is not ph.dtype.base_dtype:
                    raise ValueError(f"Loop variable '{ph.op.name}' enters the loop with type "
                                     f"{ph.dtype.base_dtype.name}, but has type "
                                     f"{r.dtype.base_dtype.name} after one iteration.")
                if not ph.shape.is_compatible_with(r.shape) or (
                        r.shape.dims is None and ph.shape.dims is not None):
                    raise ValueError(f"Input tensor '{ph.op.name}' enters the loop with shape "
                                     f"{ph.shape}, but has shape {r.shape} after one "
                                     "iteration. To allow the shape to vary across "
                                     "iterations, use the `shape_invariants` argument of "
                                     "tf.while_loop to specify a less-specific shape.")
                outs.append(r)
        caps = captures(ctx, [c] + outs)
        loop = _Loop(ctx, phs, c, outs, caps, back_prop)
        inputs = flat + caps
        has_limit = maximum_iterations is not None
        if has_limit:
            inputs.append(convert_to_tensor(maximum_iterations, name="maximum_iterations"))
        attrs = {"T": [t.dtype.base_dtype for t in flat], "body": loop, "has_limit": has_limit,
                 "parallel_iterations": int(parallel_iterations)}
        op = g.create_op("While", inputs, attrs, name=scope)
        out = pack(structure, op.outputs)
        if not return_same_structure and len(flat) == 1:
            return op.outputs[0]
        return out


__all__ = ["case", "cond", "while_loop"]
