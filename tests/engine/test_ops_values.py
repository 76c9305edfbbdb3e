"""Op values through a Session, against NumPy; Print, random seeds, unfed placeholders."""
import numpy as np
import pytest
from flowlog.engine import errors, framework, nn
from flowlog.engine import ops as fl
from flowlog.engine.session import Session

X = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], np.float32)


@pytest.fixture
def graph():
    g = framework.Graph()
    with g.as_default():
        yield g


def _softmax(v):
    e = np.exp(v - v.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


VALUE_CASES = [
    ("sum", lambda x: fl.reduce_sum(x), X.sum()),
    ("sum_axis", lambda x: fl.reduce_sum(x, 0), X.sum(0)),
    ("mean_keepdims", lambda x: fl.reduce_mean(x, 1, keepdims=True), X.mean(1, keepdims=True)),
    ("max", lambda x: fl.reduce_max(x, 1), X.max(1)),
    ("min", lambda x: fl.reduce_min(x), X.min()),
    ("prod", lambda x: fl.reduce_prod(x, 0), X.prod(0)),
    ("argmax", lambda x: fl.argmax(x, 1), X.argmax(1)),
    ("argmin", lambda x: fl.argmin(x, 0), X.argmin(0)),
    ("slice", lambda x: x[:, :1], X[:, :1]),
    ("slice_step", lambda x: x[1, ::-1], X[1, ::-1]),
    ("slice_ellipsis", lambda x: x[..., None, 2], X[..., None, 2]),
    ("transpose", fl.transpose, X.T),
    ("concat", lambda x: fl.concat([x, x], 1), np.concatenate([X, X], 1)),
    ("stack", lambda x: fl.stack([x, x], axis=2), np.stack([X, X], 2)),
    ("gather", lambda x: fl.gather(x, [1, 0, 1]), X[[1, 0, 1]]),
    ("where", lambda x: fl.where(x > 0, x, -x), np.abs(X)),
    ("clip", lambda x: fl.clip_by_value(x, -1.0, 1.0), np.clip(X, -1, 1)),
    ("cast", lambda x: fl.cast(x * 1.5, "int32"), (X * 1.5).astype(np.int32)),
    ("matmul", lambda x: fl.matmul(x, x, transpose_b=True), X @ X.T),
    ("matmul_op", lambda x: fl.transpose(x) @ x, X.T @ X),
    ("pow", lambda x: x ** 2, X ** 2),
    ("floordiv", lambda x: x // 4.0, X // 4),
    ("mod", lambda x: x % 4.0, X % 4),
    ("neg_abs", lambda x: abs(-x), np.abs(X)),
    ("squared_difference", lambda x: fl.squared_difference(x, 1.0), (X - 1) ** 2),
    ("logical", lambda x: fl.logical_and(x > 0, fl.logical_not(x > 3)), (X > 0) & ~(X > 3)),
    ("comparisons", lambda x: (x >= 1.0) | (x < -5.0), (X >= 1) | (X < -5)),
    ("tile", lambda x: fl.tile(x, [2, 1]), np.tile(X, (2, 1))),
    ("one_hot", lambda x: fl.one_hot(fl.argmax(x, 1), 3), np.eye(3, dtype=np.float32)[[2, 1]]),
    ("zeros_like", fl.zeros_like, np.zeros_like(X)),
    ("ones", lambda x: fl.ones([2, 2], "int32"), np.ones((2, 2), np.int32)),
    ("fill", lambda x: fl.fill([2], 7), np.array([7, 7], np.int32)),
    ("range", lambda x: fl.range(1, 7, 2), np.arange(1, 7, 2, dtype=np.int32)),
    ("relu", nn.relu, np.maximum(X, 0)),
    ("sigmoid", nn.sigmoid, 1 / (1 + np.exp(-X))),
    ("tanh", nn.tanh, np.tanh(X)),
    ("softmax", nn.softmax, _softmax(X)),
    ("log_softmax", nn.log_softmax, np.log(_softmax(X))),
    ("xent", lambda x: nn.softmax_cross_entropy_with_logits(labels=fl.one_hot([1, 0], 3),
                                                            logits=x),
     -np.log(_softmax(X)[[0, 1], [1, 0]])),
    ("sparse_xent", lambda x: nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 0],
                                                                          logits=x),
     -np.log(_softmax(X)[[0, 1], [1, 0]])),
    ("sigmoid_xent", lambda x: nn.sigmoid_cross_entropy_with_logits(labels=fl.ones_like(x),
                                                                    logits=x),
     np.log1p(np.exp(-X))),
    ("l2_loss", nn.l2_loss, (X ** 2).sum() / 2),
    ("bias_add", lambda x: nn.bias_add(x, [1.0, 2.0, 3.0]), X + [1, 2, 3]),
]


