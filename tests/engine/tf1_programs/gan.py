"""A small GAN in the classic style: a generator and a discriminator built by functions under
`tf.variable_scope`, the discriminator shared by its two calls (`reuse=True`), two Adam
optimizers each with its own `var_list`; it learns a 1-D normal distribution."""
from __future__ import annotations

import numpy as np


def dense(tf, x, n_out, name, activation=None):
    with tf.variable_scope(name):
        w = tf.get_variable("w", [x.shape[1], n_out],
                            initializer=tf.random_normal_initializer(stddev=0.3, seed=1))
        b = tf.get_variable("b", [n_out], initializer=tf.zeros_initializer())
        out = tf.matmul(x, w) + b
        return activation(out) if activation is not None else out


def main(tf):
    rng = np.random.RandomState(0)

    def generator(z):
        with tf.variable_scope("generator"):
            h = dense(tf, z, 16, "h0", tf.nn.relu)
            return dense(tf, h, 1, "out")

    def discriminator(x, reuse=False):
        with tf.variable_scope("discriminator", reuse=reuse):
            h = dense(tf, x, 16, "h0", tf.tanh)
            return dense(tf, h, 1, "out")

    real = tf.placeholder(tf.float32, [None, 1], name="real")
    z = tf.placeholder(tf.float32, [None, 4], name="z")
    fake = generator(z)
    d_real = discriminator(real)
    d_fake = discriminator(fake, reuse=True)
    d_loss = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(logits=d_real, labels=tf.ones_like(d_real))
        + tf.nn.sigmoid_cross_entropy_with_logits(logits=d_fake, labels=tf.zeros_like(d_fake)))
    g_loss = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(logits=d_fake, labels=tf.ones_like(d_fake)))
    t_vars = tf.trainable_variables()
    d_vars = [v for v in t_vars if v.name.startswith("discriminator/")]
    g_vars = [v for v in t_vars if v.name.startswith("generator/")]
    print("d_vars", [v.name for v in d_vars])
    print("g_vars", [v.name for v in g_vars])
    d_train = tf.train.AdamOptimizer(0.01, beta1=0.5).minimize(d_loss, var_list=d_vars)
    g_train = tf.train.AdamOptimizer(0.01, beta1=0.5).minimize(g_loss, var_list=g_vars)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(301):
            batch_real = rng.normal(3.0, 0.5, (64, 1)).astype(np.float32)
            batch_z = rng.uniform(-1, 1, (64, 4)).astype(np.float32)
            _, dl = sess.run([d_train, d_loss], {real: batch_real, z: batch_z})
            _, gl = sess.run([g_train, g_loss], {z: batch_z})
            if step % 100 == 0:
                print("step", step, f"d_loss {dl:.4f} g_loss {gl:.4f}")
        samples = sess.run(fake, {z: rng.uniform(-1, 1, (1000, 4)).astype(np.float32)})
        print(f"generated mean {samples.mean():.2f}", "near 3:", abs(samples.mean() - 3) < 1)
