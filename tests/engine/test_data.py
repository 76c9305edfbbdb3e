"""tf.data: datasets through one-shot, initializable and reinitializable iterators."""
import numpy as np
import pytest

import flowlog as fl


def drain(sess, t) -> list:
    out = []
    while True:
        try:
            out.append(sess.run(t))
        except fl.errors.OutOfRangeError:
            return out


def test_slices_map_batch_and_the_end_of_the_sequence():
    with fl.Graph().as_default():
        ds = fl.data.Dataset.from_tensor_slices(
            {"x": np.arange(10, dtype=np.float32).reshape(5, 2), "y": np.arange(5)})
        ds = ds.map(lambda d: (d["x"] * 2.0, d["y"])).batch(2)
        assert ds.output_types == (fl.float32, fl.int64)
        assert [s.as_list() for s in ds.output_shapes] == [[None, 2], [None]]
        x, y = ds.make_one_shot_iterator().get_next()
        with fl.Session() as sess:
            batches = drain(sess, [x, y])
            with pytest.raises(fl.errors.OutOfRangeError, match="End of sequence"):
                sess.run(x)  # stays at the end
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    np.testing.assert_array_equal(batches[2][0], [[16.0, 18.0]])


def test_one_get_next_advances_once_per_run_and_each_session_starts_over():
    with fl.Graph().as_default():
        nxt = fl.data.Dataset.range(3).make_one_shot_iterator().get_next()
        twice = nxt + nxt
        with fl.Session() as sess:
            assert [sess.run(twice), sess.run(nxt)] == [0, 1]
        with fl.Session() as sess:
            assert drain(sess, nxt) == [0, 1, 2]


def test_initializable_iterator_takes_placeholders_and_restarts():
    with fl.Graph().as_default():
        data = fl.placeholder(fl.int32, [None])
        it = fl.data.Dataset.from_tensor_slices(data).repeat(2).make_initializable_iterator()
        nxt = it.get_next()
        with fl.Session() as sess:
            with pytest.raises(fl.errors.FailedPreconditionError, match="not been initialized"):
                sess.run(nxt)
            sess.run(it.initializer, {data: [1, 2]})
            assert drain(sess, nxt) == [1, 2, 1, 2]
            sess.run(it.initializer, {data: [7]})
            assert drain(sess, nxt) == [7, 7]


def test_shuffle_is_seeded_reshuffles_each_epoch_and_keeps_every_element():
    def epochs(seed):
        with fl.Graph().as_default():
            ds = fl.data.Dataset.range(20).shuffle(20, seed=seed).repeat(2)
            nxt = ds.make_one_shot_iterator().get_next()
            with fl.Session() as sess:
                values = drain(sess, nxt)
        return values[:20], values[20:]

    first, second = epochs(3)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second and first != list(range(20))
    assert epochs(3) == (first, second)
    with fl.Graph().as_default():
        ds = fl.data.Dataset.range(20).shuffle(20, seed=3, reshuffle_each_iteration=False)
        nxt = ds.repeat(2).make_one_shot_iterator().get_next()
        with fl.Session() as sess:
            values = drain(sess, nxt)
    assert values[:20] == values[20:] != list(range(20))


def test_reinitializable_iterator_switches_datasets():
    with fl.Graph().as_default():
        train = fl.data.Dataset.from_tensor_slices(np.arange(4)).batch(2)
        test = fl.data.Dataset.from_tensor_slices(np.arange(10, 13)).batch(2)
        it = fl.data.Iterator.from_structure(train.output_types, train.output_shapes)
        nxt = it.get_next()
        to_train, to_test = it.make_initializer(train), it.make_initializer(test)
        with fl.Session() as sess:
            sess.run(to_train)
            assert [b.tolist() for b in drain(sess, nxt)] == [[0, 1], [2, 3]]
            sess.run(to_test)
            assert [b.tolist() for b in drain(sess, nxt)] == [[10, 11], [12]]
        with pytest.raises(TypeError, match="Expected output types"):
            it.make_initializer(fl.data.Dataset.from_tensor_slices(np.zeros(3, np.float32)))


def test_take_skip_filter_and_drop_remainder():
    with fl.Graph().as_default():
        ds = fl.data.Dataset.range(10).filter(lambda v: fl.equal(v % 2, 0)).skip(1).take(3)
        batched = fl.data.Dataset.range(7).batch(3, drop_remainder=True)
        assert batched.output_shapes.as_list() == [3]
        a = ds.make_one_shot_iterator().get_next()
        b = batched.make_one_shot_iterator().get_next()
        with fl.Session() as sess:
            assert drain(sess, a) == [2, 4, 6]
            assert [x.tolist() for x in drain(sess, b)] == [[0, 1, 2], [3, 4, 5]]


def test_slices_must_agree_in_length():
    with fl.Graph().as_default(), pytest.raises(ValueError,
                                                match="Dimensions 2 and 3 are not compatible"):
        fl.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(2)))
