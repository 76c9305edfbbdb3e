"""fl.gradients: the seeds' op names and values, accumulation, unconnected xs, stop_gradient."""
import numpy as np
import pytest
from flowlog.engine import framework
from flowlog.engine import ops as fl
from flowlog.engine.session import Session
from flowlog.engine.variables import Variable


@pytest.fixture
def graph():
    g = framework.Graph()
    with g.as_default():
        yield g


def _names(g, start=0):
    return [(op.name, op.type) for op in g.get_operations()[start:]]


def test_gradient_ops_are_named_as_tf_names_them(graph):
    a = fl.constant(5, name="a")
    b = fl.constant(7, name="b")
    eqn = a + 2 * b
    grad = fl.gradients(eqn, b)
    assert _names(graph)[5:] == [
        ("gradients/Shape", "Const"), ("gradients/Const", "Const"), ("gradients/Fill", "Fill"),
        ("gradients/add_grad/Shape", "Const"), ("gradients/add_grad/Shape_1", "Const"),
        ("gradients/add_grad/BroadcastGradientArgs", "BroadcastGradientArgs"),
        ("gradients/add_grad/Sum", "Sum"), ("gradients/add_grad/Reshape", "Reshape"),
        ("gradients/add_grad/Sum_1", "Sum"), ("gradients/add_grad/Reshape_1", "Reshape"),
        ("gradients/mul_grad/Shape", "Const"), ("gradients/mul_grad/Shape_1", "Const"),
        ("gradients/mul_grad/BroadcastGradientArgs", "BroadcastGradientArgs"),
        ("gradients/mul_grad/mul", "Mul"), ("gradients/mul_grad/Sum", "Sum"),
        ("gradients/mul_grad/Reshape", "Reshape"), ("gradients/mul_grad/mul_1", "Mul"),
        ("gradients/mul_grad/Sum_1", "Sum"), ("gradients/mul_grad/Reshape_1", "Reshape")]
    assert grad[0].name == "gradients/mul_grad/Reshape_1:0"
    assert grad[0].dtype.name == "int32" and grad[0].shape == ()
    sess = Session(graph=graph)
    assert sess.run(grad) == [2]
    assert sess.run(fl.gradients(eqn, [a, b])) == [1, 2]
    eqn2 = a * b + b
    assert sess.run(fl.gradients(eqn2, [a, b])) == [7, 6]
    assert sess.run(fl.gradients([eqn, eqn2], [a, b])) == [8, 8]  # sums over several ys


def test_a_variable_used_twice_gets_addn_and_gated_tuples_like_an_optimizer(graph):
    x = Variable(5.0)
    loss = x * x
    n = len(graph.get_operations())
    (dx,) = fl.gradients(loss, x, gate_gradients=True)
    assert _names(graph, n) == [
        ("gradients/Shape", "Const"), ("gradients/Const", "Const"), ("gradients/Fill", "Fill"),
        ("gradients/mul_grad/Shape", "Const"), ("gradients/mul_grad/Shape_1", "Const"),
        ("gradients/mul_grad/BroadcastGradientArgs", "BroadcastGradientArgs"),
        ("gradients/mul_grad/mul", "Mul"), ("gradients/mul_grad/Sum", "Sum"),
        ("gradients/mul_grad/Reshape", "Reshape"), ("gradients/mul_grad/mul_1", "Mul"),
        ("gradients/mul_grad/Sum_1", "Sum"), ("gradients/mul_grad/Reshape_1", "Reshape"),
        ("gradients/mul_grad/tuple/group_deps", "NoOp"),
        ("gradients/mul_grad/tuple/control_dependency", "Identity"),
        ("gradients/mul_grad/tuple/control_dependency_1", "Identity"),
        ("gradients/AddN", "AddN")]
    (again,) = fl.gradients(loss, x)
    assert again.name.startswith("gradients_1/")
    sess = Session(graph=graph)
    sess.run(x.initializer)
    assert sess.run([dx, again]) == [10.0, 10.0]


def test_the_tutorial_neuron_gradient_is_1_6(graph):
    x = fl.constant(1.0, name="input")
    w = Variable(0.8, name="weight")
    y = fl.mul(w, x, name="output")
    y_ = fl.constant(0.0, name="correct_value")
    loss = fl.pow(y - y_, 2, name="loss")
    assert [op.name for op in graph.get_operations()][-3:] == ["sub", "loss/y", "loss"]
    (grad,) = fl.gradients(loss, w)
    sess = Session(graph=graph)
    sess.run(w.initializer)
    assert sess.run(grad) == pytest.approx(1.6)


