"""The seed tutorials, run with `tf` replaced by `fl`: the names, values and errors they print."""
from __future__ import annotations

import glob
import random

import numpy as np
import pytest

import flowlog as fl
from flowlog.events.values import EventFileReader


def events_in(logdir) -> list:
    (path,) = glob.glob(str(logdir / "events.out.tfevents.*"))
    return list(EventFileReader(path).read())


# --- 000 "Hello, TensorFlow!" ------------------------------------------------------------------


def test_hello_graph_names_node_def_and_values():
    graph = fl.get_default_graph()
    assert graph.get_operations() == []
    input_value = fl.constant(1.0)
    assert str(graph.get_operations()[0].node_def) == (
        'name: "Const"\nop: "Const"\nattr {\n  key: "dtype"\n  value {\n    type: DT_FLOAT\n  }\n}\n'
        'attr {\n  key: "value"\n  value {\n    tensor {\n      dtype: DT_FLOAT\n'
        '      tensor_shape {\n      }\n      float_val: 1.0\n    }\n  }\n}\n')
    assert repr(input_value) == "<fl.Tensor 'Const:0' shape=() dtype=float32>"
    sess = fl.Session()
    assert sess.run(input_value) == 1.0
    weight = fl.Variable(0.8)
    assert [op.name for op in graph.get_operations()] == [
        "Const", "Variable/initial_value", "Variable", "Variable/Assign", "Variable/read"]
    output_value = weight * input_value
    op = graph.get_operations()[-1]
    assert op.name == "mul"
    assert [str(t) for t in op.inputs] == ['Tensor("Variable/read:0", shape=(), dtype=float32)',
                                           'Tensor("Const:0", shape=(), dtype=float32)']
    sess.run(fl.initialize_all_variables())
    assert sess.run(output_value) == np.float32(0.8)


def _neuron():
    x = fl.constant(1.0, name="input")
    w = fl.Variable(0.8, name="weight")
    y = fl.mul(w, x, name="output")
    y_ = fl.constant(0.0, name="correct_value")
    loss = fl.pow(y - y_, 2, name="loss")
    return x, w, y, y_, loss


def test_hello_neuron_gradient_step_and_training():
    _, w, y, _, loss = _neuron()
    sess = fl.Session()
    optim = fl.train.GradientDescentOptimizer(learning_rate=0.025)
    grads_and_vars = optim.compute_gradients(loss)
    sess.run(fl.initialize_all_variables())
    assert sess.run(grads_and_vars[0][0]) == np.float32(1.6)
    sess.run(optim.apply_gradients(grads_and_vars))
    assert sess.run(w) == np.float32(0.76)
    train_step = fl.train.GradientDescentOptimizer(0.025).minimize(loss)
    for _ in range(100):
        sess.run(train_step)
    assert sess.run(y) == np.float32(0.0044996012)


def test_hello_training_trace_and_summaries(tmp_path):
    x, w, y, y_, loss = _neuron()
    train_step = fl.train.GradientDescentOptimizer(0.025).minimize(loss)
    for value in [x, w, y, y_, loss]:
        fl.scalar_summary(value.op.name, value)
    summaries = fl.merge_all_summaries()
    sess = fl.Session()
    writer = fl.train.SummaryWriter(str(tmp_path), sess.graph)
    sess.run(fl.initialize_all_variables())
    seen = []
    for i in range(100):
        seen.append(float(sess.run(y)))
        writer.add_summary(sess.run(summaries), i)
        sess.run(train_step)
    writer.close()
    assert f"{seen[0]:.12f}" == "0.800000011921"
    assert f"{seen[1]:.12f}" == "0.759999990463"
    assert f"{seen[98]:.14f}" == "0.00524811353534"
    assert f"{seen[99]:.14f}" == "0.00498570781201"
    events = events_in(tmp_path)
    graph_defs = [e for e in events if e.HasField("graph_def")]
    assert len(graph_defs) == 1
    scalars = [e for e in events if e.HasField("summary")]
    assert [e.step for e in scalars] == list(range(100))
    assert [v.tag for v in scalars[0].summary.value] == [
        "input", "weight", "output", "correct_value", "loss"]
    assert scalars[1].summary.value[2].simple_value == pytest.approx(0.76)


