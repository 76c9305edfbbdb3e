"""TF1-shaped sample `GraphDef`s (the seed's neuron, an MLP with gradients and Adam) for views and tests."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from flowlog.proto import attr_value_pb2, graph_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

Shape = Sequence[int] | None  # None: unknown rank

_FLOAT, _INT = types_pb2.DT_FLOAT, types_pb2.DT_INT32
DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def _set_shape(proto, shape: Shape) -> None:
    if shape is None:
        proto.unknown_rank = True
        return
    for d in shape:
        proto.dim.add().size = d


class GraphDefBuilder:
    """Appends NodeDefs the way TensorFlow 1 names and annotates them (with `_output_shapes`)."""

    def __init__(self, device: str = DEVICE):
        self.graph = graph_pb2.GraphDef()
        self.graph.versions.producer = 27
        self.device = device

    def op(self, name: str, op: str, inputs: Iterable[str] = (), shapes: Iterable[Shape] = ((),),
           dtype: int | None = _FLOAT, t: int | None = None, **attrs) -> str:
        """Add a node; `shapes` are its outputs' shapes; returns the name."""
        node = self.graph.node.add(name=name, op=op, device=self.device)
        node.input.extend(inputs)
        if dtype is not None:
            node.attr["dtype"].type = dtype
        if t is not None:
            node.attr["T"].type = t
        for key, value in attrs.items():
            if isinstance(value, attr_value_pb2.AttrValue):
                node.attr[key].CopyFrom(value)
            elif isinstance(value, bool):
                node.attr[key].b = value
            elif isinstance(value, int):
                node.attr[key].i = value
            elif isinstance(value, str):
                node.attr[key].s = value.encode()
        out = node.attr["_output_shapes"].list
        for shape in shapes:
            _set_shape(out.shape.add(), shape)
        return name

    def const(self, name: str, values: Sequence, shape: Sequence[int] = (), dtype=_FLOAT) -> str:
        """A `Const` holding `values` (a single value fills the shape, as TF stores it)."""
        tensor = tensor_pb2.TensorProto(dtype=dtype)
        _set_shape(tensor.tensor_shape, shape)
        if dtype == types_pb2.DT_STRING:
            tensor.string_val.extend(v.encode() for v in values)
        elif dtype == _INT:
            tensor.int_val.extend(values)
        else:
            tensor.float_val.extend(values)
        return self.op(name, "Const", shapes=[shape], dtype=dtype,
                       value=attr_value_pb2.AttrValue(tensor=tensor))

    def variable(self, name: str, shape: Sequence[int], init: str) -> str:
        """`VariableV2` with its `Assign` and `read` ops, like `tf.Variable(init, name=name)`."""
        self.op(name, "VariableV2", shapes=[shape], container="", shared_name="",
                shape=attr_value_pb2.AttrValue(shape=_shape_proto(shape)))
        self.op(f"{name}/Assign", "Assign", [name, init], [shape], None, _FLOAT,
                use_locking=True, validate_shape=True)
        self.op(f"{name}/read", "Identity", [name], [shape], None, _FLOAT)
        return f"{name}/read"

    def tuple_deps(self, scope: str, outs: Sequence[str], shapes: Sequence[Shape]) -> list[str]:
        """`tf.tuple` as gradients use it: a `group_deps` NoOp and one Identity per tensor."""
        deps = self.op(f"{scope}/tuple/group_deps", "NoOp", [f"^{o}" for o in outs], [], None)
        names = []
        for i, (out, shape) in enumerate(zip(outs, shapes)):
            suffix = f"_{i}" if i else ""
            names.append(self.op(f"{scope}/tuple/control_dependency{suffix}", "Identity",
                                 [out, f"^{deps}"], [shape], None, _FLOAT))
        return names


def _shape_proto(shape: Shape):
    proto = tensor_shape_pb2.TensorShapeProto()
    _set_shape(proto, shape)
    return proto


