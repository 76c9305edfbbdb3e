"""`fl.train.import_meta_graph` on `.meta` files TensorFlow wrote (committed fixtures made by
scripts/tf_meta_graph.py and scripts/tf_checkpoints.py) and on ones flowlog wrote."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import flowlog as fl
from flowlog.proto import checkpoint_pb2

DATA = Path(__file__).parent / "data"
TF1_FIXTURE = DATA / "tf_meta_graph"      # TF1-style VariableV2 variables, Momentum, summaries
RESOURCE_FIXTURE = DATA / "tf_checkpoint"  # resource variables (VarHandleOp), Adam


def test_a_tf1_meta_graph_restores_and_gives_tensorflows_numbers():
    want = json.loads((TF1_FIXTURE / "values.json").read_text())
    with fl.Graph().as_default() as g:
        saver = fl.train.import_meta_graph(str(TF1_FIXTURE / "model.ckpt-5.meta"))
        assert sorted(v.op.name for v in fl.trainable_variables()) == [
            "b2", "hidden/biases", "hidden/weights", "w2"]
        assert len(fl.global_variables()) == 9  # + the global step and 4 Momentum slots
        assert fl.train.get_global_step().op.name == "global_step"
        with fl.Session() as sess:
            saver.restore(sess, fl.train.latest_checkpoint(str(TF1_FIXTURE)))
            feed = {"x:0": want["x"], "labels:0": want["labels"]}
            y, loss = sess.run([g.get_tensor_by_name("y:0"), "loss:0"], feed)
            np.testing.assert_allclose(y, want["y"], rtol=1e-6)
            assert loss == pytest.approx(want["loss"], rel=1e-6)
            sess.run(g.get_collection("train_op")[0], feed)  # training resumes as TF's did
            for v in fl.global_variables():
                np.testing.assert_allclose(sess.run(v), want["after_one_more_step"][v.op.name],
                                           rtol=1e-5, atol=1e-7)
            summary = fl.Summary.FromString(sess.run(fl.summary.merge_all(), feed))
            assert [v.tag for v in summary.value] == ["loss_1", "w2_1"]  # the tags TF chose


def test_a_graph_of_resource_variables_restores_and_trains():
    want = json.loads((RESOURCE_FIXTURE / "values.json").read_text())
    with fl.Graph().as_default() as g:
        saver = fl.train.import_meta_graph(RESOURCE_FIXTURE / "model.ckpt-7.meta")
        weight = g.get_collection("trainable_variables")[0]
        with fl.Session() as sess:
            assert not sess.run(g.get_tensor_by_name("weight/IsInitialized/VarIsInitializedOp:0"))
            saver.restore(sess, str(RESOURCE_FIXTURE / "model.ckpt-7"))
            assert sess.run(g.get_tensor_by_name("weight/IsInitialized/VarIsInitializedOp:0"))
            for v in fl.global_variables():
                np.testing.assert_array_equal(sess.run(v), want[v.op.name])
            sess.run(g.get_collection("train_op")[0])
            assert sess.run(fl.train.get_global_step()) == 8
            assert not np.array_equal(sess.run(weight), want["weight"])
            sess.run(fl.global_variables_initializer())  # the imported initializers run
            np.testing.assert_allclose(sess.run(weight), np.arange(6).reshape(2, 3) / 7,
                                       rtol=1e-6)


def _model():
    x = fl.placeholder(fl.float32, [None, 3], name="x")
    w = fl.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), name="w")
    b = fl.get_variable("b", [2], initializer=fl.constant_initializer(0.5))
    y = fl.nn.sigmoid(fl.matmul(x, w) + b, name="y")
    loss = fl.reduce_sum(fl.square(y - 1.0), name="loss")
    fl.summary.scalar("loss", loss)
    step = fl.train.get_or_create_global_step()
    train = fl.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    fl.add_to_collection("train_op", train)
    return train


def test_flowlogs_own_meta_graph_round_trips(tmp_path):
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    with fl.Graph().as_default():
        train = _model()
        saver = fl.train.Saver()
        with fl.Session() as sess:
            sess.run(fl.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {"x:0": x})
            prefix = saver.save(sess, str(tmp_path / "model"), global_step=3)
            sess.run(train, {"x:0": x})
            want_y = sess.run("y:0", {"x:0": x})
    with fl.Graph().as_default() as g:
        saver = fl.train.import_meta_graph(prefix + ".meta")
        assert [v.op.name for v in fl.trainable_variables()] == ["w", "b"]
        assert [t.name for t in g.get_collection("summaries")] == ["loss_1:0"]
        assert g.get_tensor_by_name("x:0").shape.as_list() == [None, 3]
        with fl.Session() as sess:
            saver.restore(sess, prefix)
            assert sess.run(fl.train.get_global_step()) == 3
            sess.run(g.get_collection("train_op")[0], {"x:0": x})
            np.testing.assert_array_equal(sess.run("y:0", {"x:0": x}), want_y)
            saver.save(sess, str(tmp_path / "model"), global_step=4)
    assert fl.train.latest_checkpoint(str(tmp_path)).endswith("model-4")


def test_import_scope_prefixes_names_and_restore_still_finds_the_variables(tmp_path):
    with fl.Graph().as_default():
        _model()
        with fl.Session() as sess:
            sess.run(fl.global_variables_initializer())
            prefix = fl.train.Saver().save(sess, str(tmp_path / "m"))
            want = sess.run("w:0")
    with fl.Graph().as_default() as g:
        saver = fl.train.import_meta_graph(prefix + ".meta", import_scope="net",
                                           clear_devices=True)
        assert g.get_tensor_by_name("net/y:0").shape.as_list() == [None, 2]
        with fl.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run("net/w:0"), want)


def test_an_op_type_that_cannot_be_imported_names_the_node():
    meta = checkpoint_pb2.MetaGraphDef()
    node = meta.graph_def.node.add(name="cond/Switch", op="Switch")
    node.attr["T"].type = fl.float32.as_datatype_enum
    with fl.Graph().as_default(), pytest.raises(ValueError, match=r"node 'cond/Switch': op "
                                                "type 'Switch' is not supported"):
        fl.train.import_meta_graph(meta)
    with fl.Graph().as_default():
        fl.while_loop(lambda i: i < 3, lambda i: i + 1, [fl.constant(0)])
        meta = fl.train.export_meta_graph()
    with fl.Graph().as_default(), pytest.raises(ValueError, match=r"node 'while': op type "
                                                "'While' needs the attribute"):
        fl.train.import_meta_graph(meta)


def test_missing_and_damaged_meta_files_are_named(tmp_path):
    with pytest.raises(OSError, match="nothing.meta does not exist"):
        fl.train.import_meta_graph(str(tmp_path / "nothing.meta"))
    bad = tmp_path / "bad.meta"
    bad.write_bytes(b"\xff\x00not a graph")
    with pytest.raises(fl.errors.DataLossError, match="bad.meta: not a MetaGraphDef"):
        fl.train.import_meta_graph(str(bad))


def test_import_graph_def_maps_inputs_and_returns_elements(tmp_path):
    with fl.Graph().as_default() as g:
        a = fl.placeholder(fl.float32, [], name="a")
        fl.multiply(a, 3.0, name="tripled")
        path = fl.train.write_graph(g, str(tmp_path), "graph.pb", as_text=False)
    graph_def = fl.GraphDef.FromString(Path(path).read_bytes())
    with fl.Graph().as_default():
        five = fl.constant(5.0)
        (out,) = fl.import_graph_def(graph_def, input_map={"a": five},
                                     return_elements=["tripled:0"])
        assert out.name == "import/tripled:0"
        with fl.Session() as sess:
            assert sess.run(out) == 15.0


def test_ops_of_tensorflows_graphs_compute_and_differentiate():
    from gradcheck import numeric_grad

    x_val = np.array([1.0, -2.0, 3.0])
    y_val = np.array([0.0, 2.0, -4.0])
    with fl.Graph().as_default():
        x, y = fl.placeholder(fl.float64, [3]), fl.placeholder(fl.float64, [3])
        quotient = fl.div_no_nan(x, y)
        stitched = fl.dynamic_stitch([[0, 2], [1]], [fl.reshape(x[:2], [2, 1]),
                                                     fl.reshape(y[2:], [1, 1])])
        loss = fl.reduce_sum(quotient * fl.constant([1.0, 2.0, 3.0], fl.float64)) \
            + fl.reduce_sum(fl.square(stitched))
        shapes = fl.shape_n([x, fl.zeros([2, 5])])
        with fl.Session() as sess:
            feed = {x: x_val, y: y_val}
            np.testing.assert_array_equal(sess.run(quotient, feed), [0.0, -1.0, -0.75])
            np.testing.assert_array_equal(sess.run(stitched, feed), [[1.0], [-4.0], [-2.0]])
            assert [s.tolist() for s in sess.run(shapes, feed)] == [[3], [2, 5]]
            grads = fl.gradients(loss, [x, y])
            assert sess.run(grads[1], feed)[0] == 0.0  # no gradient through a division by 0
            smooth = np.array([0.5, 2.0, -4.0])
            for i, grad in enumerate(grads):
                np.testing.assert_allclose(
                    sess.run(grad, {x: x_val, y: smooth}),
                    numeric_grad(sess, loss, [x, y], [x_val, smooth], i), atol=1e-6)


def test_a_graph_with_a_cycle_is_refused_naming_a_node():
    graph_def = fl.GraphDef()
    graph_def.node.add(name="a", op="Identity", input=["b"])
    graph_def.node.add(name="b", op="Identity", input=["a"])
    with fl.Graph().as_default(), pytest.raises(ValueError, match="cycle through it"):
        fl.import_graph_def(graph_def)


def test_unique_and_sparse_adagrad_update_only_the_rows_named():
    with fl.Graph().as_default() as g:
        values, idx = fl.unique(fl.constant([4, 1, 4, 2, 1]))
        var = fl.Variable(np.ones((4, 2), np.float32), name="embeddings")
        accum = fl.Variable(np.full((4, 2), 0.1, np.float32), name="accum")
        grad = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
        rows = fl.constant([2, 0])
        update = g.create_op("SparseApplyAdagrad", [var._ref(), accum._ref(), fl.constant(0.5),
                                                    fl.constant(grad), rows],
                             {"use_locking": False, "update_slots": True})
        with fl.Session() as sess:
            assert [v.tolist() for v in sess.run([values, idx])] == [[4, 1, 2], [0, 1, 0, 2, 1]]
            sess.run(fl.global_variables_initializer())
            sess.run(update)
            want_accum = np.full((4, 2), 0.1, np.float32)
            want_accum[[2, 0]] += np.square(grad)
            want = np.ones((4, 2), np.float32)
            want[[2, 0]] -= grad * 0.5 / np.sqrt(want_accum[[2, 0]])
            np.testing.assert_allclose(sess.run(accum), want_accum, rtol=1e-6)
            np.testing.assert_allclose(sess.run(var), want, rtol=1e-6)
