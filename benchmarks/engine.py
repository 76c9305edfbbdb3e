"""Engine speed, side by side in one process: flowlog vs TF1's API, and vs hand-written NumPy.

1. The linear-regression step of the sessions tutorial (two feeds, fetch `[loss, train_op]`),
   in flowlog and in `tensorflow.compat.v1`: target >= 10x faster than TF1.
2. A digits-sized 64-300-10 MLP step (ReLU, softmax cross-entropy, SGD, batch 100), in flowlog
   and as the same math written by hand in NumPy: target within 1.3x of NumPy.
3. A digits-sized CNN step (conv2d 5x5 SAME 1->32 + ReLU, max_pool 2x2, dense 512->10, softmax
   cross-entropy, SGD, batch 64 of 8x8x1 images), in flowlog and in `tensorflow.compat.v1`:
   target at most 1.5x TF1's time.

TensorFlow is not part of the project's environment (the tests prove flowlog works without it),
so this runs from a separate virtualenv, which `make bench-engine` creates and uses:

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install tensorflow-cpu threadpoolctl -e .
    .venv-bench/bin/python benchmarks/engine.py [--steps 2000] [--repeats 5]

Both sides run with NumPy's BLAS limited to one thread (small matrices; threads only contend).
Exits 2 with a message when tensorflow cannot be imported.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def best_per_step(fn, steps: int, repeats: int) -> float:
    """The best of `repeats` timings of `steps` calls of `fn(i)`, in microseconds per call."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(steps):
            fn(i)
        best = min(best, (time.perf_counter() - start) / steps)
    return best * 1e6


# --- 1. linear regression: flowlog vs TF1 -------------------------------------------------------


def linear_regression(api):
    """The tutorial's graph in `api` (flowlog or tf.compat.v1): returns (sess, step, [m, b])."""
    graph = api.Graph()
    with graph.as_default():
        m = api.get_variable("m", [], initializer=api.constant_initializer(0.))
        b = api.get_variable("b", [], initializer=api.constant_initializer(0.))
        x = api.placeholder(api.float32)
        y = api.placeholder(api.float32)
        loss = api.square(y - (m * x + b))
        train_op = api.train.GradientDescentOptimizer(1e-3).minimize(loss)
        init = api.global_variables_initializer()
    sess = api.Session(graph=graph)
    sess.run(init)
    rng = np.random.default_rng(0)
    xs = rng.random(100_000).tolist()
    ys = [0.35 * v + 0.32 for v in xs]
    fetches = [loss, train_op]

    def step(i):
        return sess.run(fetches, feed_dict={x: xs[i], y: ys[i]})

    return sess, step, [m, b]


# --- 2. the MLP: flowlog vs NumPy ---------------------------------------------------------------


def mlp_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((100, 64), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 100)]
    w1 = (rng.standard_normal((64, 300)) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((300, 10)) * 0.1).astype(np.float32)
    return x, y, [w1, np.zeros(300, np.float32), w2, np.zeros(10, np.float32)]


def flowlog_mlp(fl, x_data, y_data, params, lr):
    graph = fl.Graph()
    with graph.as_default():
        x = fl.placeholder(fl.float32, [None, 64])
        y = fl.placeholder(fl.float32, [None, 10])
        w1, b1, w2, b2 = (fl.Variable(p) for p in params)
        hidden = fl.nn.relu(fl.matmul(x, w1) + b1)
        logits = fl.matmul(hidden, w2) + b2
        loss = fl.reduce_mean(fl.nn.softmax_cross_entropy_with_logits_v2(labels=y,
                                                                          logits=logits))
        train_op = fl.train.GradientDescentOptimizer(lr).minimize(loss)
        init = fl.global_variables_initializer()
    sess = fl.Session(graph=graph)
    sess.run(init)
    fetches, feed = [loss, train_op], {x: x_data, y: y_data}
    return (lambda i: sess.run(fetches, feed)), (lambda: sess.run([w1, b1, w2, b2]))


def numpy_mlp(x, y, params, lr):
    """The same forward pass, cross-entropy, backward pass and SGD update, by hand."""
    params = [p.copy() for p in params]
    lr = np.float32(lr)

    def step(i):
        w1, b1, w2, b2 = params
        pre = x @ w1 + b1
        hidden = np.maximum(pre, 0)
        logits = hidden @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = (np.log(total)[:, 0] - (y * shifted).sum(axis=1)).mean()
        d_logits = (exp / total - y) / np.float32(len(x))
        d_hidden = (d_logits @ w2.T) * (pre > 0)
        params[0] = w1 - (x.T @ d_hidden) * lr
        params[1] = b1 - d_hidden.sum(axis=0) * lr
        params[2] = w2 - (hidden.T @ d_logits) * lr
        params[3] = b2 - d_logits.sum(axis=0) * lr
        return loss

    return step, (lambda: params)


# --- 3. the CNN: flowlog vs TF1 ------------------------------------------------------------------


def cnn_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((64, 8, 8, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)]
    params = [(rng.standard_normal((5, 5, 1, 32)) * 0.1).astype(np.float32),
              np.zeros(32, np.float32),
              (rng.standard_normal((4 * 4 * 32, 10)) * 0.05).astype(np.float32),
              np.zeros(10, np.float32)]
    return x, y, params


