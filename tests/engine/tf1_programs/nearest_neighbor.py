"""Nearest neighbour classification as the classic example does it: L1 distances in one
graph op, `tf.arg_min`, a Python loop over test samples."""
from __future__ import annotations

from .common import digits


def main(tf):
    train_x, train_y, test_x, test_y = digits()
    Xtr, Xte = train_x.reshape(-1, 64)[:500], test_x.reshape(-1, 64)[:60]
    Ytr, Yte = train_y[:500], test_y[:60]
    xtr = tf.placeholder("float", [None, 64])
    xte = tf.placeholder("float", [64])
    distance = tf.reduce_sum(tf.abs(tf.add(xtr, tf.negative(xte))), reduction_indices=1)
    pred = tf.arg_min(distance, 0)
    accuracy = 0.
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(len(Xte)):
            nn_index = sess.run(pred, feed_dict={xtr: Xtr, xte: Xte[i, :]})
            if i % 20 == 0:
                print("Test", i, "Prediction:", Ytr[nn_index], "True Class:", Yte[i])
            if Ytr[nn_index] == Yte[i]:
                accuracy += 1. / len(Xte)
        print(f"Done! Accuracy: {accuracy:.4f}")
