"""Session.run: fetch structures, feeds, pruning to the fetched path, errors, defaults, tracing."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import flowlog as fl


def test_fetch_structures_are_rebuilt_with_values():
    a, b = fl.constant(1.0), fl.constant(2)
    Pair = collections.namedtuple("Pair", "first second")
    with fl.Session() as sess:
        assert sess.run(a) == 1.0 and isinstance(sess.run(a), np.float32)
        assert sess.run((a, b)) == (1.0, 2)
        assert sess.run(Pair(a, [b, {"x": a}])) == Pair(1.0, [2, {"x": 1.0}])
        ordered = sess.run(collections.OrderedDict([("z", a), ("y", b)]))
        assert type(ordered) is collections.OrderedDict and list(ordered) == ["z", "y"]
        assert sess.run(["Const:0", "Const_1"]) == [1.0, None]  # a name, an op name
        assert sess.run([a, a]) == [1.0, 1.0]


def test_operations_fetched_run_and_give_none():
    v = fl.Variable(3)
    with fl.Session() as sess:
        assert sess.run(v.initializer) is None
        # TensorFlow fetches a variable after the run's updates, whatever the fetch order.
        assert sess.run([v.assign_add(2).op, v]) == [None, 5]
        assert sess.run(v) == 5


def test_only_ops_on_the_fetched_path_run():
    v = fl.Variable(1.0)
    bump = fl.assign_add(v, 10.0)
    doubled = v * 2
    with fl.Session() as sess:
        sess.run(v.initializer)
        for _ in range(3):
            assert sess.run(doubled) == 2.0  # `bump` is not on the path: never runs
        sess.run(bump)
        assert sess.run(doubled) == 22.0


def test_control_dependencies_run_first():
    v = fl.Variable(0)
    bump = fl.assign_add(v, 1)
    with fl.control_dependencies([bump]):
        after = fl.identity(fl.constant(7))
    with fl.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(after) == 7
        assert sess.run(after) == 7
        assert sess.run(v) == 2


def test_feeds_by_tensor_or_name_convert_to_the_dtype():
    x = fl.placeholder(fl.float32, [None, 2], name="x")
    n = fl.placeholder(fl.int32, name="n")
    with fl.Session() as sess:
        out = sess.run(x * 2, {x: [[1, 2]]})
        assert out.dtype == np.float32 and out.tolist() == [[2.0, 4.0]]
        assert sess.run(n + 1, {"n:0": 4}) == 5
        assert sess.run(x, {x: np.zeros((3, 2), np.float64)}).dtype == np.float32


def test_any_tensor_can_be_fed_in_place_of_its_op():
    a = fl.constant(2.0)
    b = a * 3
    c = b + 1
    with fl.Session() as sess:
        assert sess.run(c) == 7.0
        assert sess.run(c, {b: 10.0}) == 11.0
        assert sess.run(b, {b: 5.0}) == 5.0


def test_feed_errors_name_the_placeholder_and_shapes():
    x = fl.placeholder(fl.float32, [None, 3], name="inputs")
    n = fl.placeholder(fl.int32, name="n")
    with fl.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2, 4\) for Tensor "
                                             r"'inputs:0', which has shape '\(\?, 3\)'"):
            sess.run(x, {x: np.ones((2, 4))})
        with pytest.raises(fl.errors.InvalidArgumentError,
                           match=r"You must feed a value for placeholder tensor 'inputs' with "
                                 r"dtype float and shape \[\?,3\]"):
            sess.run(x)
        with pytest.raises(TypeError, match="Cannot feed value 'seven' to Tensor 'n:0'"):
            sess.run(n, {n: "seven"})
        with pytest.raises(TypeError, match="The value of a feed cannot be a fl.Tensor"):
            sess.run(n, {n: fl.constant(1)})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
            sess.run(n, {"missing:0": 1})


def test_fetch_errors():
    other = fl.Graph()
    with other.as_default():
        foreign = fl.constant(1)
    with fl.Session() as sess:
        with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
            sess.run(None)
        with pytest.raises(ValueError, match="is not an element of this graph"):
            sess.run(foreign)
        with pytest.raises(TypeError, match="Fetch argument 3 has invalid type"):
            sess.run(3)
        with pytest.raises(KeyError, match="'nothing:0' cannot be interpreted as a Tensor"):
            sess.run("nothing:0")


def test_kernel_errors_become_invalid_argument_naming_the_op():
    a = fl.placeholder(fl.float32, name="a")
    w = fl.constant(np.ones((3, 2), np.float32))
    product = fl.matmul(a, w, name="product")
    with fl.Session() as sess, pytest.raises(fl.errors.InvalidArgumentError) as info:
        sess.run(product, {a: np.ones((2, 4))})
    assert info.value.op is product.op
    assert "product" in str(info.value)


def test_variables_live_per_session():
    v = fl.Variable(1.0)
    bump = v.assign_add(1.0)
    s1, s2 = fl.Session(), fl.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    s1.run(bump)
    s1.run(bump)
    assert (s1.run(v), s2.run(v)) == (3.0, 1.0)


def test_fetched_variable_values_are_copies():
    v = fl.Variable(np.zeros(3, np.float32))
    with fl.Session() as sess:
        sess.run(v.initializer)
        got = sess.run(v)
        got[0] = 5.0
        assert sess.run(v).tolist() == [0.0, 0.0, 0.0]


def test_closed_session_and_graph_growth():
    a = fl.constant(1)
    sess = fl.Session()
    assert sess.run(a) == 1
    b = a + 1  # the graph grows after the first run: new ops are runnable
    assert sess.run([a, b]) == [1, 2]
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        sess.run(a)


def test_default_session_eval_and_run():
    v = fl.Variable(4.0)
    t = v * 2
    with pytest.raises(ValueError, match="no default session"):
        t.eval()
    with fl.Session() as sess:
        assert fl.get_default_session() is sess
        v.initializer.run()
        assert t.eval() == 8.0 and v.eval() == 4.0
    assert fl.get_default_session() is None
    other = fl.Session()
    with other.as_default():
        v.initializer.run()
        assert t.eval(feed_dict={v.value(): 1.0}) == 2.0


def test_interactive_session_installs_itself():
    sess = fl.InteractiveSession()
    try:
        assert fl.get_default_session() is sess
        assert (fl.constant(3.0) + 1).eval() == 4.0
    finally:
        sess.close()
    assert fl.get_default_session() is None


def test_session_on_an_explicit_graph():
    g = fl.Graph()
    with g.as_default():
        c = fl.constant(5)
    assert fl.Session(graph=g).run(c) == 5
    with pytest.raises(ValueError, match="is not an element of this graph"):
        fl.Session().run(c)


def test_make_callable_runs_with_positional_feeds():
    x = fl.placeholder(fl.float32)
    y = x * x
    with fl.Session() as sess:
        square = sess.make_callable(y, [x])
        assert square(3.0) == 9.0
        assert square(4.0) == 16.0


def test_random_ops_repeat_per_session_with_a_graph_seed():
    fl.set_random_seed(7)
    r = fl.random_normal([3])
    first = [fl.Session().run(r).tolist() for _ in range(2)]
    assert first[0] == first[1]
    with fl.Session() as sess:
        assert sess.run(r).tolist() != sess.run(r).tolist()


def test_full_trace_fills_step_stats():
    x = fl.placeholder(fl.float32, name="x")
    y = fl.square(x, name="y") + 1
    options = fl.RunOptions(trace_level=fl.RunOptions.FULL_TRACE)
    metadata = fl.RunMetadata()
    with fl.Session() as sess:
        assert sess.run(y, {x: 3.0}, options=options, run_metadata=metadata) == 10.0
    (dev,) = metadata.step_stats.dev_stats
    assert dev.device.endswith("device:CPU:0")
    names = [n.node_name for n in dev.node_stats]
    assert names == ["y", "add"]
    assert all(n.all_start_micros > 0 and n.all_end_rel_nanos >= 0 for n in dev.node_stats)
    assert dev.node_stats[0].timeline_label == "y = Square(x)"


def test_step_stats_are_wire_compatible_with_tensorboard():
    from tensorboard.compat.proto import config_pb2

    x = fl.placeholder(fl.float32, name="x")
    y = fl.multiply(x, 2.0, name="double")
    metadata = fl.RunMetadata()
    with fl.Session() as sess:
        sess.run(y, {x: 1.0}, options=fl.RunOptions(trace_level=fl.RunOptions.FULL_TRACE),
                 run_metadata=metadata)
    theirs = config_pb2.RunMetadata.FromString(metadata.SerializeToString())
    (dev,) = theirs.step_stats.dev_stats
    assert [n.node_name for n in dev.node_stats] == ["double"]
    assert dev.node_stats[0].all_start_micros == metadata.step_stats.dev_stats[0].node_stats[
        0].all_start_micros
