"""`tf.train.import_meta_graph` and `tf.import_graph_def`: a graph rebuilt from its protobufs.

Each NodeDef becomes the operation of its type, made by the op registry with the NodeDef's
attrs (TensorFlow's attr names are the registry's). TensorFlow's resource variables
(`VarHandleOp` and the ops reading and writing it) become flowlog's variables and the ops on
them; the nodes of TensorFlow's own Saver (`save/...`) are left out, since the returned Saver
reads and writes checkpoints itself. Collections come back from the MetaGraphDef's
`collection_def`: variables as `Variable`s, node names as tensors and operations.
"""
from __future__ import annotations

import os

import numpy as np
from flowlog.engine import dtypes, errors
from flowlog.engine.framework import (
    GraphKeys,
    Operation,
    Tensor,
    get_default_graph,
    get_opdef,
)
from flowlog.engine.shapes import TensorShape
from flowlog.engine.variables import Variable
from google.protobuf import text_format
from google.protobuf.message import DecodeError

from flowlog.events.values import decode_tensor
from flowlog.proto import checkpoint_pb2, graph_pb2

# TensorFlow op types that are a registered op under another name, taking the same inputs:
# a resource variable's handle is a flowlog variable's ref, so reading it is an Identity and
# the resource updates are the ref updates.
_SAME_AS = {
    "AddV2": "Add", "Snapshot": "Identity", "PreventGradient": "Identity",
    "ReadVariableOp": "Identity", "AssignVariableOp": "Assign",
    "AssignAddVariableOp": "AssignAdd", "AssignSubVariableOp": "AssignSub",
    "VarIsInitializedOp": "IsVariableInitialized", "VarHandleOp": "VariableV2",
    "ResourceApplyGradientDescent": "ApplyGradientDescent", "ResourceApplyAdam": "ApplyAdam",
    "ResourceApplyMomentum": "ApplyMomentum", "ResourceApplyAdagrad": "ApplyAdagrad",
    "ResourceApplyRMSProp": "ApplyRMSProp",
    "ResourceApplyCenteredRMSProp": "ApplyCenteredRMSProp", "Variable": "VariableV2",
}
# Attrs that describe a node to TensorFlow's runtime only.
_RUNTIME_ATTRS = ("_output_shapes", "allowed_devices", "debug_name", "_has_manual_control_dependencies")

# Collections whose items are variables (stored as VariableDefs), as TensorFlow lists them.
_VARIABLE_COLLECTIONS = (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
                         GraphKeys.LOCAL_VARIABLES, GraphKeys.GLOBAL_STEP, "model_variables",
                         "moving_average_variables")


def _attr(value):
    """The Python value of an AttrValue, in the form op constructors record."""
    kind = value.WhichOneof("value")
    if kind == "type":
        return dtypes.as_dtype(value.type)
    if kind == "shape":
        return _shape(value.shape)
    if kind == "tensor":
        return decode_tensor(value.tensor)
    if kind == "s":
        return value.s.decode(errors="replace")
    if kind in ("i", "f", "b"):
        return getattr(value, kind)
    if kind == "list":
        lv = value.list
        return ([dtypes.as_dtype(t) for t in lv.type] + [_shape(s) for s in lv.shape]
                + [s.decode(errors="replace") for s in lv.s] + list(lv.i) + list(lv.f)
                + list(lv.b))
    return None


def _shape(proto) -> TensorShape:
    if proto.unknown_rank:
        return TensorShape(None)
    return TensorShape([None if d.size < 0 else d.size for d in proto.dim])


def _attrs(node: graph_pb2.NodeDef) -> dict:
    out = {k: _attr(v) for k, v in node.attr.items() if k not in _RUNTIME_ATTRS}
    if out.get("value") is not None and node.op == "Const":
        value = out["value"]
        if value.dtype == object:  # strings stay bytes, as constants of strings hold them
            value = np.asarray(value, dtype=object)
        value.setflags(write=False)
    return out


def _input_names(node) -> tuple[list[tuple[str, int]], list[str]]:
    """The (op name, output index) of each data input, and the control inputs' op names."""
    data, control = [], []
    for name in node.input:
        if name.startswith("^"):
            control.append(name[1:])
        else:
            op_name, _, index = name.partition(":")
            data.append((op_name, int(index or 0)))
    return data, control


