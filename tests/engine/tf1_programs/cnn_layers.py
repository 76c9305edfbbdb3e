"""A CNN on the digits with tf.layers: conv2d, max_pooling2d, batch_normalization with its
update ops, flatten, dense, dropout behind a training flag, tf.losses and tf.metrics."""
from __future__ import annotations

from .common import batches, digits


def main(tf):
    tf.set_random_seed(2)
    train_x, train_y, test_x, test_y = digits()
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
    y = tf.placeholder(tf.int64, [None], name="y")
    training = tf.placeholder_with_default(False, [], name="training")
    net = tf.layers.conv2d(x, 16, [3, 3], padding="same", activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(net, pool_size=[2, 2], strides=2)
    net = tf.layers.batch_normalization(net, training=training)
    net = tf.layers.conv2d(net, 32, 3, padding="valid", activation=tf.nn.relu)
    net = tf.layers.flatten(net)
    net = tf.layers.dropout(net, rate=0.0, training=training)
    logits = tf.layers.dense(net, 10, name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    total_loss = tf.losses.get_total_loss()
    accuracy, update_accuracy = tf.metrics.accuracy(labels=y, predictions=tf.argmax(logits, 1))
    global_step = tf.train.get_or_create_global_step()
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(0.01).minimize(total_loss, global_step=global_step)
    print("variables", [v.name for v in tf.global_variables()])
    print("update ops", len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)),
          "losses", [t.name for t in tf.get_collection(tf.GraphKeys.LOSSES)])
    print("shapes", net.shape.as_list(), logits.shape.as_list())
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        for idx in batches(len(train_x), 64, 150, seed=1):
            _, step, l = sess.run([train_op, global_step, loss],
                                  {x: train_x[idx], y: train_y[idx], training: True})
            if step % 50 == 0:
                print("step", step, "loss", l)
        moving = next(v for v in tf.global_variables() if "moving_mean" in v.name)
        print("moving mean moved", float(abs(sess.run(moving)).sum()) > 0)
        for start in range(0, len(test_x), 100):
            sess.run(update_accuracy, {x: test_x[start:start + 100], y: test_y[start:start + 100]})
        print("test accuracy", sess.run(accuracy))
