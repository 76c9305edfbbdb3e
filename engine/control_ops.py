"""Ops that order or observe other ops: no_op, group, tuple, with_dependencies, Print."""
from __future__ import annotations

import builtins
import sys

import numpy as np

from flowlog.engine.framework import (Operation, Tensor, control_dependencies, convert_to_tensor,
                                      get_default_graph, name_scope, register_op)
from flowlog.engine.op_util import build, build1, not_differentiable

__all__ = ["Print", "control_dependencies", "group", "no_op", "tuple", "with_dependencies"]


@register_op("NoOp", infer=lambda op: [], grad=not_differentiable)
def _no_op_kernel():
    return None


def no_op(name: str | None = None) -> Operation:
    """An op that does nothing; running it runs its control inputs."""
    return get_default_graph().create_op("NoOp", [], name=name)


def _as_op(value) -> Operation:
    if isinstance(value, Operation):
        return value
    if isinstance(value, Tensor):
        return value.op
    if hasattr(value, "_as_graph_tensor"):
        return getattr(value, "op", None) or value._as_graph_tensor().op
    raise TypeError(f"Expected a Tensor or Operation, got '{value!r}' with type "
                    f"'{type(value).__name__}'")


def _flatten(values) -> list:
    out, stack = [], [values]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, builtins.tuple)):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.extend(reversed([v[k] for k in sorted(v)]))
        elif v is not None:
            out.append(v)
    return out


def group(*inputs, name: str | None = None) -> Operation:
    """One NoOp that runs after all `inputs` (tensors, ops or nested lists of them)."""
    deps = [_as_op(v) for v in _flatten(list(inputs))]
    with name_scope(name, "group_deps", deps) as scope:
        with control_dependencies(deps):
            return no_op(name=scope)


def with_dependencies(dependencies, output_tensor, name: str | None = None) -> Tensor:
    """`output_tensor` (as an Identity) that is produced only after `dependencies` ran."""
    with name_scope(name, "control_dependency", list(dependencies) + [output_tensor]) as scope:
        with control_dependencies(dependencies):
            t = convert_to_tensor(output_tensor)
            return build1("Identity", [t], name=scope)


def tuple(tensors, name: str | None = None, control_inputs=None) -> list:  # noqa: A001
    """The `tensors` gated together: none of the results is available before all are computed."""
    with name_scope(name, "tuple", [t for t in tensors if t is not None]):
        tensors = [t if t is None or isinstance(t, (Tensor, Operation)) else convert_to_tensor(t)
                   for t in tensors]
        gating = sorted({_as_op(t) for t in tensors if t is not None} |
                        {_as_op(c) for c in control_inputs or ()}, key=lambda op: op._id)
        if not gating:
            raise ValueError(f"Must have at least one Tensor: {tensors}")
        gate = group(*gating)
        out = []
        for t in tensors:
            if isinstance(t, Tensor):
                out.append(with_dependencies([gate], t))
            elif isinstance(t, Operation):
                with control_dependencies([gate]):
                    out.append(group(t))
            else:
                out.append(None)
        return out


# --- Print ------------------------------------------------------------------------------------


def summarize(value, limit: int) -> str:
    """A tensor's value as TF's Print shows it: `1 2 3`, nested `[1 2][3 4]`, `...` past limit."""
    arr = np.asarray(value)
    flat = arr.reshape(-1)
    if arr.ndim == 0:
        return _fmt(arr.item() if arr.dtype.kind != "f" else arr[()])
    shown = [_fmt(v) for v in flat[:limit]]
    if arr.ndim == 1:
        return " ".join(shown) + ("..." if flat.size > limit else "")
    return _nested(arr.shape, shown, flat.size > limit)


def _fmt(v) -> str:
    if isinstance(v, (np.bool_, bool)):
        return "1" if v else "0"
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def _nested(shape, shown: list, truncated: bool) -> str:
    # Rows nest in brackets, one level per dimension; shown elements are consumed in order.
    it = iter(shown)
    parts: list[str] = []

    def emit(dim: int) -> bool:
        if dim == len(shape) - 1:
            row = []
            for _ in range(shape[dim]):
                v = next(it, None)
                if v is None:
                    parts.append(" ".join(row) + "...")
                    return False
                row.append(v)
            parts.append(" ".join(row))
            return True
        for _ in range(shape[dim]):
            parts.append("[")
            more = emit(dim + 1)
            parts.append("]")
            if not more:
                return False
        return True

    emit(0)
    return "".join(parts)


def _print_bind(op, session):
    message, first_n, limit = op.attrs["message"], op.attrs["first_n"], op.attrs["summarize"]
    count = [0]

    def run(x, *data):
        count[0] += 1
        if first_n < 0 or count[0] <= first_n:
            text = "".join(f"[{summarize(v, limit)}]" for v in data)
            print(message + text, file=sys.stderr, flush=True)
        return x

    return run


@register_op("Print", grad=lambda op, g: [g] + [None] * (len(op.inputs) - 1), bind=_print_bind,
             attrs=("message", "first_n", "summarize"), stateful=True)
def _print_kernel(x, *data, message, first_n, summarize):
    return x


def Print(input_, data, message: str | None = None, first_n: int | None = None,  # noqa: N802
          summarize: int | None = None, name: str | None = None) -> Tensor:
    """`input_` unchanged; when run, prints `message` and the values of `data` to stderr."""
    with name_scope(name, "Print", [input_] + list(data)) as scope:
        x = convert_to_tensor(input_, name="input")
        ts = [convert_to_tensor(d, name=f"data_{i}") for i, d in enumerate(data)]
        attrs = {"message": message or "", "first_n": -1 if first_n is None else int(first_n),
                 "summarize": 3 if summarize is None else int(summarize)}
        return build("Print", [x] + ts, attrs, name=scope).outputs[0]
