"""The "Deep MNIST for experts" network on the digits: conv2d, max_pool, a dense layer with
dropout and softmax cross-entropy, written with tf.nn and tf.Variable as the tutorial does."""
from __future__ import annotations

import numpy as np

from .common import batches, digits


def main(tf):
    tf.set_random_seed(1)
    train_x, train_y, test_x, test_y = digits()
    train_onehot = np.eye(10, dtype="float32")[train_y]
    test_onehot = np.eye(10, dtype="float32")[test_y]

    def weight_variable(shape):
        return tf.Variable(tf.truncated_normal(shape, stddev=0.1))

    def bias_variable(shape):
        return tf.Variable(tf.constant(0.1, shape=shape))

    def conv2d(x, W):
        return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")

    def max_pool_2x2(x):
        return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")

    x = tf.placeholder(tf.float32, [None, 8, 8, 1])
    y_ = tf.placeholder(tf.float32, [None, 10])
    W_conv1 = weight_variable([3, 3, 1, 16])
    h_pool1 = max_pool_2x2(tf.nn.relu(conv2d(x, W_conv1) + bias_variable([16])))
    W_conv2 = weight_variable([3, 3, 16, 32])
    h_pool2 = max_pool_2x2(tf.nn.relu(conv2d(h_pool1, W_conv2) + bias_variable([32])))
    h_flat = tf.reshape(h_pool2, [-1, 2 * 2 * 32])
    h_fc1 = tf.nn.relu(tf.matmul(h_flat, weight_variable([2 * 2 * 32, 64])) + bias_variable([64]))
    keep_prob = tf.placeholder(tf.float32)
    h_drop = tf.nn.dropout(h_fc1, keep_prob)
    y_conv = tf.matmul(h_drop, weight_variable([64, 10])) + bias_variable([10])
    cross_entropy = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=y_conv))
    train_step = tf.train.AdamOptimizer(1e-2).minimize(cross_entropy)
    correct = tf.equal(tf.argmax(y_conv, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    print("shapes", h_pool1.shape.as_list(), h_pool2.shape.as_list(), y_conv.shape.as_list())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i, idx in enumerate(batches(len(train_x), 64, 200)):
            if i % 50 == 0:
                acc, loss = sess.run([accuracy, cross_entropy],
                                     {x: train_x[idx], y_: train_onehot[idx], keep_prob: 1.0})
                print("step", i, "training accuracy", acc, "loss", loss)
            sess.run(train_step, {x: train_x[idx], y_: train_onehot[idx], keep_prob: 1.0})
        print("test accuracy", sess.run(accuracy, {x: test_x, y_: test_onehot, keep_prob: 1.0}))
