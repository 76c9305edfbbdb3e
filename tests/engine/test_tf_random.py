"""Seeded random values equal TensorFlow's, case by case, against fixtures TensorFlow produced.

The programs are the builders of scripts/tf_random_fixtures.py, run here with `fl` for `tf`;
that script (run in the benchmark venv) wrote tests/engine/data/tf_random.npz and re-checks it.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import flowlog as fl

_ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("tf_random_fixtures",
                                               _ROOT / "scripts" / "tf_random_fixtures.py")
programs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(programs)
FIXTURES = np.load(programs.FIXTURES)


@pytest.fixture
def graph():
    return fl.get_default_graph()
CASES = list(programs.cases())


def test_every_fixture_has_a_case():
    assert sorted(key for key, *_ in CASES) == sorted(FIXTURES.files)
    assert len(CASES) == 176


@pytest.mark.parametrize(("key", "builder", "shape", "dtype", "seeds"), CASES,
                         ids=[c[0] for c in CASES])
def test_values_equal_tensorflows(key, builder, shape, dtype, seeds):
    got = programs.run_case(fl, builder, shape, dtype, seeds)
    want = FIXTURES[key]
    assert got.dtype == want.dtype and got.shape == want.shape
    if key.startswith("dense/"):
        # The draws are exact; the layer's matmuls may round differently from Eigen's.
        np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == "float32" else 1e-13)
    else:
        np.testing.assert_array_equal(got, want)


# --- the generator and the seed rules ---------------------------------------------------------


def test_philox_known_answers():
    # The Philox4x32-10 test vectors of Random123, which TensorFlow's generator passes.
    from flowlog.engine.philox import philox_blocks

    vectors = [((0, 0), (0, 0, 0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
               ((0xFFFFFFFF,) * 2, (0xFFFFFFFF,) * 4,
                (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
               ((0xA4093822, 0x299F31D0), (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
                (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
    for key, counter, want in vectors:
        words = [np.array([c], dtype=np.uint64) for c in counter]
        assert philox_blocks(key, words)[0].tolist() == list(want)


def test_a_stream_carries_into_the_high_counter_words():
    from flowlog.engine.philox import PhiloxStream

    stream = PhiloxStream(1, 5)
    stream.counter = (5 << 64) + 2**64 - 1  # the last counter before word 2 grows
    start = stream.reserve(2)
    assert stream.counter == (6 << 64) + 1
    blocks = stream.at(start, np.arange(2, dtype=np.uint64))
    fresh = PhiloxStream(1, 6)  # starts at counter 6 << 64: the second block above
    assert blocks[1].tolist() == fresh.at(fresh.reserve(1), np.zeros(1, np.uint64))[0].tolist()


def _seeds(t):
    op = t.op if t.op.type.startswith("Random") else t.op.inputs[0].op.inputs[0].op
    return op.get_attr("seed"), op.get_attr("seed2")


def test_seed_rules_of_tf1(graph):
    unseeded = fl.random_normal([2])
    assert _seeds(unseeded) == (0, 0)
    op_only = fl.random_normal([2], seed=9)
    assert _seeds(op_only) == (87654321, 9)
    fl.set_random_seed(2**31 + 4)  # seeds are taken modulo 2**31 - 1
    ops_before = len(graph.get_operations()) + 3  # the new op's shape, mean and stddev
    graph_only = fl.random_normal([2])
    assert _seeds(graph_only) == (5, ops_before)
    fl.set_random_seed(0)
    assert _seeds(fl.random_normal([2], seed=0)) == (0, 2**31 - 1)  # (0, 0) would mean unseeded


def test_seed_rule_of_tf2_counts_graph_seeded_ops(graph):
    from flowlog.engine.random_ops import op_seed_rule

    fl.set_random_seed(7)
    with op_seed_rule("tf2"):
        first, _ = fl.random_normal([2]), fl.random_normal([2], seed=1)
        second = fl.random_uniform([3])
    assert (_seeds(first), _seeds(second)) == ((7, 0), (7, 1))
    with pytest.raises(ValueError, match="op_seed_rule must be one of"), op_seed_rule("tf3"):
        pass


def test_unseeded_ops_differ_between_sessions_and_seeded_ones_repeat(graph):
    free, seeded = fl.random_uniform([50]), fl.random_uniform([50], seed=4)
    with fl.Session() as a, fl.Session() as b:
        assert not np.array_equal(a.run(free), b.run(free))
        first = a.run(seeded)
        assert not np.array_equal(first, a.run(seeded))  # the stream moves on each run
        np.testing.assert_array_equal(first, b.run(seeded))  # and restarts in a new session


def test_uniform_int_needs_a_range(graph):
    bad = fl.random_uniform([2], 3, 3, dtype=fl.int32, seed=1)
    with fl.Session() as sess, pytest.raises(fl.errors.InvalidArgumentError,
                                             match="Need minval < maxval: 3 >= 3"):
        sess.run(bad)


def test_the_tf_random_namespace_builds_tensorflows_ops(graph):
    samples = fl.random.categorical([[0.0, 1.0]], 3, seed=1)
    fl.random.normal([2], seed=1), fl.random.uniform([2], seed=1)
    order = fl.random.shuffle([1, 2, 3], seed=1)
    # The op names TensorFlow 2's tf.compat.v1 gives the same calls.
    assert [op.name for op in graph.get_operations()] == [
        "categorical/logits", "categorical/Multinomial/num_samples", "categorical/Multinomial",
        "random_normal/shape", "random_normal/mean", "random_normal/stddev",
        "random_normal/RandomStandardNormal", "random_normal/mul", "random_normal",
        "random_uniform/shape", "random_uniform/RandomUniform", "RandomShuffle/value",
        "RandomShuffle"]
    with fl.Session() as sess:
        assert sess.run(order).tolist() == [1, 3, 2]
        assert sess.run(samples).tolist() == [[1, 1, 1]]


def test_dropout_passes_gradients_through_the_kept_elements_only(graph):
    x = fl.placeholder(fl.float64, [4, 5])
    y = fl.nn.dropout(x, keep_prob=0.6, seed=3)
    weights = np.arange(20.0).reshape(4, 5)
    (grad,) = fl.gradients(fl.reduce_sum(y * weights), [x])
    with fl.Session() as sess:
        for _ in range(3):  # a new mask each run; the gradient follows that run's mask
            out, g = sess.run([y, grad], {x: np.ones((4, 5))})
            kept = out != 0
            assert 0 < kept.sum() < 20
            np.testing.assert_allclose(g, np.where(kept, weights / 0.6, 0.0))


def test_multinomial_rows_split_over_threads_as_eigen_splits_them():
    # Splits TensorFlow was seen to make: its samples change where a new part starts.
    from flowlog.engine.multinomial_ops import eigen_shards

    assert eigen_shards(8, 1411, 2) == [(0, 8)]  # too cheap to split
    assert eigen_shards(64, 8804, 2) == [(i, i + 8) for i in range(0, 64, 8)]
    assert eigen_shards(256, 22609, 2) == [(i, i + 32) for i in range(0, 256, 32)]
    assert eigen_shards(3, 337195, 2) == [(0, 2), (2, 3)]
    assert eigen_shards(64, 8804, 1) == [(0, 64)]
