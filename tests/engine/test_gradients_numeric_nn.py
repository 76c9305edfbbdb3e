"""Gradients of convolution, pooling, ranking, norms, losses and control flow against central
finite differences, in float64 (one table, as in test_gradients_numeric.py)."""
import numpy as np
import pytest
from flowlog.engine import (
    activation_ops,
    control_flow,
    conv_ops,
    framework,
    losses,
    norm_ops,
    normalization_ops,
    pool_ops,
    split_ops,
    tf_graph_ops,
    topk_ops,
)
from flowlog.engine import ops as fl
from flowlog.engine.embedding_ops import embedding_lookup
from flowlog.engine.session import Session
from flowlog.engine.while_loop import while_loop
from gradcheck import numeric_grad

RNG = np.random.default_rng(1)


def _data(shape, kind):
    if kind == "distinct":  # no ties: max pooling and top_k have a unique winner everywhere
        n = int(np.prod(shape))
        return ((RNG.permutation(n) - n / 2) * 0.1).reshape(shape)
    if kind in ("pos", "loss"):
        return RNG.uniform(0.5, 2.0, shape)
    return RNG.normal(size=shape)


def _conv(padding, strides=1, dilations=1):
    return lambda x, f: conv_ops.conv2d(x, f, strides, padding, dilations=dilations)


def _transpose(output_shape, strides, padding):
    return lambda v, f: conv_ops.conv2d_transpose(v, f, output_shape, strides, padding)


def _pool(fn, k, s, padding):
    return lambda x: fn(x, [1, k, k, 1], [1, s, s, 1], padding)


def _cond_both(x, y):
    """A cond whose branches read different tensors: each gets a gradient only when taken."""
    taken = control_flow.cond(fl.reduce_sum(x) > 0, lambda: x * y, lambda: fl.sin(x))
    skipped = control_flow.cond(fl.reduce_sum(x) < -1e9, lambda: x * 0.0, lambda: y * y)
    return taken + skipped


def _while_power(x, y):
    """x * y ** 4 by a loop: the gradient goes through every iteration into both inputs."""
    _, out = while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * y),
                                     [fl.constant(0), x])
    return out


def _while_nested_cond(x):
    def body(i, a):
        return i + 1, control_flow.cond(i < 2, lambda: a * a, lambda: fl.sin(a))
    return while_loop(lambda i, a: i < 3, body, [fl.constant(0), x])[1]


def _case(x):
    return control_flow.case([(fl.reduce_sum(x) > 100.0, lambda: x * 3.0),
                              (fl.reduce_sum(x) > -100.0, lambda: fl.exp(x))],
                             default=lambda: x)


