"""Engine speed, side by side in one process: flowlog vs TF1's API (and vs hand-written NumPy).

1. The linear-regression step of the sessions tutorial (two feeds, fetch `[loss, train_op]`),
   in flowlog and in `tensorflow.compat.v1`: target >= 10x faster than TF1.
2. A digits-sized 64-300-10 MLP step (ReLU, softmax cross-entropy, SGD, batch 100), in flowlog,
   in `tensorflow.compat.v1` and as the same math written by hand in NumPy: target at most
   1.0x TF1's time.
3. A digits-sized CNN step (conv2d 5x5 SAME 1->32 + ReLU, max_pool 2x2, dense 512->10, softmax
   cross-entropy, SGD, batch 64 of 8x8x1 images), in flowlog and in `tensorflow.compat.v1`:
   target at most 1.5x TF1's time.

The machine may be busy with other work, so the sides take turns (interleaved rounds) and each
keeps its best timing; beside wall time, the process's CPU time per step shows what load did
(CPU time counts every thread, so TF's worker threads are charged to TF). Each side runs as a
user would: flowlog's Session with its defaults (one BLAS thread; malloc keeping freed step
buffers), TF with its default config. Both defaults are process-wide, so NumPy by hand runs
with them too.

TensorFlow is not part of the project's environment (the tests prove flowlog works without it),
so this runs from a separate virtualenv, which `make bench-engine` creates and uses:

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install tensorflow-cpu threadpoolctl -e .
    .venv-bench/bin/python benchmarks/engine.py [--steps 2000] [--rounds 5]

Exits 2 with a message when tensorflow cannot be imported.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def per_step(fn, steps: int) -> tuple[float, float]:
    """Wall and process CPU time of `steps` calls of `fn(i)`, in microseconds per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(steps):
        fn(i)
    return ((time.perf_counter() - wall) / steps * 1e6,
            (time.process_time() - cpu) / steps * 1e6)


def compare(sides: dict, steps: int, rounds: int) -> dict:
    """{name: (best wall, best CPU) us per step}: the sides take turns, `rounds` times, so that
    each sees the same machine load; the best of each side's rounds counts."""
    best = {name: (float("inf"), float("inf")) for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            wall, cpu = per_step(fn, steps)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def report(title: str, times: dict, base: str, target: str, note: str) -> None:
    """Print `times` with each side's wall and CPU time as a ratio to side `base`'s."""
    print(title)
    bw, bc = times[base]
    for name, (wall, cpu) in times.items():
        print(f"  {name:<24} wall {wall:8.1f} us/step ({wall / bw:5.2f}x)   "
              f"cpu {cpu:8.1f} us/step ({cpu / bc:5.2f}x)")
    print(f"  target: {target}; {note}\n")


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


# --- 2. the MLP: flowlog vs TF1 vs NumPy ---------------------------------------------------------------


def mlp_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((100, 64), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 100)]
    w1 = (rng.standard_normal((64, 300)) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((300, 10)) * 0.1).astype(np.float32)
    return x, y, [w1, np.zeros(300, np.float32), w2, np.zeros(10, np.float32)]


def mlp(api, x_data, y_data, params, lr, config=None):
    """The MLP step in `api` (flowlog or tf.compat.v1): returns (step, read weights)."""
    graph = api.Graph()
    with graph.as_default():
        x = api.placeholder(api.float32, [None, 64])
        y = api.placeholder(api.float32, [None, 10])
        w1, b1, w2, b2 = (api.Variable(p) for p in params)
        hidden = api.nn.relu(api.matmul(x, w1) + b1)
        logits = api.matmul(hidden, w2) + b2
        loss = api.reduce_mean(api.nn.softmax_cross_entropy_with_logits_v2(labels=y,
                                                                           logits=logits))
        train_op = api.train.GradientDescentOptimizer(lr).minimize(loss)
        init = api.global_variables_initializer()
    return session_step(api, graph, init, [loss, train_op], {x: x_data, y: y_data},
                        [w1, b1, w2, b2], config)


def session_step(api, graph, init, fetches, feed, weights, config=None):
    """(run one step, read `weights`) in a new session of `graph`, initialized by `init`."""
    sess = api.Session(graph=graph, config=config)
    sess.run(init)
    return (lambda i: sess.run(fetches, feed)), (lambda: sess.run(weights))


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
    return session_step(api, graph, init, [loss, train_op], {x: x_data, y: y_data},
                        [w_conv, b_conv, w_fc, b_fc])


