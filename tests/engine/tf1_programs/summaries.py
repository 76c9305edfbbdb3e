"""TensorFlow's `mnist_with_summaries` in small: `variable_summaries` (mean, stddev, max, min,
histogram) in name scopes, `merge_all`, a `FileWriter` with the graph for training and one
for testing, and the event files read back with `tf.train.summary_iterator`."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import glob
import os
import tempfile

import numpy as np

from .common import batches, digits


def main(tf):
    tf.set_random_seed(5)
    train_x, train_y, test_x, test_y = digits()
    train_x, test_x = train_x.reshape(-1, 64), test_x.reshape(-1, 64)
    log_dir = tempfile.mkdtemp()

    def variable_summaries(var):
        with tf.name_scope("summaries"):
            mean = tf.reduce_mean(var)
            tf.summary.scalar("mean", mean)
            with tf.name_scope("stddev"):
                stddev = tf.sqrt(tf.reduce_mean(tf.square(var - mean)))
            tf.summary.scalar("stddev", stddev)
            tf.summary.scalar("max", tf.reduce_max(var))
            tf.summary.scalar("min", tf.reduce_min(var))
            tf.summary.histogram("histogram", var)

    def nn_layer(input_tensor, input_dim, output_dim, layer_name, act=tf.nn.relu):
        with tf.name_scope(layer_name):
            with tf.name_scope("weights"):
                weights = tf.Variable(tf.truncated_normal([input_dim, output_dim], stddev=0.1))
                variable_summaries(weights)
            with tf.name_scope("biases"):
                biases = tf.Variable(tf.constant(0.1, shape=[output_dim]))
                variable_summaries(biases)
            with tf.name_scope("Wx_plus_b"):
                preactivate = tf.matmul(input_tensor, weights) + biases
                tf.summary.histogram("pre_activations", preactivate)
            activations = act(preactivate, name="activation")
            tf.summary.histogram("activations", activations)
            return activations

    with tf.name_scope("input"):
        x = tf.placeholder(tf.float32, [None, 64], name="x-input")
        y_ = tf.placeholder(tf.int64, [None], name="y-input")
    hidden1 = nn_layer(x, 64, 32, "layer1")
    with tf.name_scope("dropout"):
        keep_prob = tf.placeholder(tf.float32)
        tf.summary.scalar("dropout_keep_probability", keep_prob)
        dropped = tf.nn.dropout(hidden1, keep_prob)
    y = nn_layer(dropped, 32, 10, "layer2", act=tf.identity)
    with tf.name_scope("cross_entropy"):
        cross_entropy = tf.losses.sparse_softmax_cross_entropy(labels=y_, logits=y)
    tf.summary.scalar("cross_entropy", cross_entropy)
    with tf.name_scope("train"):
        train_step = tf.train.AdamOptimizer(0.01).minimize(cross_entropy)
    with tf.name_scope("accuracy"):
        with tf.name_scope("correct_prediction"):
            correct_prediction = tf.equal(tf.argmax(y, 1), y_)
        with tf.name_scope("accuracy"):
            accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    tf.summary.scalar("accuracy", accuracy)
    merged = tf.summary.merge_all()
    with tf.Session() as sess:
        train_writer = tf.summary.FileWriter(log_dir + "/train", sess.graph)
        test_writer = tf.summary.FileWriter(log_dir + "/test")
        sess.run(tf.global_variables_initializer())
        for i, idx in enumerate(batches(len(train_x), 50, 60, seed=5)):
            if i % 20 == 0:
                summary, acc = sess.run([merged, accuracy],
                                        {x: test_x, y_: test_y, keep_prob: 1.0})
                test_writer.add_summary(summary, i)
                print("Accuracy at step %s: %s" % (i, acc))
            else:
                summary, _ = sess.run([merged, train_step],
                                      {x: train_x[idx], y_: train_y[idx], keep_prob: 1.0})
                train_writer.add_summary(summary, i)
        train_writer.close()
        test_writer.close()
    for run in ("train", "test"):
        tags, steps, graphs, last = set(), set(), 0, None
        for path in glob.glob(os.path.join(log_dir, run, "events.out.tfevents.*")):
            for event in tf.train.summary_iterator(path):
                graphs += event.HasField("graph_def")
                for value in event.summary.value:
                    tags.add(value.tag)
                    steps.add(event.step)
                    if value.tag == "accuracy_1":
                        last = value.simple_value
        print(run, "graphs", graphs, "steps", len(steps), "tags", len(tags))
        print(run, "tags", sorted(tags)[:6], "last accuracy", last)
    print("test accuracy", np.round(float(last), 4))
