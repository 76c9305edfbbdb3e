"""A GraphDef shaped like a Keras model called in a TF1 graph and trained with Adam (as TF writes it).

Keras puts each layer's variables in a top-level scope named after the layer
(`conv2_block1_1_conv/kernel`, with initialiser, `Assign`, `Read` and Adam slots) and the layer's
ops inside the model's scope (`resnet/conv2_block1_1_conv/Conv2D`); `tf.compat.v1` adds
`gradients/resnet/...`, `Adam/update_<var>/ResourceApplyAdam`, `beta1_power`, `init` and `save/`.
"""
from __future__ import annotations

from graph_samples import GraphDefBuilder

from flowlog.proto import graph_pb2, types_pb2

_FLOAT = types_pb2.DT_FLOAT


def _variable(b: GraphDefBuilder, name: str, shape: tuple[int, ...]) -> str:
    """A resource variable as Keras creates it: handle, initialiser, assign, is-initialised."""
    b.const(f"{name}/Initializer/random_uniform/shape", list(shape), (len(shape),),
            types_pb2.DT_INT32)
    b.op(f"{name}/Initializer/random_uniform/RandomUniform", "RandomUniform",
         [f"{name}/Initializer/random_uniform/shape"], [shape], None, types_pb2.DT_INT32)
    b.op(name, "VarHandleOp", shapes=[()], dtype=_FLOAT, shared_name=name)
    b.op(f"{name}/IsInitialized/VarIsInitializedOp", "VarIsInitializedOp", [name], [()], None)
    b.op(f"{name}/Assign", "AssignVariableOp",
         [name, f"{name}/Initializer/random_uniform/RandomUniform"], [], _FLOAT)
    b.op(f"{name}/Read/ReadVariableOp", "ReadVariableOp", [name], [shape], _FLOAT)
    return name


def keras_graphdef(stages: tuple[int, ...] = (3, 4), width: int = 16,
                   model: str = "resnet") -> graph_pb2.GraphDef:
    """A small ResNet-like Keras model in a TF1 graph: blocks `conv<s>_block<b>_<k>_conv`."""
    b = GraphDefBuilder()
    x = b.op("images", "Placeholder", shapes=[(-1, 32, 32, 3)])
    b.op("labels", "Placeholder", shapes=[(-1,)], dtype=types_pb2.DT_INT64)
    layers: list[tuple[str, str]] = []  # (layer name, its variable)
    shape = (-1, 32, 32, width)

    def conv(layer: str, inp: str) -> str:
        var = _variable(b, f"{layer}/kernel", (3, 3, width, width))
        layers.append((layer, var))
        read = b.op(f"{model}/{layer}/Conv2D/ReadVariableOp", "ReadVariableOp", [var], [None])
        out = b.op(f"{model}/{layer}/Conv2D", "Conv2D", [inp, read], [shape], None, _FLOAT)
        return b.op(f"{model}/{layer}/Relu", "Relu", [out], [shape], None, _FLOAT)

    x = conv("conv1_conv", x)
    for s, blocks in enumerate(stages, start=2):
        for blk in range(1, blocks + 1):
            name = f"conv{s}_block{blk}"
            h = conv(f"{name}_1_conv", x)
            h = conv(f"{name}_2_conv", h)
            x = b.op(f"{model}/{name}_add/add", "AddV2", [x, h], [shape], None, _FLOAT)
    var = _variable(b, "predictions/kernel", (width, 10))
    layers.append(("predictions", var))
    b.op(f"{model}/avg_pool/Mean", "Mean", [x], [(-1, width)], None, _FLOAT)
    read = b.op(f"{model}/predictions/MatMul/ReadVariableOp", "ReadVariableOp", [var], [None])
    logits = b.op(f"{model}/predictions/MatMul", "MatMul", [f"{model}/avg_pool/Mean", read],
                  [(-1, 10)], None, _FLOAT)
    loss = b.op("loss/SparseSoftmaxCrossEntropyWithLogits",
                "SparseSoftmaxCrossEntropyWithLogits", [logits, "labels"], [(-1,)], None, _FLOAT)
    grad = b.op("gradients/Fill", "Fill", [loss], [(-1,)], None, _FLOAT)
    for p in ("beta1_power", "beta2_power"):
        _variable(b, p, ())
    updates = []
    for layer, var in reversed(layers):
        grad = b.op(f"gradients/{model}/{layer}/grad", "Conv2DBackpropFilter",
                    [grad, f"{model}/{layer}/Conv2D/ReadVariableOp"], [None], None, _FLOAT)
        slots = [_variable(b, f"{var}/{slot}", (3, 3, width, width)) for slot in ("Adam", "Adam_1")]
        updates.append(b.op(f"Adam/update_{var}/ResourceApplyAdam", "ResourceApplyAdam",
                            [var, *slots, "beta1_power", "beta2_power", grad], [], None, _FLOAT))
    b.op("Adam", "NoOp", [f"^{u}" for u in updates], [], None)
    b.op("init", "NoOp", [f"^{n.name}" for n in b.graph.node if n.op == "AssignVariableOp"], [],
         None)
    variables = [n.name for n in b.graph.node if n.op == "VarHandleOp"]
    b.const("save/SaveV2/tensor_names", variables, (len(variables),), types_pb2.DT_STRING)
    b.op("save/SaveV2", "SaveV2", ["save/SaveV2/tensor_names", *variables], [], None)
    return b.graph
