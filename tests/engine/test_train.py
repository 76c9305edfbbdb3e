"""fl.train: optimizers against TF1's update formulas, slots, global step, Saver."""
from __future__ import annotations

import os

import numpy as np
import pytest

import flowlog as fl

f32 = np.float32



def train(optimizer, steps: int = 3, start=(1.0, -2.0)):
    """Minimize sum(w**2 * [1, 3]) from `start`; the variable's values after each step."""
    w = fl.Variable(np.array(start, f32), name="w")
    loss = fl.reduce_sum(w * w * np.array([1.0, 3.0], f32))
    train_op = optimizer.minimize(loss)
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        out = []
        for _ in range(steps):
            sess.run(train_op)
            out.append(sess.run(w))
    return out


def gradients_of(w):
    return w * np.array([2.0, 6.0], f32)


def reference(update, steps: int = 3, start=(1.0, -2.0), **slots):
    """The same steps computed with NumPy in float32, by `update(w, g, slots, t)`."""
    w = np.array(start, f32)
    out = []
    for t in range(1, steps + 1):
        w = update(w, gradients_of(w), slots, t)
        out.append(w)
    return out


def assert_steps_equal(got, want):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-6)


def test_gradient_descent():
    lr = f32(0.1)
    assert_steps_equal(train(fl.train.GradientDescentOptimizer(0.1)),
                       reference(lambda w, g, s, t: w - g * lr))


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum(nesterov):
    lr, mu = f32(0.05), f32(0.9)

    def update(w, g, s, t):
        s["accum"] = s.get("accum", np.zeros(2, f32)) * mu + g
        if nesterov:
            return w - (g * lr + s["accum"] * mu * lr)
        return w - s["accum"] * lr

    got = train(fl.train.MomentumOptimizer(0.05, 0.9, use_nesterov=nesterov))
    assert_steps_equal(got, reference(update))
    assert "w/Momentum" in [op.name for op in fl.get_default_graph().get_operations()]


def test_adam():
    lr, b1, b2, eps = f32(0.1), f32(0.9), f32(0.999), f32(1e-8)

    def update(w, g, s, t):
        m = s.get("m", np.zeros(2, f32)) + (g - s.get("m", np.zeros(2, f32))) * (1 - b1)
        v = s.get("v", np.zeros(2, f32)) + (g * g - s.get("v", np.zeros(2, f32))) * (1 - b2)
        s["m"], s["v"] = m, v
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - (m * alpha) / (np.sqrt(v) + eps)

    assert_steps_equal(train(fl.train.AdamOptimizer(0.1)), reference(update))


def test_adagrad():
    lr = f32(0.5)

    def update(w, g, s, t):
        s["acc"] = s.get("acc", np.full(2, 0.1, f32)) + g * g
        return w - g * lr / np.sqrt(s["acc"])

    assert_steps_equal(train(fl.train.AdagradOptimizer(0.5)), reference(update))
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        fl.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop(centered):
    lr, rho, mu, eps = f32(0.01), f32(0.9), f32(0.5), f32(1e-10)

    def update(w, g, s, t):
        s["ms"] = s.get("ms", np.ones(2, f32)) + (g * g - s.get("ms", np.ones(2, f32))) * (1 - rho)
        denom = s["ms"]
        if centered:
            s["mg"] = s.get("mg", np.zeros(2, f32)) + (g - s.get("mg", np.zeros(2, f32))) * (1 - rho)
            denom = s["ms"] - s["mg"] * s["mg"]
        s["mom"] = s.get("mom", np.zeros(2, f32)) * mu + g * lr / np.sqrt(denom + eps)
        return w - s["mom"]

    got = train(fl.train.RMSPropOptimizer(0.01, momentum=0.5, centered=centered))
    assert_steps_equal(got, reference(update))


def test_slot_variables_are_named_and_kept_out_of_training():
    w = fl.Variable(np.zeros(3, f32), name="w")
    b = fl.Variable(0.0, name="b")
    opt = fl.train.AdamOptimizer()
    opt.minimize(fl.reduce_sum(w * w) + b * b)
    assert sorted(v.op.name for v in fl.global_variables()) == [
        "b", "b/Adam", "b/Adam_1", "beta1_power", "beta2_power", "w", "w/Adam", "w/Adam_1"]
    assert fl.trainable_variables() == [w, b]
    assert opt.get_slot(w, "m").op.name == "w/Adam" and opt.get_slot_names() == ["m", "v"]
    assert opt.get_slot(w, "v").shape == fl.TensorShape([3])