# --- 001 computation graphs, sessions, placeholders, variables ---------------------------------


def test_graphs_sessions_and_fetch_lists(capfd):
    two_node = fl.constant(2)
    assert str(two_node) == 'Tensor("Const:0", shape=(), dtype=int32)'
    three_node = fl.constant(3)
    sum_node = two_node + three_node
    sess = fl.Session()
    assert sess.run(sum_node) == 5
    assert sess.run([two_node, sum_node]) == [2, 5]
    answer, inspection = sess.run([sum_node, [two_node, three_node]])
    assert (answer, inspection) == (5, [2, 3])
    print_sum_node = fl.Print(sum_node, [two_node, three_node])
    assert sess.run(print_sum_node) == 5
    assert "[2][3]" in capfd.readouterr().err
    fl.Print(two_node, [two_node, three_node, sum_node])  # not on the path: prints nothing
    assert sess.run(sum_node) == 5
    assert capfd.readouterr().err == ""


def test_placeholders_must_be_fed():
    input_placeholder = fl.placeholder(fl.int32)
    sess = fl.Session()
    with pytest.raises(fl.errors.InvalidArgumentError,
                       match="You must feed a value for placeholder tensor 'Placeholder' "
                             "with dtype int32"):
        sess.run(input_placeholder)
    assert sess.run(input_placeholder, feed_dict={input_placeholder: 2}) == 2
    three_node = fl.constant(3)
    sum_node = input_placeholder + three_node
    assert sess.run(three_node) == 3
    with pytest.raises(fl.errors.InvalidArgumentError, match="'Placeholder' with dtype int32"):
        sess.run(sum_node)


def test_get_variable_uninitialized_assign_and_initializers():
    count_variable = fl.get_variable("count", [])
    sess = fl.Session()
    with pytest.raises(fl.errors.FailedPreconditionError,
                       match="Attempting to use uninitialized value count"):
        sess.run(count_variable)
    assign_node = fl.assign(count_variable, fl.constant(0.))
    sess.run(assign_node)
    assert sess.run(count_variable) == 0

    fl.reset_default_graph()
    count_variable = fl.get_variable("count", [], initializer=fl.constant_initializer(0.))
    sess = fl.Session()
    with pytest.raises(fl.errors.FailedPreconditionError, match="uninitialized value count"):
        sess.run([count_variable])
    init = fl.global_variables_initializer()
    sess = fl.Session()
    sess.run(init)
    assert sess.run(count_variable) == 0.0


def test_linear_regression_with_placeholders_learns_the_line():
    m = fl.get_variable("m", [], initializer=fl.constant_initializer(0.))
    b = fl.get_variable("b", [], initializer=fl.constant_initializer(0.))
    init = fl.global_variables_initializer()
    input_placeholder = fl.placeholder(fl.float32)
    output_placeholder = fl.placeholder(fl.float32)
    y_guess = m * input_placeholder + b
    loss = fl.square(output_placeholder - y_guess)
    train_op = fl.train.GradientDescentOptimizer(1e-2).minimize(loss)
    sess = fl.Session()
    sess.run(init)
    rng = random.Random(1)
    true_m, true_b = rng.random(), rng.random()
    losses = []
    for _ in range(5000):
        input_data = rng.random()
        _loss, _ = sess.run([loss, train_op], feed_dict={
            input_placeholder: input_data, output_placeholder: true_m * input_data + true_b})
        losses.append(_loss)
    learned_m, learned_b = sess.run([m, b])
    assert abs(learned_m - true_m) < 0.01 and abs(learned_b - true_b) < 0.01
    assert max(losses[-100:]) < 1e-4 < losses[0]


# --- 002 a = (b + c) * (c + 2) ----------------------------------------------------------------


