"""add_graph of a torch model: the GraphDef torch writes for it, node for node."""

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import flowlog as fl
from flowlog.graph.dot import build_view
from flowlog.graph.model import GraphModel
from flowlog.proto import graph_pb2


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.classifier = nn.Sequential(nn.Dropout(0.25), nn.Linear(4 * 7 * 7, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def _graph(logdir):
    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return graph_pb2.GraphDef.FromString(acc.Graph().SerializeToString()), acc


def _nodes(graph):
    return [
        (n.name, n.op, list(n.input),
         [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape])
        for n in graph.node
    ]


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """The graph torch writes for SmallCNN and the one flowlog writes, from one trace each."""
    root = tmp_path_factory.mktemp("graphs")
    model, images = SmallCNN().train(), torch.randn(2, 1, 14, 14, requires_grad=True)
    with TorchWriter(str(root / "torch")) as w:
        w.add_graph(model, images)
    with fl.SummaryWriter(root / "ours") as w:
        w.add_graph(model, images)
    return _graph(root / "torch"), _graph(root / "ours"), model


def test_cnn_graph_has_torchs_names_scopes_shapes_and_inputs(graphs):
    (theirs, their_acc), (ours, our_acc), _ = graphs
    assert _nodes(ours) == _nodes(theirs)
    assert [n.attr["attr"].s for n in ours.node] == [n.attr["attr"].s for n in theirs.node]
    assert ours.versions.producer == theirs.versions.producer == 22
    names = [n.name for n in ours.node]
    assert names[0].startswith("input/x") and names[1] == "output/output.1"
    conv = next(n for n in ours.node if n.op == "aten::_convolution")
    assert conv.name.startswith("SmallCNN/Sequential[features]/Conv2d[0]/")
    assert conv.attr["_output_shapes"].list.shape[0].dim[1].size == 4
    linear = next(n for n in ours.node if n.op == "aten::linear")
    assert linear.name.startswith("SmallCNN/Sequential[classifier]/Linear[1]/")
    assert [d.size for d in linear.attr["_output_shapes"].list.shape[0].dim] == [2, 10]
    weight = next(n for n in ours.node if n.name.endswith("Linear[1]/weight/weight"))
    assert weight.op == "prim::GetAttr"
    # the device step stats torch adds beside the graph
    assert our_acc.RunMetadata("step1") == their_acc.RunMetadata("step1")


def test_cnn_graph_draws_with_torchs_module_scopes(graphs):
    """The graph view groups ops by module (`SmallCNN/Sequential[features]/Conv2d[0]`) as
    collapsible scopes, the same for torch's file and ours, with shapes on the edges."""
    (theirs, _), (ours, _), _ = graphs
    model = GraphModel(ours)
    assert sorted(model.scopes) == sorted(GraphModel(theirs).scopes)
    assert {"SmallCNN", "SmallCNN/Sequential[features]/Conv2d[0]",
            "SmallCNN/Sequential[features]/BatchNorm2d[1]",
            "SmallCNN/Sequential[classifier]/Linear[1]"} <= set(model.scopes)

    def boxes(view):
        return sorted((u["kind"], u["name"]) for u in view.units.values())

    view = build_view(model)
    assert boxes(view) == boxes(build_view(GraphModel(theirs)))
    assert view.opened == ["SmallCNN", "SmallCNN/Sequential[features]"]
    assert {("scope", "SmallCNN/Sequential[features]/Conv2d[0]"),
            ("scope", "SmallCNN/Sequential[features]/MaxPool2d[3]"),
            ("scope", "SmallCNN/Sequential[classifier]")} <= set(boxes(view))
    assert '" (2, 1, 14, 14)"' in view.dot and '" (2, 4, 7, 7)"' in view.dot
    closed = build_view(model, [])
    assert boxes(closed) == [("scope", "SmallCNN"), ("scope", "input"), ("scope", "output")]
    opened = build_view(model, ["SmallCNN/Sequential[classifier]/Linear[1]"])
    linear = next(u for u in opened.units.values() if u.get("op") == "aten::linear")
    assert linear["name"].startswith("SmallCNN/Sequential[classifier]/Linear[1]/")


def test_tracing_leaves_the_model_in_its_mode(graphs):
    _, _, model = graphs
    assert model.training  # traced in eval mode (dropout off), then put back


def test_a_tuple_of_inputs_and_graph_bytes_still_work(tmp_path):
    class Pair(nn.Module):
        def forward(self, a, b):
            return a * b + 1

    with fl.SummaryWriter(tmp_path) as w:
        w.add_graph(Pair(), (torch.ones(3), torch.ones(3)))
    graph, _ = _graph(tmp_path)
    assert {"input/a", "input/b", "output/output.1"} <= {n.name for n in graph.node}
    with fl.SummaryWriter(tmp_path / "bytes") as w:
        w.add_graph(graph.SerializeToString())
    assert _graph(tmp_path / "bytes")[0] == graph


def _onnx_model():
    """A small ONNX model (Conv, Relu, Gemm) with typed inputs, outputs and attributes."""
    from flowlog.proto import onnx_model_pb2 as onnx

    attr = onnx.AttributeProto
    graph = onnx.GraphProto(name="net")
    for values, dims in ((graph.input, ("batch", 1, 8, 8)), (graph.output, ("batch", 10))):
        value = values.add(name="x" if values is graph.input else "y")
        value.type.tensor_type.elem_type = 1  # FLOAT
        for d in dims:
            dim = value.type.tensor_type.shape.dim.add()
            if isinstance(d, str):
                dim.dim_param = d
            else:
                dim.dim_value = d
    graph.node.add(op_type="Conv", input=["x", "w", "b"], output=["c"], name="conv", attribute=[
        attr(name="kernel_shape", ints=[3, 3], type=attr.INTS),
        attr(name="strides", ints=[1, 1], type=attr.INTS),
    ])
    graph.node.add(op_type="Relu", input=["c"], output=["r"])
    graph.node.add(op_type="Gemm", input=["r", "fc_w"], output=["y"], attribute=[
        attr(name="alpha", f=0.5, type=attr.FLOAT), attr(name="transB", i=1, type=attr.INT),
    ])
    return onnx.ModelProto(ir_version=7, producer_name="test", graph=graph)


def test_add_onnx_graph_lays_out_nodes_as_tensorboardx_and_torch_do(tmp_path, capsys):
    from tensorboardX.onnx_graph import parse as tbx_parse
    from torch.utils.tensorboard._onnx_graph import parse as torch_parse

    model = _onnx_model()
    path = tmp_path / "net.onnx"
    path.write_bytes(model.SerializeToString())
    with fl.SummaryWriter(tmp_path / "ours") as w:
        w.add_onnx_graph(str(path))
    ours, _ = _graph(tmp_path / "ours")
    # Both peers need the onnx package to read the file; their converters take the graph.
    for parse in (tbx_parse, torch_parse):
        theirs = graph_pb2.GraphDef.FromString(parse(model.graph).SerializeToString())
        assert ours == theirs
    capsys.readouterr()  # the peers print every node name
    by_name = {n.name: n for n in ours.node}
    assert by_name["c"].op == "Conv" and list(by_name["c"].input) == ["x", "w", "b"]
    assert b"kernel_shape = [3, 3] = 7" in by_name["c"].attr["parameters"].s
    assert [d.size for d in by_name["x"].attr["shape"].shape.dim] == [0, 1, 8, 8]
    with fl.SummaryWriter(tmp_path / "bad") as w, pytest.raises(ValueError, match="not an ONNX"):
        w.add_onnx_graph(b"\xff\xff")


def test_pytorch_tensorboard_tutorial_runs_with_only_the_import_changed(tmp_path):
    """The steps of PyTorch's "Visualizing models, data and training with TensorBoard"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    torch.manual_seed(0)
    images, labels = torch.rand(8, 1, 28, 28), torch.arange(8) % 4
    classes = ("T-shirt", "Trouser", "Pullover", "Dress")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(6 * 12 * 12, 4)

        def forward(self, x):
            return self.fc1(torch.flatten(self.pool(torch.relu(self.conv1(x))), 1))

    def tutorial(writer_class, logdir):
        net = Net()
        writer = writer_class(logdir)
        writer.add_image("four_fashion_mnist_images", images[:4].mean(0))
        writer.add_graph(net, images)
        writer.close()  # the tutorial closes here and keeps logging
        writer.add_embedding(images.view(-1, 28 * 28), metadata=[classes[i] for i in labels],
                             label_img=images)
        for step in range(3):
            loss = nn.functional.cross_entropy(net(images), labels)
            loss.backward()
            writer.add_scalar("training loss", loss, step)
            fig = plt.figure(figsize=(2, 2))
            plt.imshow(images[0, 0].numpy())
            writer.add_figure("predictions vs. actuals", fig, global_step=step)
        probs = torch.softmax(net(images), 1)
        for i, name in enumerate(classes):
            writer.add_pr_curve(name, labels == i, probs[:, i], global_step=0)
        writer.close()
        acc = EventAccumulator(logdir, size_guidance={"images": 0, "tensors": 0, "scalars": 0})
        acc.Reload()
        return {k: sorted(v) for k, v in acc.Tags().items() if isinstance(v, list) and v}

    ours = tutorial(fl.SummaryWriter, str(tmp_path / "ours"))
    assert ours == tutorial(TorchWriter, str(tmp_path / "torch"))
    assert ours["scalars"] == ["training loss"] and len(ours["tensors"]) == 4
    assert ours["images"] == ["four_fashion_mnist_images", "predictions vs. actuals"]
    assert len(fl.read_embeddings(tmp_path)["ours"][0].tensor) == 8
