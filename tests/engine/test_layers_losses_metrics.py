"""tf.layers, tf.losses and tf.metrics: variables, names, collections and values."""
import numpy as np
import pytest

import flowlog as fl


def test_dense_layers_are_numbered_and_reuse_shares_variables():
    with fl.Graph().as_default():
        x = fl.placeholder(fl.float32, [None, 3])
        a = fl.layers.dense(x, 4, activation=fl.nn.relu)
        b = fl.layers.dense(a, 2)
        c = fl.layers.dense(x, 4, name="dense", reuse=True)
        names = [v.name for v in fl.trainable_variables()]
        assert names == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"]
        assert a.op.type == "Relu" and a.op.name == "dense/Relu"
        assert b.shape.as_list() == [None, 2] and c.shape.as_list() == [None, 4]
        with fl.Session() as sess:
            sess.run(fl.global_variables_initializer())
            xv = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)
            pre_activation = a.op.inputs[0]  # the first layer's BiasAdd, same variables as c
            assert np.array_equal(sess.run(c, {x: xv}), sess.run(pre_activation, {x: xv}))


def test_dense_needs_a_known_last_dimension():
    with fl.Graph().as_default(), pytest.raises(ValueError,
                                                match="last dimension of the inputs to `Dense`"):
        fl.layers.dense(fl.placeholder(fl.float32, [None, None]), 3)


def test_dense_over_a_rank_3_input_acts_on_the_last_axis():
    with fl.Graph().as_default():
        x = fl.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
        y = fl.layers.dense(x, 5, kernel_initializer=fl.ones_initializer())
        with fl.Session() as sess:
            sess.run(fl.global_variables_initializer())
            out = sess.run(y)
    assert y.shape.as_list() == [2, 3, 5]
    np.testing.assert_allclose(out[1, 2], [np.arange(20, 24).sum()] * 5)


def test_batch_normalization_trains_on_batch_statistics_and_updates_moving_averages():
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 4)).astype(np.float32)
    with fl.Graph().as_default():
        x = fl.placeholder(fl.float32, [None, 4])
        training = fl.placeholder(fl.bool, [])
        y = fl.layers.batch_normalization(x, momentum=0.5, training=training)
        updates = fl.get_collection(fl.GraphKeys.UPDATE_OPS)
        assert len(updates) == 2
        moving_mean = next(v for v in fl.global_variables() if "moving_mean" in v.name)
        with fl.Session() as sess:
            sess.run(fl.global_variables_initializer())
            out, _ = sess.run([y, updates], {x: data, training: True})
            np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
            np.testing.assert_allclose(out.std(0), 1, rtol=1e-3)
            np.testing.assert_allclose(sess.run(moving_mean), 0.5 * data.mean(0), rtol=1e-5)
            inference = sess.run(y, {x: data, training: False})
            sess.run(updates, {x: data, training: False})  # not training: no update
            np.testing.assert_allclose(sess.run(moving_mean), 0.5 * data.mean(0), rtol=1e-5)
    mm, mv = 0.5 * data.mean(0), 0.5 + 0.5 * data.var(0)
    np.testing.assert_allclose(inference, (data - mm) / np.sqrt(mv + 1e-3), rtol=1e-4)


def test_layers_dropout_only_while_training():
    with fl.Graph().as_default():
        x = fl.ones([1000])
        training = fl.placeholder_with_default(False, [])
        y = fl.layers.dropout(x, rate=0.5, training=training, seed=1)
        with fl.Session() as sess:
            assert np.array_equal(sess.run(y), np.ones(1000))
            dropped = sess.run(y, {training: True})
    assert set(np.unique(dropped)) == {0.0, 2.0} and 400 < np.count_nonzero(dropped) < 600


def test_losses_weights_reductions_and_the_collection():
    with fl.Graph().as_default():
        labels = fl.constant([[1.0], [2.0], [3.0]])
        preds = fl.constant([[2.0], [2.0], [5.0]])
        mse = fl.losses.mean_squared_error(labels, preds)
        weighted = fl.losses.mean_squared_error(labels, preds, weights=[[1.0], [0.0], [0.5]])
        summed = fl.losses.absolute_difference(labels, preds,
                                               reduction=fl.losses.Reduction.SUM)
        none = fl.losses.absolute_difference(labels, preds, loss_collection=None,
                                             reduction=fl.losses.Reduction.NONE)
        sparse = fl.losses.sparse_softmax_cross_entropy([0, 1], [[0.0, 0.0], [0.0, 0.0]])
        assert mse.op.name == "mean_squared_error/value" and mse.shape.as_list() == []
        assert fl.losses.get_losses() == [mse, weighted, summed, sparse]
        total = fl.losses.get_total_loss()
        with fl.Session() as sess:
            got = sess.run([mse, weighted, summed, none, sparse, total])
    assert got[0] == pytest.approx(5 / 3)       # (1 + 0 + 4) / 3
    assert got[1] == pytest.approx(3 / 2)       # (1 * 1 + 0.5 * 4) / 2 nonzero weights
    assert got[2] == pytest.approx(3.0)
    np.testing.assert_allclose(got[3], [[1.0], [0.0], [2.0]])
    assert got[4] == pytest.approx(np.log(2))
    assert got[5] == pytest.approx(5 / 3 + 3 / 2 + 3 + np.log(2))


