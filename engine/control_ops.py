"""Ops that order or observe other ops: no_op, group, tuple, with_dependencies, Print."""
from __future__ import annotations

import builtins
import sys

import numpy as np
from flowlog.engine.framework import (
    Operation,
    Tensor,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
    register_op,
)
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
    with name_scope(name, "group_deps", deps) as scope, control_dependencies(deps):
        return no_op(name=scope)


def with_dependencies(dependencies, output_tensor, name: str | None = None) -> Tensor:
    """`output_tensor` (as an Identity) that is produced only after `dependencies` ran."""
    values = list(dependencies) + [output_tensor]
    output_tensor = convert_to_tensor(output_tensor)
    with name_scope(name, "control_dependency", values) as scope, \
            output_tensor.graph.colocate_with(output_tensor), \
            control_dependencies(dependencies):  # lives with its tensor, as in TF1
        return build1("Identity", [output_tensor], name=scope)


def tuple(tensors, name: str | None = None, control_inputs=None) -> list:
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
    """A value as TF's Print shows it: `1 2 3`, nested rows `[1 2][3 4]`, `...` past `limit`."""
    arr = np.asarray(value)
    flat = arr.reshape(-1)
    limit = flat.size if limit < 0 else min(limit, flat.size)
    shown = [_fmt(v) for v in flat[:limit]]
    if arr.ndim == 0:
        text = " ".join(shown)
    else:
        parts: list[str] = []
        _print_dims(arr.shape, 0, shown, [0], parts)
        text = "".join(parts)
    return text + ("..." if flat.size > limit else "")


def _print_dims(shape, dim: int, shown: list, at: list, parts: list) -> None:
    # TF's PrintOneDim, iteratively per row: brackets per dimension, "..." where the limit cut.
    if dim == len(shape) - 1:
        for i in builtins.range(shape[dim]):
            if at[0] >= len(shown):
                if dim != 0:
                    parts.append("...")
                return
            parts.append((" " if i else "") + shown[at[0]])
            at[0] += 1
        return
    for _ in builtins.range(shape[dim]):
        opened = at[0] < len(shown)
        if opened:
            parts.append("[")
        _print_dims(shape, dim + 1, shown, at, parts)
        if at[0] < len(shown) or opened:
            parts.append("]")


def _fmt(v) -> str:
    if isinstance(v, np.bool_):
        return "1" if v else "0"
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.floating):
        # The shortest of TF's two precisions that reads back as the same number.
        short, full = (15, 17) if v.dtype == np.float64 else (6, 9)
        text = f"{float(v):.{short}g}"
        return text if type(v)(text) == v else f"{float(v):.{full}g}"
    return str(v)


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


def Print(input_, data, message: str | None = None, first_n: int | None = None,
          summarize: int | None = None, name: str | None = None) -> Tensor:
    """`input_` unchanged; when run, prints `message` and the values of `data` to stderr."""
    with name_scope(name, "Print", [input_] + list(data)) as scope:
        x = convert_to_tensor(input_, name="input")
        ts = [convert_to_tensor(d, name=f"data_{i}") for i, d in enumerate(data)]
        attrs = {"message": message or "", "first_n": -1 if first_n is None else int(first_n),
                 "summarize": 3 if summarize is None else int(summarize)}
        return build("Print", [x] + ts, attrs, name=scope).outputs[0]
