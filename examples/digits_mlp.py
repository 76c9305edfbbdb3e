"""A 64-300-10 MLP on scikit-learn's 8x8 digits: ReLU, softmax cross-entropy, mini-batch SGD.

Logs loss and accuracy (runs `train/` and `test/`), weight histograms, the test digits it gets
wrong as images, a markdown report of the result, and the graph; reaches over 95 % test accuracy.
"""
from __future__ import annotations

import os

import numpy as np

import flowlog as fl

BATCH = 100
LEARNING_RATE = 0.5


def load_digits(seed: int = 0):
    """(train_x, train_y, test_x, test_y): pixels scaled to [0, 1], labels one-hot; 20 % test."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[digits.target]
    order = np.random.default_rng(seed).permutation(len(x))
    cut = len(x) * 4 // 5
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


def build_model(seed: int = 0):
    """The graph's tensors: placeholders x, y; loss, accuracy, train_op, prediction; weights."""
    fl.set_random_seed(seed)
    x = fl.placeholder(fl.float32, [None, 64], name="x")
    y = fl.placeholder(fl.float32, [None, 10], name="y")
    with fl.name_scope("hidden"):
        W1 = fl.Variable(fl.random_normal([64, 300], stddev=0.1), name="W1")
        b1 = fl.Variable(fl.zeros([300]), name="b1")
        hidden = fl.nn.relu(fl.matmul(x, W1) + b1)
    with fl.name_scope("logits"):
        W2 = fl.Variable(fl.random_normal([300, 10], stddev=0.1), name="W2")
        b2 = fl.Variable(fl.zeros([10]), name="b2")
        logits = fl.matmul(hidden, W2) + b2
    loss = fl.reduce_mean(
        fl.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits), name="loss")
    train_op = fl.train.GradientDescentOptimizer(LEARNING_RATE).minimize(loss)
    correct = fl.equal(fl.argmax(logits, 1), fl.argmax(y, 1))
    accuracy = fl.reduce_mean(fl.cast(correct, fl.float32), name="accuracy")
    return x, y, loss, accuracy, train_op, fl.argmax(logits, 1), [W1, b1, W2, b2]


def main(logdir: str, steps: int | None = None) -> dict:
    """Train `steps` (default 1500) mini-batches of 100; returns the final losses and accuracies."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    # Matrices this small multiply fastest on one core; BLAS threads only contend.
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(logdir, 1500 if steps is None else steps)


def _train(logdir: str, steps: int) -> dict:
    train_x, train_y, test_x, test_y = load_digits()
    graph = fl.Graph()
    with graph.as_default():
        x, y, loss, accuracy, train_op, predict, weights = build_model()
        scalars = fl.summary.merge([fl.summary.scalar("loss", loss),
                                    fl.summary.scalar("accuracy", accuracy)])
        histograms = fl.summary.merge([fl.summary.histogram(w.op.name, w) for w in weights])
        wrong_digits = fl.placeholder(fl.float32, [None, 8, 8, 1], name="wrong_digits")
        wrong_images = fl.summary.image("misclassified", wrong_digits, max_outputs=4)
        report = fl.placeholder(fl.string, [], name="report")
        report_text = fl.summary.text("report", report)
        init = fl.global_variables_initializer()
    train_writer = fl.summary.FileWriter(os.path.join(logdir, "train"), graph)
    test_writer = fl.summary.FileWriter(os.path.join(logdir, "test"))
    rng = np.random.default_rng(1)
    order = rng.permutation(len(train_x))
    with fl.Session(graph=graph) as sess:
        sess.run(init)
        for step in range(steps):
            start = (step * BATCH) % (len(train_x) - BATCH + 1)
            if start < BATCH and step:
                order = rng.permutation(len(train_x))
            batch = order[start:start + BATCH]
            feed = {x: train_x[batch], y: train_y[batch]}
            if step % 50 == 0 or step + 1 == steps:
                summary, _ = sess.run([scalars, train_op], feed)
                train_writer.add_summary(summary, step)
                test_writer.add_summary(sess.run(scalars, {x: test_x, y: test_y}), step)
                train_writer.add_summary(sess.run(histograms), step)
                guess = sess.run(predict, {x: test_x})
                wrong = test_x[guess != test_y.argmax(1)].reshape(-1, 8, 8, 1)
                if len(wrong):
                    test_writer.add_summary(sess.run(wrong_images, {wrong_digits: wrong}), step)
            else:
                sess.run(train_op, feed)
        result = dict(zip(("train_loss", "train_accuracy"),
                          map(float, sess.run([loss, accuracy], {x: train_x, y: train_y}))))
        result.update(zip(("test_loss", "test_accuracy"),
                          map(float, sess.run([loss, accuracy], {x: test_x, y: test_y}))))
        table = "\n".join(f"| {k} | {v:.4f} |" for k, v in result.items())
        markdown = f"**{steps} steps** of batch {BATCH}, learning rate {LEARNING_RATE}\n\n" \
                   f"| metric | value |\n| --- | --- |\n{table}"
        test_writer.add_summary(sess.run(report_text, {report: markdown}), steps)
    train_writer.close()
    test_writer.close()
    return result


if __name__ == "__main__":
    from common import run_cli

    run_cli(main, __doc__)
