"""The graph as protobufs: `GraphDef` / `NodeDef` with TF's attrs, for TensorBoard and printing."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.framework import Graph, Operation
from flowlog.engine.shapes import TensorShape
from google.protobuf import text_format

from flowlog.proto import attr_value_pb2, graph_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

GRAPH_DEF_PRODUCER = 27  # the GraphDef version TF 1.x graphs of the tutorials' era carry

# The repeated field of TensorProto that holds single values of each dtype.
_VALUE_FIELD = {
    types_pb2.DT_FLOAT: "float_val", types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_INT32: "int_val", types_pb2.DT_INT16: "int_val", types_pb2.DT_INT8: "int_val",
    types_pb2.DT_UINT8: "int_val", types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_INT64: "int64_val", types_pb2.DT_BOOL: "bool_val",
    types_pb2.DT_UINT32: "uint32_val", types_pb2.DT_UINT64: "uint64_val",
}

def _text(message) -> str:
    return text_format.MessageToString(message)


# `print(op.node_def)` shows what TF1 showed: attrs sorted by key, floats as `1.0`. The upb
# printer that `str()` uses otherwise orders map entries by hash and writes floats as `1`.
graph_pb2.NodeDef.__str__ = _text
graph_pb2.GraphDef.__str__ = _text

# Ops whose op definitions have no element type `T` (their inputs do not share one).
_NO_T = frozenset({"NoOp", "MergeSummary", "Cast", "Print", "LogicalAnd", "LogicalOr",
                   "LogicalNot", "Range", "All", "Any", "GatherV2"})

# Type attributes of TF's op definitions that name one input's dtype (attr: input position),
# and attribute defaults TF writes into every NodeDef of the type: a NodeDef we write carries
# the attrs TensorFlow's does, whatever the constructor recorded.
_REDUCTIONS = ("Sum", "Mean", "Prod", "Max", "Min", "All", "Any")
_INPUT_TYPES = {
    **{t: {"Tidx": 1} for t in (*_REDUCTIONS, "ArgMax", "ArgMin", "BroadcastTo", "Cumsum")},
    "ConcatV2": {"Tidx": -1}, "Range": {"Tidx": 0}, "Reshape": {"Tshape": 1},
    "ExpandDims": {"Tdim": 1}, "Tile": {"Tmultiples": 1},
    "Slice": {"Index": 1}, "StridedSlice": {"Index": 1}, "Transpose": {"Tperm": 1},
    "GatherV2": {"Tparams": 0, "Tindices": 1, "Taxis": 2}, "OneHot": {"TI": 0},
    "Pad": {"Tpaddings": 1}, "UnsortedSegmentSum": {"Tindices": 1, "Tnumsegments": 2},
    "SparseSoftmaxCrossEntropyWithLogits": {"Tlabels": 1},
    "Select": {"T": 1}, "SelectV2": {"T": 1}, "Fill": {"index_type": 0, "T": 1},
}
_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")
_DEFAULTS = {
    **{t: {"keep_dims": False} for t in _REDUCTIONS},
    "Cast": {"Truncate": False}, "Equal": {"incompatible_shape_error": True},
    "NotEqual": {"incompatible_shape_error": True}, "Pack": {"axis": 0},
    "MatMul": {"transpose_a": False, "transpose_b": False, "grad_a": False, "grad_b": False},
    "StridedSlice": dict.fromkeys(_MASKS, 0), "BiasAdd": {"data_format": "NHWC"},
    "ApplyGradientDescent": {"use_locking": False},
    "ApplyAdam": {"use_locking": False, "use_nesterov": False},
    "AssignAdd": {"use_locking": False}, "AssignSub": {"use_locking": False},
}


def _schema_attrs(op: Operation) -> dict:
    """The attrs TF's definition of `op.type` gives it that `op.attrs` leaves out."""
    out = dict(_DEFAULTS.get(op.type, {}))
    for attr, index in _INPUT_TYPES.get(op.type, {}).items():
        if op.inputs and -len(op.inputs) <= index < len(op.inputs):
            out[attr] = op.inputs[index].dtype.base_dtype
    return {k: v for k, v in out.items() if k not in op.attrs}


def shape_proto(shape) -> tensor_shape_pb2.TensorShapeProto:
    """A TensorShapeProto: `unknown_rank` for an unknown shape, size -1 for unknown dims."""
    shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
    if shape.dims is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else d)
            for d in shape.dims]
    return tensor_shape_pb2.TensorShapeProto(dim=dims)


