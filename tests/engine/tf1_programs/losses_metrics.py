"""tf.losses, tf.metrics and the training helpers around them: a regularized logistic
regression and a linear regression on the digits with a decaying learning rate, gradient
clipping, the global step, and a look at top_k, in_top_k, moments, l2_normalize and
embedding_lookup."""
from __future__ import annotations

import numpy as np

from .common import batches, digits


def main(tf):
    tf.set_random_seed(3)
    train_x, train_y, test_x, test_y = digits()
    flat_train, flat_test = train_x.reshape(-1, 64), test_x.reshape(-1, 64)
    x = tf.placeholder(tf.float32, [None, 64])
    y = tf.placeholder(tf.int64, [None])
    regularizer = lambda w: 1e-4 * tf.nn.l2_loss(w)
    with tf.variable_scope("softmax", regularizer=regularizer):
        W = tf.get_variable("W", [64, 10], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [10], initializer=tf.zeros_initializer())
    logits = tf.matmul(x, W) + b
    xent = tf.losses.softmax_cross_entropy(tf.one_hot(y, 10), logits, label_smoothing=0.1)
    is_zero = tf.cast(tf.equal(y, 0), tf.float32)
    tf.losses.sigmoid_cross_entropy(tf.expand_dims(is_zero, 1), logits[:, :1],
                                    weights=0.5)  # joins the LOSSES collection
    total = tf.losses.get_total_loss()
    global_step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.5, global_step, 50, 0.5, staircase=True)
    optimizer = tf.train.GradientDescentOptimizer(lr)
    grads, variables = zip(*optimizer.compute_gradients(total))
    clipped, norm = tf.clip_by_global_norm(grads, 5.0)
    train_op = optimizer.apply_gradients(zip(clipped, variables), global_step=global_step)
    acc, acc_update = tf.metrics.accuracy(labels=y, predictions=tf.argmax(logits, 1))
    mean_loss, mean_update = tf.metrics.mean(xent)
    top3 = tf.reduce_mean(tf.cast(tf.nn.in_top_k(logits, tf.cast(y, tf.int32), 3), tf.float32))
    print("losses", len(tf.losses.get_losses()), "regularization",
          len(tf.losses.get_regularization_losses()))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.local_variables_initializer())
        for idx in batches(len(flat_train), 100, 151, seed=3):
            _, step, loss, rate, n = sess.run([train_op, global_step, total, lr, norm],
                                              {x: flat_train[idx], y: train_y[idx]})
            if step % 50 == 0:
                print("step", step, "lr", rate, "loss", loss, "grad norm", n)
        for start in range(0, len(flat_test), 99):
            feed = {x: flat_test[start:start + 99], y: test_y[start:start + 99]}
            sess.run([acc_update, mean_update], feed)
        print("accuracy", sess.run(acc), "mean xent", sess.run(mean_loss),
              "top-3", sess.run(top3, {x: flat_test, y: test_y}))
        values, indices = sess.run(tf.nn.top_k(logits, k=3), {x: flat_test[:2]})
        print("top_k", indices, values.shape)

    with tf.Graph().as_default():
        tf.set_random_seed(4)
        # A linear model of the mean pixel from the image's rows, by tf.losses.mean_squared_error.
        rows = tf.placeholder(tf.float32, [None, 8])
        target = tf.placeholder(tf.float32, [None, 1])
        w = tf.Variable(tf.random_normal([8, 1], stddev=0.1))
        pred = tf.matmul(rows, w)
        mse = tf.losses.mean_squared_error(target, pred)
        step = tf.train.AdamOptimizer(0.05).minimize(mse)
        mean, variance = tf.nn.moments(tf.constant(flat_train[:10]), axes=[0])
        unit = tf.nn.l2_normalize(tf.constant([[3.0, 4.0], [1.0, 0.0]]), axis=1)
        table = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
        looked_up = tf.nn.embedding_lookup(table, [[3, 0], [1, 1]])
        feature = train_x[:, :, :, 0].mean(axis=2)
        label = train_x.reshape(-1, 64).mean(axis=1, keepdims=True)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(200):
                _, loss = sess.run([step, mse], {rows: feature, target: label})
            print("mse", loss)
            m, v, u, e = sess.run([mean, variance, unit, looked_up])
            print("moments", m[:4], v[:4])
            print("l2_normalize", u)
            print("embedding", e)
