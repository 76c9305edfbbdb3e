"""tf.cond, tf.case and tf.while_loop in the tutorials' uses: a loop that counts, Newton's
method for a square root, gradients through both, and control dependencies around them."""
from __future__ import annotations


def main(tf):
    # A counter loop and a sum of squares.
    i = tf.constant(0)
    total = tf.constant(0)
    i_end, total_end = tf.while_loop(lambda i, t: i < 10, lambda i, t: (i + 1, t + i * i),
                                     [i, total])
    # Newton's method for sqrt(a), a fixed number of steps, and its derivative through the loop.
    a = tf.placeholder(tf.float32, [])
    guess = tf.while_loop(lambda k, g: k < 6, lambda k, g: (k + 1, 0.5 * (g + a / g)),
                          [tf.constant(0), a])[1]
    d_guess = tf.gradients(guess, a)[0]
    # A piecewise function by cond and its gradient.
    x = tf.placeholder(tf.float32, [])
    piece = tf.cond(x < 0.0, lambda: x * x, lambda: 3.0 * x)
    d_piece = tf.gradients(piece, x)[0]
    sign = tf.case([(x < 0.0, lambda: tf.constant(-1)), (x > 0.0, lambda: tf.constant(1))],
                   default=lambda: tf.constant(0))
    # A variable changed only in the branch taken, and a cond ordered after an update.
    counter = tf.Variable(0, name="counter")
    bump = tf.cond(x > 0.0, lambda: tf.assign_add(counter, 1), lambda: tf.identity(counter))
    w = tf.Variable(1.0, name="w")
    update = tf.assign_add(w, 1.0)
    with tf.control_dependencies([update]):
        after = tf.cond(x > 0.0, lambda: w.read_value() * 10.0,
                        lambda: w.read_value() * -10.0)
    # A loop of matrix products that keeps the shape of its variable.
    m = tf.constant([[0.5, 0.0], [0.0, 2.0]])
    power = tf.while_loop(lambda k, p: k < 3, lambda k, p: (k + 1, tf.matmul(p, m)),
                          [tf.constant(0), tf.constant([[1.0, 0.0], [0.0, 1.0]])])[1]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        print("loop", sess.run([i_end, total_end]))
        for value in (2.0, 9.0):
            print("sqrt", value, sess.run([guess, d_guess], {a: value}))
        for value in (-2.0, 0.0, 3.0):
            print("piece", value, sess.run([piece, d_piece, sign], {x: value}))
        print("counter", [sess.run(bump, {x: v}) for v in (1.0, -1.0, 1.0)])
        print("after update", sess.run(after, {x: 1.0}), sess.run(after, {x: -1.0}))
        print("power", sess.run(power))
