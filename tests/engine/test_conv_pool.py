"""conv2d, conv2d_transpose, max_pool and avg_pool: TF's shapes, values and errors."""
import numpy as np
import pytest

import flowlog as fl

RNG = np.random.default_rng(2)


def naive_conv(x, f, stride, padding):
    """The definition, one output pixel at a time (TF's SAME: the odd padding goes after)."""
    n, h, w, _ = x.shape
    kh, kw, _, o = f.shape
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-w // stride)
        ph = max((oh - 1) * stride + kh - h, 0)
        pw = max((ow - 1) * stride + kw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, f, axes=3)
    return out


@pytest.mark.parametrize("padding,stride,channels", [("SAME", 1, 3), ("SAME", 2, 3),
                                                     ("VALID", 1, 3), ("VALID", 3, 3),
                                                     ("SAME", 1, 1), ("VALID", 2, 1)])
def test_conv2d_matches_the_definition(padding, stride, channels):
    x, f = RNG.normal(size=(2, 7, 8, channels)), RNG.normal(size=(3, 2, channels, 4))
    with fl.Graph().as_default():
        y = fl.nn.conv2d(x, f, strides=[1, stride, stride, 1], padding=padding)
        with fl.Session() as sess:
            got = sess.run(y)
    want = naive_conv(x, f, stride, padding)
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_conv2d_static_shapes_and_names():
    with fl.Graph().as_default():
        x = fl.placeholder(fl.float32, [None, 28, 28, 1])
        w = fl.Variable(fl.zeros([5, 5, 1, 32]))
        y = fl.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")
        pooled = fl.nn.max_pool(y, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
        valid = fl.nn.avg_pool(y, [1, 3, 3, 1], [1, 2, 2, 1], "VALID")
        assert (y.op.type, y.op.name, y.shape.as_list()) == ("Conv2D", "Conv2D", [None, 28, 28, 32])
        assert (pooled.op.type, pooled.shape.as_list()) == ("MaxPool", [None, 14, 14, 32])
        assert valid.shape.as_list() == [None, 13, 13, 32]
        node = y.op.node_def
        assert node.attr["padding"].s == b"SAME" and list(node.attr["strides"].list.i) == [1] * 4
        assert node.attr["data_format"].s == b"NHWC"


def test_conv2d_errors_name_the_problem():
    with fl.Graph().as_default():
        x = fl.placeholder(fl.float32, [None, 8, 8, 3])
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
            fl.nn.conv2d(x, fl.zeros([3, 3, 2, 4]), [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
            fl.nn.conv2d(fl.placeholder(fl.float32, [8, 8, 3]), fl.zeros([3, 3, 3, 4]),
                         [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="padding must be one of SAME, VALID"):
            fl.nn.conv2d(x, fl.zeros([3, 3, 3, 4]), [1, 1, 1, 1], "FULL")
        with pytest.raises(ValueError, match="strides in the batch and depth"):
            fl.nn.conv2d(x, fl.zeros([3, 3, 3, 4]), [2, 1, 1, 1], "SAME")
        with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
            fl.nn.conv2d(fl.zeros([1, 4, 4, 1], fl.int32), fl.zeros([2, 2, 1, 1], fl.int32),
                         [1, 1, 1, 1], "SAME")


def test_pools_values_and_same_padding_counts_only_real_elements():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    with fl.Graph().as_default():
        mx = fl.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        avg = fl.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
        with fl.Session() as sess:
            m, a = sess.run([mx, avg])
    np.testing.assert_array_equal(m[0, :, :, 0], [[5, 7], [13, 15]])
    # SAME 3x3 windows at stride 2 over 4x4 pad one row and column after: the last window
    # holds 2x2 real elements and averages those four
    np.testing.assert_allclose(a[0, :, :, 0], [[5.0, 6.5], [11.0, 12.5]])  # (10+11+14+15)/4


def test_max_pool_gradient_goes_to_the_first_maximum_of_a_tie():
    with fl.Graph().as_default():
        x = fl.placeholder(fl.float32, [1, 2, 2, 1])
        (g,) = fl.gradients(fl.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), [x])
        with fl.Session() as sess:
            got = sess.run(g, {x: np.zeros((1, 2, 2, 1))})
    np.testing.assert_array_equal(got[0, :, :, 0], [[1, 0], [0, 0]])


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    x, f = RNG.normal(size=(2, 6, 6, 2)), RNG.normal(size=(3, 3, 2, 4))
    v = RNG.normal(size=(2, 3, 3, 4))
    with fl.Graph().as_default():
        y = fl.nn.conv2d(x, f, [1, 2, 2, 1], "SAME")
        t = fl.nn.conv2d_transpose(v, f, [2, 6, 6, 2], [1, 2, 2, 1], "SAME")
        assert t.shape.as_list() == [2, 6, 6, 2] and t.op.type == "Conv2DBackpropInput"
        with fl.Session() as sess:
            yv, tv = sess.run([y, t])
    # <conv(x), v> == <x, conv_transpose(v)>
    assert np.sum(yv * v) == pytest.approx(np.sum(x * tv), rel=1e-10)


def test_conv2d_transpose_checks_channels():
    with fl.Graph().as_default(), pytest.raises(ValueError,
                                                match="input channels does not match filter's"):
        fl.nn.conv2d_transpose(fl.zeros([1, 3, 3, 5]), fl.zeros([3, 3, 2, 4]),
                               [1, 6, 6, 2], [1, 2, 2, 1])
