"""The first TF1 lesson: constants, placeholders, matmul, an InteractiveSession, a counter
variable, and the reduction and shape ops every later program leans on."""
from __future__ import annotations


def main(tf):
    a = tf.constant(2)
    b = tf.constant(3)
    with tf.Session() as sess:
        print("Addition with constants:", sess.run(a + b))
        print("Multiplication with constants:", sess.run(a * b))

    a = tf.placeholder(tf.int16)
    b = tf.placeholder(tf.int16)
    add = tf.add(a, b)
    mul = tf.multiply(a, b)
    with tf.Session() as sess:
        print("Addition with variables:", sess.run(add, feed_dict={a: 2, b: 3}))
        print("Multiplication with variables:", sess.run(mul, feed_dict={a: 2, b: 3}))

    matrix1 = tf.constant([[3., 3.]])
    matrix2 = tf.constant([[2.], [2.]])
    product = tf.matmul(matrix1, matrix2)
    with tf.Session() as sess:
        print("product", sess.run(product).tolist(), product.shape.as_list(), product.op.name)

    sess = tf.InteractiveSession()
    x = tf.Variable([1.0, 2.0])
    c = tf.constant([3.0, 3.0])
    x.initializer.run()
    print("sub", tf.subtract(x, c).eval().tolist())
    state = tf.Variable(0, name="counter")
    update = tf.assign(state, tf.add(state, tf.constant(1)))
    sess.run(tf.global_variables_initializer())
    for _ in range(3):
        sess.run(update)
        print("counter", sess.run(state))
    t = tf.constant([[1., 2., 3.], [4., 5., 6.]])
    print("sum", sess.run(tf.reduce_sum(t)), "mean", sess.run(tf.reduce_mean(t, 0)).tolist(),
          "max", sess.run(tf.reduce_max(t, reduction_indices=1)).tolist(),
          "argmax", sess.run(tf.argmax(t, 1)).tolist())
    print("shape", sess.run(tf.shape(t)).tolist(), "transpose", sess.run(tf.transpose(t)).tolist())
    print("reshape", sess.run(tf.reshape(t, [3, -1])).tolist())
    print("concat", sess.run(tf.concat([t, t], 1)).shape, "stack", sess.run(tf.stack([t, t])).shape)
    print("slice", sess.run(t[:, 1:]).tolist(), sess.run(tf.slice(t, [1, 0], [1, 2])).tolist())
    print("cast", sess.run(tf.cast(t > 2.5, tf.int32)).tolist(),
          "where", sess.run(tf.where(t > 2.5, t, -t)).tolist())
    print("fill", sess.run(tf.fill([2, 2], 7.0)).tolist(), "ones", sess.run(tf.ones_like(t)).sum(),
          "range", sess.run(tf.range(2, 11, 3)).tolist())
    print("tile", sess.run(tf.tile([[1, 2]], [2, 2])).tolist(),
          "one_hot", sess.run(tf.one_hot([0, 2], 3)).tolist())
    sess.close()
