"""TensorFlow's seeded random values, saved as fixtures that flowlog's tests compare against.

    .venv-bench/bin/python scripts/tf_random_fixtures.py          # check the committed fixtures
    .venv-bench/bin/python scripts/tf_random_fixtures.py --write  # (re)write them

Each case is a small TF1 program written against a module `tf` (TensorFlow's `tf.compat.v1`
here, `flowlog` in tests/engine/test_tf_random.py, which imports these same builders). A case's
values are two runs in one session and the first run of a second session, so the fixtures also
pin how a stream advances per run and restarts per session. TensorFlow must never be installed
in the test environment: only this script, run in the benchmark venv, imports it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "engine" / "data" / "tf_random.npz"
sys.path.insert(0, str(ROOT / "benchmarks"))
from tf_seed_rule import op_seed_rule

# (graph seed, op seed, rule for an op seed under a graph seed alone): a graph seed only, under
# TF 2's `tf.compat.v1` rule and under TF 1.x's; an op seed only; both.
SEEDS = {"graph": (7, None, "tf2"), "graph_tf1": (7, None, "tf1"), "op": (None, 3, "tf1"),
         "both": (42, 5, "tf1")}


def _normal(tf, shape, dtype, seed):
    return tf.random_normal(shape, mean=1.0, stddev=2.0, dtype=dtype, seed=seed)


def _truncated(tf, shape, dtype, seed):
    return tf.truncated_normal(shape, stddev=0.5, dtype=dtype, seed=seed)


def _uniform(tf, shape, dtype, seed):
    return tf.random_uniform(shape, -3.0, 2.0, dtype=dtype, seed=seed)


def _unit_uniform(tf, shape, dtype, seed):
    return tf.random_uniform(shape, dtype=dtype, seed=seed)


def _uniform_int(tf, shape, dtype, seed):
    return tf.random_uniform(shape, -5, 1000, dtype=dtype, seed=seed)


def _shuffle(tf, shape, dtype, seed):
    values = np.arange(np.prod(shape), dtype=np.int32).reshape(shape)
    return tf.random_shuffle(values, seed=seed)


def _dropout(tf, shape, dtype, seed):
    x = tf.constant(np.arange(1, np.prod(shape) + 1).reshape(shape), dtype=dtype)
    return tf.nn.dropout(x, keep_prob=0.6, seed=seed)


def _dropout_tensor_rate(tf, shape, dtype, seed):
    """keep_prob as a tensor (a division by it) and a mask shared along the last axis."""
    x = tf.constant(np.arange(1, np.prod(shape) + 1).reshape(shape), dtype=dtype)
    noise_shape = [shape[0]] + [1] * (len(shape) - 1)
    return tf.nn.dropout(x, keep_prob=tf.constant(0.7, dtype=dtype), noise_shape=noise_shape,
                         seed=seed)


def _multinomial(tf, shape, dtype, seed):
    logits = tf.constant(np.log(np.arange(1, shape[1] + 1, dtype=np.float32))[None, :])
    return tf.multinomial(logits, shape[0], seed=seed)


def _multinomial_batch(tf, shape, dtype, seed):
    """Many rows: TF splits them over its threads, each part restarting its sub-stream."""
    batch, classes = shape
    logits = np.sin(np.arange(batch * classes, dtype=np.float32)).reshape(batch, classes)
    return tf.multinomial(logits, 30, seed=seed, output_dtype=tf.int32)


def _dense(tf, shape, dtype, seed):
    """A glorot-initialised dense layer (get_variable's default initializer) on a fixed input."""
    n_in, n_out = shape
    x = tf.constant(np.linspace(-1.0, 1.0, 2 * n_in).reshape(2, n_in), dtype=dtype)
    with tf.variable_scope("dense"):
        kernel = tf.get_variable("kernel", [n_in, n_out], dtype=dtype,
                                 initializer=None if seed is None else
                                 tf.glorot_uniform_initializer(seed=seed))
        bias = tf.get_variable("bias", [n_out], dtype=dtype,
                               initializer=tf.constant_initializer(0.1))
        hidden = tf.get_variable("hidden", [n_out, n_out], dtype=dtype,
                                 initializer=tf.glorot_normal_initializer(seed=seed))
    return tf.matmul(tf.nn.relu(tf.matmul(x, kernel) + bias), hidden)


def _initializers(tf, shape, dtype, seed):
    """get_variable with each random initializer of TF1, flattened into one vector."""
    inits = [tf.variance_scaling_initializer(2.0, "fan_in", "normal", seed=seed),
             tf.variance_scaling_initializer(1.0, "fan_out", "uniform", seed=seed),
             tf.variance_scaling_initializer(1.0, "fan_avg", "untruncated_normal", seed=seed),
             tf.random_uniform_initializer(-0.1, 0.1, seed=seed),
             tf.truncated_normal_initializer(stddev=0.02, seed=seed),
             tf.random_normal_initializer(1.0, 0.5, seed=seed)]
    values = [tf.reshape(tf.get_variable(f"v{i}", shape, dtype=dtype, initializer=init), [-1])
              for i, init in enumerate(inits)]
    return tf.concat(values, 0)


KINDS = {
    "normal": (_normal, ["float32", "float64", "float16"], [(1000,), (7, 3)]),
    "truncated_normal": (_truncated, ["float32", "float64", "float16"], [(1000,), (7, 3)]),
    "uniform": (_uniform, ["float32", "float64", "float16"], [(1000,), (7, 3)]),
    "unit_uniform": (_unit_uniform, ["float32"], [(5,), (2, 3)]),
    "uniform_int": (_uniform_int, ["int32", "int64"], [(1000,), (7, 3)]),
    "shuffle": (_shuffle, ["int32"], [(50,), (6, 2)]),
    "dropout": (_dropout, ["float32", "float64"], [(1000,), (7, 3)]),
    "dropout_tensor_rate": (_dropout_tensor_rate, ["float32"], [(1000,), (7, 3)]),
    "multinomial": (_multinomial, ["int64"], [(20, 4), (7, 10)]),
    "multinomial_batch": (_multinomial_batch, ["int32"], [(64, 10), (3, 100)]),
    "initializers": (_initializers, ["float32", "float64"], [(30, 20), (3, 3, 4, 8)]),
    "dense": (_dense, ["float32", "float64"], [(4, 3), (10, 6)]),
}


def cases():
    """Every case as (key, builder, shape, dtype name, (graph seed, op seed, op seed rule))."""
    for kind, (builder, dtypes, shapes) in KINDS.items():
        for dtype in dtypes:
            for shape in shapes:
                for seed_name, seeds in SEEDS.items():
                    key = f"{kind}/{dtype}/{'x'.join(map(str, shape))}/{seed_name}"
                    yield key, builder, shape, dtype, seeds


def run_case(tf, builder, shape, dtype, seeds) -> np.ndarray:
    """Build the case in a new graph; [run 1, run 2 of one session, run 1 of a new session]."""
    graph_seed, op_seed, rule = seeds
    with tf.Graph().as_default(), op_seed_rule(tf, rule):
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        out = builder(tf, list(shape), getattr(tf, dtype), op_seed)
        init = tf.global_variables_initializer()
        values = []
        # Two intra-op threads, so that how TF splits a multinomial's rows over its threads
        # is the same on every machine.
        config = tf.ConfigProto(intra_op_parallelism_threads=2)
        for session_runs in (2, 1):
            with tf.Session(config=config) as sess:
                sess.run(init)
                values.extend(sess.run(out) for _ in range(session_runs))
    return np.stack(values)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the fixture file")
    args = parser.parse_args(argv)
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    produced = {key: run_case(tf, *rest) for key, *rest in cases()}
    if args.write:
        FIXTURES.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(FIXTURES, **produced)
        print(f"wrote {len(produced)} cases to {FIXTURES}")
        return 0
    stored = np.load(FIXTURES)
    bad = [k for k, v in produced.items()
           if k not in stored or stored[k].dtype != v.dtype or not np.array_equal(stored[k], v)]
    bad += [k for k in stored.files if k not in produced]
    print(f"{len(produced) - len(bad)} of {len(produced)} cases equal to the fixtures")
    for k in bad:
        print("  differs:", k)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
