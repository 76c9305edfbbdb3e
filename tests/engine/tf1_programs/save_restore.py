"""Save and resume: a Saver keeping the last two checkpoints while training, then a second
"run" of the program that finds the latest checkpoint, restores it and trains on from its
global step, as tutorials' train scripts do."""
from __future__ import annotations

import os
import tempfile

import numpy as np


def build(tf):
    x = tf.constant(np.linspace(-1, 1, 20, dtype=np.float32).reshape(10, 2))
    y = tf.constant(np.arange(10, dtype=np.float32).reshape(10, 1) / 10)
    w = tf.Variable(tf.zeros([2, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    global_step = tf.Variable(0, trainable=False, name="global_step")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss, global_step=global_step)
    return loss, train, global_step


def main(tf):
    ckpt_dir = os.path.join(tempfile.mkdtemp(), "ckpt")
    with tf.Graph().as_default():
        loss, train, global_step = build(tf)
        saver = tf.train.Saver(max_to_keep=2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(30):
                sess.run(train)
                step = sess.run(global_step)
                if step % 10 == 0:
                    path = saver.save(sess, os.path.join(ckpt_dir, "model.ckpt"),
                                      global_step=global_step)
                    print("saved", os.path.basename(path), f"loss {sess.run(loss):.6f}")
    print("files", sorted(f for f in os.listdir(ckpt_dir) if not f.endswith(".tmp")))
    state = tf.train.get_checkpoint_state(ckpt_dir)
    print("state", os.path.basename(state.model_checkpoint_path),
          [os.path.basename(p) for p in state.all_model_checkpoint_paths])
    print("variables", tf.train.list_variables(ckpt_dir))

    with tf.Graph().as_default():
        loss, train, global_step = build(tf)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            latest = tf.train.latest_checkpoint(ckpt_dir)
            if latest:
                saver.restore(sess, latest)
                print("resumed from", os.path.basename(latest), "at step", sess.run(global_step))
            else:
                sess.run(tf.global_variables_initializer())
            print(f"loss {sess.run(loss):.6f}")
            for _ in range(10):
                sess.run(train)
            print("step", sess.run(global_step), f"loss {sess.run(loss):.6f}")
            print("w", sess.run("w:0").ravel().tolist(), "b", tf.train.load_variable(latest, "b"))