def test_compute_and_apply_gradients_with_a_global_step():
    x = fl.Variable(2.0, name="x")
    unused = fl.Variable(1.0, name="unused")
    step = fl.train.get_or_create_global_step()
    assert fl.train.get_or_create_global_step() is step and fl.train.get_global_step() is step
    assert step.op.name == "global_step" and step.dtype.base_dtype is fl.int64
    opt = fl.train.GradientDescentOptimizer(0.25)
    pairs = opt.compute_gradients(x * x)
    assert [v for _, v in pairs] == [x, unused] and pairs[1][0] is None
    train_op = opt.apply_gradients(pairs, global_step=step)
    assert train_op.name == "GradientDescent" and train_op.type == "AssignAdd"
    assert fl.get_collection(fl.GraphKeys.TRAIN_OP) == [train_op]
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        sess.run(train_op)
        sess.run(train_op)
        assert sess.run([x, step]) == [0.5, 2]
        assert fl.train.global_step(sess, step) == 2


def test_minimize_var_list_and_errors():
    a = fl.Variable(1.0, name="a")
    b = fl.Variable(1.0, name="b")
    n = fl.Variable(1, name="n")
    opt = fl.train.GradientDescentOptimizer(0.5)
    only_a = opt.minimize(a * b, var_list=[a])
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        sess.run(only_a)
        assert sess.run([a, b]) == [0.5, 1.0]
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(fl.constant(1.0) * 2, var_list=[a])
    with pytest.raises(ValueError, match="Invalid type"):
        opt.minimize(n * 2, var_list=[n])
    with pytest.raises(TypeError, match="unsupported type"):
        opt.minimize(a * 2, var_list=[a.value()])


def test_saver_round_trip_and_latest_checkpoint(tmp_path):
    w = fl.Variable([1.0, 2.0], name="w")
    step = fl.Variable(0, name="counters/step", trainable=False)  # a "/" in the key
    bump = [w.assign(w * 10), step.assign_add(1)]
    saver = fl.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model.ckpt")
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        paths = []
        for i in range(3):
            paths.append(saver.save(sess, prefix, global_step=i))
            sess.run(bump)
    assert paths[-1] == prefix + "-2"
    assert fl.train.latest_checkpoint(str(tmp_path)) == prefix + "-2"
    assert not os.path.exists(paths[0] + ".index") and os.path.exists(paths[1] + ".index")
    with fl.Session() as sess:
        saver.restore(sess, paths[1])
        assert sess.run(w).tolist() == [10.0, 20.0] and sess.run(step) == 1


def test_saver_errors(tmp_path):
    w = fl.Variable([1.0, 2.0], name="w")
    saver = fl.train.Saver()
    with fl.Session() as sess:
        with pytest.raises(fl.errors.FailedPreconditionError, match="uninitialized value w"):
            saver.save(sess, str(tmp_path / "x"))
        with pytest.raises(fl.errors.NotFoundError, match="Failed to find any matching files"):
            saver.restore(sess, str(tmp_path / "missing"))
        sess.run(w.initializer)
        path = saver.save(sess, str(tmp_path / "x"))
    fl.reset_default_graph()
    wider = fl.Variable([1.0, 2.0, 3.0], name="w")
    other = fl.Variable(0.0, name="other")
    with fl.Session() as sess:
        with pytest.raises(fl.errors.NotFoundError, match="Key other not found in checkpoint"):
            fl.train.Saver([other]).restore(sess, path)
        with pytest.raises(fl.errors.InvalidArgumentError,
                           match=r"Assign requires shapes of both tensors to match. "
                                 r"lhs shape= \[3\] rhs shape= \[2\]"):
            fl.train.Saver([wider]).restore(sess, path)
    with pytest.raises(ValueError, match="No variables to save"):
        fl.train.Saver([])