def test_losses_shape_errors():
    with fl.Graph().as_default():
        with pytest.raises(ValueError, match="incompatible"):
            fl.losses.mean_squared_error(fl.zeros([3, 1]), fl.zeros([3, 2]))
        with pytest.raises(ValueError, match="weights can not be broadcast to values"):
            fl.losses.mean_squared_error(fl.zeros([3, 2]), fl.zeros([3, 2]), weights=[1.0, 2.0, 3.0])


def test_metrics_accumulate_in_local_variables_until_reinitialized():
    with fl.Graph().as_default():
        labels = fl.placeholder(fl.int64, [None])
        preds = fl.placeholder(fl.int64, [None])
        acc, update = fl.metrics.accuracy(labels, preds)
        mean, mean_update = fl.metrics.mean(fl.cast(labels, fl.float32))
        assert [v.name for v in fl.local_variables()] == [
            "accuracy/total:0", "accuracy/count:0", "mean/total:0", "mean/count:0"]
        assert fl.global_variables() == []
        with fl.Session() as sess:
            sess.run(fl.local_variables_initializer())
            assert sess.run(acc) == 0.0  # nothing counted yet
            assert sess.run(update, {labels: [1, 2, 3, 4], preds: [1, 2, 0, 0]}) == 0.5
            sess.run([update, mean_update], {labels: [5, 6], preds: [5, 6]})
            assert sess.run(acc) == pytest.approx(4 / 6)
            assert sess.run(mean) == pytest.approx(11 / 2)
            sess.run(fl.local_variables_initializer())
            assert sess.run(acc) == 0.0


def test_precision_and_recall():
    with fl.Graph().as_default():
        labels = fl.constant([1, 1, 0, 0, 1])
        preds = fl.constant([1, 0, 1, 0, 1])
        p, p_up = fl.metrics.precision(labels, preds)
        r, r_up = fl.metrics.recall(labels, preds)
        with fl.Session() as sess:
            sess.run(fl.local_variables_initializer())
            sess.run([p_up, r_up])
            assert sess.run([p, r]) == pytest.approx([2 / 3, 2 / 3])


def test_schedules_clipping_ranking_and_casts():
    with fl.Graph().as_default():
        step = fl.placeholder(fl.int64, [])
        decayed = fl.train.exponential_decay(0.1, step, 10, 0.5)
        stairs = fl.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
        piece = fl.train.piecewise_constant(step, [5, 10], [1.0, 0.5, 0.1])
        clipped, norm = fl.clip_by_global_norm([fl.constant([3.0, 0.0]), None,
                                                fl.constant([4.0])], 1.0)
        values, indices = fl.nn.top_k(fl.constant([[1.0, 3.0, 2.0, 3.0]]), k=2)
        hits = fl.nn.in_top_k(fl.constant([[0.1, 0.5, 0.5], [0.9, 0.05, 0.05]]), [2, 1], 1)
        assert clipped[1] is None and indices.dtype == fl.int32
        assert fl.to_int64(fl.constant(1.7)).dtype == fl.int64
        assert fl.to_double(1).dtype == fl.float64
        assert fl.arg_min(fl.constant([3, 1, 2]), 0).op.type == "ArgMin"
        with fl.Session() as sess:
            assert sess.run(decayed, {step: 5}) == pytest.approx(0.1 * 0.5 ** 0.5)
            assert sess.run(stairs, {step: 15}) == pytest.approx(0.05)
            assert [sess.run(piece, {step: s}) for s in (0, 5, 6, 10, 11)] == \
                pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1])
            c0, c2, n = sess.run([clipped[0], clipped[2], norm])
            assert n == pytest.approx(5.0)
            np.testing.assert_allclose(np.concatenate([c0, c2]), [0.6, 0.0, 0.8], rtol=1e-6)
            v, i = sess.run([values, indices])
            assert v.tolist() == [[3.0, 3.0]] and i.tolist() == [[1, 3]]  # ties: lower index
            assert sess.run(hits).tolist() == [True, False]  # a tie at the boundary counts


def test_embedding_lookup_trains_only_the_rows_it_read():
    with fl.Graph().as_default():
        table = fl.Variable(np.zeros((4, 2), np.float32))
        ids = fl.placeholder(fl.int32, [None])
        rows = fl.nn.embedding_lookup(table, ids)
        loss = fl.reduce_sum(fl.square(rows - 1.0))
        train = fl.train.GradientDescentOptimizer(0.25).minimize(loss)
        with fl.Session() as sess:
            sess.run(table.initializer)
            sess.run(train, {ids: [2, 0, 2]})
            got = sess.run(table)
    # d loss / d row = 2 (row - 1) per lookup: row 2 was read twice, row 0 once
    np.testing.assert_allclose(got, [[0.5, 0.5], [0, 0], [1.0, 1.0], [0, 0]])