def test_a_equals_b_plus_c_times_c_plus_2():
    const = fl.constant(2.0, name="const")
    c = fl.Variable(1.0, name="c")
    b = fl.Variable(2.0, name="b")
    a = fl.multiply(fl.add(b, c, name="d"), fl.add(c, const, name="e"), name="a")
    init_op = fl.global_variables_initializer()
    with fl.Session() as sess:
        sess.run(init_op)
        assert sess.run(a) == 9.0
    b = fl.placeholder(fl.float32, [None, 1], name="b_in")
    a = fl.multiply(fl.add(b, c, name="d"), fl.add(c, const, name="e"), name="a")
    with fl.Session() as sess:
        sess.run(init_op)
        out = sess.run(a, feed_dict={b: np.arange(0, 10)[:, np.newaxis]})
    assert out.dtype == np.float32 and out.shape == (10, 1)
    assert out[:, 0].tolist() == [3.0 * (i + 1) for i in range(10)]


# --- 003 the notebook -------------------------------------------------------------------------


def test_operations_tensors_and_fetch_structures():
    g = fl.get_default_graph()
    fl.constant(3.14)
    assert repr(g.get_operations()) == "[<fl.Operation 'Const' type=Const>]"
    const_operation = g.get_operations()[0]
    assert (len(const_operation.inputs), len(const_operation.outputs)) == (0, 1)
    const_tensor = const_operation.outputs[0]
    another_const_tensor = fl.constant(1.414)
    assert repr(another_const_tensor) == "<fl.Tensor 'Const_1:0' shape=() dtype=float32>"
    sum_tensor = fl.add(const_tensor, another_const_tensor)
    assert repr(sum_tensor) == "<fl.Tensor 'Add:0' shape=() dtype=float32>"
    config = fl.ConfigProto()
    config.gpu_options.allow_growth = True
    sess = fl.Session(config=config)
    assert sess.graph is g
    values = sess.run(sum_tensor), sess.run(const_tensor), sess.run(another_const_tensor)
    assert values == (np.float32(4.554), np.float32(3.14), np.float32(1.414))
    assert sess.run({"a": const_tensor, "b": another_const_tensor,
                     "[a,b,a+b]": [const_tensor, another_const_tensor, sum_tensor]}) == {
        "[a,b,a+b]": [np.float32(3.14), np.float32(1.414), np.float32(4.554)],
        "a": np.float32(3.14), "b": np.float32(1.414)}
    sess.close()


def test_placeholder_feeds_and_operator_names():
    g = fl.get_default_graph()
    fl.add(fl.constant(3.14), fl.constant(1.414))
    a = fl.placeholder(fl.float32)
    assert repr(a) == "<fl.Tensor 'Placeholder:0' shape=<unknown> dtype=float32>"
    b = fl.placeholder(fl.float32)
    flexible_sum_tensor = fl.add(a, b)
    sess = fl.Session()
    assert sess.run(flexible_sum_tensor, feed_dict={a: 1., b: 2.}) == 3.0
    one = sess.run(flexible_sum_tensor, feed_dict={a: [1.], b: [2.]})
    assert one.dtype == np.float32 and one.tolist() == [3.0]
    assert sess.run(flexible_sum_tensor, feed_dict={
        a: [[1., 2.], [3., 4.]], b: [[5., 6.], [7., 8.]]}).tolist() == [[6., 8.], [10., 12.]]
    distance_from_origin = fl.sqrt((a * a) + (b * b))
    assert [op.name for op in g.get_operations()] == [
        "Const", "Const_1", "Add", "Placeholder", "Placeholder_1", "Add_1", "mul", "mul_1",
        "add", "Sqrt"]
    assert repr(distance_from_origin) == "<fl.Tensor 'Sqrt:0' shape=<unknown> dtype=float32>"
    assert sess.run(distance_from_origin, feed_dict={a: 3., b: 4.}) == 5.0
    with fl.Session() as sess:
        assert sess.run(distance_from_origin, feed_dict={a: 9., b: 12.}) == 15.0
    fl.reset_default_graph()
    assert g.get_operations() != [] and fl.get_default_graph().get_operations() == []


