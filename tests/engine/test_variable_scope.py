"""Variable scopes: get_variable names, reuse, TF1's errors, defaults, and weights shared by towers."""
from __future__ import annotations

import numpy as np
import pytest

import flowlog as fl


def test_variable_names_follow_the_variable_scope_path():
    root = fl.get_variable_scope()
    assert root.name == "" and root.reuse is False and root.original_name_scope == ""
    with fl.variable_scope("net") as net:
        assert fl.get_variable_scope() is net and net.name == "net"
        with fl.variable_scope("layer") as layer:
            w = fl.get_variable("w", [2, 4])
        assert layer.name == "net/layer" and layer.original_name_scope == "net/layer/"
    assert fl.get_variable_scope() is root
    assert w.name == "net/layer/w:0" and w.op.name == "net/layer/w"
    assert w.initial_value.op.name == "net/layer/w/Initializer/random_uniform"
    assert fl.global_variables() == [w] and net.global_variables() == [w]
    assert net.trainable_variables() == [w] and root.global_variables() == [w]


def test_name_scopes_prefix_ops_but_not_variables():
    with fl.name_scope("outer"), fl.variable_scope("layer") as scope:
        w = fl.get_variable("w", [1])
        total = fl.add(w, 1.0, name="total")
    assert scope.name == "layer" and scope.original_name_scope == "outer/layer/"
    assert w.name == "layer/w:0" and total.name == "outer/layer/total:0"


def test_reentering_a_scope_reuses_variables_and_uniquifies_op_names():
    with fl.variable_scope("layer"):
        w = fl.get_variable("w", [2, 4])
        a = fl.matmul(fl.ones([1, 2]), w)
    with fl.variable_scope("layer", reuse=True) as again:
        assert again.reuse is True and again.original_name_scope == "layer_1/"
        assert fl.get_variable("w", [2, 4]) is w
        assert fl.get_variable("w") is w  # the shape may be left out when reusing
        b = fl.matmul(fl.ones([1, 2]), w)
    assert a.op.name == "layer/MatMul" and b.op.name == "layer_1/MatMul"
    assert fl.global_variables() == [w]


def test_reuse_is_inherited_and_cannot_be_turned_off_inside():
    with fl.variable_scope("a"), fl.variable_scope("b"):
        w = fl.get_variable("w", [3])
    with fl.variable_scope("a", reuse=True), fl.variable_scope("b", reuse=False) as inner:
        assert inner.reuse is True
        assert fl.get_variable("w", [3]) is w


def test_reuse_variables_on_the_current_scope():
    with fl.variable_scope("rnn") as scope:
        w = fl.get_variable("w", [2])
        scope.reuse_variables()
        assert fl.get_variable_scope().reuse is True
        assert fl.get_variable("w", [2]) is w


def test_reuse_of_a_missing_variable_is_an_error():
    with fl.variable_scope("layer", reuse=True), pytest.raises(ValueError) as err:
        fl.get_variable("w", [2, 4])
    assert str(err.value) == (
        "Variable layer/w does not exist, or was not created with tf.get_variable(). "
        "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")
    assert fl.global_variables() == []


def test_creating_an_existing_variable_without_reuse_is_an_error():
    with fl.variable_scope("layer"):
        fl.get_variable("w", [2, 4])
    with fl.variable_scope("layer"), pytest.raises(ValueError) as err:
        fl.get_variable("w", [2, 4])
    assert str(err.value) == (
        "Variable layer/w already exists, disallowed. Did you mean to set reuse=True or "
        "reuse=tf.AUTO_REUSE in VarScope?")
    fl.Variable(1.0, name="plain")  # a Variable is not in get_variable's store
    assert fl.get_variable("plain", []).name == "plain_1:0"


def test_sharing_checks_shape_and_dtype():
    with fl.variable_scope("layer"):
        fl.get_variable("w", [2, 4])
    with fl.variable_scope("layer", reuse=True):
        with pytest.raises(ValueError) as err:
            fl.get_variable("w", [3, 4])
        assert str(err.value) == ("Trying to share variable layer/w, but specified shape "
                                  "(3, 4) and found shape (2, 4).")
        with pytest.raises(ValueError, match="specified dtype float64 and found dtype float32"):
            fl.get_variable("w", [2, 4], dtype=fl.float64)


def test_auto_reuse_creates_then_reuses():
    def dense(x):
        with fl.variable_scope("dense", reuse=fl.AUTO_REUSE):
            w = fl.get_variable("w", [2, 1], initializer=fl.constant_initializer(2.0))
            return fl.matmul(x, w)

    x = fl.constant([[1.0, 3.0]])
    y1, y2 = dense(x), dense(x)
    assert [v.name for v in fl.global_variables()] == ["dense/w:0"]
    assert y1.op.name == "dense/MatMul" and y2.op.name == "dense_1/MatMul"
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        assert [y.tolist() for y in sess.run([y1, y2])] == [[[8.0]], [[8.0]]]