def neuron_graphdef() -> graph_pb2.GraphDef:
    """The seed's single neuron trained by `GradientDescentOptimizer(0.025).minimize(loss)`."""
    b = GraphDefBuilder()
    b.const("input", [1.0])
    b.const("weight/initial_value", [0.8])
    b.variable("weight", (), "weight/initial_value")
    b.op("output", "Mul", ["weight/read", "input"], t=_FLOAT, dtype=None)
    b.const("correct_value", [0.0])
    b.op("sub", "Sub", ["output", "correct_value"], t=_FLOAT, dtype=None)
    b.const("loss/y", [2.0])
    b.op("loss", "Pow", ["sub", "loss/y"], t=_FLOAT, dtype=None)
    b.const("gradients/Shape", [], (0,), _INT)
    b.const("gradients/grad_ys_0", [1.0])
    b.op("gradients/Fill", "Fill", ["gradients/Shape", "gradients/grad_ys_0"], t=_FLOAT,
         dtype=None)
    b.op("gradients/loss_grad/mul", "Mul", ["gradients/Fill", "loss/y"], t=_FLOAT, dtype=None)
    b.const("gradients/loss_grad/sub/y", [1.0])
    b.op("gradients/loss_grad/sub", "Sub", ["loss/y", "gradients/loss_grad/sub/y"], t=_FLOAT,
         dtype=None)
    b.op("gradients/loss_grad/Pow", "Pow", ["sub", "gradients/loss_grad/sub"], t=_FLOAT,
         dtype=None)
    b.op("gradients/loss_grad/mul_1", "Mul", ["gradients/loss_grad/mul", "gradients/loss_grad/Pow"],
         t=_FLOAT, dtype=None)
    b.op("gradients/sub_grad/Neg", "Neg", ["gradients/loss_grad/mul_1"], t=_FLOAT, dtype=None)
    sub_grad = b.tuple_deps("gradients/sub_grad", ["gradients/loss_grad/mul_1",
                                                   "gradients/sub_grad/Neg"], [(), ()])
    b.op("gradients/output_grad/Mul", "Mul", [sub_grad[0], "input"], t=_FLOAT, dtype=None)
    b.op("gradients/output_grad/Mul_1", "Mul", [sub_grad[0], "weight/read"], t=_FLOAT, dtype=None)
    out_grad = b.tuple_deps("gradients/output_grad", ["gradients/output_grad/Mul",
                                                      "gradients/output_grad/Mul_1"], [(), ()])
    b.const("GradientDescent/learning_rate", [0.025])
    b.op("GradientDescent/update_weight/ApplyGradientDescent", "ApplyGradientDescent",
         ["weight", "GradientDescent/learning_rate", out_grad[0]], t=_FLOAT, dtype=None,
         use_locking=False)
    b.op("GradientDescent", "NoOp", ["^GradientDescent/update_weight/ApplyGradientDescent"], [],
         None)
    summaries = []
    for i, value in enumerate(["input", "weight/read", "output", "correct_value", "loss"]):
        name = "ScalarSummary" + (f"_{i}" if i else "")
        b.const(f"{name}/tags", [value.split("/")[0]], (), types_pb2.DT_STRING)
        summaries.append(b.op(name, "ScalarSummary", [f"{name}/tags", value], t=_FLOAT,
                              dtype=None))
    b.op("MergeSummary/MergeSummary", "MergeSummary", summaries, dtype=None, N=len(summaries))
    b.op("init", "NoOp", ["^weight/Assign"], [], None)
    return b.graph


def _dense_layer(b: GraphDefBuilder, scope: str, x: str, n_in: int, n_out: int, relu: bool):
    """Forward ops of one dense layer; returns (output, [(variable, shape)], cached tensors)."""
    b.const(f"{scope}/random_normal/shape", [n_in, n_out], (2,), _INT)
    b.const(f"{scope}/random_normal/mean", [0.0])
    b.const(f"{scope}/random_normal/stddev", [0.1])
    b.op(f"{scope}/random_normal/RandomStandardNormal", "RandomStandardNormal",
         [f"{scope}/random_normal/shape"], [(n_in, n_out)], t=_INT, seed=0, seed2=0)
    b.op(f"{scope}/random_normal/mul", "Mul", [f"{scope}/random_normal/RandomStandardNormal",
                                                 f"{scope}/random_normal/stddev"], [(n_in, n_out)],
         None, _FLOAT)
    b.op(f"{scope}/random_normal", "Add", [f"{scope}/random_normal/mul",
                                           f"{scope}/random_normal/mean"], [(n_in, n_out)],
         None, _FLOAT)
    w = b.variable(f"{scope}/W", (n_in, n_out), f"{scope}/random_normal")
    b.const(f"{scope}/zeros", [0.0], (n_out,))
    bias = b.variable(f"{scope}/b", (n_out,), f"{scope}/zeros")
    b.op(f"{scope}/MatMul", "MatMul", [x, w], [(-1, n_out)], None, _FLOAT,
         transpose_a=False, transpose_b=False)
    out = b.op(f"{scope}/add", "Add", [f"{scope}/MatMul", bias], [(-1, n_out)], None, _FLOAT)
    if relu:
        out = b.op(f"{scope}/Relu", "Relu", [out], [(-1, n_out)], None, _FLOAT)
    return out, [(f"{scope}/W", (n_in, n_out)), (f"{scope}/b", (n_out,))]