def test_variables_live_in_each_session():
    x = fl.Variable(42)
    g = fl.get_default_graph()
    assert [(repr(op), len(op.inputs), len(op.outputs)) for op in g.get_operations()] == [
        ("<fl.Operation 'Variable/initial_value' type=Const>", 0, 1),
        ("<fl.Operation 'Variable' type=VariableV2>", 0, 1),
        ("<fl.Operation 'Variable/Assign' type=Assign>", 2, 1),
        ("<fl.Operation 'Variable/read' type=Identity>", 1, 1)]
    sess, sess2 = fl.Session(), fl.Session()
    with pytest.raises(fl.errors.FailedPreconditionError,
                       match="Attempting to use uninitialized value Variable"):
        sess.run(x)
    assert sess.run(g.get_operations()[2]) is None
    assert sess.run(x) == 42
    with pytest.raises(fl.errors.FailedPreconditionError):
        sess2.run(x)
    assert (sess2.run(x.initializer), sess2.run(x)) == (None, 42)
    sess.close()
    sess2.close()


def test_gradients_of_a_plus_2b():
    g = fl.get_default_graph()
    a = fl.constant(5, name="a")
    b = fl.constant(7, name="b")
    eqn = a + 2 * b
    assert [op.name for op in g.get_operations()] == ["a", "b", "mul/x", "mul", "add"]
    grad = fl.gradients(eqn, b)
    assert repr(grad) == "[<fl.Tensor 'gradients/mul_grad/Reshape_1:0' shape=() dtype=int32>]"
    sess = fl.Session()
    assert sess.run(grad) == [2]
    assert sess.run(fl.gradients(eqn, [a, b])) == [1, 2]
    eqn2 = a * b + b
    assert sess.run(fl.gradients(eqn2, [a, b])) == [7, 6]
    assert sess.run(fl.gradients([eqn, eqn2], [a, b])) == [8, 8]


def _descend(to_fetch: dict, init) -> list:
    with fl.Session() as sess:
        sess.run(init)
        return [sess.run(to_fetch) for _ in range(100)]


def test_gradient_descent_by_hand_and_with_the_optimizer():
    x = fl.Variable(5.0)
    loss = x * x
    dloss_dx = 2. * x
    assign_new_x = fl.assign(x, x - dloss_dx * 0.1)
    by_hand = _descend({"x": x, "loss": loss, "derivative": assign_new_x}, x.initializer)
    # TF1 fetches a variable after the run's updates (4.0), while `loss` read x before them.
    assert by_hand[0] == {"x": 4.0, "loss": 25.0, "derivative": 4.0}

    fl.reset_default_graph()
    x = fl.Variable(5.0)
    loss = x * x
    assign_new_x = fl.assign(x, x - fl.gradients(loss, x)[0] * 0.1)
    with_gradients = _descend({"x": x, "loss": loss, "derivative": assign_new_x}, x.initializer)
    assert with_gradients == by_hand

    fl.reset_default_graph()
    x = fl.Variable(5.0)
    loss = x * x
    minimize_loss = fl.train.GradientDescentOptimizer(learning_rate=0.1).minimize(loss)
    with_optimizer = _descend({"x": x, "loss": loss, "train_op": minimize_loss}, x.initializer)
    assert [(f["x"], f["loss"]) for f in with_optimizer] == [
        (f["x"], f["loss"]) for f in by_hand]
    assert with_optimizer[-1]["x"] == pytest.approx(5 * 0.8 ** 100, rel=1e-4)