# name, function of the input tensors, input shapes, kind of input values
CASES = [
    ("conv2d_same", _conv("SAME"), [(2, 5, 4, 3), (3, 3, 3, 2)], "any"),
    ("conv2d_valid", _conv("VALID"), [(2, 5, 6, 2), (2, 3, 2, 3)], "any"),
    ("conv2d_strided_same", _conv("SAME", [1, 2, 2, 1]), [(1, 5, 6, 2), (3, 3, 2, 2)], "any"),
    ("conv2d_strided_valid", _conv("VALID", 2), [(1, 7, 6, 1), (3, 2, 1, 2)], "any"),
    ("conv2d_dilated", _conv("SAME", 1, [1, 2, 2, 1]), [(1, 6, 5, 2), (2, 3, 2, 2)], "any"),
    ("conv2d_transpose_same", _transpose([2, 6, 6, 2], [1, 2, 2, 1], "SAME"),
     [(2, 3, 3, 3), (3, 3, 2, 3)], "any"),
    ("conv2d_transpose_valid", _transpose([1, 5, 5, 1], [1, 2, 2, 1], "VALID"),
     [(1, 2, 2, 2), (3, 3, 1, 2)], "any"),
    ("conv2d_backprop_filter", lambda x, g: conv_ops.conv2d_backprop_filter(
        x, [3, 3, 2, 2], g, [1, 1, 1, 1], "SAME"), [(1, 4, 4, 2), (1, 4, 4, 2)], "any"),
    ("max_pool_valid", _pool(pool_ops.max_pool, 2, 2, "VALID"), [(2, 4, 6, 3)], "distinct"),
    ("max_pool_same_overlap", _pool(pool_ops.max_pool, 3, 2, "SAME"), [(1, 5, 5, 2)],
     "distinct"),
    ("max_pool_grad", lambda x, g: fl.gradients(pool_ops.max_pool(
        x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), x, grad_ys=g)[0], [(1, 3, 4, 2), (1, 2, 2, 2)],
     "distinct"),
    ("avg_pool_grad", lambda g: pool_ops.avg_pool_grad([1, 5, 4, 2], g, [1, 3, 3, 1],
                                                       [1, 2, 2, 1], "SAME"), [(1, 3, 2, 2)],
     "any"),
    ("avg_pool_valid", _pool(pool_ops.avg_pool, 2, 2, "VALID"), [(2, 4, 4, 2)], "any"),
    ("avg_pool_same", _pool(pool_ops.avg_pool, 3, 2, "SAME"), [(1, 5, 4, 2)], "any"),
    ("top_k", lambda x: topk_ops.top_k(x, 2).values, [(3, 5)], "distinct"),
    ("moments_mean", lambda x: norm_ops.moments(x, [0, 1])[0], [(3, 2, 4)], "any"),
    ("moments_variance", lambda x: norm_ops.moments(x, [0])[1], [(4, 3)], "any"),
    ("l2_normalize", lambda x: norm_ops.l2_normalize(x, 1), [(2, 3)], "any"),
    ("clip_by_norm", lambda x: norm_ops.clip_by_norm(x, 0.5), [(2, 3)], "any"),
    ("clip_by_global_norm", lambda x, y: norm_ops.clip_by_global_norm([x, y], 0.7)[0][1],
     [(2, 3), (3,)], "any"),
    ("embedding_lookup", lambda p: embedding_lookup(p, [[2, 0], [2, 2]]), [(4, 3)], "any"),
    ("losses_mse_weighted", lambda p, y: losses.mean_squared_error(
        y, p, weights=fl.constant([[1.0], [0.0], [2.0]], dtype="float64")), [(3, 2), (3, 2)],
     "loss"),
    ("losses_sparse_xent", lambda z: losses.sparse_softmax_cross_entropy([1, 0, 2], z),
     [(3, 4)], "loss"),
    ("losses_sigmoid_xent_smoothed", lambda z: losses.sigmoid_cross_entropy(
        fl.constant([[1.0, 0.0], [0.0, 1.0]], dtype="float64"), z, label_smoothing=0.2),
     [(2, 2)], "loss"),
    ("cond", _cond_both, [(2, 3), (2, 3)], "pos"),
    ("while_loop", _while_power, [(2,), (2,)], "pos"),
    ("while_loop_cond_inside", _while_nested_cond, [(3,)], "pos"),
    ("case", _case, [(2,)], "any"),
    ("div_no_nan", tf_graph_ops.div_no_nan, [(2, 3), (2, 3)], "pos"),
    ("dynamic_stitch", lambda x, y: tf_graph_ops.dynamic_stitch([[0, 2], [1]], [x, y]),
     [(2, 3), (1, 3)], "any"),
    ("leaky_relu", lambda x: activation_ops.leaky_relu(x, 0.1), [(2, 3)], "any"),
    ("leaky_relu_grad", lambda x, g: fl.gradients(activation_ops.leaky_relu(x, 0.1), x,
                                                  grad_ys=g)[0], [(2, 3), (2, 3)], "any"),
    ("relu6", lambda x: activation_ops.relu6(x * 4.0), [(2, 3)], "any"),
    ("relu6_grad", lambda x, g: fl.gradients(activation_ops.relu6(x * 4.0), x, grad_ys=g)[0],
     [(2, 3), (2, 3)], "any"),
    ("split", lambda x: split_ops.split(x, 2, axis=1)[1], [(2, 4)], "any"),
    ("split_v", lambda x: split_ops.split(x, [1, -1], axis=1)[1], [(2, 4)], "any"),
    ("lrn", lambda x: normalization_ops.lrn(x, 2, 1.5, 0.3, 0.75), [(1, 2, 2, 5)], "any"),
]


@pytest.mark.parametrize("name,fn,shapes,kind", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(name, fn, shapes, kind):
    g = framework.Graph()
    with g.as_default():
        phs = [fl.placeholder("float64", shape=s) for s in shapes]
        y = fn(*phs)
        y = fl.cast(y, "float64")
        values = [_data(s, kind) for s in shapes]
        with Session(graph=g) as sess:
            out = sess.run(y, dict(zip(phs, values)))
            weights = fl.constant(RNG.normal(size=np.shape(out)))  # a full J^T w product
            loss = fl.reduce_sum(y * weights)
            grads = fl.gradients(loss, phs)
            analytic = sess.run(grads, dict(zip(phs, values)))
            # tf.losses compute in float32 whatever the input type, as TF's do
            eps, tol = (1e-3, 2e-3) if kind == "loss" else (1e-6, 1e-5)
            for i in range(len(phs)):
                numeric = numeric_grad(sess, loss, phs, values, i, eps)
                assert analytic[i].shape == values[i].shape
                np.testing.assert_allclose(analytic[i], numeric, rtol=tol, atol=tol / 10,
                                           err_msg=f"{name}: input {i}")


def test_cond_gradient_is_zero_for_a_branch_not_taken():
    g = framework.Graph()
    with g.as_default():
        x = fl.placeholder("float64", [])
        y = control_flow.cond(x > 0, lambda: x * x, lambda: fl.constant(5.0, dtype="float64"))
        (dx,) = fl.gradients(y, [x])
        with Session(graph=g) as sess:
            assert sess.run(dx, {x: 3.0}) == 6.0
            assert sess.run(dx, {x: -3.0}) == 0.0


def test_second_order_through_conv2d_backprop_ops():
    g = framework.Graph()
    with g.as_default():
        x = fl.placeholder("float64", [1, 4, 4, 1])
        f = fl.placeholder("float64", [2, 2, 1, 1])
        y = fl.reduce_sum(fl.square(conv_ops.conv2d(x, f, 1, "SAME")))
        (gf,) = fl.gradients(y, [f])
        (hx,) = fl.gradients(fl.reduce_sum(gf), [x])  # through Conv2DBackpropFilter
        xv, fv = RNG.normal(size=(1, 4, 4, 1)), RNG.normal(size=(2, 2, 1, 1))
        with Session(graph=g) as sess:
            analytic = sess.run(hx, {x: xv, f: fv})
            loss = fl.reduce_sum(gf)
            numeric = numeric_grad(sess, loss, [x, f], [xv, fv], 0)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)