def test_unconnected_xs_get_none_or_zeros(graph):
    a, b = fl.constant(1.0), fl.constant([2.0, 3.0])
    y = a * 3.0
    assert fl.gradients(y, [a, b])[1] is None
    zero = fl.gradients(y, b, unconnected_gradients="zero")[0]
    assert Session(graph=graph).run(zero).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="unconnected_gradients"):
        fl.gradients(y, b, unconnected_gradients="sometimes")


def test_stop_gradient_blocks_the_path_through_it(graph):
    x = fl.constant(3.0)
    y = x * x + fl.stop_gradient(x * x)
    z = x * x
    w = z + z * x
    sess = Session(graph=graph)
    assert sess.run(fl.gradients(y, x)) == [6.0]
    assert fl.gradients(fl.stop_gradient(x), x) == [None]
    # stop_gradients= treats z as a constant: dw/dx = z only through the `* x` factor
    assert sess.run(fl.gradients(w, x, stop_gradients=[z])) == [9.0]
    assert sess.run(fl.gradients(w, x)) == [6.0 + 27.0]


def test_contributions_to_a_shared_tensor_are_summed_with_addn(graph):
    x = fl.placeholder("float32", shape=[2])
    h = x * 2.0
    y = fl.reduce_sum(h * h + h + fl.sin(h))
    (g,) = fl.gradients(y, x)
    assert any(op.type == "AddN" for op in graph.get_operations())
    xv = np.array([0.5, -1.0], np.float32)
    want = 2 * (2 * (2 * xv) + 1 + np.cos(2 * xv))
    np.testing.assert_allclose(Session(graph=graph).run(g, {x: xv}), want, rtol=1e-6)


def test_grad_ys_weights_each_y(graph):
    x = fl.constant([1.0, 2.0])
    y1, y2 = x * 3.0, x * x
    g = fl.gradients([y1, y2], x, grad_ys=[[1.0, 0.0], fl.constant([0.0, 10.0])])
    assert Session(graph=graph).run(g)[0].tolist() == [3.0, 40.0]
    with pytest.raises(ValueError, match="grad_ys"):
        fl.gradients([y1, y2], x, grad_ys=[[1.0, 0.0]])


def test_broadcast_operand_gradients_sum_back_to_operand_shapes(graph):
    a = fl.placeholder("float32", shape=[None, 3])
    b = fl.placeholder("float32", shape=[3])
    c = fl.constant(2.0)
    ga, gb, gc = fl.gradients(fl.reduce_sum(a * b * c), [a, b, c])
    assert gb.shape == (3,) and gc.shape == () and ga.shape.as_list() == [None, 3]
    av = np.arange(6, dtype=np.float32).reshape(2, 3)
    bv = np.array([1, 2, 3], np.float32)
    out = Session(graph=graph).run([ga, gb, gc], {a: av, b: bv})
    np.testing.assert_allclose(out[0], np.tile(bv * 2, (2, 1)))
    np.testing.assert_allclose(out[1], av.sum(0) * 2)
    assert out[2] == pytest.approx((av * bv).sum())


def test_a_missing_gradient_rule_names_the_op_type(graph):
    framework.register_op("NoGradientHere")(lambda x: x)
    x = fl.constant(1.0)
    y = graph.create_op("NoGradientHere", [x]).outputs[0]
    with pytest.raises(LookupError, match=r"NoGradientHere.*op type: NoGradientHere"):
        fl.gradients(y * 2.0, x)


def test_integer_outputs_do_not_propagate_through_argmax(graph):
    x = fl.constant([[1.0, 5.0], [3.0, 2.0]])
    idx = fl.cast(fl.argmax(x, 1), "float32")
    assert fl.gradients(fl.reduce_sum(idx), x) == [None]


def test_deep_chain_needs_no_recursion(graph):
    x = fl.constant(1.0)
    y = x
    for _ in range(3000):
        y = y + 0.0
    (g,) = fl.gradients(y, x)
    assert Session(graph=graph).run(g) == 1.0