def test_default_name_scopes_are_made_unique():
    names = []
    for _ in range(3):
        with fl.variable_scope(None, default_name="block") as scope:
            names.append((scope.name, fl.get_variable("w", [1]).name, scope.original_name_scope))
    assert names == [("block", "block/w:0", "block/"), ("block_1", "block_1/w:0", "block_1/"),
                     ("block_2", "block_2/w:0", "block_2/")]
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        fl.variable_scope(None, default_name="block", reuse=True).__enter__()
    with pytest.raises(TypeError, match="name_or_scope is required"), fl.variable_scope(None):
        pass


def test_scope_initializer_and_dtype_are_defaults_for_get_variable():
    with fl.variable_scope("init", initializer=fl.constant_initializer(0.5), dtype=fl.float64):
        a = fl.get_variable("a", [2])
        with fl.variable_scope("inner"):  # inherited
            b = fl.get_variable("b", [1])
        c = fl.get_variable("c", [1], initializer=fl.ones_initializer())  # explicit wins
        d = fl.get_variable("d", [1], dtype=fl.float32)
    assert a.dtype.base_dtype is fl.float64 and d.dtype.base_dtype is fl.float32
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        assert [v.tolist() for v in sess.run([a, b, c, d])] == [[0.5, 0.5], [0.5], [1.0], [0.5]]


def test_scope_regularizer_adds_a_loss_per_created_variable():
    with fl.variable_scope("reg", regularizer=lambda v: fl.reduce_sum(v) * 0.1):
        fl.get_variable("w", [3], initializer=fl.ones_initializer())
    with fl.variable_scope("reg", reuse=True):
        fl.get_variable("w", [3])
    losses = fl.get_collection("regularization_losses")
    assert len(losses) == 1 and losses[0].name.startswith("reg/w/Regularizer/")
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        assert sess.run(losses[0]) == pytest.approx(0.3)


def test_a_scope_object_reenters_its_name_and_name_scope():
    with fl.variable_scope("enc") as enc:
        w = fl.get_variable("w", [1])
    with fl.variable_scope("other"):
        with fl.variable_scope(enc, reuse=True) as back:
            assert back.name == "enc" and back.original_name_scope == "enc/"
            assert fl.get_variable("w", [1]) is w
            assert fl.add(w, 1.0, name="sum").op.name == "enc/sum"
        with fl.variable_scope(enc):
            v = fl.get_variable("v", [1])
    assert v.name == "enc/v:0"
    with pytest.raises(TypeError, match="must be a string or VariableScope"):
        fl.variable_scope(3).__enter__()


def test_scopes_are_per_graph():
    with fl.variable_scope("layer"):
        fl.get_variable("w", [1])
    g = fl.Graph()
    with g.as_default():
        assert fl.get_variable_scope().name == ""
        with fl.variable_scope("layer"):
            assert fl.get_variable("w", [1]).graph is g
    with fl.variable_scope("values", values=[g.get_operations()[0].outputs[0]]):
        assert fl.get_default_graph() is g
        assert fl.get_variable("w", [1]).name == "values/w:0"
    assert [v.name for v in g.get_collection("variables")] == ["layer/w:0", "values/w:0"]


def test_two_towers_share_weights_and_sum_their_gradients():
    x1 = fl.constant([[1.0, 2.0]])
    x2 = fl.constant([[3.0, -1.0]])

    def tower(x, reuse):
        with fl.variable_scope("model", reuse=reuse):
            w = fl.get_variable("w", [2, 1], initializer=fl.constant_initializer(0.5))
            b = fl.get_variable("b", [1], initializer=fl.zeros_initializer())
            return fl.reduce_sum(fl.matmul(x, w) + b)

    with fl.name_scope("tower_0"):
        loss0 = tower(x1, reuse=False)
    with fl.name_scope("tower_1"):
        loss1 = tower(x2, reuse=True)
    assert loss0.op.name.startswith("tower_0/model/") and loss1.op.name.startswith("tower_1/model/")
    w, b = fl.trainable_variables()
    assert (w.name, b.name) == ("model/w:0", "model/b:0")
    train_op = fl.train.GradientDescentOptimizer(0.1).minimize(loss0 + loss1)
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        sess.run(train_op)
        # d(loss)/dw = x1^T + x2^T = [[4], [1]]; d(loss)/db = 2
        np.testing.assert_allclose(sess.run(w), [[0.5 - 0.4], [0.5 - 0.1]], rtol=1e-6)
        np.testing.assert_allclose(sess.run(b), [-0.2], rtol=1e-6)
