"""The single neuron of "Hello, TensorFlow!": w * 1.0 learns to output 0, logged with its graph.

Writes the scalars input, weight, output, correct_value and loss at every step, and the graph.
"""
from __future__ import annotations

import flowlog as fl


def main(logdir: str, steps: int | None = None) -> dict:
    """Train for `steps` (default 100) gradient steps; returns the final output and loss."""
    steps = 100 if steps is None else steps
    graph = fl.Graph()
    with graph.as_default():
        x = fl.constant(1.0, name="input")
        w = fl.Variable(0.8, name="weight")
        y = fl.multiply(w, x, name="output")
        y_ = fl.constant(0.0, name="correct_value")
        loss = fl.pow(y - y_, 2, name="loss")
        train_step = fl.train.GradientDescentOptimizer(0.025).minimize(loss)
        for value in [x, w, y, y_, loss]:
            fl.summary.scalar(value.op.name, value)
        summaries = fl.summary.merge_all()
        init = fl.global_variables_initializer()
    with fl.Session(graph=graph) as sess, fl.summary.FileWriter(logdir, graph) as writer:
        sess.run(init)
        for i in range(steps):
            writer.add_summary(sess.run(summaries), i)
            sess.run(train_step)
        final_y, final_loss = sess.run([y, loss])
    return {"output": float(final_y), "loss": float(final_loss)}


if __name__ == "__main__":
    from common import run_cli

    run_cli(main, __doc__)