def tensor_proto(value, dtype=None, filled: bool = False) -> tensor_pb2.TensorProto:
    """A TensorProto of an array: one value in its typed field, several as `tensor_content`.

    `filled` (a constant made from one value and a shape) stores that value once, with the
    shape, as TF's make_tensor_proto does.
    """
    arr = np.asarray(value) if dtype is None or dtype is not dtypes.string else \
        np.asarray(value, dtype=object)
    dtype = dtypes.as_dtype(dtype if dtype is not None else arr.dtype).base_dtype
    enum = dtype.as_datatype_enum
    proto = tensor_pb2.TensorProto(dtype=enum, tensor_shape=shape_proto(arr.shape))
    if dtype is dtypes.string:
        proto.string_val.extend(x.encode() if isinstance(x, str) else bytes(x) for x in arr.flat)
    elif dtype is dtypes.float16:
        proto.half_val.extend(arr.astype(np.float16).reshape(-1).view(np.uint16).tolist())
    elif arr.size == 1 or (filled and arr.size):
        getattr(proto, _VALUE_FIELD[enum]).extend(arr.reshape(-1)[:1].tolist())
    elif arr.size:
        little = np.dtype(dtype.as_numpy_dtype).newbyteorder("<")
        proto.tensor_content = np.ascontiguousarray(arr, dtype=little).tobytes()
    return proto


def attr_value(value) -> attr_value_pb2.AttrValue | None:
    """The AttrValue of a Python attribute value (None when it has no protobuf form)."""
    av = attr_value_pb2.AttrValue
    if isinstance(value, dtypes.DType):
        return av(type=value.base_dtype.as_datatype_enum)
    if isinstance(value, TensorShape):
        return av(shape=shape_proto(value))
    if isinstance(value, np.ndarray):
        return av(tensor=tensor_proto(value))
    if isinstance(value, (bool, np.bool_)):
        return av(b=bool(value))
    if isinstance(value, (int, np.integer)):
        return av(i=int(value))
    if isinstance(value, (float, np.floating)):
        return av(f=float(value))
    if isinstance(value, str):
        return av(s=value.encode())
    if isinstance(value, bytes):
        return av(s=value)
    if isinstance(value, (list, tuple)):
        return _list_value(value)
    return None


def _list_value(values) -> attr_value_pb2.AttrValue | None:
    lv = attr_value_pb2.AttrValue.ListValue()
    for v in values:
        if isinstance(v, dtypes.DType):
            lv.type.append(v.base_dtype.as_datatype_enum)
        elif isinstance(v, TensorShape):
            lv.shape.append(shape_proto(v))
        elif isinstance(v, (bool, np.bool_)):
            lv.b.append(bool(v))
        elif isinstance(v, (int, np.integer)):
            lv.i.append(int(v))
        elif isinstance(v, (float, np.floating)):
            lv.f.append(float(v))
        elif isinstance(v, (str, bytes)):
            lv.s.append(v.encode() if isinstance(v, str) else v)
        else:
            return None
    return attr_value_pb2.AttrValue(list=lv)


def _input_name(t) -> str:
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def node_def(op: Operation, add_shapes: bool = False) -> graph_pb2.NodeDef:
    """The NodeDef of `op`: inputs as `name` / `name:1`, control inputs `^name` last."""
    node = graph_pb2.NodeDef(name=op.name, op=op.type, device=op.device)
    node.input.extend(_input_name(t) for t in op.inputs)
    node.input.extend("^" + c.name for c in op.control_inputs)
    for key, value in {**op.attrs, **_schema_attrs(op)}.items():
        av = attr_value(value)
        if key == "value" and getattr(op, "_filled", False):
            av = attr_value_pb2.AttrValue(tensor=tensor_proto(value, filled=True))
        if av is not None:
            node.attr[key].CopyFrom(av)
    if op.inputs and "T" not in node.attr and op.type not in _NO_T:
        typed = [t for t in op.inputs if t.dtype.base_dtype is not dtypes.string]
        if typed:
            node.attr["T"].type = typed[0].dtype.base_dtype.as_datatype_enum
    if add_shapes and op.outputs:
        node.attr["_output_shapes"].list.shape.extend(shape_proto(t.shape) for t in op.outputs)
    return node


def graph_def(graph: Graph, add_shapes: bool = False) -> graph_pb2.GraphDef:
    """The GraphDef of every op of `graph`, in creation order."""
    gd = graph_pb2.GraphDef(versions=graph_pb2.VersionDef(producer=GRAPH_DEF_PRODUCER))
    gd.node.extend(node_def(op, add_shapes) for op in graph.get_operations())
    return gd
