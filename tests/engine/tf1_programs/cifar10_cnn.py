"""The CIFAR-10 tutorial's network in small, on the digits: conv, relu, max_pool and
`tf.nn.lrn` twice (the tutorial's norm1/norm2), weights with an L2 `weight_decay` added to a
`losses` collection, a fully connected layer normalized by hand with `tf.nn.moments` and
`tf.nn.batch_normalization`, and `tf.add_n` of the collection as the total loss."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import numpy as np

from .common import batches, digits


def main(tf):
    tf.set_random_seed(8)
    train_x, train_y, test_x, test_y = digits()

    def variable_with_weight_decay(name, shape, stddev, wd):
        var = tf.get_variable(name, shape,
                              initializer=tf.truncated_normal_initializer(stddev=stddev))
        if wd is not None:
            weight_decay = tf.multiply(tf.nn.l2_loss(var), wd, name="weight_loss")
            tf.add_to_collection("losses", weight_decay)
        return var

    images = tf.placeholder(tf.float32, [None, 8, 8, 1])
    labels = tf.placeholder(tf.int64, [None])
    with tf.variable_scope("conv1") as scope:
        kernel = variable_with_weight_decay("weights", [3, 3, 1, 16], 0.1, None)
        conv = tf.nn.conv2d(images, kernel, [1, 1, 1, 1], padding="SAME")
        biases = tf.get_variable("biases", [16], initializer=tf.constant_initializer(0.0))
        conv1 = tf.nn.relu(tf.nn.bias_add(conv, biases), name=scope.name)
    pool1 = tf.nn.max_pool(conv1, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME",
                           name="pool1")
    norm1 = tf.nn.lrn(pool1, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm1")
    with tf.variable_scope("conv2") as scope:
        kernel = variable_with_weight_decay("weights", [3, 3, 16, 16], 0.1, None)
        conv = tf.nn.conv2d(norm1, kernel, [1, 1, 1, 1], padding="SAME")
        biases = tf.get_variable("biases", [16], initializer=tf.constant_initializer(0.1))
        conv2 = tf.nn.relu(tf.nn.bias_add(conv, biases), name=scope.name)
    norm2 = tf.nn.lrn(conv2, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm2")
    pool2 = tf.nn.max_pool(norm2, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME",
                           name="pool2")
    with tf.variable_scope("local3"):
        reshape = tf.reshape(pool2, [-1, 2 * 2 * 16])
        weights = variable_with_weight_decay("weights", [64, 48], 0.04, 0.004)
        pre = tf.matmul(reshape, weights)
        mean, variance = tf.nn.moments(pre, [0])
        gamma = tf.get_variable("gamma", [48], initializer=tf.ones_initializer())
        beta = tf.get_variable("beta", [48], initializer=tf.zeros_initializer())
        local3 = tf.nn.relu(tf.nn.batch_normalization(pre, mean, variance, beta, gamma, 1e-3))
    with tf.variable_scope("softmax_linear"):
        weights = variable_with_weight_decay("weights", [48, 10], 1 / 48.0, None)
        biases = tf.get_variable("biases", [10], initializer=tf.constant_initializer(0.0))
        logits = tf.add(tf.matmul(local3, weights), biases, name="softmax_linear")
    cross_entropy = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits), name="cross_entropy")
    tf.add_to_collection("losses", cross_entropy)
    total_loss = tf.add_n(tf.get_collection("losses"), name="total_loss")
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(total_loss)
    accuracy = tf.reduce_mean(tf.cast(tf.nn.in_top_k(logits, labels, 1), tf.float32))
    print("shapes", norm1.shape.as_list(), norm2.shape.as_list(), pool2.shape.as_list(),
          norm1.op.name)
    print("losses", [t.op.name for t in tf.get_collection("losses")])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step, idx in enumerate(batches(len(train_x), 64, 151, seed=8)):
            _, loss_value = sess.run([train_op, total_loss], {images: train_x[idx],
                                                              labels: train_y[idx]})
            if step % 50 == 0:
                print("step %d, loss = %.4f" % (step, loss_value))
        print("test accuracy %.4f" % sess.run(accuracy, {images: test_x, labels: test_y}))
        normalized = sess.run(local3, {images: test_x[:100]})
        print("normalized layer active", np.round(np.mean(normalized > 0), 2) > 0.2)
