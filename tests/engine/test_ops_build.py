"""Op construction: TF1's names, inferred dtypes and static shapes, and build-time errors."""
import numpy as np
import pytest
from flowlog.engine import dtypes, framework, nn
from flowlog.engine import ops as fl
from flowlog.engine.session import Session


@pytest.fixture
def graph():
    g = framework.Graph()
    with g.as_default():
        yield g


def _names(g):
    return [op.name for op in g.get_operations()]


def test_python_operands_become_constants_named_after_their_argument(graph):
    t = fl.constant(1.0)
    fl.add(t, 2)
    t * 2
    2 * t
    fl.multiply(t, 3.0, name="scaled")
    assert _names(graph) == ["Const", "Add/y", "Add", "mul/y", "mul", "mul_1/x", "mul_1",
                             "scaled/y", "scaled"]
    assert graph.get_operation_by_name("Add/y").outputs[0].dtype is dtypes.float32


def test_seed_notebook_names(graph):
    a, b = fl.constant(3.0), fl.constant(4.0)
    fl.add(a, b)
    p, q = fl.placeholder(dtypes.float32), fl.placeholder(dtypes.float32)
    fl.add(p, q)
    dist = fl.sqrt(p * p + q * q)
    assert [(op.name, op.type) for op in graph.get_operations()] == [
        ("Const", "Const"), ("Const_1", "Const"), ("Add", "Add"), ("Placeholder", "Placeholder"),
        ("Placeholder_1", "Placeholder"), ("Add_1", "Add"), ("mul", "Mul"), ("mul_1", "Mul"),
        ("add", "Add"), ("Sqrt", "Sqrt")]
    assert repr(dist) == "<fl.Tensor 'Sqrt:0' shape=<unknown> dtype=float32>"


def test_composite_ops_use_tf_scopes(graph):
    x = fl.placeholder("float32", shape=[None, 3])
    fl.reduce_mean(x)
    x[:, :1]
    fl.random_normal([2, 3], seed=1)
    fl.clip_by_value(x, 0.0, 1.0)
    nn.sparse_softmax_cross_entropy_with_logits(labels=fl.constant([0]), logits=x)
    names = _names(graph)
    assert names[1:3] == ["Const", "Mean"]
    assert names[3:7] == ["strided_slice/stack", "strided_slice/stack_1",
                          "strided_slice/stack_2", "strided_slice"]
    assert names[7:13] == ["random_normal/shape", "random_normal/mean", "random_normal/stddev",
                           "random_normal/RandomStandardNormal", "random_normal/mul",
                           "random_normal"]
    assert "clip_by_value/Minimum" in names and "clip_by_value" in names
    assert names[-1] == "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits"


def test_old_tutorial_names_exist():
    assert fl.mul is fl.multiply and fl.sub is fl.subtract and fl.neg is fl.negative
    for name in ("divide", "truediv", "mod", "Print", "no_op", "group", "tuple", "identity"):
        assert name in fl.__all__


def test_dtypes_are_inferred_and_checked(graph):
    i, f = fl.constant(2), fl.constant(2.0)
    assert (i + 1).dtype is dtypes.int32
    assert (i / i).dtype is dtypes.float64  # truediv casts int32 like Python 3 / TF
    assert (f < 3.0).dtype is dtypes.bool_
    assert fl.argmax(f * [1.0, 2.0], 0).dtype is dtypes.int64
    assert fl.cast(f, "int32").dtype is dtypes.int32
    assert fl.cast(f, "float32") is f
    with pytest.raises(TypeError, match="Input 'y' of 'Mul' Op has type int32 that does not "
                                        "match type float32 of argument 'x'."):
        fl.multiply(f, i)
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        fl.sqrt(i)
    with pytest.raises(TypeError, match="Expected int32"):
        i * 2.5
    with pytest.raises(TypeError, match="'y' of op 'Add'"):
        fl.add(i, 2.5)


def test_python_numbers_take_the_tensor_operands_type_but_floats_never_become_ints(graph):
    f, i = fl.constant([1.0, 2.0]), fl.constant([1, 2])
    for t in (fl.add(2, f), fl.add(f, 2), 2 + f, f * 3, fl.maximum(0, f)):
        assert t.dtype is dtypes.float32
    assert fl.add(i, 2).dtype is dtypes.int32
    # TF1 never converts a Python float to int32: not 2.5, and not a whole 2.0 either.
    refused = [lambda: fl.add(i, 2.5), lambda: fl.add(2.5, i), lambda: fl.add(i, 2.0),
               lambda: i + 2.0, lambda: 3.0 * i, lambda: fl.add(2, 3.0),
               lambda: fl.add(i, [1, 2.0]), lambda: fl.constant(2.0, dtype=dtypes.int32)]
    for build in refused:
        with pytest.raises(TypeError, match=r"Expected int32.* of type '(float|list)' instead"):
            build()
    # NumPy arrays are cast as TF casts them; empty lists carry no float.
    assert fl.constant(np.array([2.0]), dtype=dtypes.int32).dtype is dtypes.int32
    assert fl.constant([], dtype=dtypes.int32).shape.as_list() == [0]


