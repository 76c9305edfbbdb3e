"""A multilayer perceptron with its weights in dicts of `tf.Variable(tf.random_normal(...))`,
trained with Adam on softmax cross-entropy, as the classic examples build it."""
from __future__ import annotations

import numpy as np

from .common import batches, digits


def main(tf):
    tf.set_random_seed(7)
    train_x, train_y, test_x, test_y = digits()
    train_x, test_x = train_x.reshape(-1, 64), test_x.reshape(-1, 64)
    onehot = np.eye(10, dtype=np.float32)
    n_hidden_1, n_hidden_2, n_input, n_classes = 32, 32, 64, 10
    X = tf.placeholder("float", [None, n_input])
    Y = tf.placeholder("float", [None, n_classes])
    weights = {
        "h1": tf.Variable(tf.random_normal([n_input, n_hidden_1], stddev=0.1)),
        "h2": tf.Variable(tf.random_normal([n_hidden_1, n_hidden_2], stddev=0.1)),
        "out": tf.Variable(tf.random_normal([n_hidden_2, n_classes], stddev=0.1)),
    }
    biases = {
        "b1": tf.Variable(tf.zeros([n_hidden_1])),
        "b2": tf.Variable(tf.zeros([n_hidden_2])),
        "out": tf.Variable(tf.zeros([n_classes])),
    }

    def multilayer_perceptron(x):
        layer_1 = tf.nn.relu(tf.add(tf.matmul(x, weights["h1"]), biases["b1"]))
        layer_2 = tf.nn.relu(tf.add(tf.matmul(layer_1, weights["h2"]), biases["b2"]))
        return tf.matmul(layer_2, weights["out"]) + biases["out"]

    logits = multilayer_perceptron(X)
    loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))
    train_op = tf.train.AdamOptimizer(learning_rate=0.01).minimize(loss_op)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step, idx in enumerate(batches(len(train_x), 64, 201, seed=3)):
            _, c = sess.run([train_op, loss_op], feed_dict={X: train_x[idx], Y: onehot[train_y[idx]]})
            if step % 50 == 0:
                print("step", step, f"cost={c:.6f}")
        pred = tf.nn.softmax(logits)
        correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(Y, 1))
        accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))
        print("Accuracy:", accuracy.eval({X: test_x, Y: onehot[test_y]}))
