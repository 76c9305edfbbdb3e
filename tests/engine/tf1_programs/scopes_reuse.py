"""Names, as TF1 programs learn them: `name_scope` names ops but not `get_variable`'s
variables, `variable_scope` names both; sharing with `reuse=True`, `reuse_variables()` and
`AUTO_REUSE`, and the errors for a variable made twice or reused before it exists."""
from __future__ import annotations


def main(tf):
    with tf.name_scope("ns"):
        v1 = tf.get_variable("v1", [1])
        v2 = tf.Variable(1.0, name="v2")
        a = tf.add(v1, v2)
    print("name_scope", v1.name, v2.name, a.name)
    with tf.variable_scope("vs"):
        v3 = tf.get_variable("v3", [1])
        b = tf.multiply(v3, 2.0)
        with tf.variable_scope("inner"):
            v4 = tf.get_variable("v4", [2, 2], initializer=tf.ones_initializer())
    print("variable_scope", v3.name, b.name, v4.name)

    def conv_relu(x, kernel_shape):
        weights = tf.get_variable("weights", kernel_shape,
                                  initializer=tf.constant_initializer(0.5))
        biases = tf.get_variable("biases", [kernel_shape[-1]],
                                 initializer=tf.constant_initializer(0.0))
        return tf.nn.relu(tf.matmul(x, weights) + biases)

    def my_network(x):
        with tf.variable_scope("layer1"):
            h = conv_relu(x, [3, 4])
        with tf.variable_scope("layer2"):
            return conv_relu(h, [4, 2])

    x1 = tf.ones([1, 3])
    x2 = tf.fill([1, 3], 2.0)
    with tf.variable_scope("net") as scope:
        out1 = my_network(x1)
        scope.reuse_variables()
        out2 = my_network(x2)
    with tf.variable_scope("net", reuse=True):
        out3 = my_network(x1)
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        w_a = tf.get_variable("w", [1], initializer=tf.zeros_initializer())
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        w_b = tf.get_variable("w", [1])
    print("shared", w_a is w_b, len(tf.trainable_variables()), out1.name, out2.name, out3.name)
    print("names", [v.name for v in tf.global_variables()])
    try:
        with tf.variable_scope("vs"):
            tf.get_variable("v3", [1])
    except ValueError as e:
        print("twice:", str(e).split(",")[0])
    try:
        with tf.variable_scope("fresh", reuse=True):
            tf.get_variable("nothing", [1])
    except ValueError as e:
        print("missing:", str(e).split(",")[0])
    with tf.variable_scope("scoped") as s:
        pass
    print("scope name", s.name, tf.get_variable_scope().name == "")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        print("outputs", sess.run(out1).tolist(), sess.run(out2).tolist(), sess.run(out3).tolist())