ADAM_OPS = ["Variable/initial_value", "Variable", "Variable/Assign", "Variable/read", "mul", "gradients/Shape", "gradients/Const", "gradients/Fill", "gradients/mul_grad/Shape", "gradients/mul_grad/Shape_1", "gradients/mul_grad/BroadcastGradientArgs", "gradients/mul_grad/mul", "gradients/mul_grad/Sum", "gradients/mul_grad/Reshape", "gradients/mul_grad/mul_1", "gradients/mul_grad/Sum_1", "gradients/mul_grad/Reshape_1", "gradients/mul_grad/tuple/group_deps", "gradients/mul_grad/tuple/control_dependency", "gradients/mul_grad/tuple/control_dependency_1", "gradients/AddN", "GradientDescent/learning_rate", "GradientDescent/update_Variable/ApplyGradientDescent", "GradientDescent", "gradients_1/Shape", "gradients_1/Const", "gradients_1/Fill", "gradients_1/mul_grad/Shape", "gradients_1/mul_grad/Shape_1", "gradients_1/mul_grad/BroadcastGradientArgs", "gradients_1/mul_grad/mul", "gradients_1/mul_grad/Sum", "gradients_1/mul_grad/Reshape", "gradients_1/mul_grad/mul_1", "gradients_1/mul_grad/Sum_1", "gradients_1/mul_grad/Reshape_1", "gradients_1/mul_grad/tuple/group_deps", "gradients_1/mul_grad/tuple/control_dependency", "gradients_1/mul_grad/tuple/control_dependency_1", "gradients_1/AddN", "beta1_power/initial_value", "beta1_power", "beta1_power/Assign", "beta1_power/read", "beta2_power/initial_value", "beta2_power", "beta2_power/Assign", "beta2_power/read", "Variable/Adam/Initializer/Const", "Variable/Adam", "Variable/Adam/Assign", "Variable/Adam/read", "Variable/Adam_1/Initializer/Const", "Variable/Adam_1", "Variable/Adam_1/Assign", "Variable/Adam_1/read", "Adam/learning_rate", "Adam/beta1", "Adam/beta2", "Adam/epsilon", "Adam/update_Variable/ApplyAdam", "Adam/mul", "Adam/Assign", "Adam/mul_1", "Adam/Assign_1", "Adam"]


def test_adam_graph_ops_and_training():
    g = fl.get_default_graph()
    x = fl.Variable(5.0)
    loss = x * x
    fl.train.GradientDescentOptimizer(learning_rate=0.1).minimize(loss)
    minimize_loss = fl.train.AdamOptimizer(learning_rate=0.1).minimize(loss)
    assert [op.name for op in g.get_operations()] == ADAM_OPS
    types = {op.name: op.type for op in g.get_operations()}
    assert types["beta1_power"] == "VariableV2" and types["Adam"] == "NoOp"
    assert types["Adam/update_Variable/ApplyAdam"] == "ApplyAdam"
    fetched = _descend({"x": x, "loss": loss, "train_op": minimize_loss},
                       fl.global_variables_initializer())
    # As TensorFlow prints it: x after the run's Adam step (lr * sign first), loss before it.
    assert fetched[0] == {"x": np.float32(4.9), "loss": 25.0, "train_op": None}
    assert fetched[1]["x"] == np.float32(4.8000584)
    assert abs(fetched[-1]["x"]) < 0.1


def test_hospital_visits_linear_model():
    rng = np.random.default_rng(0)
    temps = rng.normal(55, 20, 1000)
    hosp_visits = 1000 - 5 * temps + rng.normal(0, 100, 1000)
    normalized = (temps - np.mean(temps)) / np.std(temps)
    X = fl.placeholder(fl.float32)
    y = fl.placeholder(fl.float32)
    m = fl.Variable(0.)
    b = fl.Variable(0.)
    avg_loss = fl.reduce_mean(fl.squared_difference(X * m + b, y))
    train_one_step = fl.train.GradientDescentOptimizer(learning_rate=0.0005).minimize(avg_loss)
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        for i in range(5000):
            start = 100 * (i % 8)
            _, _, m_pred, b_pred = sess.run(
                [train_one_step, avg_loss, m, b],
                feed_dict={X: normalized[start:start + 100], y: hosp_visits[start:start + 100]})
        test_loss = sess.run(avg_loss, {X: normalized[900:], y: hosp_visits[900:]})
    assert b_pred == pytest.approx(1000 - 5 * 55, rel=0.05)
    assert m_pred == pytest.approx(-5 * np.std(temps), rel=0.1)
    assert test_loss < 2 * 100 ** 2
