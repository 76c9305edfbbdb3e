"""Softmax (logistic) regression on the digits as the classic examples write it: zero
weights, `-reduce_sum(y * log(pred))`, mini-batches, accuracy at the end."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import numpy as np

from .common import digits


def main(tf):
    train_x, train_y, test_x, test_y = digits()
    train_x, test_x = train_x.reshape(-1, 64), test_x.reshape(-1, 64)
    onehot = np.eye(10, dtype=np.float32)
    x = tf.placeholder(tf.float32, [None, 64])
    y = tf.placeholder(tf.float32, [None, 10])
    W = tf.Variable(tf.zeros([64, 10]))
    b = tf.Variable(tf.zeros([10]))
    pred = tf.nn.softmax(tf.matmul(x, W) + b)
    cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred), reduction_indices=1))
    optimizer = tf.train.GradientDescentOptimizer(0.5).minimize(cost)
    batch_size = 100
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(15):
            avg_cost = 0.
            total_batch = len(train_x) // batch_size
            for i in range(total_batch):
                bx = train_x[i * batch_size:(i + 1) * batch_size]
                by = onehot[train_y[i * batch_size:(i + 1) * batch_size]]
                _, c = sess.run([optimizer, cost], feed_dict={x: bx, y: by})
                avg_cost += c / total_batch
            if (epoch + 1) % 5 == 0:
                print("Epoch:", "%04d" % (epoch + 1), "cost=", f"{avg_cost:.9f}")
        correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
        accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
        print("Accuracy:", accuracy.eval({x: test_x, y: onehot[test_y]}))
