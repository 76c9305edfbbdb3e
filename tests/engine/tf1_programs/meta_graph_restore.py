"""The classic "restore without the model code" pattern: one part trains and saves; another
rebuilds the graph from the `.meta` file with `tf.train.import_meta_graph`, restores the
values and fetches tensors by name (`graph.get_tensor_by_name('y:0')`), then trains on
through the `train_op` collection."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import os
import tempfile

import numpy as np

from .common import digits


def main(tf):
    train_x, train_y, test_x, test_y = digits()
    train_x, test_x = train_x.reshape(-1, 64), test_x.reshape(-1, 64)
    prefix = os.path.join(tempfile.mkdtemp(), "model.ckpt")
    with tf.Graph().as_default():
        tf.set_random_seed(2)
        x = tf.placeholder(tf.float32, [None, 64], name="x")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        with tf.name_scope("hidden"):
            w1 = tf.Variable(tf.truncated_normal([64, 24], stddev=0.1), name="weights")
            b1 = tf.Variable(tf.zeros([24]), name="biases")
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
        w2 = tf.Variable(tf.truncated_normal([24, 10], stddev=0.1), name="w2")
        logits = tf.matmul(h, w2, name="logits")
        tf.nn.softmax(logits, name="y")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits), name="loss")
        step = tf.train.get_or_create_global_step()
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
        tf.add_to_collection("train_op", train_op)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i in range(50):
                sess.run(train_op, {x: train_x[i * 30:(i + 1) * 30],
                                    labels: train_y[i * 30:(i + 1) * 30]})
            print("saved", os.path.basename(tf.train.Saver().save(sess, prefix, global_step=step)))
            print(f"loss {sess.run(loss, {x: test_x, labels: test_y}):.5f}")

    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(prefix + "-50.meta")
        print("trainable", [v.name for v in tf.trainable_variables()])
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(os.path.dirname(prefix)))
            x = graph.get_tensor_by_name("x:0")
            labels = graph.get_tensor_by_name("labels:0")
            y = graph.get_tensor_by_name("y:0")
            loss = graph.get_tensor_by_name("loss:0")
            print(f"restored loss {sess.run(loss, {x: test_x, labels: test_y}):.5f}")
            print("y", y.shape.as_list(), " ".join("%.3f" % p for p in sess.run(y, {x: test_x[:1]})[0]))
            train_op = tf.get_collection("train_op")[0]
            for i in range(50, 100):
                sess.run(train_op, {x: train_x[i * 15:(i + 1) * 15],
                                    labels: train_y[i * 15:(i + 1) * 15]})
            print("global step", sess.run(tf.train.get_global_step()),
                  f"loss {sess.run(loss, {x: test_x, labels: test_y}):.5f}")
            accuracy = np.mean(np.argmax(sess.run(y, {x: test_x}), 1) == test_y)
            print(f"accuracy {accuracy:.4f}")
