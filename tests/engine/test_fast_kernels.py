"""Kernels that take faster paths (sums over leading axes one at a time, the one-exp softmax
cross-entropy) give NumPy's values, in float32, in every layout and dtype they accept."""
import numpy as np
import pytest

import flowlog as fl

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((64, 8, 8, 32)).astype(np.float32)


def run(fetch, feed=None):
    with fl.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.parametrize("axis", [[0, 1, 2], [0, 1], [1, 2], [0, 1, 2, 3], [-4, -3]])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduce, numpy", [(fl.reduce_sum, np.sum), (fl.reduce_mean, np.mean)])
def test_float_sums_and_means_over_axes_match_numpy(axis, keepdims, reduce, numpy):
    x = fl.placeholder(fl.float32, [None, 8, 8, 32])
    got = run(reduce(x, axis, keepdims=keepdims), {x: IMAGES})
    want = numpy(IMAGES.astype(np.float64), tuple(axis), keepdims=keepdims)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_integer_and_transposed_inputs_sum_over_leading_axes_as_numpy_does():
    ints = RNG.integers(-1000, 1000, (6, 5, 4, 3)).astype(np.int32)
    x = fl.placeholder(fl.int32, ints.shape)
    assert run(fl.reduce_sum(x, [0, 1]), {x: ints}).tolist() == ints.sum((0, 1)).tolist()
    assert run(fl.reduce_mean(x, [0, 1, 2]), {x: ints}).tolist() == \
        np.trunc(ints.sum((0, 1, 2)) / 120).astype(np.int32).tolist()
    swapped = fl.transpose(fl.constant(IMAGES), [3, 2, 1, 0])  # not C-ordered under the hood
    np.testing.assert_allclose(run(fl.reduce_sum(swapped, [0, 1])),
                               IMAGES.astype(np.float64).sum((2, 3)).T, rtol=1e-5, atol=1e-4)


def test_softmax_cross_entropy_and_its_gradient_match_the_formula():
    logits = (RNG.standard_normal((100, 10)) * 30).astype(np.float32)  # far apart: exp overflows
    labels = RNG.dirichlet(np.ones(10), 100).astype(np.float32)  # soft labels
    z = fl.placeholder(fl.float32, [None, 10])
    loss = fl.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=z)
    got_loss, got_grad = run([loss, fl.gradients(fl.reduce_sum(loss), z)[0]], {z: logits})
    z64 = logits.astype(np.float64)
    log_p = z64 - z64.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    np.testing.assert_allclose(got_loss, -(labels * log_p).sum(1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(got_grad, np.exp(log_p) - labels, atol=1e-6)
