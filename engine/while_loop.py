"""`while_loop`: one op running its body's plan per iteration, and its gradient op.

The body is built once on stand-ins for the loop variables (LoopVar ops) in a context of its
own (see control_flow.py). The gradient op replays the loop to record every iteration's loop
variables, then runs the body's gradient plan from the last iteration back to the first.
"""
from __future__ import annotations

import numpy as np
from flowlog.engine import array_ops as _a
from flowlog.engine import dtypes, errors
from flowlog.engine.control_flow import (
    SubPlan,
    as_tensors,
    building,
    captures,
    describe,
    flatten,
    pack,
    same_structure,
)
from flowlog.engine.framework import (
    Tensor,
    convert_to_tensor,
    get_default_graph,
    name_scope,
    register_op,
)
from flowlog.engine.shapes import TensorShape

# --- while_loop --------------------------------------------------------------------------------


def _loop_var_bind(op, session):
    def unfed():
        raise errors.InvalidArgumentError(None, op, f"Loop variable '{op.name}' has no value "
                                                    "outside its loop")
    return unfed


register_op("LoopVar", infer=lambda op: [(op.attrs["dtype"], op.attrs["shape"])],
            bind=_loop_var_bind, stateful=True)(None)


def loop_var(graph, dtype, shape: TensorShape, name: str) -> Tensor:
    """A stand-in for a value that the plan running a body (or map function) feeds."""
    attrs = {"dtype": dtypes.as_dtype(dtype).base_dtype, "shape": shape}
    return graph.create_op("LoopVar", [], attrs, name=name).outputs[0]


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
        g_phs = [loop_var(g, loop.phs[i].dtype, loop.phs[i].shape, "grad_loop_var") for i in var_idx]
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
    flat = as_tensors(flatten(loop_vars))
    if not flat:
        raise ValueError("No loop variables provided")
    invariants = [TensorShape(s) if not isinstance(s, TensorShape) else s
                  for s in flatten(shape_invariants)] if shape_invariants is not None else \
        [t.shape for t in flat]
    g = flat[0].graph if flat else get_default_graph()
    with name_scope(name, "while", flat) as scope:
        with building(g, recomputable=False) as ctx:
            phs = [loop_var(g, t.dtype, s, "loop_var") for t, s in zip(flat, invariants)]
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
            if not same_structure(structure, result):
                raise ValueError("body must return the same nested structure as loop_vars: "
                                 f"{describe(structure)} vs {describe(result)}")
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


__all__ = ["loop_var", "while_loop"]