def _topological(nodes: list) -> list:
    """`nodes` ordered so each comes after its inputs (GraphDefs need not list them so)."""
    by_name = {n.name: n for n in nodes}
    done: set[str] = set()
    on_path: set[str] = set()  # nodes whose inputs are being ordered: meeting one is a cycle
    order = []
    for root in nodes:
        stack = [(root, False)]  # iterative: a long chain of nodes must not overflow the stack
        while stack:
            node, expanded = stack.pop()
            if node.name in done:
                continue
            if expanded:
                on_path.discard(node.name)
                done.add(node.name)
                order.append(node)
                continue
            if node.name in on_path:
                raise ValueError(f"Cannot import node '{node.name}': the graph has a cycle "
                                 "through it (flowlog has no TF1 while-loop frames)")
            on_path.add(node.name)
            stack.append((node, True))
            data, control = _input_names(node)
            for name in [n for n, _ in data] + control:
                if name not in by_name:
                    raise ValueError(f"Node '{node.name}' has an input '{name}' that is not in "
                                     "the graph")
                if name not in done:
                    stack.append((by_name[name], False))
    return order


def _check_op_types(nodes) -> None:
    """A clear error for the first node whose op type flowlog lacks, before any is made."""
    for node in nodes:
        try:
            get_opdef(_SAME_AS.get(node.op, node.op))
        except LookupError:
            raise ValueError(f"Cannot import node '{node.name}': op type '{node.op}' is not "
                             "supported by flowlog") from None


def _scoped(scope: str, name: str) -> str:
    return f"{scope}/{name}" if scope else name


def _create(graph, node, inputs: list[Tensor], control: list[Operation], scope: str,
            clear_devices: bool) -> Operation:
    op_type = _SAME_AS.get(node.op, node.op)
    attrs = _attrs(node)
    if op_type == "Const" and "value" not in attrs:
        raise ValueError(f"Cannot import node '{node.name}': Const without a value")
    if node.op == "ReadVariableOp":
        attrs.pop("dtype", None)
    if op_type in ("Assign", "AssignAdd", "AssignSub"):
        attrs.setdefault("validate_shape", True)
        attrs.setdefault("use_locking", True)
    try:
        with graph.control_dependencies(None):
            op = graph.create_op(op_type, inputs, attrs, name=_scoped(scope, node.name) + "/")
    except KeyError as e:
        raise ValueError(f"Cannot import node '{node.name}': op type '{node.op}' needs the "
                         f"attribute {e}, which its NodeDef does not carry (flowlog keeps it "
                         "in Python, as with cond, while_loop and tf.data)") from None
    except (TypeError, ValueError) as e:
        raise ValueError(f"Cannot import node '{node.name}' (op type '{node.op}'): {e}") \
            from None
    # The shapes the writer knew (TensorFlow's `add_shapes`), where inference alone knows less
    for t, shape in zip(op.outputs, node.attr["_output_shapes"].list.shape
                        if "_output_shapes" in node.attr else ()):
        if t.shape.is_compatible_with(_shape(shape)):
            t.set_shape(_shape(shape))
    op.control_inputs.extend(c for c in control if c not in op.control_inputs)
    op.device = "" if clear_devices else node.device
    if op_type == "PlaceholderWithDefault" and "shape" in attrs:
        op.outputs[0]._shape = attrs["shape"]  # its constructor sets the shape so
    return op


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None,
                     op_dict=None, producer_op_list=None, clear_devices: bool = False):
    """Add the nodes of `graph_def` to the default graph, under the name scope `name`
    ('import' by default, '' for none); `input_map` {name: Tensor} replaces tensors of the
    imported graph by existing ones. Returns the elements named in `return_elements`."""
    graph = get_default_graph()
    scope = "import" if name is None else name.rstrip("/")
    input_map = {(k if ":" in k else k + ":0"): v for k, v in (input_map or {}).items()}
    _import_nodes(graph, list(graph_def.node), scope, clear_devices, input_map)
    if return_elements is None:
        return None
    return [graph.as_graph_element(_scoped(scope, e)) for e in return_elements]


