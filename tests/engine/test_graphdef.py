"""GraphDef / NodeDef: TF's inputs, attrs and values, readable by TensorBoard's graph backend."""
from __future__ import annotations

import glob

import numpy as np
import pytest
from flowlog.engine.graphdef import tensor_proto

import flowlog as fl
from flowlog.events.values import EventFileReader, decode_tensor
from flowlog.proto import graph_pb2, types_pb2


def nodes() -> dict:
    return {n.name: n for n in fl.get_default_graph().as_graph_def().node}


def test_variable_and_assign_attrs():
    fl.Variable(np.zeros((2, 3), np.float32), name="w")
    n = nodes()
    assert n["w"].op == "VariableV2" and n["w"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in n["w"].attr["shape"].shape.dim] == [2, 3]
    assert list(n["w/Assign"].input) == ["w", "w/initial_value"]
    assert n["w/Assign"].attr["T"].type == types_pb2.DT_FLOAT
    assert n["w/Assign"].attr["validate_shape"].b is True
    assert list(n["w/read"].input) == ["w"] and n["w/read"].attr["T"].type == types_pb2.DT_FLOAT
    value = n["w/initial_value"].attr["value"].tensor
    assert value.tensor_content and decode_tensor(value).shape == (2, 3)


def test_inputs_name_outputs_and_control_inputs():
    a = fl.placeholder(fl.float32, [None, 2], name="a")
    b = fl.matmul(a, fl.constant(np.ones((2, 2), np.float32)), transpose_b=True, name="b")
    with fl.control_dependencies([b]):
        c = fl.identity(a, name="c")
    grads = fl.gradients(fl.reduce_sum(b * b), a)
    n = nodes()
    assert list(n["c"].input) == ["a", "^b"]
    assert n["b"].attr["transpose_b"].b is True and n["b"].attr["transpose_a"].b is False
    assert n["a"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in n["a"].attr["shape"].shape.dim] == [-1, 2]
    second_outputs = [i for node in n.values() for i in node.input if i.endswith(":1")]
    assert any("BroadcastGradientArgs:1" in i for i in second_outputs)
    assert c.op.node_def == n["c"] and grads[0] is not None


def test_unknown_shapes_and_output_shapes():
    x = fl.placeholder(fl.int32, name="x")
    fl.add(x, 1, name="y")
    plain = nodes()
    assert plain["x"].attr["shape"].shape.unknown_rank
    assert "_output_shapes" not in plain["y"].attr
    shaped = {n.name: n for n in fl.get_default_graph().as_graph_def(add_shapes=True).node}
    assert shaped["y"].attr["_output_shapes"].list.shape[0].unknown_rank
    assert shaped["y/y"].attr["_output_shapes"].list.shape[0].dim == []


@pytest.mark.parametrize("value, dtype, field", [
    (np.float32(1.5), fl.float32, "float_val"),
    (np.int64(7), fl.int64, "int64_val"),
    (np.array([True]), fl.bool, "bool_val"),
    (np.array(["a", "bc"], dtype=object), fl.string, "string_val"),
    (np.arange(6, dtype=np.int32).reshape(2, 3), fl.int32, "tensor_content"),
    (np.array([0.5, 2.0], np.float16), fl.float16, "half_val"),
])
def test_tensor_proto_round_trips(value, dtype, field):
    proto = tensor_proto(value, dtype)
    assert len(getattr(proto, field))
    back = decode_tensor(proto)
    if dtype is fl.string:
        assert back.tolist() == [b"a", b"bc"]
    else:
        np.testing.assert_array_equal(back, np.asarray(value))


def test_graph_def_versions_and_round_trip():
    fl.constant(1.0)
    gd = fl.get_default_graph().as_graph_def()
    assert gd.versions.producer > 0
    assert graph_pb2.GraphDef.FromString(gd.SerializeToString()) == gd
    assert 'name: "Const"' in str(gd)


