"""A torch model as a TensorBoard GraphDef, traced with `torch.jit.trace` the way torch names it.

`torch.utils.tensorboard` writes what its tracer sees: one node per input, per value an
operation produces and per output, each named `<scope>/<debug name>`, where the scope is
the model's class followed by `Class[attribute]` for every module on the way down
(`Net/Conv2d[conv1]/input.3`); inputs are `input/<name>`, outputs `output/output.<i>`.
Every node has an `attr` string attribute (the op's JIT attributes) and, when the tracer
knows it, `_output_shapes` with the value's shape. Readers of torch's graphs (TensorBoard's
graph plugin, flowboard) rely on exactly these names, so they are reproduced here.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from typing import Any

from flowlog.proto import attr_value_pb2, graph_pb2, step_stats_pb2, tensor_shape_pb2

_GETATTR = "prim::GetAttr"
_CLASSTYPE = "ClassType"


def is_torch_model(obj: Any) -> bool:
    """True for a `torch.nn.Module` or a scripted function (without importing torch)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    return isinstance(obj, (torch.nn.Module, torch.jit.ScriptFunction))


class _Value:
    """One node of the written graph: a model input or output, or a value an op produces."""

    __slots__ = ("attributes", "inputs", "kind", "name", "role", "scope", "shape")

    def __init__(self, name, inputs, scope, shape, kind, attributes="", role=None):
        self.name, self.inputs, self.scope, self.shape = name, inputs, scope, shape
        self.kind, self.attributes, self.role = kind, attributes, role


class _Op:
    __slots__ = ("attributes", "inputs", "kind", "output_shapes", "outputs", "scope")


def _shape(value) -> list[int] | None:
    return value.type().sizes() if value.isCompleteTensor() else None


def _op(node, scope: str) -> _Op:
    op = _Op()
    op.kind = node.kind()
    op.inputs = [v.debugName() for v in node.inputs()]
    outputs = list(node.outputs())
    op.outputs = [v.debugName() for v in outputs]
    op.output_shapes = [_shape(v) for v in outputs]
    op.scope = scope
    # The attribute dict as Python prints it, single quotes blanked: torch writes it so
    # (quotes upset TensorBoard's graph page), and readers compare these strings.
    attrs = {k: getattr(node, node.kindOf(k))(k) for k in node.attributeNames()}
    op.attributes = str(attrs).replace("'", " ")
    return op


def _io_shape(value) -> list[int]:
    try:
        return value.type().sizes()
    except RuntimeError:  # not a tensor (a constant model's input): torch writes [1]
        return [1]


def _module_names(trace) -> tuple[str, dict[str, str]]:
    """The model's class name and `Class[attribute]` for each submodule's tracer alias."""

    def class_name(module):
        if isinstance(module, sys.modules["torch"].jit.TracedModule):
            return module._name
        return getattr(module, "original_name", "Module")

    aliases = {
        alias: f"{class_name(module)}[{alias.split('.')[-1]}]"
        for alias, module in trace.named_modules(prefix="__module")
    }
    return class_name(trace), aliases


def _collect(graph, trace) -> tuple[list[_Value], list[_Op], list[_Value]]:
    """Inputs, ops (with module scopes) and outputs of a traced, inlined JIT graph."""
    inputs = [
        _Value(v.debugName(), [], None, _io_shape(v), "IO Node", role="input")
        for v in graph.inputs()
        if v.uses() and v.type().kind() != _CLASSTYPE
    ]
    ops, attr_scope = [], {}
    for node in graph.nodes():
        if node.kind() != _GETATTR:
            ops.append(_op(node, node.scopeName()))
            continue
        # `self.conv1.weight` is a chain of GetAttr nodes; its scope is the chain of aliases
        # `__module.conv1/__module.conv1.weight`, resolved to class names below.
        key, parent = node.output().debugName(), node.input().node()
        if parent.kind() == _GETATTR:
            parent_scope = attr_scope[parent.output().debugName()]
            attr_scope[key] = f"{parent_scope}/{parent_scope.split('/')[-1]}.{node.s('name')}"
        else:
            attr_scope[key] = f"__module.{node.s('name')}"
        if node.output().type().kind() != _CLASSTYPE:  # modules themselves are scopes
            ops.append(_op(node, attr_scope[key]))
    outputs = [
        _Value(f"output.{i + 1}", [v.debugName()], None, _io_shape(v), "IO Node", role="output")
        for i, v in enumerate(graph.outputs())
    ]
    base, aliases = _module_names(trace)
    for op in ops:
        parts = [aliases.get(a, a.split(".")[-1]) for a in op.scope.split("/")]
        op.scope = base + ("/" + "/".join(parts) if any(parts) else "")
    return inputs, ops, outputs


