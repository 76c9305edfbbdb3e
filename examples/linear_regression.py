"""Linear regression with placeholders, one random point per SGD step (the sessions tutorial).

Learns y = m * x + b for a random line; logs the loss and the two parameters every 100 steps.
"""
from __future__ import annotations

import random

import flowlog as fl

LOG_EVERY = 100


def main(logdir: str, steps: int | None = None, seed: int = 0) -> dict:
    """Run `steps` (default 100 000) SGD steps; returns the true and learned parameters."""
    steps = 100_000 if steps is None else steps
    graph = fl.Graph()
    with graph.as_default():
        m = fl.get_variable("m", [], initializer=fl.constant_initializer(0.))
        b = fl.get_variable("b", [], initializer=fl.constant_initializer(0.))
        init = fl.global_variables_initializer()
        x = fl.placeholder(fl.float32, name="x")
        y = fl.placeholder(fl.float32, name="y")
        y_guess = m * x + b
        loss = fl.square(y - y_guess, name="loss")
        train_op = fl.train.GradientDescentOptimizer(1e-3).minimize(loss)
        fl.summary.scalar("loss", loss)
        fl.summary.scalar("m", m)
        fl.summary.scalar("b", b)
        summaries = fl.summary.merge_all()
    rng = random.Random(seed)
    true_m, true_b = rng.random(), rng.random()
    with fl.Session(graph=graph) as sess, fl.summary.FileWriter(logdir, graph) as writer:
        sess.run(init)
        for step in range(steps):
            x_data = rng.random()
            feed = {x: x_data, y: true_m * x_data + true_b}
            if step % LOG_EVERY == 0:
                summary, _ = sess.run([summaries, train_op], feed_dict=feed)
                writer.add_summary(summary, step)
            else:
                sess.run([loss, train_op], feed_dict=feed)
        learned_m, learned_b = sess.run([m, b])
    return {"true_m": true_m, "true_b": true_b, "m": float(learned_m), "b": float(learned_b)}


if __name__ == "__main__":
    from common import run_cli

    run_cli(main, __doc__)
