"""Hospital visits against temperature: a linear model fit by mini-batch SGD (the notebook).

Writes the loss of the train, valid and test sets as three runs (`train/`, `valid/`, `test/`)
under the log directory, so their curves share one chart.
"""
from __future__ import annotations

import os

import numpy as np

import flowlog as fl

BATCH = 100


def make_data(seed: int = 0):
    """1000 fake months: visits = 1000 - 5 * temperature + noise; temperatures normalized."""
    rng = np.random.default_rng(seed)
    temps = rng.normal(55, 20, 1000)
    visits = 1000 - 5 * temps + rng.normal(0, 100, 1000)
    x = (temps - temps.mean()) / temps.std()
    return (x[:800], visits[:800]), (x[800:900], visits[800:900]), (x[900:], visits[900:])


def main(logdir: str, steps: int | None = None) -> dict:
    """Train `steps` (default 5000) batches; returns the learned m, b and the three losses."""
    steps = 5000 if steps is None else steps
    train, valid, test = make_data()
    graph = fl.Graph()
    with graph.as_default():
        X = fl.placeholder(fl.float32, name="X")
        y = fl.placeholder(fl.float32, name="y")
        m = fl.Variable(0., name="m")
        b = fl.Variable(0., name="b")
        predicted_y = X * m + b
        avg_loss = fl.reduce_mean(fl.squared_difference(predicted_y, y), name="avg_loss")
        train_one_step = fl.train.GradientDescentOptimizer(learning_rate=0.0005).minimize(
            avg_loss)
        loss_summary = fl.summary.scalar("loss", avg_loss)
        init = fl.global_variables_initializer()
    writers = {name: fl.summary.FileWriter(os.path.join(logdir, name))
               for name in ("train", "valid", "test")}
    writers["train"].add_graph(graph)
    losses = {}
    with fl.Session(graph=graph) as sess:
        sess.run(init)
        for i in range(steps):
            start = BATCH * (i % (len(train[0]) // BATCH))
            feed = {X: train[0][start:start + BATCH], y: train[1][start:start + BATCH]}
            summary, losses["train"], _ = sess.run([loss_summary, avg_loss, train_one_step], feed)
            if i % 50 == 0 or i + 1 == steps:
                writers["train"].add_summary(summary, i)
                summary, losses["valid"] = sess.run([loss_summary, avg_loss],
                                                    {X: valid[0], y: valid[1]})
                writers["valid"].add_summary(summary, i)
        summary, losses["test"], m_value, b_value = sess.run(
            [loss_summary, avg_loss, m, b], {X: test[0], y: test[1]})
        writers["test"].add_summary(summary, steps - 1)
    for writer in writers.values():
        writer.close()
    return {"m": float(m_value), "b": float(b_value),
            **{f"{k}_loss": float(v) for k, v in losses.items()}}


if __name__ == "__main__":
    from common import run_cli

    run_cli(main, __doc__)
