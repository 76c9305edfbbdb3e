"""Variables: TF1's ops and names, initializers, assign ops, collections, get_variable."""
from __future__ import annotations

import numpy as np
import pytest

import flowlog as fl


def op_names() -> list[str]:
    return [op.name for op in fl.get_default_graph().get_operations()]


def test_variable_ops_names_and_properties():
    v = fl.Variable([1.0, 2.0], name="w")
    assert op_names() == ["w/initial_value", "w", "w/Assign", "w/read"]
    assert v.name == "w:0" and v.op.name == "w" and v.op.type == "VariableV2"
    assert v.dtype.name == "float32_ref" and v.dtype.base_dtype is fl.float32
    assert v.shape == fl.TensorShape([2]) and v.get_shape().as_list() == [2]
    assert v.initializer.name == "w/Assign" and v.initializer.type == "Assign"
    assert v.value().name == "w/read:0" and v.initial_value.name == "w/initial_value:0"
    assert repr(v) == "<fl.Variable 'w:0' shape=(2,) dtype=float32_ref>"
    v2 = fl.Variable(1)
    assert v2.name == "Variable:0" and v2.dtype.base_dtype is fl.int32
    assert fl.Variable(0.5, name="w").name == "w_1:0"


def test_variable_from_a_tensor_and_a_callable():
    fl.set_random_seed(3)
    v = fl.Variable(fl.random_normal([2, 3], stddev=0.5), name="W1")
    w = fl.Variable(lambda: fl.zeros([4]), name="b1")
    assert "W1/initial_value" not in op_names()
    assert "b1/Initializer/zeros" in op_names()
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        assert sess.run(v).shape == (2, 3) and sess.run(w).tolist() == [0.0] * 4


def test_variables_ignore_control_dependencies_in_force():
    c = fl.constant(1.0)
    with fl.control_dependencies([c]):
        v = fl.Variable(2.0)
    assert v.initializer.control_inputs == [] and v.op.control_inputs == []


def test_operators_and_conversions_use_the_read_value():
    v = fl.Variable(3.0)
    expr = (v + 1) * v - v / 2
    indexed = fl.Variable([[1, 2], [3, 4]])[:, 1]
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        assert sess.run(expr) == 10.5
        assert sess.run(indexed).tolist() == [2, 4]
        assert sess.run(fl.convert_to_tensor(v)) == 3.0


def test_assign_ops_return_the_new_value():
    v = fl.Variable(10)
    with fl.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(fl.assign(v, 4)) == 4
        assert sess.run(fl.assign_add(v, 3)) == 7
        assert sess.run(v.assign_sub(2)) == 5
        assert sess.run(v.assign(1, read_value=False)) is None
        assert sess.run(v) == 1
    assert fl.assign(v, 2).op.name == "Assign_2"


def test_assign_errors():
    v = fl.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="incompatible"):
        fl.assign(v, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="requires l-value input"):
        fl.assign(fl.constant(1.0), 2.0)
    p = fl.placeholder(fl.float32)
    grow = fl.assign(v, p)
    with fl.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(fl.errors.InvalidArgumentError,
                           match=r"Assign requires shapes of both tensors to match. "
                                 r"lhs shape= \[2\] rhs shape= \[3\]"):
            sess.run(grow, {p: [1.0, 2.0, 3.0]})
        with pytest.raises(fl.errors.FailedPreconditionError, match="uninitialized value "
                                                                    "Variable_1"):
            sess.run(fl.Variable(1).assign_add(1))


def test_initializer_collects_the_variables_existing_at_creation():
    a = fl.Variable(1.0, name="a")
    init = fl.global_variables_initializer()
    b = fl.Variable(2.0, name="b")
    assert init.name == "init" and init.type == "NoOp"
    assert sorted(op.name for op in init.control_inputs) == ["a/Assign"]
    with fl.Session() as sess:
        sess.run(init)
        assert sess.run(a) == 1.0
        with pytest.raises(fl.errors.FailedPreconditionError, match="uninitialized value b"):
            sess.run(b)
        sess.run(fl.variables_initializer([b]))
        assert sess.run(b) == 2.0
    assert fl.initialize_all_variables().name == "init_2"


def test_collections():
    t = fl.Variable(1.0, name="t")
    u = fl.Variable(1.0, name="u", trainable=False)
    assert fl.global_variables() == [t, u]
    assert fl.trainable_variables() == [t]
    assert fl.get_collection(fl.GraphKeys.GLOBAL_VARIABLES) == [t, u]
    assert fl.global_variables(scope="u") == [u]


def test_get_variable_initializers():
    fl.set_random_seed(1)
    values = {
        "c": fl.get_variable("c", [2], initializer=fl.constant_initializer(3.0)),
        "z": fl.get_variable("z", [2, 2], initializer=fl.zeros_initializer()),
        "o": fl.get_variable("o", [3], initializer=fl.ones_initializer()),
        "n": fl.get_variable("n", [400], initializer=fl.random_normal_initializer(1.0, 0.1)),
        "g": fl.get_variable("g", [20, 30]),  # glorot uniform by default
        "i": fl.get_variable("i", [2], dtype=fl.int32),
    }
    assert "c/Initializer/Const" in op_names()
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        got = {k: sess.run(v) for k, v in values.items()}
    assert got["c"].tolist() == [3.0, 3.0] and got["z"].tolist() == [[0.0, 0.0]] * 2
    assert got["o"].tolist() == [1.0] * 3 and got["i"].tolist() == [0, 0]
    assert abs(got["n"].mean() - 1.0) < 0.03 and 0.07 < got["n"].std() < 0.13
    limit = np.sqrt(6 / (20 + 30))
    assert np.abs(got["g"]).max() <= limit and got["g"].std() > limit / 3
    assert got["g"].dtype == np.float32 and got["i"].dtype == np.int32


def test_get_variable_refuses_a_name_twice():
    with fl.name_scope("layer"):
        assert fl.get_variable("count", []).name == "count:0"  # name scopes do not apply
    with pytest.raises(ValueError, match="Variable count already exists, disallowed"):
        fl.get_variable("count", [])
    with pytest.raises(ValueError, match="must be fully defined"):
        fl.get_variable("loose", [None, 2])


def test_variable_load_sets_the_value_in_a_session():
    v = fl.Variable([0.0, 0.0])
    with fl.Session() as sess:
        v.load([5.0, 6.0], sess)
        assert sess.run(v).tolist() == [5.0, 6.0]


def test_assign_outputs_are_refs_to_the_same_variable():
    v = fl.Variable(1.0)
    twice = fl.assign(fl.assign(v, 5.0), 7.0)
    doubled = fl.assign(v, 3.0) * 2
    with fl.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(twice) == 7.0 and sess.run(v) == 7.0
        assert sess.run(doubled) == 6.0 and sess.run(v) == 3.0
