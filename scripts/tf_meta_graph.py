"""The `.meta` + checkpoint fixture that TensorFlow wrote, for tests/engine/test_meta_graph.py.

    .venv-bench/bin/python scripts/tf_meta_graph.py DIR

TensorFlow (tf.compat.v1 with TF1 behaviour: `VariableV2` variables, as TF1 wrote them) trains
a small softmax classifier 5 steps and saves it to DIR/model.ckpt-5 (with its `.meta`); it
then writes DIR/values.json: the output `y:0` and `loss:0` for the inputs stored there, and
the variables after one more run of the `train_op` collection's op — what flowlog must give
after `import_meta_graph` + `restore`.
"""
from __future__ import annotations

import json
import sys

import numpy as np


def inputs():
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (6, 4)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > x[:, 2]).astype(np.int64) + (x[:, 3] > 0.5)
    return x, labels


def main() -> None:
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    where = sys.argv[1]
    x_in, labels_in = inputs()
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    step = tf.train.get_or_create_global_step()
    with tf.variable_scope("hidden"):
        w1 = tf.get_variable("weights", initializer=tf.constant(
            np.linspace(-1, 1, 20, dtype=np.float32).reshape(4, 5)))
        b1 = tf.get_variable("biases", [5], initializer=tf.constant_initializer(0.1))
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
    w2 = tf.Variable(np.linspace(0.5, -0.5, 15, dtype=np.float32).reshape(5, 3), name="w2")
    b2 = tf.Variable(tf.zeros([3]), name="b2")
    logits = tf.add(tf.matmul(h, w2), b2, name="logits")
    tf.nn.softmax(logits, name="y")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits), name="loss")
    tf.summary.scalar("loss", loss)
    tf.summary.histogram("w2", w2)
    rate = tf.train.exponential_decay(0.5, step, 2, 0.9, staircase=True)
    train = tf.train.MomentumOptimizer(rate, 0.9).minimize(loss, global_step=step)
    tf.add_to_collection("train_op", train)
    saver = tf.train.Saver()
    feed = {x: x_in, labels: labels_in}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train, feed)
        saver.save(sess, f"{where}/model.ckpt", global_step=5)
        y, loss_value = sess.run(["y:0", "loss:0"], feed)
        sess.run(train, feed)
        after = {v.op.name: sess.run(v).tolist() for v in tf.global_variables()}
    with open(f"{where}/values.json", "w") as f:
        json.dump({"x": x_in.tolist(), "labels": labels_in.tolist(), "y": y.tolist(),
                   "loss": float(loss_value), "after_one_more_step": after}, f, indent=1)


if __name__ == "__main__":
    main()