def cnn(api, x_data, y_data, params, lr):
    """The same CNN step in `api` (flowlog or tf.compat.v1): returns (step, read weights)."""
    graph = api.Graph()
    with graph.as_default():
        x = api.placeholder(api.float32, [None, 8, 8, 1])
        y = api.placeholder(api.float32, [None, 10])
        w_conv, b_conv, w_fc, b_fc = (api.Variable(p) for p in params)
        conv = api.nn.relu(api.nn.conv2d(x, w_conv, [1, 1, 1, 1], "SAME") + b_conv)
        pool = api.nn.max_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
        logits = api.matmul(api.reshape(pool, [-1, 4 * 4 * 32]), w_fc) + b_fc
        loss = api.reduce_mean(api.nn.softmax_cross_entropy_with_logits_v2(labels=y,
                                                                           logits=logits))
        train_op = api.train.GradientDescentOptimizer(lr).minimize(loss)
        init = api.global_variables_initializer()
    sess = api.Session(graph=graph)
    sess.run(init)
    fetches, feed = [loss, train_op], {x: x_data, y: y_data}
    return (lambda i: sess.run(fetches, feed)), (lambda: sess.run([w_conv, b_conv, w_fc, b_fc]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps per timing")
    parser.add_argument("--repeats", type=int, default=5, help="timings; the best one counts")
    args = parser.parse_args()
    try:
        import tensorflow.compat.v1 as tf1
    except ImportError as e:
        print(f"benchmarks/engine.py needs TensorFlow for the TF1 side ({e}).\n"
              "Run it from a separate virtualenv, as the docstring of this file shows:\n"
              "  python3 -m venv /work/bench-venv && /work/bench-venv/bin/pip install "
              "tensorflow-cpu threadpoolctl\n"
              "  /work/bench-venv/bin/pip install -e /work/main", file=sys.stderr)
        return 2
    tf1.disable_eager_execution()
    import flowlog as fl

    try:
        from threadpoolctl import threadpool_limits
        one_blas_thread = threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        one_blas_thread = contextlib.nullcontext()
    steps, repeats = args.steps, args.repeats
    import tensorflow as tf

    print(f"flowlog vs tensorflow {tf.__version__} (tf.compat.v1), numpy {np.__version__}; "
          f"best of {repeats} x {steps} steps\n")
    with one_blas_thread:
        fl_sess, fl_step, fl_vars = linear_regression(fl)
        tf_sess, tf_step, tf_vars = linear_regression(tf1)
        fl_us, tf_us = 0.0, 0.0
        for _ in range(2):  # interleaved, so both see the same machine load
            fl_us = best_per_step(fl_step, steps, repeats)
            tf_us = best_per_step(tf_step, steps, repeats)
        diff = np.max(np.abs(np.array(fl_sess.run(fl_vars)) - np.array(tf_sess.run(tf_vars))))
        print("linear regression step (2 feeds, fetch [loss, train_op]):")
        print(f"  TF1 (tf.compat.v1)   {tf_us:8.1f} us/step")
        print(f"  flowlog              {fl_us:8.1f} us/step")
        print(f"  speed-up             {tf_us / fl_us:8.1f}x   (target >= 10x; "
              f"|m, b difference| after the same steps: {diff:.2g})\n")

        x, y, params = mlp_data()
        fl_step, fl_params = flowlog_mlp(fl, x, y, params, 0.5)
        np_step, np_params = numpy_mlp(x, y, params, 0.5)
        for i in range(10):
            fl_step(i)
            np_step(i)
        agree = max(np.max(np.abs(a - b)) for a, b in zip(fl_params(), np_params()))
        for _ in range(2):
            fl_us = best_per_step(fl_step, steps // 4, repeats)
            np_us = best_per_step(np_step, steps // 4, repeats)
        print("digits MLP step (64-300-10, batch 100, fetch [loss, train_op]):")
        print(f"  NumPy by hand        {np_us:8.1f} us/step")
        print(f"  flowlog              {fl_us:8.1f} us/step")
        print(f"  ratio                {fl_us / np_us:8.2f}x   (target <= 1.3x; "
              f"max weight difference after 10 steps: {agree:.2g})\n")

        x, y, params = cnn_data()
        fl_step, fl_params = cnn(fl, x, y, params, 0.1)
        tf_step, tf_params = cnn(tf1, x, y, params, 0.1)
        for i in range(10):
            fl_step(i)
            tf_step(i)
        agree = max(np.max(np.abs(a - b)) for a, b in zip(fl_params(), tf_params()))
        fl_us = tf_us = float("inf")
        for _ in range(3):  # interleaved rounds; each side's best, as the machine's load moves
            fl_us = min(fl_us, best_per_step(fl_step, steps // 8, repeats))
            tf_us = min(tf_us, best_per_step(tf_step, steps // 8, repeats))
        print("digits CNN step (conv2d 5x5x32 SAME + max_pool 2x2 + dense, batch 64):")
        print(f"  TF1 (tf.compat.v1)   {tf_us:8.1f} us/step")
        print(f"  flowlog              {fl_us:8.1f} us/step")
        print(f"  ratio                {fl_us / tf_us:8.2f}x   (target <= 1.5x; "
              f"max weight difference after 10 steps: {agree:.2g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
