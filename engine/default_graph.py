"""The default graph and the module-level helpers acting on it: name_scope, collections, ..."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flowlog.engine.graph import Graph, default_graph_stack
from flowlog.engine.operation import Operation, Tensor

_global_default: list[Graph] = [Graph()]


def get_default_graph() -> Graph:
    """The graph that new operations go to: the innermost `as_default()` one, else the global one."""
    stack = default_graph_stack()
    return stack[-1] if stack else _global_default[0]


def reset_default_graph() -> None:
    """Replace the global default graph with a new, empty one."""
    if default_graph_stack():
        raise AssertionError("Do not use reset_default_graph() to clear nested graphs. If you "
                             "need a cleared graph, exit the nesting and create a new graph.")
    _global_default[0] = Graph()


def graph_of(*values) -> Graph:
    """The graph of the first tensor, operation or variable among `values`, else the default."""
    for v in values:
        if isinstance(v, (Tensor, Operation)):
            return v.graph
        if hasattr(v, "_as_graph_tensor"):
            return v._as_graph_tensor().graph
    return get_default_graph()


@contextlib.contextmanager
def name_scope(name: str | None, default_name: str | None = None, values=None) -> Iterator[str]:
    """Open a name scope in the graph of `values` (or the default graph); yields 'scope/'."""
    g = graph_of(*(values or ()))
    with g.name_scope(name if name is not None else default_name) as scope:
        yield scope


def control_dependencies(control_inputs):
    """Ops created inside run after `control_inputs` (in the default graph)."""
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name: str | None):
    return get_default_graph().device(device_name)


def colocate_with(op, ignore_existing: bool = False):
    """Ops created inside join `op`'s colocation groups (in `op`'s graph)."""
    return graph_of(op).colocate_with(op, ignore_existing)


def add_to_collection(name: str, value) -> None:
    get_default_graph().add_to_collection(name, value)


def get_collection(name: str, scope: str | None = None) -> list:
    return get_default_graph().get_collection(name, scope)
