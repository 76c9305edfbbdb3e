"""A plan remembers shape arithmetic per input shape: values follow every change of a batch's
size, and what a run returns is the caller's to change."""
import numpy as np
import pytest

import flowlog as fl


def test_a_training_step_follows_the_batch_size_from_run_to_run():
    x = fl.placeholder(fl.float32, [None, 3])
    y = fl.placeholder(fl.float32, [None, 2])
    w = fl.Variable(np.zeros((3, 2), np.float32))
    logits = fl.matmul(x, w) + fl.constant([0.5, -0.5])
    loss = fl.reduce_mean(fl.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
    grad = fl.gradients(loss, w)[0]
    rng = np.random.default_rng(0)
    with fl.Session() as sess:
        sess.run(w.initializer)
        for n in [4, 7, 4, 1, 7]:  # each size again after another: nothing stale is reused
            xs = rng.random((n, 3), dtype=np.float32)
            ys = np.eye(2, dtype=np.float32)[rng.integers(0, 2, n)]
            p = np.exp([0.5, -0.5]) / np.exp([0.5, -0.5]).sum()
            want = xs.T @ (p - ys) / n
            got_loss, got = sess.run([loss, grad], {x: xs, y: ys})
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
            assert np.isclose(got_loss, -np.mean(np.log(p) @ ys.T.astype(np.float64)), rtol=1e-5)


def test_a_fetched_shape_is_a_fresh_array_each_run():
    x = fl.placeholder(fl.float32, [None, 3])
    shape = fl.shape(x)
    doubled = shape * 2
    with fl.Session() as sess:
        first, twice = sess.run([shape, doubled], {x: np.zeros((5, 3), np.float32)})
        first[0] = 99
        twice[0] = 99
        again, twice_again = sess.run([shape, doubled], {x: np.zeros((5, 3), np.float32)})
        assert again.tolist() == [5, 3] and twice_again.tolist() == [10, 6]


def test_a_fed_array_changed_in_place_between_runs_is_read_again():
    x = fl.placeholder(fl.int32, [2])
    size = fl.reduce_prod(x) + fl.size(x)
    buffer = np.array([2, 3], np.int32)
    with fl.Session() as sess:
        assert sess.run(size, {x: buffer}) == 8
        buffer[1] = 10  # the same array object, new contents
        assert sess.run(size, {x: buffer}) == 22


def test_a_feed_of_the_wrong_shape_fails_after_feeds_of_good_ones():
    x = fl.placeholder(fl.float32, [None, 2])
    with fl.Session() as sess:
        for n in [3, 4]:
            assert sess.run(x, {x: np.ones((n, 2), np.float32)}).shape == (n, 2)
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(4, 3\)"):
            sess.run(x, {x: np.ones((4, 3), np.float32)})
