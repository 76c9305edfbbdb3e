"""Seeded TF1 programs run under TensorFlow's `tf.compat.v1` and under flowlog: same prints?

    python benchmarks/tf1_differential.py [--tf-python .venv-bench/bin/python]
                                          [--flowlog-python .venv/bin/python] [-v]

Each program is a classic tutorial written against a module `tf`; the script runs every program
in both interpreters (TensorFlow lives only in the benchmark venv), twice: with TensorFlow 2's
rule for op seeds under a graph seed alone (flowlog's `op_seed_rule("tf2")`), and with TF 1.x's
rule (the default in flowlog; TensorFlow's `get_seed` is given TF 1.x's rule back). A program
matches when its printed lines agree word for word and every number within `RTOL`.

Under the TF 1.x rule an op seed is the number of ops built before, and TensorFlow 2 builds
gradient subgraphs with other ops than TF 1.x did (flowlog builds TF 1.x's, which the tutorials
print), so a program that creates graph-seeded random ops after `minimize` (dropout_training's
shuffle) draws other seeds than this reference; under TF 2's rule the count does not matter.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import tf_compare
from tf_seed_rule import op_seed_rule

# --- the programs -----------------------------------------------------------------------------


def xor(tf):
    """The XOR network of a well-known TF1 course (two sigmoid layers, set_random_seed(777))."""
    tf.set_random_seed(777)
    x_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y_data = np.array([[0], [1], [1], [0]], dtype=np.float32)
    X = tf.placeholder(tf.float32, [None, 2])
    Y = tf.placeholder(tf.float32, [None, 1])
    W1 = tf.Variable(tf.random_normal([2, 2]), name="weight1")
    b1 = tf.Variable(tf.random_normal([2]), name="bias1")
    layer1 = tf.sigmoid(tf.matmul(X, W1) + b1)
    W2 = tf.Variable(tf.random_normal([2, 1]), name="weight2")
    b2 = tf.Variable(tf.random_normal([1]), name="bias2")
    hypothesis = tf.sigmoid(tf.matmul(layer1, W2) + b2)
    cost = -tf.reduce_mean(Y * tf.log(hypothesis) + (1 - Y) * tf.log(1 - hypothesis))
    train = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)
    predicted = tf.cast(hypothesis > 0.5, dtype=tf.float32)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, Y), dtype=tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(10001):
            _, cost_val, w_val = sess.run([train, cost, W1], feed_dict={X: x_data, Y: y_data})
            if step % 1000 == 0:
                print(step, cost_val, w_val)
        h, c, a = sess.run([hypothesis, predicted, accuracy], feed_dict={X: x_data, Y: y_data})
        print("Hypothesis:", h, "Correct:", c, "Accuracy:", a)


def linear_regression(tf):
    """y = W x + b by gradient descent, fetching W and b with the train op each step."""
    tf.set_random_seed(777)
    x_train, y_train = [1, 2, 3], [1, 2, 3]
    W = tf.Variable(tf.random_normal([1]), name="weight")
    b = tf.Variable(tf.random_normal([1]), name="bias")
    hypothesis = x_train * W + b
    cost = tf.reduce_mean(tf.square(hypothesis - y_train))
    train = tf.train.GradientDescentOptimizer(learning_rate=0.01).minimize(cost)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    for step in range(2001):
        _, cost_val, W_val, b_val = sess.run([train, cost, W, b])
        if step % 200 == 0:
            print(step, cost_val, W_val, b_val)


def adam_scalar(tf):
    """Adam on x**2 from x = 5, fetching {'x': x, 'train_op': ...} as the tutorials do."""
    x = tf.Variable(5.0, name="x")
    train_op = tf.train.AdamOptimizer(0.1).minimize(x * x)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            print(sess.run({"x": x, "train_op": train_op})["x"])


def _blobs(n=120, classes=3, dims=4):
    rng = np.random.RandomState(0)
    centers = rng.normal(0, 3, size=(classes, dims))
    labels = rng.randint(0, classes, size=n)
    x = (centers[labels] + rng.normal(size=(n, dims))).astype(np.float32)
    return x, np.eye(classes, dtype=np.float32)[labels]


def mlp(tf):
    """A two-layer softmax classifier, glorot (get_variable's default) and truncated normal."""
    tf.set_random_seed(1234)
    x_data, y_data = _blobs()
    X = tf.placeholder(tf.float32, [None, 4], name="X")
    Y = tf.placeholder(tf.float32, [None, 3], name="Y")
    with tf.variable_scope("hidden"):
        W1 = tf.get_variable("W", [4, 16])
        b1 = tf.get_variable("b", [16], initializer=tf.zeros_initializer())
        h = tf.nn.relu(tf.matmul(X, W1) + b1)
    W2 = tf.Variable(tf.truncated_normal([16, 3], stddev=0.1), name="W2")
    b2 = tf.Variable(tf.zeros([3]), name="b2")
    logits = tf.matmul(h, W2) + b2
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=Y, logits=logits))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(301):
            batch = np.arange(step * 20, step * 20 + 20) % len(x_data)
            _, l = sess.run([train, loss], {X: x_data[batch], Y: y_data[batch]})
            if step % 50 == 0:
                print(step, l, sess.run(accuracy, {X: x_data, Y: y_data}))


