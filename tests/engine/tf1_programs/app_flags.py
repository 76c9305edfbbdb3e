"""A program driven by `tf.app.flags` and `tf.app.run`, as TensorFlow's own examples are:
flags with defaults, a command line that overrides some, `main(argv)` given what is left."""
from __future__ import annotations

import numpy as np


def main(tf):
    flags = tf.app.flags
    flags.DEFINE_float("learning_rate", 0.1, "Initial learning rate.")
    flags.DEFINE_integer("max_steps", 20, "Number of steps to run trainer.")
    flags.DEFINE_string("optimizer", "sgd", "sgd or momentum.")
    flags.DEFINE_boolean("fake_data", False, "If true, uses fake data.")
    FLAGS = flags.FLAGS

    def train(argv):
        print("argv", argv[1:])
        print("flags", FLAGS.learning_rate, FLAGS.max_steps, FLAGS.optimizer, FLAGS.fake_data)
        w = tf.Variable([1.0, -2.0])
        loss = tf.reduce_sum(tf.square(w - np.array([0.5, 0.5], np.float32)))
        if FLAGS.optimizer == "momentum":
            opt = tf.train.MomentumOptimizer(FLAGS.learning_rate, 0.9)
        else:
            opt = tf.train.GradientDescentOptimizer(FLAGS.learning_rate)
        step = opt.minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(FLAGS.max_steps):
                sess.run(step)
            print("w", sess.run(w).tolist(), f"loss {sess.run(loss):.6f}")

    try:
        tf.app.run(main=train, argv=["app_flags.py", "--max_steps=30", "--optimizer",
                                     "momentum", "--fake_data", "extra"])
    except SystemExit as e:
        print("exit", e.code)
