"""A tf.data input pipeline feeding a softmax regression on the digits: from_tensor_slices over
placeholders, map, shuffle, repeat and batch through an initializable iterator, one-shot
iterators, and the OutOfRangeError that ends an epoch."""
from __future__ import annotations

import numpy as np

from .common import digits


def main(tf):
    tf.set_random_seed(5)
    train_x, train_y, test_x, test_y = digits()
    images = tf.placeholder(tf.float32, [None, 8, 8, 1])
    labels = tf.placeholder(tf.int64, [None])
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.map(lambda img, label: (tf.reshape(img, [64]) * 2.0 - 1.0,
                                              tf.one_hot(label, 10)))
    dataset = dataset.batch(100)
    iterator = dataset.make_initializable_iterator()
    x, y = iterator.get_next()
    print("element", dataset.output_types, [s.as_list() for s in dataset.output_shapes])
    W = tf.Variable(tf.zeros([64, 10]))
    b = tf.Variable(tf.zeros([10]))
    logits = tf.matmul(x, W) + b
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1)), tf.int32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(3):
            sess.run(iterator.initializer, {images: train_x, labels: train_y})
            steps, last = 0, None
            while True:
                try:
                    _, last = sess.run([train_op, loss])
                    steps += 1
                except tf.errors.OutOfRangeError:
                    break
            print("epoch", epoch, "batches", steps, "last loss", last)
        sess.run(iterator.initializer, {images: test_x, labels: test_y})
        right = 0
        try:
            while True:
                right += sess.run(correct)
        except tf.errors.OutOfRangeError:
            pass
        print("test accuracy", right / len(test_y))

    # Shuffled and repeated: the order depends on the seed, every element still comes once
    # per epoch; the last batch of a repeat may be short.
    with tf.Graph().as_default():
        numbers = tf.data.Dataset.from_tensor_slices(np.arange(10, dtype=np.int64))
        shuffled = numbers.shuffle(buffer_size=10, seed=7).repeat(2).batch(4)
        nxt = shuffled.make_one_shot_iterator().get_next()
        squares = tf.data.Dataset.range(5).map(lambda v: v * v).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            seen = []
            try:
                while True:
                    seen.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                print("batch sizes", [len(s) for s in seen])
            values = np.concatenate(seen)
            print("epochs", sorted(values[:10].tolist()), sorted(values[10:].tolist()))
            print("squares", [sess.run(squares) for _ in range(5)])