def max_difference(a: list, b: list) -> float:
    return max(float(np.max(np.abs(np.asarray(u) - np.asarray(v)))) for u, v in zip(a, b))


def trained_alike(steps: dict, weights: dict, n: int = 10) -> str:
    """Run every side's step `n` times; how far each side's weights end from the first side's."""
    for step in steps.values():
        for i in range(n):
            step(i)
    first, *others = weights
    return ", ".join(f"{name} {max_difference(weights[first](), weights[name]()):.2g}"
                     for name in others)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps per timing")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timings; best counts")
    args = parser.parse_args()
    try:
        import tensorflow.compat.v1 as tf1
    except ImportError as e:
        print(f"benchmarks/engine.py needs TensorFlow for the TF1 side ({e}).\n"
              "Run it from a separate virtualenv, as the docstring of this file shows:\n"
              "  python3 -m venv .venv-bench && .venv-bench/bin/pip install "
              "tensorflow-cpu threadpoolctl -e .", file=sys.stderr)
        return 2
    tf1.disable_eager_execution()
    import tensorflow as tf

    import flowlog as fl

    steps, rounds = args.steps, args.rounds
    print(f"flowlog vs tensorflow {tf.__version__} (tf.compat.v1), numpy {np.__version__}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"best of {rounds} interleaved rounds\n")

    fl_sess, fl_step, fl_vars = linear_regression(fl)
    tf_sess, tf_step, tf_vars = linear_regression(tf1)
    times = compare({"TF1 (tf.compat.v1)": tf_step, "flowlog": fl_step}, steps, rounds)
    diff = max_difference(fl_sess.run(fl_vars), tf_sess.run(tf_vars))
    report(f"linear regression step (2 feeds, fetch [loss, train_op]), {steps} steps a round:",
           times, "TF1 (tf.compat.v1)", "flowlog >= 10x faster (ratio <= 0.1x)",
           f"|m, b difference| after the same steps: {diff:.2g}")

    x, y, params = mlp_data()
    sides = {"TF1 (tf.compat.v1)": mlp(tf1, x, y, params, 0.5), "flowlog": mlp(fl, x, y, params, 0.5),
             "NumPy by hand": numpy_mlp(x, y, params, 0.5)}
    agree = trained_alike({k: v[0] for k, v in sides.items()}, {k: v[1] for k, v in sides.items()})
    times = compare({k: v[0] for k, v in sides.items()}, steps // 4, rounds)
    report(f"digits MLP step (64-300-10, batch 100, fetch [loss, train_op]), {steps // 4} steps "
           "a round:", times, "TF1 (tf.compat.v1)", "flowlog <= 1.0x TF1",
           f"max weight difference from TF1 after 10 steps: {agree}")

    x, y, params = cnn_data()
    sides = {"TF1 (tf.compat.v1)": cnn(tf1, x, y, params, 0.1), "flowlog": cnn(fl, x, y, params, 0.1)}
    agree = trained_alike({k: v[0] for k, v in sides.items()}, {k: v[1] for k, v in sides.items()})
    times = compare({k: v[0] for k, v in sides.items()}, steps // 8, rounds)
    report(f"digits CNN step (conv2d 5x5x32 SAME + max_pool 2x2 + dense, batch 64), "
           f"{steps // 8} steps a round:", times, "TF1 (tf.compat.v1)", "flowlog <= 1.5x TF1",
           f"max weight difference from TF1 after 10 steps: {agree}")

    # Last, as BLAS's thread count is process-wide: the MLP with as many BLAS threads as cores.
    x, y, params = mlp_data()
    threads = fl.ConfigProto(intra_op_parallelism_threads=os.cpu_count())
    sides = {"TF1 (tf.compat.v1)": mlp(tf1, x, y, params, 0.5)[0],
             f"flowlog, {os.cpu_count()} BLAS threads": mlp(fl, x, y, params, 0.5, threads)[0]}
    times = compare(sides, steps // 4, rounds)
    report(f"the MLP step with ConfigProto(intra_op_parallelism_threads={os.cpu_count()}) "
           "instead of flowlog's default of one BLAS thread:", times, "TF1 (tf.compat.v1)",
           "none (shows what BLAS threads do on this machine under its load)",
           "CPU time beside wall time: what the extra threads cost (waiting BLAS threads spin)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