def _import_nodes(graph, nodes, scope: str, clear_devices: bool, input_map=None) -> None:
    from flowlog.engine import api  # noqa: F401 - every op module registers its op types

    input_map = input_map or {}
    _check_op_types(nodes)
    for node in _topological(nodes):
        data, control = _input_names(node)
        inputs = []
        for op_name, index in data:
            key = f"{op_name}:{index}"
            inputs.append(input_map[key] if key in input_map else
                          graph.get_operation_by_name(_scoped(scope, op_name)).outputs[index])
        control_ops = [graph.get_operation_by_name(_scoped(scope, c)) for c in control]
        _create(graph, node, inputs, control_ops, scope, clear_devices)


def read_meta_graph(path_or_proto) -> checkpoint_pb2.MetaGraphDef:
    """A MetaGraphDef given as itself or as the path of a `.meta` file (binary or text)."""
    if isinstance(path_or_proto, checkpoint_pb2.MetaGraphDef):
        return path_or_proto
    if hasattr(path_or_proto, "SerializeToString"):  # another library's MetaGraphDef class
        return checkpoint_pb2.MetaGraphDef.FromString(path_or_proto.SerializeToString())
    path = os.fspath(path_or_proto)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise OSError(f"File {path} does not exist.") from None
    meta = checkpoint_pb2.MetaGraphDef()
    try:
        meta.ParseFromString(data)
    except DecodeError:
        try:
            text_format.Parse(data.decode("utf-8", errors="strict"), meta)
        except (UnicodeDecodeError, text_format.ParseError):
            raise errors.DataLossError(None, None, f"{path}: not a MetaGraphDef (a .meta "
                                       "file, binary or text)") from None
    return meta


def import_meta_graph(meta_graph_or_file, clear_devices: bool = False, import_scope=None,
                      **kwargs):
    """Rebuild the graph of a `.meta` file (or MetaGraphDef) in the default graph, with its
    collections; returns a Saver of its variables (None when it has none)."""
    from flowlog.engine.saver import Saver

    meta = read_meta_graph(meta_graph_or_file)
    graph = get_default_graph()
    scope = (import_scope or "").rstrip("/")
    saver_scope = _saver_scope(meta.saver_def)
    nodes = [n for n in meta.graph_def.node
             if not (saver_scope and n.name.startswith(saver_scope))]
    _import_nodes(graph, nodes, scope, clear_devices)
    _restore_collections(graph, meta, scope)
    variables = graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
    if not variables:
        return None
    keep = meta.saver_def.max_to_keep if meta.HasField("saver_def") else 5
    return Saver({v.op.name.removeprefix(scope + "/" if scope else ""): v for v in variables},
                 max_to_keep=keep)


def _saver_scope(saver_def) -> str:
    """'save/' for TensorFlow's Saver whose ops are `save/restore_all`, ...; '' for none."""
    name = saver_def.restore_op_name
    return name.rpartition("/")[0] + "/" if "/" in name else ""


def _restore_collections(graph, meta, scope: str) -> None:
    """Fill the graph's collections from `meta`; variables without a VariableDef in any
    collection (a graph written without collections) are made global variables."""
    made: dict[str, Variable] = {}
    for key, collection in meta.collection_def.items():
        kind = collection.WhichOneof("kind")
        if kind == "bytes_list" and key in _VARIABLE_COLLECTIONS:
            for raw in collection.bytes_list.value:
                vdef = checkpoint_pb2.VariableDef.FromString(raw)
                name = vdef.variable_name
                if name not in made:
                    made[name] = _variable(graph, vdef, scope)
                graph.add_to_collection(key, made[name])
        elif kind == "node_list":
            for name in collection.node_list.value:
                graph.add_to_collection(key, graph.as_graph_element(_scoped(scope, name)))
        elif kind in ("int64_list", "float_list"):
            for value in getattr(collection, kind).value:
                graph.add_to_collection(key, value)
    for v in made.values():  # VariableDefs of TF before 1.13 leave `trainable` out
        v._trainable = v._trainable or any(
            t is v for t in graph.get_collection(GraphKeys.TRAINABLE_VARIABLES))
    if not made:
        for op in graph.get_operations():
            if op.type == "VariableV2" and op.name.startswith(scope):
                v = _variable_of_ops(graph, op, scope)
                if v is not None:
                    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES):
                        graph.add_to_collection(key, v)