def _scoped_nodes(inputs, ops, outputs) -> list[_Value]:
    """Every node with its scoped name and scoped input names, in torch's order.

    Nodes come as inputs, outputs, then the ops' values in trace order. A value's name is
    `<scope of the op making it>/<name>`; model inputs are `input/<name>`. A name not
    produced by any op (only consumed) takes the scope of its last consumer.
    """
    nodes = {v.name: v for v in inputs}
    nodes.update((v.name, v) for v in outputs)
    root = "default"  # the first part of the last non-empty scope, as torch picks it
    for op in ops:
        for name, shape in zip(op.outputs, op.output_shapes):
            if op.scope:
                root = op.scope.split("/")[0]
            nodes[name] = _Value(name, op.inputs, op.scope, shape, op.kind, op.attributes)
    scoped = {name: f"{op.scope}/{name}" for op in ops for name in op.inputs}
    for key, node in nodes.items():
        if node.role is not None:
            scoped[key] = f"{node.role}/{node.name}"
        elif node.scope is not None:
            scoped[key] = f"{node.scope}/{node.name}"
            if node.scope == "":
                scoped[node.name] = f"{root}/{node.name}"
    for node in nodes.values():
        node.inputs = [scoped[name] for name in node.inputs]
        node.name = scoped.get(node.name, node.name)
    return list(nodes.values())


def _node_def(v: _Value) -> graph_pb2.NodeDef:
    node = graph_pb2.NodeDef(name=v.name, op=v.kind, input=v.inputs)
    node.attr["attr"].CopyFrom(attr_value_pb2.AttrValue(s=v.attributes.encode("utf-8")))
    if v.shape is not None:
        dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in v.shape]
        shapes = node.attr["_output_shapes"].list.shape
        shapes.add().CopyFrom(tensor_shape_pb2.TensorShapeProto(dim=dims))
    return node


@contextlib.contextmanager
def _eval_mode(model):
    """Trace in eval mode (dropout off, batch norm frozen) and restore the mode after."""
    torch = sys.modules["torch"]
    if isinstance(model, torch.jit.ScriptFunction):
        yield
        return
    training = model.training
    model.train(False)
    try:
        yield
    finally:
        model.train(training)


def _example_inputs(input_to_model: Any) -> Any:
    """`input_to_model` as `torch.jit.trace` takes it, or a TypeError naming the argument."""
    torch = sys.modules["torch"]
    if isinstance(input_to_model, list):
        input_to_model = tuple(input_to_model)
    if isinstance(input_to_model, (torch.Tensor, tuple, dict)):
        return input_to_model
    raise TypeError(
        "add_graph(model, input_to_model): a torch model is traced, so input_to_model must be "
        "example inputs (a tensor, or a tuple or dict of tensors), got "
        f"{type(input_to_model).__name__} {input_to_model!r:.80}"
    )


def torch_graph(
    model: Any, input_to_model: Any, verbose: bool = False, use_strict_trace: bool = True
) -> tuple[bytes, bytes]:
    """Serialized `GraphDef` and `RunMetadata` of `model` traced on `input_to_model`."""
    torch = sys.modules["torch"]
    args = _example_inputs(input_to_model)
    with _eval_mode(model), warnings.catch_warnings():
        # torch marks jit.trace deprecated, but its own add_graph traces with it, and the
        # scopes and names written must be the ones that trace gives.
        warnings.filterwarnings("ignore", r".*torch\.jit\.trace.* is deprecated", DeprecationWarning)
        trace = torch.jit.trace(model, args, strict=use_strict_trace)
        graph = trace.graph
        torch._C._jit_pass_inline(graph)  # submodule calls become their ops, with scopes
    if verbose:
        print(graph)
    nodes = _scoped_nodes(*_collect(graph, trace))
    graph_def = graph_pb2.GraphDef(
        node=[_node_def(v) for v in nodes], versions=graph_pb2.VersionDef(producer=22)
    )
    # torch says every traced graph ran on the CPU; TensorBoard shows the device.
    stats = step_stats_pb2.StepStats(
        dev_stats=[step_stats_pb2.DeviceStepStats(device="/device:CPU:0")]
    )
    run_metadata = step_stats_pb2.RunMetadata(step_stats=stats)
    return graph_def.SerializeToString(), run_metadata.SerializeToString()
