"""Optimizer internals that training scripts spell out: `exponential_decay` driven by the
global step, `compute_gradients`, `clip_by_global_norm`, `apply_gradients`, and a
`piecewise_constant` schedule, on an ill-conditioned problem that needs the clipping."""
from __future__ import annotations

import numpy as np


def main(tf):
    a = tf.constant(np.diag([1.0, 30.0]).astype(np.float32))
    w = tf.Variable([4.0, -3.0], name="w")
    loss = 0.5 * tf.reduce_sum(w * tf.squeeze(tf.matmul(a, tf.expand_dims(w, 1))))
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.exponential_decay(0.05, global_step, 10, 0.8, staircase=True)
    boundaries, values = [15, 30], [1.0, 0.5, 0.25]
    max_norm = tf.train.piecewise_constant(global_step, boundaries, values)
    optimizer = tf.train.MomentumOptimizer(learning_rate, 0.5)
    grads_and_vars = optimizer.compute_gradients(loss)
    grads, variables = zip(*grads_and_vars)
    clipped, norm = tf.clip_by_global_norm(grads, max_norm)
    train_op = optimizer.apply_gradients(zip(clipped, variables), global_step=global_step)
    print("vars", [v.name for v in variables], "grad", grads[0].shape.as_list())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(40):
            step, lr, clip, n, l = sess.run([global_step, learning_rate, max_norm, norm, loss])
            if step % 10 == 0 or step in (14, 15, 16):
                print("step", step, f"lr {lr:.5f} clip {clip} norm {n:.4f} loss {l:.5f}")
            sess.run(train_op)
        print("final", sess.run(global_step), np.round(sess.run(w), 5).tolist(),
              f"clipped norm {sess.run(tf.global_norm(clipped)):.4f}")