def test_select_checks_shapes_like_tf_and_does_not_broadcast(graph):
    x = fl.constant(np.ones((2, 3), np.float32))
    for cond in ([[True, False, True]] * 2, [True, False], True):  # same shape, rows, scalar
        assert fl.where(cond, x, -x).shape.as_list() == [2, 3]
    with pytest.raises(ValueError) as err:
        fl.where([True, False, True], x, x, name="rows")
    assert str(err.value) == ("Dimension 0 in both shapes must be equal, but are 3 and 2. Shapes "
                              "are [3] and [2]. for 'rows' (op: 'Select') with input shapes: [3], "
                              "[2,3], [2,3].")
    with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but are 2 "
                                         r"and 1\. Shapes are \[2,3\] and \[1,3\]"):
        fl.where([[True, False, True]], x, x)  # TF1 does not broadcast [1,3] over [2,3]
    with pytest.raises(ValueError, match=r"Shapes must be equal rank, but are 2 and 0 for "
                                         r"'Select_\d+' \(op: 'Select'\)"):
        fl.where([[True, False, True]] * 2, x, 0.0)  # nor y over x
    with pytest.raises(ValueError, match="Shapes must be equal rank, but are 0 and 1"):
        fl.where([True], 1.0, 2.0)
    unknown = fl.where(fl.placeholder("bool"), x, fl.placeholder("float32"))
    assert unknown.shape.as_list() == [2, 3]


def test_where_with_only_a_condition_gives_int64_coordinates(graph):
    c = fl.constant([[True, False, True], [False, False, True]])
    coords = fl.where(c)
    assert coords.dtype is dtypes.int64 and coords.shape.as_list() == [None, 2]
    with Session(graph=graph) as sess:
        got = sess.run(coords)
    assert got.dtype == np.int64 and got.tolist() == [[0, 0], [0, 2], [1, 2]]
    with pytest.raises(ValueError, match="x and y must both be non-None or both be None"):
        fl.where(c, x=c)


def test_integers_out_of_range_are_refused_not_wrapped(graph):
    with pytest.raises(ValueError, match=r"Value 1099511627776 is out of range for dtype int32"):
        fl.constant([0, 2**40], dtype=dtypes.int32)
    with pytest.raises(ValueError, match=r"Value -1 is out of range for dtype uint8"):
        fl.constant(np.array([-1, 3]), dtype=dtypes.uint8)
    assert fl.constant(np.array([2**31 - 1]), dtype=dtypes.int32).dtype is dtypes.int32


def test_matmul_checks_inner_dimensions_at_build_time(graph):
    a = fl.constant(np.ones((2, 3), np.float32))
    b = fl.constant(np.ones((4, 5), np.float32))
    with pytest.raises(ValueError) as err:
        fl.matmul(a, b)
    assert str(err.value) == ("Dimensions must be equal, but are 3 and 4 for 'MatMul' (op: "
                              "'MatMul') with input shapes: [2,3], [4,5].")
    with pytest.raises(ValueError, match="but are 2 and 4 for 'm' "):
        fl.matmul(a, b, transpose_a=True, name="m")
    p = fl.placeholder("float32", shape=[None, 3])
    assert (p @ fl.constant(np.ones((3, 7), np.float32))).shape.as_list() == [None, 7]
    with pytest.raises(ValueError, match="must be rank 2"):
        fl.matmul(fl.constant([1.0, 2.0]), a)


def test_static_shapes_broadcast_with_unknown_dimensions(graph):
    p = fl.placeholder("float32", shape=[None, 3])
    assert (p + fl.constant([1.0, 2.0, 3.0])).shape.as_list() == [None, 3]
    assert (p * fl.placeholder("float32", shape=[5, 1])).shape.as_list() == [5, 3]
    assert (p - fl.placeholder("float32")).shape.dims is None
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4 for 'add_1' "):
        p + fl.constant([1.0, 2.0, 3.0, 4.0])