def _dense_grad(b: GraphDefBuilder, scope: str, x: str, grad: str, n_in: int, n_out: int,
                relu: bool) -> tuple[str, dict[str, str]]:
    """Backward ops of one dense layer under `gradients/`; returns (grad of x, var -> grad)."""
    g = f"gradients/{scope}"
    if relu:
        grad = b.op(f"{g}/Relu_grad/ReluGrad", "ReluGrad", [grad, f"{scope}/Relu"], [(-1, n_out)],
                    None, _FLOAT)
    b.op(f"{g}/add_grad/Shape", "Shape", [f"{scope}/MatMul"], [(2,)], None, _FLOAT, out_type=3)
    b.const(f"{g}/add_grad/Shape_1", [n_out], (1,), _INT)
    b.op(f"{g}/add_grad/BroadcastGradientArgs", "BroadcastGradientArgs",
         [f"{g}/add_grad/Shape", f"{g}/add_grad/Shape_1"], [(-1,), (-1,)], None, _INT)
    for i, shape_in in enumerate([f"{g}/add_grad/Shape", f"{g}/add_grad/Shape_1"]):
        suffix = f"_{i}" if i else ""
        b.op(f"{g}/add_grad/Sum{suffix}", "Sum",
             [grad, f"{g}/add_grad/BroadcastGradientArgs:{i}"], [None], None, _FLOAT,
             keep_dims=False)
        b.op(f"{g}/add_grad/Reshape{suffix}", "Reshape", [f"{g}/add_grad/Sum{suffix}", shape_in],
             [(-1, n_out) if i == 0 else (n_out,)], None, _FLOAT)
    add_g = b.tuple_deps(f"{g}/add_grad", [f"{g}/add_grad/Reshape", f"{g}/add_grad/Reshape_1"],
                         [(-1, n_out), (n_out,)])
    b.op(f"{g}/MatMul_grad/MatMul", "MatMul", [add_g[0], f"{scope}/W/read"], [(-1, n_in)], None,
         _FLOAT, transpose_a=False, transpose_b=True)
    b.op(f"{g}/MatMul_grad/MatMul_1", "MatMul", [x, add_g[0]], [(n_in, n_out)], None, _FLOAT,
         transpose_a=True, transpose_b=False)
    mm_g = b.tuple_deps(f"{g}/MatMul_grad", [f"{g}/MatMul_grad/MatMul",
                                             f"{g}/MatMul_grad/MatMul_1"],
                        [(-1, n_in), (n_in, n_out)])
    return mm_g[0], {f"{scope}/W": mm_g[1], f"{scope}/b": add_g[1]}


def _adam(b: GraphDefBuilder, grads: list[tuple[str, Shape, str]]) -> None:
    """`AdamOptimizer().minimize`: beta powers, two slots per variable, one ApplyAdam each."""
    for beta, value in (("beta1_power", 0.9), ("beta2_power", 0.999)):
        b.const(f"{beta}/initial_value", [value])
        b.variable(beta, (), f"{beta}/initial_value")
    for var, shape, _ in grads:
        for slot in ("Adam", "Adam_1"):
            b.const(f"{var}/{slot}/Initializer/zeros", [0.0], shape)
            b.variable(f"{var}/{slot}", shape, f"{var}/{slot}/Initializer/zeros")
    hyper = [b.const("Adam/learning_rate", [0.001]), b.const("Adam/beta1", [0.9]),
             b.const("Adam/beta2", [0.999]), b.const("Adam/epsilon", [1e-8])]
    updates = []
    for var, shape, grad in grads:
        leaf = var.replace("/", "_")
        updates.append(b.op(f"Adam/update_{leaf}/ApplyAdam", "ApplyAdam",
                            [var, f"{var}/Adam", f"{var}/Adam_1", "beta1_power/read",
                             "beta2_power/read", *hyper, grad], [shape], None, _FLOAT,
                            use_locking=False, use_nesterov=False))
    ctrl = [f"^{u}" for u in updates]
    b.op("Adam/mul", "Mul", ["beta1_power/read", "Adam/beta1", *ctrl], dtype=None, t=_FLOAT)
    b.op("Adam/Assign", "Assign", ["beta1_power", "Adam/mul", *ctrl], dtype=None, t=_FLOAT)
    b.op("Adam/mul_1", "Mul", ["beta2_power/read", "Adam/beta2", *ctrl], dtype=None, t=_FLOAT)
    b.op("Adam/Assign_1", "Assign", ["beta2_power", "Adam/mul_1", *ctrl], dtype=None, t=_FLOAT)
    b.op("Adam", "NoOp", [*ctrl, "^Adam/Assign", "^Adam/Assign_1"], [], None)


