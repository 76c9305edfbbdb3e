"""An ONNX model as a TensorBoard GraphDef, laid out as tensorboardX's and torch's
`add_onnx_graph` write it, without the onnx package.

Each graph input and output becomes a `Variable` node with `dtype` (ONNX's element type
number) and `shape` attributes; each ONNX node becomes a node named after its first output,
with the ONNX op type, its inputs, and a `parameters` string listing every attribute's set
fields (`name = value = type, ...`).
"""

from __future__ import annotations

import os
from typing import Any

from google.protobuf.message import DecodeError

from flowlog.proto import attr_value_pb2, graph_pb2, onnx_model_pb2, tensor_shape_pb2


def load_onnx_model(model: Any) -> onnx_model_pb2.ModelProto:
    """A ModelProto from a .onnx path, its bytes, or an `onnx.ModelProto`."""
    if isinstance(model, (str, os.PathLike)):
        with open(model, "rb") as f:
            data = f.read()
    elif isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
    elif hasattr(model, "SerializeToString") and hasattr(model, "graph"):
        data = model.SerializeToString()
    else:
        raise TypeError(
            "add_onnx_graph: onnx_model_file must be the path of a .onnx file, its bytes or an "
            f"onnx.ModelProto, got {type(model).__name__}"
        )
    try:
        parsed = onnx_model_pb2.ModelProto.FromString(data)
    except DecodeError:
        raise ValueError(f"add_onnx_graph: {model!r:.80} is not an ONNX model") from None
    if not parsed.HasField("graph"):
        raise ValueError(f"add_onnx_graph: {model!r:.80} holds no ONNX graph")
    return parsed


def onnx_graph_def(model: Any) -> graph_pb2.GraphDef:
    """The GraphDef of an ONNX model (see the module docstring for the layout)."""
    graph = load_onnx_model(model).graph
    nodes = []
    for value in (*graph.input, *graph.output):
        tensor_type = value.type.tensor_type
        shape = tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d.dim_value)
                 for d in tensor_type.shape.dim]
        )
        node = graph_pb2.NodeDef(name=value.name, op="Variable")
        node.attr["dtype"].CopyFrom(attr_value_pb2.AttrValue(type=tensor_type.elem_type))
        node.attr["shape"].CopyFrom(attr_value_pb2.AttrValue(shape=shape))
        nodes.append(node)
    for op in graph.node:
        params = ", ".join(
            " = ".join(str(v) for _, v in attribute.ListFields()) for attribute in op.attribute
        )
        node = graph_pb2.NodeDef(
            name=op.output[0] if op.output else op.name, op=op.op_type, input=op.input
        )
        node.attr["parameters"].CopyFrom(attr_value_pb2.AttrValue(s=params.encode("utf-8")))
        nodes.append(node)
    return graph_pb2.GraphDef(node=nodes, versions=graph_pb2.VersionDef(producer=22))
