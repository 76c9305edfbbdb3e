"""The graph vocabulary in one import: graph, operations and tensors, registry, constants.

Each idea has its own module; this one gathers their public names for the op modules and the
API: `op_registry` (op types and their rules), `operation` (Operation, Tensor), `operators`
(`a + b` on tensors), `graph` (Graph, names, scopes, collections), `default_graph` (the default
graph and the helpers acting on it), `constants` (`constant`, `convert_to_tensor`).
"""
from __future__ import annotations

from flowlog.engine.constants import constant, convert_to_tensor, infer_dtype, to_numpy
from flowlog.engine.default_graph import (
    add_to_collection,
    colocate_with,
    control_dependencies,
    device,
    get_collection,
    get_default_graph,
    graph_of,
    name_scope,
    reset_default_graph,
)
from flowlog.engine.graph import Graph, GraphKeys
from flowlog.engine.op_registry import (
    OpDef,
    get_opdef,
    register_op,
    registered_op_types,
    same_as_first_input,
)
from flowlog.engine.operation import Operation, Tensor, colocation_groups
from flowlog.engine.operators import OperatorsMixin

__all__ = [
    "Graph", "GraphKeys", "OpDef", "Operation", "OperatorsMixin", "Tensor", "add_to_collection",
    "colocate_with", "colocation_groups", "constant", "control_dependencies", "convert_to_tensor",
    "device", "get_collection", "get_default_graph", "get_opdef", "graph_of", "infer_dtype",
    "name_scope", "register_op", "registered_op_types", "reset_default_graph",
    "same_as_first_input", "to_numpy",
]