def mlp_graphdef(layers: int = 3, width: int = 64, n_in: int = 784,
                 n_out: int = 10) -> graph_pb2.GraphDef:
    """An MLP (`layer_0..`) with a mean-squared `loss`, `gradients/...` and Adam slots."""
    b = GraphDefBuilder()
    b.op("x", "Placeholder", shapes=[(-1, n_in)], shape=attr_value_pb2.AttrValue(
        shape=_shape_proto((-1, n_in))))
    b.op("y", "Placeholder", shapes=[(-1, n_out)], shape=attr_value_pb2.AttrValue(
        shape=_shape_proto((-1, n_out))))
    dims = [n_in] + [width] * (layers - 1) + [n_out]
    h, acts, variables = "x", [], []
    for i in range(layers):
        acts.append(h)
        h, vs = _dense_layer(b, f"layer_{i}", h, dims[i], dims[i + 1], i < layers - 1)
        variables += vs
    b.op("loss/sub", "Sub", [h, "y"], [(-1, n_out)], None, _FLOAT)
    b.op("loss/Square", "Square", ["loss/sub"], [(-1, n_out)], None, _FLOAT)
    b.const("loss/Const", [0, 1], (2,), _INT)
    b.op("loss/Mean", "Mean", ["loss/Square", "loss/Const"], [()], None, _FLOAT, keep_dims=False)
    b.const("loss_1/tags", ["loss"], (), types_pb2.DT_STRING)
    b.op("loss_1", "ScalarSummary", ["loss_1/tags", "loss/Mean"], dtype=None, t=_FLOAT)
    b.const("gradients/Shape", [], (0,), _INT)
    b.const("gradients/grad_ys_0", [1.0])
    b.op("gradients/Fill", "Fill", ["gradients/Shape", "gradients/grad_ys_0"], dtype=None,
         t=_FLOAT)
    b.const("gradients/loss/Mean_grad/Const", [float(n_out)])
    b.op("gradients/loss/Mean_grad/truediv", "RealDiv",
         ["gradients/Fill", "gradients/loss/Mean_grad/Const"], [(-1, n_out)], None, _FLOAT)
    b.const("gradients/loss/Square_grad/Const", [2.0])
    b.op("gradients/loss/Square_grad/Mul", "Mul", ["loss/sub", "gradients/loss/Square_grad/Const",
                                                   "^gradients/loss/Mean_grad/truediv"],
         [(-1, n_out)], None, _FLOAT)
    grad = b.op("gradients/loss/Square_grad/Mul_1", "Mul",
                ["gradients/loss/Mean_grad/truediv", "gradients/loss/Square_grad/Mul"],
                [(-1, n_out)], None, _FLOAT)
    var_grads: dict[str, str] = {}
    for i in reversed(range(layers)):
        grad, vg = _dense_grad(b, f"layer_{i}", acts[i], grad, dims[i], dims[i + 1],
                               i < layers - 1)
        var_grads.update(vg)
    _adam(b, [(v, shape, var_grads[v]) for v, shape in variables])
    b.op("init", "NoOp", [f"^{n.name}" for n in b.graph.node if n.op == "Assign"
                          and n.name.endswith("/Assign")], [], None)
    return b.graph


def sized_mlp_graphdef(n_ops: int) -> graph_pb2.GraphDef:
    """An `mlp_graphdef` with about `n_ops` operations (the depth is what grows)."""
    one, two = len(mlp_graphdef(1).node), len(mlp_graphdef(2).node)
    per_layer = two - one
    return mlp_graphdef(max(1, 1 + round((n_ops - one) / per_layer)))
