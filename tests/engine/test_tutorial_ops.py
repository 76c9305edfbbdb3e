"""Ops the classic programs use beyond the core: leaky_relu, relu6, xw_plus_b, split,
reduce_logsumexp, count_nonzero, is_nan/is_finite and ExponentialMovingAverage."""
from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numeric_grad

import flowlog as fl

X = np.array([[-3.0, -0.5, 0.7], [5.0, 7.0, 1000.0]])


@pytest.mark.parametrize("build", [
    lambda x: fl.nn.leaky_relu(x, alpha=0.1), fl.nn.relu6,
    lambda x: fl.reduce_logsumexp(x, axis=1), lambda x: fl.reduce_logsumexp(x),
    lambda x: fl.split(x, 3, axis=1)[1] * fl.split(x, [1, -1], axis=1)[1][:, :1],
    lambda x: fl.nn.xw_plus_b(x, fl.constant(np.ones((3, 2))), fl.constant(np.array([1.0, 2.0])))])
def test_values_and_gradients_match_finite_differences(build):
    with fl.Graph().as_default():
        x = fl.placeholder(fl.float64, [2, 3])
        loss = fl.reduce_sum(fl.square(build(x)) * 0.5)
        (grad,) = fl.gradients(loss, [x])
        with fl.Session() as sess:
            np.testing.assert_allclose(sess.run(grad, {x: X}),
                                       numeric_grad(sess, loss, [x], [X], 0, eps=1e-5),
                                       rtol=1e-6, atol=1e-5)


def test_values_are_tensorflows():
    with fl.Graph().as_default(), fl.Session() as sess:
        x = fl.constant(X)
        np.testing.assert_allclose(sess.run(fl.nn.leaky_relu(x, 0.1))[0], [-0.3, -0.05, 0.7])
        assert sess.run(fl.nn.relu6(x)).tolist() == [[0, 0, 0.7], [5, 6, 6]]
        big = sess.run(fl.reduce_logsumexp(x, axis=1, keepdims=True))
        assert big.shape == (2, 1) and big[1, 0] == 1000.0  # no overflow
        parts = fl.split(x, [2, -1], axis=1)
        assert [p.shape.as_list() for p in parts] == [[2, 2], [2, 1]]
        assert sess.run(parts[1]).ravel().tolist() == [0.7, 1000.0]
        assert sess.run(fl.count_nonzero([[0, 1, 2], [0, 0, 3]], axis=1)).tolist() == [2, 1]
        assert sess.run(fl.is_nan([np.nan, 1.0, np.inf])).tolist() == [True, False, False]
        assert sess.run(fl.is_finite([np.nan, 1.0, np.inf])).tolist() == [False, True, False]
    with fl.Graph().as_default(), pytest.raises(ValueError, match="evenly divisible by 2"):
        fl.split(fl.zeros([3]), 2)


def test_exponential_moving_average_follows_the_trained_variable(tmp_path):
    with fl.Graph().as_default():
        w = fl.Variable(10.0, name="w")
        step = fl.train.get_or_create_global_step()
        train = fl.assign_add(w, 1.0)
        with fl.control_dependencies([train, fl.assign_add(step, 1)]):
            ema = fl.train.ExponentialMovingAverage(0.5, num_updates=step)
            update = ema.apply([w])
        shadow = ema.average(w)
        assert shadow.op.name == "w/ExponentialMovingAverage"
        assert fl.moving_average_variables() == [w]
        with fl.Session() as sess:
            sess.run(fl.global_variables_initializer())
            sess.run(update)  # w 11, n 1: decay min(0.5, 2/11); the update sees the new w
            assert sess.run(shadow) == pytest.approx(10 + (11 - 10) * (1 - 2 / 11))
            for _ in range(20):
                sess.run(update)
            assert sess.run(w) - sess.run(shadow) == pytest.approx(1.0, abs=1e-3)
            fl.train.Saver().save(sess, str(tmp_path / "m"))
            averaged = sess.run(shadow)
    with fl.Graph().as_default():
        w = fl.Variable(0.0, name="w")
        names = fl.train.ExponentialMovingAverage(0.5).variables_to_restore()
        assert names == {"w/ExponentialMovingAverage": w}
        with fl.Session() as sess:
            fl.train.Saver(names).restore(sess, str(tmp_path / "m"))
            assert sess.run(w) == averaged


def test_lrn_and_its_gradient():
    rng = np.random.RandomState(0)
    x_val = rng.randn(1, 2, 2, 7).astype(np.float32)
    with fl.Graph().as_default():
        x = fl.placeholder(fl.float32, [1, 2, 2, 7])
        y = fl.nn.lrn(x, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75, name="norm")
        loss = fl.reduce_sum(y * rng.randn(1, 2, 2, 7).astype(np.float32))
        (grad,) = fl.gradients(loss, [x])
        assert y.op.type == "LRN" and y.op.name == "norm"
        with fl.Session() as sess:
            squares = np.square(x_val.astype(np.float64))
            window = np.stack([squares[..., max(0, c - 2):c + 3].sum(-1) for c in range(7)], -1)
            np.testing.assert_allclose(sess.run(y, {x: x_val}),
                                       x_val * (1.5 + 0.3 * window) ** -0.75, rtol=1e-5)
            np.testing.assert_allclose(sess.run(grad, {x: x_val}),
                                       numeric_grad(sess, loss, [x], [x_val], 0, eps=1e-2),
                                       rtol=2e-2, atol=2e-3)


def test_batch_normalization_normalizes_by_the_moments():
    x_val = np.random.RandomState(1).randn(50, 3) * [1.0, 5.0, 0.1] + [2.0, -1.0, 0.0]
    with fl.Graph().as_default(), fl.Session() as sess:
        x = fl.constant(x_val)
        mean, variance = fl.nn.moments(x, [0])
        out = sess.run(fl.nn.batch_normalization(x, mean, variance, offset=fl.constant(
            np.array([0.0, 1.0, 0.0])), scale=fl.constant(np.array([1.0, 1.0, 2.0])),
            variance_epsilon=0.0))
    np.testing.assert_allclose(out.mean(0), [0.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out.std(0), [1.0, 1.0, 2.0], rtol=1e-10)