def dropout_training(tf):
    """A hidden layer with dropout (keep_prob fed), random_uniform weights and shuffled data."""
    tf.set_random_seed(42)
    x_data, y_data = _blobs(n=64)
    X = tf.placeholder(tf.float32, [None, 4])
    Y = tf.placeholder(tf.float32, [None, 3])
    keep_prob = tf.placeholder(tf.float32)
    W1 = tf.Variable(tf.random_uniform([4, 32], -0.5, 0.5))
    b1 = tf.Variable(tf.random_normal([32], stddev=0.01))
    h = tf.nn.dropout(tf.nn.relu(tf.matmul(X, W1) + b1), keep_prob=keep_prob)
    W2 = tf.Variable(tf.random_uniform([32, 3], -0.5, 0.5))
    logits = tf.matmul(h, W2)
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=Y, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    order = tf.random_shuffle(tf.range(64))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(21):
            idx = sess.run(order)
            for start in range(0, 64, 16):
                batch = idx[start:start + 16]
                _, l = sess.run([train, loss], {X: x_data[batch], Y: y_data[batch], keep_prob: 0.7})
            if epoch % 5 == 0:
                print(epoch, idx[:8], l, sess.run(loss, {X: x_data, Y: y_data, keep_prob: 1.0}))


def neuron_summaries(tf):
    """The "Hello, TensorFlow!" neuron: its graph's nodes and the summaries' tags and values."""
    if hasattr(tf, "Summary"):
        Summary = tf.Summary
    else:
        from flowlog.proto.summary_pb2 import Summary
    x = tf.constant(1.0, name="input")
    w = tf.Variable(0.8, name="weight")
    y = tf.multiply(w, x, name="output")
    y_ = tf.constant(0.0, name="correct_value")
    loss = tf.pow(y - y_, 2, name="loss")
    train_step = tf.train.GradientDescentOptimizer(0.025).minimize(loss)
    for value in [x, w, y, y_, loss]:
        tf.summary.scalar(value.op.name, value)
    with tf.name_scope("Error"):
        error = tf.abs(y - y_)
    tf.summary.scalar("error", error)  # tagged 'error_1': tags ignore case against names
    summaries = tf.summary.merge_all()
    # The gradient subgraph is left out: its shape follows TF 1.x in flowlog (the tutorials
    # print its names) and has since changed in TensorFlow 2.
    nodes = [n for n in tf.get_default_graph().as_graph_def(add_shapes=True).node
             if not n.name.startswith("gradients/")]
    print(len(nodes), "nodes:", " ".join(f"{n.name}:{n.op}" for n in nodes))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(3):
            values = Summary.FromString(sess.run(summaries)).value
            print(step, [(v.tag, v.simple_value) for v in values])
            sess.run(train_step)


PROGRAMS = [xor, linear_regression, adam_scalar, mlp, dropout_training, neuron_summaries]


# --- running and comparing ----------------------------------------------------------------------




def run_all(engine: str, rule: str) -> dict:
    """Each program's printed text under `engine` ("tf" or "flowlog")."""
    if engine == "tf":
        import tensorflow.compat.v1 as tf

        tf.disable_v2_behavior()
    else:
        import flowlog as tf
    out = {}
    for program in PROGRAMS:
        buffer = io.StringIO()
        with tf.Graph().as_default(), op_seed_rule(tf, rule), \
                contextlib.redirect_stdout(buffer):
            try:
                program(tf)
            except Exception as e:  # noqa: BLE001 - a failure is a result to report
                print(f"raised {type(e).__name__}: {e}")
        out[program.__name__] = buffer.getvalue()
    return out


# Float32 arithmetic rounds at 6e-8; kernels that round differently in the last bit (Eigen's
# sigmoid, a matmul's summation order) drift apart by about that much per step, so ten
# thousand training steps stay well inside 1e-4, while another seed or draw moves numbers by
# whole percents.
RTOL = 1e-4


def main(argv=None) -> int:
    parser = tf_compare.parser(__doc__)
    parser.add_argument("--rule", default="tf2", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_all(args.child, args.rule)))
        return 0
    failures = 0
    for rule, label in (("tf2", "TensorFlow 2 tf.compat.v1 seeds"), ("tf1", "TF 1.x seed rule")):
        want = tf_compare.run_child(__file__, args.tf_python, "tf", "--rule", rule)
        got = tf_compare.run_child(__file__, args.flowlog_python, "flowlog", "--rule", rule)
        results = {name: tf_compare.compare(want[name], got.get(name, "")) for name in want}
        same = [n for n, (words, diff) in results.items() if words and diff <= RTOL]
        exact = [n for n in want if want[n] == got.get(n)]
        failures += len(want) - len(same)
        print(f"{label}: {len(same)} of {len(want)} programs print the same numbers "
              f"({len(exact)} character for character)")
        for name, (words, diff) in results.items():
            mark = "same" if name in same else "DIFFERENT"
            detail = "identical" if name in exact else (
                f"largest relative difference {diff:.1e}" if words else "different words")
            print(f"  {name:20s} {mark:9s} {detail}")
            if args.verbose and name not in same:
                print("    tensorflow:", want[name][-600:].replace("\n", "\n      "))
                print("    flowlog:   ", got.get(name, "")[-600:].replace("\n", "\n      "))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
