"""Every differentiable op's gradient against central finite differences, in float64."""
import numpy as np
import pytest
from flowlog.engine import framework, nn
from flowlog.engine import ops as fl
from flowlog.engine.session import Session
from gradcheck import numeric_grad

RNG = np.random.default_rng(0)


def _data(shape, kind, offset=0.0):
    if kind == "pos":
        return RNG.uniform(0.5, 2.0, shape)
    if kind == "distinct":  # well separated values: max/min/abs/relu have no ties or kinks
        n = int(np.prod(shape))
        return (RNG.permutation(n) - n / 2 + 0.5).reshape(shape) * 0.7 + offset
    if kind in ("zero", "zeros"):  # exact zeros: one at index 1, or every fourth element
        values = RNG.normal(size=shape)
        values.reshape(-1)[1 if kind == "zero" else slice(None, None, 4)] = 0.0
        return values
    return RNG.normal(size=shape)


def _grad_of(f):
    """The gradient of `f` at a with output weights b: checks the fused gradient op f uses
    (ReluGrad, SqrtGrad, ...) in both its inputs, i.e. second derivatives."""
    return lambda a, b: fl.gradients(f(a), a, grad_ys=b)[0]


# name, function of the input tensors, input shapes, kind of input values
CASES = [
    ("add", lambda a, b: a + b, [(2, 3), (2, 3)], "any"),
    ("add_broadcast", lambda a, b: fl.add(a, b), [(2, 3), (3,)], "any"),
    ("sub_broadcast", lambda a, b: a - b, [(2, 1), (1, 3)], "any"),
    ("mul_broadcast", lambda a, b: a * b, [(2, 3), ()], "any"),
    ("truediv", lambda a, b: a / b, [(2, 3), (3,)], "pos"),
    ("floormod", lambda a, b: fl.floormod(a, b), [(2, 3), (2, 3)], "pos"),
    ("pow", lambda a, b: fl.pow(a, b), [(2, 3), (2, 3)], "pos"),
    ("neg", lambda a: -a, [(2, 3)], "any"),
    ("abs", lambda a: fl.abs(a), [(2, 3)], "distinct"),
    ("square", fl.square, [(2, 3)], "any"),
    ("sqrt", fl.sqrt, [(2, 3)], "pos"),
    ("rsqrt", fl.rsqrt, [(2, 3)], "pos"),
    ("reciprocal", fl.reciprocal, [(2, 3)], "pos"),
    ("exp", fl.exp, [(2, 3)], "any"),
    ("log", fl.log, [(2, 3)], "pos"),
    ("log1p", fl.log1p, [(2, 3)], "pos"),
    ("sin", fl.sin, [(2, 3)], "any"),
    ("cos", fl.cos, [(2, 3)], "any"),
    ("maximum", fl.maximum, [(2, 3), (3,)], "distinct"),
    ("minimum", fl.minimum, [(2, 3), (2, 3)], "distinct"),
    ("squared_difference", fl.squared_difference, [(2, 3), (2, 1)], "any"),
    ("matmul", fl.matmul, [(2, 3), (3, 4)], "any"),
    ("matmul_ta", lambda a, b: fl.matmul(a, b, transpose_a=True), [(3, 2), (3, 4)], "any"),
    ("matmul_tb", lambda a, b: fl.matmul(a, b, transpose_b=True), [(2, 3), (4, 3)], "any"),
    ("matmul_tab", lambda a, b: fl.matmul(a, b, transpose_a=True, transpose_b=True),
     [(3, 2), (4, 3)], "any"),
    ("reduce_sum", fl.reduce_sum, [(2, 3)], "any"),
    ("reduce_sum_axis", lambda a: fl.reduce_sum(a, 1), [(2, 3)], "any"),
    ("reduce_sum_keepdims", lambda a: fl.reduce_sum(a, [0], keepdims=True), [(2, 3)], "any"),
    ("reduce_mean", fl.reduce_mean, [(2, 3)], "any"),
    ("reduce_mean_axis", lambda a: fl.reduce_mean(a, -1, keep_dims=True), [(2, 3, 2)], "any"),
    ("reduce_max", lambda a: fl.reduce_max(a, 0), [(2, 3)], "distinct"),
    ("reduce_min", fl.reduce_min, [(2, 3)], "distinct"),
    ("reduce_prod", lambda a: fl.reduce_prod(a, 1), [(2, 3)], "pos"),
    ("reduce_prod_one_zero", fl.reduce_prod, [(2, 3)], "zero"),
    ("reduce_prod_zero_per_row", lambda a: fl.reduce_prod(a, 1), [(2, 3)], "zeros"),
    ("reduce_prod_zeros_axes", lambda a: fl.reduce_prod(a, [2, 0], keepdims=True),
     [(2, 3, 2)], "zeros"),
    ("reduce_prod_two_zeros", lambda a: fl.reduce_prod(a, 0), [(5, 2)], "zeros"),
    ("reshape", lambda a: fl.reshape(a, [3, -1]), [(2, 3)], "any"),
    ("transpose", fl.transpose, [(2, 3)], "any"),
    ("transpose_perm", lambda a: fl.transpose(a, [1, 2, 0]), [(2, 3, 2)], "any"),
    ("expand_dims", lambda a: fl.expand_dims(a, 1), [(2, 3)], "any"),
    ("squeeze", fl.squeeze, [(2, 1, 3)], "any"),
    ("concat", lambda a, b: fl.concat([a, b, a], 1), [(2, 3), (2, 2)], "any"),
    ("stack", lambda a, b: fl.stack([a, b], axis=1), [(2, 3), (2, 3)], "any"),
    ("unstack", lambda a: fl.unstack(a)[1] * 2.0, [(2, 3)], "any"),
    ("strided_slice", lambda a: a[:, 1:], [(2, 3)], "any"),
    ("strided_slice_shrink", lambda a: a[1, ::-2], [(2, 3)], "any"),
    ("gather", lambda a: fl.gather(a, [2, 0, 2]), [(3, 2)], "any"),
    ("gather_axis1", lambda a: fl.gather(a, [[1, 1], [0, 2]], axis=1), [(2, 3)], "any"),
    ("where", lambda a, b: fl.where(fl.constant([[True, False, True]] * 2), a, b),
     [(2, 3), (2, 3)], "any"),
    ("where_v2_broadcast", lambda a, b: fl.where_v2(fl.constant([True, False, True]), a, b),
     [(2, 3), (1, 3)], "any"),
    ("softmax_xent_3d", lambda a, b: nn.softmax_cross_entropy_with_logits_v2(
        labels=nn.softmax(b), logits=a), [(2, 2, 3), (2, 2, 3)], "any"),
    ("clip_by_value", lambda a: fl.clip_by_value(a, -0.5, 0.5), [(2, 3)], "distinct"),
    ("identity", fl.identity, [(2, 3)], "any"),
    ("fill", lambda a: fl.fill([2, 2], a), [()], "any"),
    ("tile", lambda a: fl.tile(a, [2, 1]), [(2, 3)], "any"),
    ("pad", lambda a: fl.pad(a, [[1, 0], [0, 2]]), [(2, 3)], "any"),
    ("slice", lambda a: fl.slice(a, [0, 1], [2, -1]), [(2, 3)], "any"),
    ("broadcast_to", lambda a: fl.broadcast_to(a, [2, 3]), [(3,)], "any"),
    ("add_n", lambda a, b: fl.add_n([a, b, a]), [(2, 3), (2, 3)], "any"),
    ("print", lambda a: fl.Print(a, [], "grad check"), [(2,)], "any"),
    ("relu", nn.relu, [(2, 3)], "distinct"),
    ("sigmoid", nn.sigmoid, [(2, 3)], "any"),
    ("tanh", nn.tanh, [(2, 3)], "any"),
    ("softplus", nn.softplus, [(2, 3)], "any"),
    ("elu", nn.elu, [(2, 3)], "distinct"),
    ("softmax", nn.softmax, [(2, 3)], "any"),
    ("softmax_axis0", lambda a: nn.softmax(a, axis=0), [(2, 3)], "any"),
    ("log_softmax", nn.log_softmax, [(2, 3)], "any"),
    ("softmax_xent_v2", lambda a, b: nn.softmax_cross_entropy_with_logits_v2(
        labels=nn.softmax(b), logits=a), [(2, 3), (2, 3)], "any"),
    ("sparse_softmax_xent", lambda a: nn.sparse_softmax_cross_entropy_with_logits(
        labels=[2, 0], logits=a), [(2, 3)], "any"),
    ("sigmoid_xent", lambda a, b: nn.sigmoid_cross_entropy_with_logits(
        labels=nn.sigmoid(b), logits=a), [(2, 3), (2, 3)], "any"),
    ("l2_loss", nn.l2_loss, [(2, 3)], "any"),
    ("bias_add", nn.bias_add, [(2, 3), (3,)], "any"),
    ("cast_float", lambda a: fl.cast(fl.cast(a, "float32"), "float64") * 0.0 + a, [(2,)], "any"),
    ("unsorted_segment_sum", lambda a: fl.unsorted_segment_sum(a, [0, 2, 0], 3), [(3, 2)], "any"),
    ("relu_grad", _grad_of(nn.relu), [(2, 3), (2, 3)], "distinct"),
    ("sigmoid_grad", _grad_of(nn.sigmoid), [(2, 3), (2, 3)], "any"),
    ("tanh_grad", _grad_of(nn.tanh), [(2, 3), (2, 3)], "any"),
    ("elu_grad", _grad_of(nn.elu), [(2, 3), (2, 3)], "distinct"),
    ("sqrt_grad", _grad_of(fl.sqrt), [(2, 3), (2, 3)], "pos"),
    ("rsqrt_grad", _grad_of(fl.rsqrt), [(2, 3), (2, 3)], "pos"),
    ("reciprocal_grad", _grad_of(fl.reciprocal), [(2, 3), (2, 3)], "pos"),
]