def test_shapes_of_array_ops(graph):
    x = fl.placeholder("float32", shape=[2, None, 4])
    assert fl.reduce_sum(x, 1).shape.as_list() == [2, 4]
    assert fl.reduce_sum(x, [0, 2], keepdims=True).shape.as_list() == [1, None, 1]
    assert fl.reduce_mean(x).shape == ()
    assert fl.reshape(x, [-1, 4]).shape.as_list() == [None, 4]
    assert fl.reshape(fl.zeros([2, 6]), [3, -1]).shape.as_list() == [3, 4]
    assert fl.transpose(x).shape.as_list() == [4, None, 2]
    assert fl.expand_dims(x, -1).shape.as_list() == [2, None, 4, 1]
    assert fl.concat([x, x], 2).shape.as_list() == [2, None, 8]
    assert fl.stack([x, x], axis=1).shape.as_list() == [2, 2, None, 4]
    assert x[:, 0].shape.as_list() == [2, 4]
    assert x[..., None, 1:3].shape.as_list() == [2, None, 1, 2]
    assert fl.gather(x, [0, 1, 0]).shape.as_list() == [3, None, 4]
    assert fl.one_hot(fl.constant([1, 2]), 5).shape.as_list() == [2, 5]
    assert fl.range(2, 10, 3).shape.as_list() == [3]
    assert fl.squeeze(fl.zeros([1, 3, 1])).shape.as_list() == [3]
    assert fl.shape(x).op.type == "Shape" and fl.shape(fl.zeros([2])).op.type == "Const"


def test_shape_errors_at_build_time(graph):
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 6 elements to shape"):
        fl.reshape(fl.zeros([2, 3]), [4])
    with pytest.raises(ValueError, match="Can not squeeze dim\\[1\\]"):
        fl.squeeze(fl.zeros([2, 3]), [1])
    with pytest.raises(ValueError, match="Rank mismatch"):
        nn.sparse_softmax_cross_entropy_with_logits(labels=fl.zeros([2, 3], "int32"),
                                                    logits=fl.zeros([2, 3]))
    with pytest.raises(ValueError, match="Only call `softmax_cross_entropy_with_logits`"):
        nn.softmax_cross_entropy_with_logits(fl.zeros([2, 3]), fl.zeros([2, 3]))
    with pytest.raises(ValueError, match="out of bounds"):
        fl.zeros([2, 3])[5]


def test_placeholder_carries_dtype_and_shape(graph):
    p = fl.placeholder(dtypes.int32, shape=[None, 64], name="ids")
    assert p.op.type == "Placeholder" and p.name == "ids:0"
    assert p.op.get_attr("dtype") is dtypes.int32
    assert p.shape.as_list() == [None, 64]


def test_group_and_control_dependencies_make_control_inputs(graph):
    a, b = fl.constant(1.0), fl.constant(2.0)
    g = fl.group(a, [b.op], name="both")
    assert g.type == "NoOp" and set(g.control_inputs) == {a.op, b.op}
    with fl.control_dependencies([g]):
        c = fl.identity(a)
    assert c.op.control_inputs == [g]
    assert fl.no_op().name == "NoOp"
    gated = fl.tuple([a, None, b])
    assert gated[1] is None and gated[0].op.control_inputs[0].name == "tuple/group_deps"


def test_random_ops_record_tf1_seeds(graph):
    u = fl.random_uniform([2])
    # TensorFlow returns the RandomUniform op itself for the default range [0, 1).
    assert u.op.name == "random_uniform/RandomUniform" and u.shape.as_list() == [2]
    unseeded = graph.get_operation_by_name("random_uniform/RandomUniform")
    assert (unseeded.get_attr("seed"), unseeded.get_attr("seed2")) == (0, 0)
    fl.set_random_seed(7)
    t = fl.truncated_normal([3], seed=5)
    op = graph.get_operation_by_name("truncated_normal/TruncatedNormal")
    assert (op.get_attr("seed"), op.get_attr("seed2")) == (7, 5)
    assert t.shape.as_list() == [3]
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        fl.random_uniform([2], dtype="int32")


def test_softmax_cross_entropy_builds_tf_ops_in_tf_order(graph):
    logits = fl.placeholder("float32", [None, 3], name="logits")
    labels = fl.placeholder("float32", [None, 3], name="labels")
    nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    scope = "softmax_cross_entropy_with_logits"
    assert _names(graph)[2:] == [f"{scope}/{n}" if n else scope for n in [
        "Rank", "Shape",  # of the input, taken first
        "Rank_1", "Shape_1", "Sub/y", "Sub", "Slice/begin", "Slice/size", "Slice",  # logits
        "concat/values_0", "concat/axis", "concat", "Reshape",
        "Rank_2", "Shape_2", "Sub_1/y", "Sub_1", "Slice_1/begin", "Slice_1/size", "Slice_1",
        "concat_1/values_0", "concat_1/axis", "concat_1", "Reshape_1",  # labels
        "",  # the op
        "Sub_2/y", "Sub_2", "Slice_2/begin", "Slice_2/size", "Slice_2", "Reshape_2"]]  # cost
