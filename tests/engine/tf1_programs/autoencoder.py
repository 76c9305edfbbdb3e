"""An autoencoder in the classic examples' style: encoder and decoder layers of sigmoids with
weights in dicts, mean squared reconstruction error, RMSProp."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import numpy as np

from .common import batches, digits


def main(tf):
    tf.set_random_seed(9)
    train_x, _, test_x, _ = digits()
    train_x, test_x = train_x.reshape(-1, 64), test_x.reshape(-1, 64)
    num_hidden_1, num_hidden_2, num_input = 32, 8, 64
    X = tf.placeholder("float", [None, num_input])
    weights = {
        "encoder_h1": tf.Variable(tf.random_normal([num_input, num_hidden_1], stddev=0.3)),
        "encoder_h2": tf.Variable(tf.random_normal([num_hidden_1, num_hidden_2], stddev=0.3)),
        "decoder_h1": tf.Variable(tf.random_normal([num_hidden_2, num_hidden_1], stddev=0.3)),
        "decoder_h2": tf.Variable(tf.random_normal([num_hidden_1, num_input], stddev=0.3)),
    }
    biases = {name: tf.Variable(tf.zeros([size])) for name, size in (
        ("encoder_b1", num_hidden_1), ("encoder_b2", num_hidden_2),
        ("decoder_b1", num_hidden_1), ("decoder_b2", num_input))}

    def encoder(x):
        layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights["encoder_h1"]), biases["encoder_b1"]))
        return tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights["encoder_h2"]),
                                    biases["encoder_b2"]))

    def decoder(x):
        layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights["decoder_h1"]), biases["decoder_b1"]))
        return tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights["decoder_h2"]),
                                    biases["decoder_b2"]))

    encoder_op = encoder(X)
    y_pred = decoder(encoder_op)
    loss = tf.reduce_mean(tf.pow(X - y_pred, 2))
    optimizer = tf.train.RMSPropOptimizer(0.02).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i, idx in enumerate(batches(len(train_x), 64, 301, seed=9)):
            _, l = sess.run([optimizer, loss], feed_dict={X: train_x[idx]})
            if i % 100 == 0:
                print("Step %i: Minibatch Loss: %f" % (i, l))
        codes, test_loss = sess.run([encoder_op, loss], {X: test_x})
        print("code", codes.shape, f"test loss {test_loss:.5f}")
        print("code range", np.round(codes.min(), 3) >= 0, np.round(codes.max(), 3) <= 1)