@pytest.mark.parametrize("name,fn,shapes,kind", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(name, fn, shapes, kind):
    g = framework.Graph()
    with g.as_default():
        phs = [fl.placeholder("float64", shape=s) for s in shapes]
        y = fn(*phs)
        weights = fl.constant(RNG.normal(size=y.shape.as_list()))  # checks a full J^T w product
        loss = fl.reduce_sum(y * weights)
        grads = fl.gradients(loss, phs)
        values = [_data(s, kind, offset=0.2 * i) for i, s in enumerate(shapes)]
        with Session(graph=g) as sess:
            analytic = sess.run(grads, dict(zip(phs, values)))
            for i in range(len(phs)):
                numeric = numeric_grad(sess, loss, phs, values, i)
                assert analytic[i].shape == values[i].shape
                np.testing.assert_allclose(analytic[i], numeric, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{name}: input {i}")


def test_gradients_with_unknown_shapes_match_known_shapes():
    g = framework.Graph()
    with g.as_default():
        x, y = fl.placeholder("float64"), fl.placeholder("float64", shape=[None, 3])
        loss = fl.reduce_mean(fl.reduce_max(x * y, 1, keepdims=True) + fl.reduce_sum(y, 0))
        gx, gy = fl.gradients(loss, [x, y])
        xv, yv = _data((2, 3), "distinct"), _data((2, 3), "distinct", offset=0.2)
        with Session(graph=g) as sess:
            got = sess.run([gx, gy], {x: xv, y: yv})
            for i, (ph, v) in enumerate([(x, xv), (y, yv)]):
                num = numeric_grad(sess, loss, [x, y], [xv, yv], i)
                np.testing.assert_allclose(got[i], num, rtol=1e-5, atol=1e-6)


def test_prod_gradient_with_axes_known_only_at_run_time_handles_zeros():
    g = framework.Graph()
    with g.as_default():
        x, axes = fl.placeholder("float64"), fl.placeholder("int64")
        loss = fl.reduce_sum(fl.reduce_prod(x, axes) * np.array([1.5, -2.0]))
        (gx,) = fl.gradients(loss, [x])
        xv = _data((2, 3, 2), "zeros")
        with Session(graph=g) as sess:
            got = sess.run(gx, {x: xv, axes: [-1, 1]})
            num = numeric_grad(sess, loss, [x], [xv], 0, feed={axes: [-1, 1]})
            np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6)
            assert got[1, 1, 0] != 0.0  # the lone zero of its slice: the product of the others

