"""TensorFlow's `fully_connected_feed.py` tutorial on the digits: `placeholder_inputs`,
`inference` with `hidden1`/`hidden2` name scopes, `loss`, `training` with a global step and a
loss summary, `evaluation` with `in_top_k`, and `do_eval` counting correct predictions."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import math
import tempfile

from .common import digits

IMAGE_PIXELS, NUM_CLASSES, BATCH = 64, 10, 50


def main(tf):
    tf.set_random_seed(11)
    train_x, train_y, test_x, test_y = digits()
    data = {"train": (train_x.reshape(-1, 64), train_y), "test": (test_x.reshape(-1, 64), test_y)}

    def inference(images, hidden1_units, hidden2_units):
        with tf.name_scope("hidden1"):
            weights = tf.Variable(tf.truncated_normal(
                [IMAGE_PIXELS, hidden1_units], stddev=1.0 / math.sqrt(float(IMAGE_PIXELS))),
                name="weights")
            biases = tf.Variable(tf.zeros([hidden1_units]), name="biases")
            hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
        with tf.name_scope("hidden2"):
            weights = tf.Variable(tf.truncated_normal(
                [hidden1_units, hidden2_units], stddev=1.0 / math.sqrt(float(hidden1_units))),
                name="weights")
            biases = tf.Variable(tf.zeros([hidden2_units]), name="biases")
            hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)
        with tf.name_scope("softmax_linear"):
            weights = tf.Variable(tf.truncated_normal(
                [hidden2_units, NUM_CLASSES], stddev=1.0 / math.sqrt(float(hidden2_units))),
                name="weights")
            biases = tf.Variable(tf.zeros([NUM_CLASSES]), name="biases")
            return tf.matmul(hidden2, weights) + biases

    def loss(logits, labels):
        labels = tf.to_int64(labels)
        return tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)

    def training(loss, learning_rate):
        tf.summary.scalar("loss", loss)
        optimizer = tf.train.GradientDescentOptimizer(learning_rate)
        global_step = tf.Variable(0, name="global_step", trainable=False)
        return optimizer.minimize(loss, global_step=global_step)

    def evaluation(logits, labels):
        correct = tf.nn.in_top_k(logits, labels, 1)
        return tf.reduce_sum(tf.cast(correct, tf.int32))

    images_placeholder = tf.placeholder(tf.float32, shape=(None, IMAGE_PIXELS))
    labels_placeholder = tf.placeholder(tf.int32, shape=(None,))
    logits = inference(images_placeholder, 32, 16)
    loss_op = loss(logits, labels_placeholder)
    train_op = training(loss_op, 0.1)
    eval_correct = evaluation(logits, labels_placeholder)
    summary = tf.summary.merge_all()
    print("variables", [v.op.name for v in tf.global_variables()])

    def do_eval(sess, name):
        images, labels = data[name]
        steps = len(images) // BATCH
        true_count = 0
        for step in range(steps):
            true_count += sess.run(eval_correct, {
                images_placeholder: images[step * BATCH:(step + 1) * BATCH],
                labels_placeholder: labels[step * BATCH:(step + 1) * BATCH]})
        precision = float(true_count) / (steps * BATCH)
        print("  %s: Num examples: %d  Num correct: %d  Precision @ 1: %0.04f"
              % (name, steps * BATCH, true_count, precision))

    with tf.Session() as sess:
        summary_writer = tf.summary.FileWriter(tempfile.mkdtemp(), sess.graph)
        sess.run(tf.global_variables_initializer())
        for step in range(300):
            offset = (step * BATCH) % (len(train_x) - BATCH)
            feed_dict = {images_placeholder: data["train"][0][offset:offset + BATCH],
                         labels_placeholder: data["train"][1][offset:offset + BATCH]}
            _, loss_value = sess.run([train_op, loss_op], feed_dict=feed_dict)
            if step % 100 == 0:
                print("Step %d: loss = %.4f" % (step, loss_value))
                summary_writer.add_summary(sess.run(summary, feed_dict=feed_dict), step)
        summary_writer.close()
        do_eval(sess, "train")
        do_eval(sess, "test")