def test_tensorboard_reads_and_prepares_the_graph(tmp_path):
    from tensorboard.backend import process_graph
    from tensorboard.backend.event_processing import event_accumulator

    x = fl.placeholder(fl.float32, [None, 3], name="x")
    w = fl.Variable(np.ones((3, 1), np.float32), name="w")
    loss = fl.reduce_mean(fl.square(fl.matmul(x, w)), name="loss")
    fl.train.AdamOptimizer(0.1).minimize(loss)
    with fl.summary.FileWriter(str(tmp_path), fl.get_default_graph()):
        pass
    acc = event_accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    graph = acc.Graph()
    process_graph.prepare_graph_for_ui(graph, limit_attr_size=1024, large_attrs_key="_too_large")
    ours = [op.name for op in fl.get_default_graph().get_operations()]
    assert [n.name for n in graph.node] == ours
    by_name = {n.name: n for n in graph.node}
    assert by_name["Adam/update_w/ApplyAdam"].op == "ApplyAdam"
    assert by_name["Adam/update_w/ApplyAdam"].input[0] == "w"
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    assert any(e.HasField("graph_def") for e in EventFileReader(path).read())


# --- as TensorFlow writes them: colocation groups, op-definition attrs, filled constants ------


def _groups(node) -> list[str]:
    return [s.decode() for s in node.attr["_class"].list.s]


def test_colocation_groups_as_tensorflow_writes_them():
    # The `_class` attrs below are those TensorFlow 2's tf.compat.v1 writes for this program.
    x = fl.placeholder(fl.float32, [None, 4])
    with fl.variable_scope("hidden"):
        w = fl.get_variable("W", [4, 3])
    w2 = fl.Variable(fl.zeros([3, 2]), name="W2")
    loss = fl.reduce_sum(fl.matmul(fl.matmul(x, w), w2))
    fl.train.AdamOptimizer(0.1).minimize(loss)
    n = nodes()
    for name in ("hidden/W/Initializer/random_uniform/shape", "hidden/W/Initializer/random_uniform",
                 "hidden/W", "hidden/W/Assign", "hidden/W/read", "hidden/W/Adam",
                 "hidden/W/Adam/Assign", "Adam/update_hidden/W/ApplyAdam"):
        assert _groups(n[name]) == ["loc:@hidden/W"], name
    assert "_class" not in n["W2"].attr and "_class" not in n["zeros"].attr
    assert _groups(n["W2/Assign"]) == _groups(n["W2/read"]) == ["loc:@W2"]
    # Adam's step counters live with the first variable by name ('W2' < 'hidden/W').
    for name in ("beta1_power/initial_value", "beta1_power", "beta1_power/Assign", "Adam/mul"):
        assert _groups(n[name]) == ["loc:@W2"], name
    assert fl.get_default_graph().get_operation_by_name("W2/read").colocation_groups() == [
        b"loc:@W2"]


def test_op_definition_attrs_and_filled_constants():
    x = fl.placeholder(fl.float32, [None, 3])
    total = fl.reduce_sum(x, 1)
    flat = fl.reshape(x, [-1])
    as_int = fl.cast(x, fl.int32)
    r = fl.range(5)
    eq = fl.equal(x, x)
    zeros = fl.zeros([16])
    filled = fl.fill([2, 2], 3.0)
    product = fl.matmul(x, fl.ones([3, 1]))
    n = nodes()
    assert n[filled.op.name].attr["T"].type == types_pb2.DT_FLOAT  # the value's type
    assert n[filled.op.name].attr["index_type"].type == types_pb2.DT_INT32
    assert n[product.op.name].attr["grad_a"].b is False
    assert n[total.op.name].attr["Tidx"].type == types_pb2.DT_INT32
    assert n[total.op.name].attr["keep_dims"].b is False
    assert n[flat.op.name].attr["Tshape"].type == types_pb2.DT_INT32
    assert n[as_int.op.name].attr["Truncate"].b is False
    assert "T" not in n[r.op.name].attr and n[r.op.name].attr["Tidx"].type == types_pb2.DT_INT32
    assert n[eq.op.name].attr["incompatible_shape_error"].b is True
    value = n[zeros.op.name].attr["value"].tensor  # TF stores a filled constant's value once
    assert list(value.float_val) == [0.0] and [d.size for d in value.tensor_shape.dim] == [16]
    assert not value.tensor_content
