"""`gradients(ys, xs)`: reverse-mode differentiation that adds the gradient ops to the graph."""
from __future__ import annotations

from collections import deque

from flowlog.engine import array_ops, control_ops, math_ops
from flowlog.engine.framework import Operation, Tensor, constant, convert_to_tensor, get_opdef
from flowlog.engine.framework import name_scope as _name_scope

__all__ = ["gradients"]


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _between(ys: list[Tensor], xs: list[Tensor]) -> tuple[list[Operation], set[Operation]]:
    """The ops on a data path from some x to some y, in the order a backward walk meets them."""
    reached: set[Operation] = set()
    queue = deque(x.op for x in xs)
    while queue:  # forward from xs over consumers
        op = queue.popleft()
        if op in reached:
            continue
        reached.add(op)
        for out in op.outputs:
            queue.extend(_consumers(out))
    between: list[Operation] = []
    seen: set[Operation] = set()
    queue = deque(y.op for y in ys)
    while queue:  # backward from ys, keeping only ops reached from xs
        op = queue.popleft()
        if op in reached and op not in seen:
            seen.add(op)
            between.append(op)
            queue.extend(t.op for t in op.inputs)
    return between, seen


def _consumers(t: Tensor) -> list[Operation]:
    # One scan of the graph per call would be quadratic; the graph keeps an index per tensor.
    index = _consumer_index(t.graph)
    return index.get(t, [])


def _consumer_index(graph) -> dict:
    cache = getattr(graph, "_grad_consumers", None)
    if cache is None or cache[0] != len(graph._ops):
        index: dict = {}
        for op in graph._ops:
            for t in op.inputs:
                index.setdefault(t, []).append(op)
        cache = (len(graph._ops), index)
        graph._grad_consumers = cache
    return cache[1]


def _aggregate(grads: list) -> Tensor | None:
    """The sum of the gradient contributions to one tensor (AddN when there are several)."""
    grads = [g for g in grads if g is not None]
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    return math_ops.add_n(grads)


def _initial_grads(ys: list[Tensor], grad_ys) -> list[Tensor]:
    out = []
    for i, y in enumerate(ys):
        g = grad_ys[i] if grad_ys is not None else None
        if g is None:
            if not (y.dtype.is_floating or y.dtype.is_integer):
                raise TypeError(f"Gradients of '{y.name}' of type {y.dtype.name} are not defined: "
                                "ys must be numeric tensors.")
            g = array_ops.fill(array_ops.shape(y), constant(1, dtype=y.dtype.base_dtype))
        else:
            g = convert_to_tensor(g, dtype=y.dtype.base_dtype, name=f"grad_ys_{i}")
            if not g.shape.is_compatible_with(y.shape):
                raise ValueError(f"grad_ys[{i}] has shape {g.shape}, which does not match "
                                 f"the shape {y.shape} of ys[{i}] ('{y.name}').")
        out.append(g)
    return out


def gradients(ys, xs, grad_ys=None, name: str = "gradients", colocate_gradients_with_ops=False,
              gate_gradients: bool = False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients: str = "none") -> list[Tensor | None]:
    """Symbolic derivatives of `sum(ys)` with respect to each of `xs`.

    `ys` and `xs` are tensors (or Variables) or lists of them; `grad_ys` optionally weights each
    y (default: ones). Returns one tensor per x: None where x does not reach any y (or zeros
    when `unconnected_gradients="zero"`). Gradients do not flow through `stop_gradients`.
    `gate_gradients` groups the input gradients of each op with `tuple` (what optimizers do).
    """
    ys = [convert_to_tensor(y) for y in _as_list(ys)]
    xs = [convert_to_tensor(x) for x in _as_list(xs)]
    grad_ys = None if grad_ys is None else _as_list(grad_ys)
    if grad_ys is not None and len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: '{unconnected_gradients}'")
    stop_ops = {t.op if isinstance(t, Tensor) else convert_to_tensor(t).op
                for t in _as_list(stop_gradients or [])}
    with _name_scope(name, "gradients", ys + xs):
        initial = _initial_grads(ys, grad_ys)
        between, between_set = _between(ys, xs)
        # grads[op][i] lists the contributions to the gradient of op's output i.
        grads: dict[Operation, list[list]] = {}
        for y, g in zip(ys, initial):
            grads.setdefault(y.op, [[] for _ in y.op.outputs])[y.value_index].append(g)
        # A topological walk from ys back to xs (Kahn's algorithm, no recursion): an op is
        # differentiated only once every consumer on the path has sent back its contribution.
        pending = dict.fromkeys(between, 0)
        for op in between:
            for t in op.inputs:
                if t.op in between_set:
                    pending[t.op] += 1
        x_ops = {x.op for x in xs}
        # An x's op is a source unless another x feeds it: nothing flows back through it.
        stop_ops |= {op for op in x_ops if not any(t.op in between_set for t in op.inputs)}
        ready = deque(op for op in dict.fromkeys(y.op for y in ys)
                      if op in between_set and pending[op] == 0)
        while ready:
            op = ready.popleft()
            out_grads = [_aggregate(gs) for gs in grads.get(op, [[] for _ in op.outputs])]
            grads[op] = [[g] for g in out_grads]
            if any(g is not None for g in out_grads) and op not in stop_ops:
                _backprop(op, out_grads, grads, gate_gradients)
            for t in op.inputs:
                if t.op in between_set:
                    pending[t.op] -= 1
                    if pending[t.op] == 0:
                        ready.append(t.op)
        return [_result(grads, x, unconnected_gradients) for x in xs]


def _backprop(op: Operation, out_grads: list, grads: dict, gate: bool) -> None:
    """Apply op's gradient rule and record its input gradients."""
    rule = get_opdef(op.type).grad
    if rule is None:
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")
    for i, g in enumerate(out_grads):  # an unused float output still needs a (zero) gradient
        if g is None and op.outputs[i].dtype.is_floating:
            out_grads[i] = array_ops.zeros_like(op.outputs[i])
    with _name_scope(op.name + "_grad"):
        in_grads = list(rule(op, *out_grads))
        if len(in_grads) != len(op.inputs):
            raise ValueError(f"Num gradients {len(in_grads)} generated for op {op.node_def} do "
                             f"not match num inputs {len(op.inputs)}")
        if gate and sum(g is not None for g in in_grads) > 1:
            in_grads = control_ops.tuple(in_grads)
    for t, g in zip(op.inputs, in_grads):
        if g is None:
            continue
        try:
            g.set_shape(t.shape)
        except ValueError:
            raise ValueError(f"Incompatible shapes between op input and calculated input "
                             f"gradient. Forward operation: {op.name}. Input: {t.name}. "
                             f"Original input shape: {t.shape}. Calculated input gradient "
                             f"shape: {g.shape}") from None
        grads.setdefault(t.op, [[] for _ in t.op.outputs])[t.value_index].append(g)


def _result(grads: dict, x: Tensor, unconnected: str):
    per_output = grads.get(x.op)
    g = per_output[x.value_index][0] if per_output and per_output[x.value_index] else None
    if g is None and unconnected == "zero":
        return array_ops.zeros_like(x)
    return g
