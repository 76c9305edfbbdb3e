"""The CIFAR-10 tutorial's train and eval halves in small: training keeps an
`ExponentialMovingAverage` of the weights (its `apply()` runs after each gradient step under
`control_dependencies`); evaluation builds the model again and restores the averages in place
of the weights with `Saver(ema.variables_to_restore())`. The layers use `xw_plus_b` and
`leaky_relu`; `split`, `reduce_logsumexp`, `relu6` and `count_nonzero` look at the logits."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import os
import tempfile

import numpy as np

from .common import batches, digits


def inference(tf, images):
    with tf.variable_scope("local3"):
        weights = tf.get_variable("weights", [64, 32],
                                  initializer=tf.truncated_normal_initializer(stddev=0.1))
        biases = tf.get_variable("biases", [32], initializer=tf.constant_initializer(0.1))
        local3 = tf.nn.leaky_relu(tf.nn.xw_plus_b(images, weights, biases), alpha=0.1)
    with tf.variable_scope("softmax_linear"):
        weights = tf.get_variable("weights", [32, 10],
                                  initializer=tf.truncated_normal_initializer(stddev=0.1))
        biases = tf.get_variable("biases", [10], initializer=tf.zeros_initializer())
        return tf.nn.xw_plus_b(local3, weights, biases, name="softmax_linear")


def main(tf):
    train_x, train_y, test_x, test_y = digits()
    train_x, test_x = train_x.reshape(-1, 64), test_x.reshape(-1, 64)
    train_dir = tempfile.mkdtemp()
    with tf.Graph().as_default():
        tf.set_random_seed(4)
        global_step = tf.train.get_or_create_global_step()
        images = tf.placeholder(tf.float32, [None, 64])
        labels = tf.placeholder(tf.int64, [None])
        logits = inference(tf, images)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits), name="cross_entropy")
        opt = tf.train.GradientDescentOptimizer(0.3)
        apply_gradient_op = opt.apply_gradients(opt.compute_gradients(loss),
                                                global_step=global_step)
        variable_averages = tf.train.ExponentialMovingAverage(0.9, global_step)
        with tf.control_dependencies([apply_gradient_op]):
            train_op = variable_averages.apply(tf.trainable_variables())
        print("averaged", [v.op.name for v in tf.moving_average_variables()])
        print("shadows", [v.op.name for v in tf.global_variables()][-2:])
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step, idx in enumerate(batches(len(train_x), 50, 120, seed=4)):
                _, loss_value = sess.run([train_op, loss], {images: train_x[idx],
                                                            labels: train_y[idx]})
                if step % 40 == 0:
                    print("step %d, loss = %.4f" % (step, loss_value))
            saver.save(sess, os.path.join(train_dir, "model.ckpt"), global_step=global_step)
            w = tf.trainable_variables()[0]
            gap = np.abs(sess.run(w) - sess.run(variable_averages.average(w))).max()
            print("average differs from the weights", gap > 0)

    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [None, 64])
        labels = tf.placeholder(tf.int32, [None])
        logits = inference(tf, images)
        top_k_op = tf.nn.in_top_k(logits, labels, 1)
        variable_averages = tf.train.ExponentialMovingAverage(0.9)
        variables_to_restore = variable_averages.variables_to_restore()
        print("restore", sorted(variables_to_restore))
        saver = tf.train.Saver(variables_to_restore)
        halves = tf.split(logits, 2, axis=1)
        sizes = tf.split(logits, [3, -1, 2], axis=1)
        log_probs = logits - tf.reduce_logsumexp(logits, axis=1, keepdims=True)
        confident = tf.count_nonzero(tf.nn.relu6(logits) > 5.0)
        with tf.Session() as sess:
            ckpt = tf.train.get_checkpoint_state(train_dir)
            saver.restore(sess, ckpt.model_checkpoint_path)
            print("global step", ckpt.model_checkpoint_path.split("/")[-1].split("-")[-1])
            true_count = np.sum(sess.run(top_k_op, {images: test_x, labels: test_y}))
            print("precision @ 1 = %.3f" % (true_count / len(test_y)))
            feed = {images: test_x[:4]}
            print("split", [t.shape.as_list() for t in halves], [t.shape.as_list() for t in sizes],
                  np.array_equal(np.concatenate(sess.run(sizes, feed), 1), sess.run(logits, feed)))
            print("probabilities sum to", np.round(np.exp(sess.run(log_probs, feed)).sum(1), 5))
            print("logits above 5:", sess.run(confident, {images: test_x}))