def _variable_of_ops(graph, op: Operation, scope: str) -> Variable | None:
    """The Variable of VariableV2 `op` by TF1's op names (`<name>/Assign`, `<name>/read`)."""
    local = op.name.removeprefix(scope + "/" if scope else "")
    names = graph._by_name
    if f"{op.name}/Assign" not in names:
        return None
    read = f"{local}/read:0" if f"{op.name}/read" in names else f"{local}:0"
    vdef = checkpoint_pb2.VariableDef(
        variable_name=f"{local}:0", initializer_name=f"{local}/Assign", snapshot_name=read,
        initial_value_name=names[f"{op.name}/Assign"].inputs[1].name.removeprefix(
            scope + "/" if scope else ""), trainable=True)
    return _variable(graph, vdef, scope)


def _variable(graph, vdef, scope: str) -> Variable:
    """A Variable over the ops a VariableDef names (a resource variable's `Read/...` as its
    value, its handle as the variable)."""
    def element(name):
        return graph.as_graph_element(_scoped(scope, name)) if name else None

    v = Variable.__new__(Variable)  # its ops exist already: only the object is made
    v._variable = element(vdef.variable_name)
    v._initializer_op = element(vdef.initializer_name)
    v._snapshot = element(vdef.snapshot_name) if vdef.snapshot_name else v._variable
    v._initial_value = element(vdef.initial_value_name)
    v._trainable = vdef.trainable
    v.constraint = None
    return v


# --- export --------------------------------------------------------------------------------


def collection_defs(graph) -> dict[str, checkpoint_pb2.CollectionDef]:
    """The graph's collections as TensorFlow writes them: variables as VariableDefs, tensors
    and operations by name. Collections of anything else (Python objects) are left out."""
    out = {}
    for key in graph.get_all_collection_keys():
        items = graph.get_collection(key)
        if not items:
            continue
        collection = checkpoint_pb2.CollectionDef()
        if all(isinstance(v, Variable) for v in items):
            collection.bytes_list.value.extend(
                _variable_def(v).SerializeToString() for v in items)
        elif all(isinstance(v, (Tensor, Operation)) for v in items):
            collection.node_list.value.extend(v.name for v in items)
        else:
            continue
        out[key] = collection
    return out


def _variable_def(v: Variable) -> checkpoint_pb2.VariableDef:
    initial = v.initial_value
    return checkpoint_pb2.VariableDef(
        variable_name=v.name, initializer_name=v.initializer.name,
        snapshot_name=v.value().name,
        initial_value_name=initial.name if initial is not None else "",
        trainable=v.trainable)


def meta_graph_def(graph, saver_def=None) -> checkpoint_pb2.MetaGraphDef:
    """The MetaGraphDef of `graph`: its GraphDef, collections and (if given) SaverDef."""
    meta = checkpoint_pb2.MetaGraphDef()
    meta.meta_info_def.meta_graph_version = "v1"
    meta.meta_info_def.tensorflow_version = "1.15.0"  # the TF1 behaviour flowlog follows
    meta.graph_def.CopyFrom(graph.as_graph_def(add_shapes=True))  # as TensorFlow's
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    for key, collection in collection_defs(graph).items():
        meta.collection_def[key].CopyFrom(collection)
    return meta


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text: bool = False, graph=None, **kwargs):
    """The default graph (or `graph`) as a MetaGraphDef, written to `filename` if given."""
    meta = meta_graph_def(graph or get_default_graph(), saver_def)
    if collection_list is not None:
        for key in list(meta.collection_def):
            if key not in collection_list:
                del meta.collection_def[key]
    if filename:
        data = text_format.MessageToString(meta).encode() if as_text \
            else meta.SerializeToString()
        with open(filename, "wb") as f:
            f.write(data)
    return meta


def write_graph(graph_or_graph_def, logdir, name: str, as_text: bool = True) -> str:
    """Write a graph's GraphDef to `logdir/name` (text by default, as TF1); returns the path."""
    graph_def = graph_or_graph_def.as_graph_def() if hasattr(graph_or_graph_def, "as_graph_def") \
        else graph_or_graph_def
    os.makedirs(os.fspath(logdir), exist_ok=True)
    path = os.path.join(os.fspath(logdir), name)
    data = text_format.MessageToString(graph_def).encode() if as_text \
        else graph_def.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    return path