@pytest.mark.parametrize("name,fn,want", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_values_match_numpy(graph, name, fn, want):
    x = fl.placeholder("float32", shape=[2, 3])
    out = fn(x)
    got = Session(graph=graph).run(out, {x: X})
    assert np.asarray(got).dtype == np.asarray(want).dtype or np.asarray(want).dtype == np.float64
    assert np.shape(got) == np.shape(want) == tuple(out.shape.as_list())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_integer_arithmetic_keeps_tf_types(graph):
    a, b = fl.constant(7), fl.constant(2)
    sess = Session(graph=graph)
    assert sess.run([a / b, a // b, -a % b, fl.reduce_sum([a, b]), fl.reduce_mean([a, b])]) == \
        [3.5, 3, 1, 9, 4]
    assert sess.run(fl.reduce_sum([a, b])).dtype == np.int32


def test_kernels_never_change_their_inputs(graph):
    base = np.arange(6, dtype=np.float32).reshape(2, 3)
    c = fl.constant(base)
    outs = [fl.reduce_sum(c, []), fl.reshape(c, [3, 2]), fl.identity(c), c[:, 1:],
            fl.broadcast_to(c, [2, 2, 3])]
    grads = fl.gradients([fl.reduce_sum(o) for o in outs], c)
    sess = Session(graph=graph)
    sess.run(outs + grads)
    np.testing.assert_array_equal(c.op.get_attr("value"), base)
    assert not c.op.get_attr("value").flags.writeable


def test_print_prints_only_when_on_the_run_path(graph, capfd):
    two, three = fl.constant(2), fl.constant(3)
    total = two + three
    printed = fl.Print(total, [two, three])
    sess = Session(graph=graph)
    assert sess.run(total) == 5
    assert capfd.readouterr().err == ""
    assert sess.run(printed) == 5
    assert capfd.readouterr().err == "[2][3]\n"
    m = fl.Print(fl.constant([[1.5, 2.0], [3.0, 4.0]]), [fl.constant([1.5, 2.0, 3.0, 4.0])],
                 message="values: ", first_n=1, summarize=3)
    sess.run(m)
    sess.run(m)
    assert capfd.readouterr().err == "values: [1.5 2 3...]\n"


def test_unfed_placeholder_error_names_it_and_its_dtype(graph):
    fl.placeholder("int32")
    p = fl.placeholder("int32")
    total = p + fl.constant(3)
    with pytest.raises(errors.InvalidArgumentError,
                       match="You must feed a value for placeholder tensor 'Placeholder_1' "
                             "with dtype int32"):
        Session(graph=graph).run(total)
    assert Session(graph=graph).run(total, {p: 2}) == 5


def test_random_ops_repeat_per_seed_and_draw_anew_each_run(graph):
    fl.set_random_seed(42)
    r = fl.random_normal([1000], mean=1.0, stddev=2.0)
    t = fl.truncated_normal([1000], stddev=0.5)
    u = fl.random_uniform([1000], -3.0, 3.0, seed=3)
    ints = fl.random_uniform([100], 0, 5, dtype="int32")
    s1, s2 = Session(graph=graph), Session(graph=graph)
    first = s1.run([r, t, u, ints])
    assert all(np.array_equal(a, b) for a, b in zip(first, s2.run([r, t, u, ints])))
    assert not np.array_equal(first[0], s1.run(r))  # a new draw each run
    rv, tv, uv, iv = first
    assert rv.dtype == np.float32 and abs(rv.mean() - 1.0) < 0.3 and abs(rv.std() - 2.0) < 0.3
    assert np.abs(tv).max() <= 1.0
    assert uv.min() >= -3.0 and uv.max() < 3.0
    assert iv.dtype == np.int32 and set(iv.tolist()) <= {0, 1, 2, 3, 4}


def test_dropout_scales_kept_units_and_keeps_all_at_keep_prob_one(graph):
    x = fl.ones([1000])
    d = nn.dropout(x, keep_prob=0.5, seed=1)
    assert nn.dropout(x, 1.0) is x
    v = Session(graph=graph).run(d)
    assert set(np.unique(v).tolist()) <= {0.0, 2.0}
    assert 300 < (v > 0).sum() < 700


def test_sparse_xent_rejects_labels_out_of_range(graph):
    loss = nn.sparse_softmax_cross_entropy_with_logits(labels=[3], logits=[[1.0, 2.0, 3.0]])
    with pytest.raises(errors.InvalidArgumentError, match="label value of 3 which is outside"):
        Session(graph=graph).run(loss)
