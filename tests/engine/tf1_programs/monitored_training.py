"""Training as TensorFlow's own examples (cifar10_train) do it: a `MonitoredTrainingSession`
with a checkpoint directory, `StopAtStepHook`, `NanTensorHook` and a `SessionRunHook` that
prints the loss, fed by a `tf.data` iterator; then a second run of the program resumes from
the last checkpoint and trains on."""
# ruff: noqa: UP031 - it prints as the tutorial it follows does
from __future__ import annotations

import glob
import os
import tempfile

from .common import digits


def main(tf):
    train_x, train_y, _, _ = digits()
    train_dir = tempfile.mkdtemp()

    def build():
        tf.set_random_seed(6)
        global_step = tf.train.get_or_create_global_step()
        dataset = tf.data.Dataset.from_tensor_slices((train_x.reshape(-1, 64), train_y))
        images, labels = dataset.repeat().batch(50).make_one_shot_iterator().get_next()
        hidden = tf.layers.dense(images, 32, activation=tf.nn.relu,
                                 kernel_initializer=tf.glorot_uniform_initializer(seed=1))
        logits = tf.layers.dense(hidden, 10,
                                 kernel_initializer=tf.glorot_uniform_initializer(seed=2))
        loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        tf.summary.scalar("loss", loss)
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
        return loss, train_op

    class LoggerHook(tf.train.SessionRunHook):
        """Prints the loss every 20 runs."""

        def __init__(self, loss):
            self._loss = loss

        def begin(self):
            self._step = -1

        def before_run(self, run_context):
            self._step += 1
            return tf.train.SessionRunArgs(self._loss)

        def after_run(self, run_context, run_values):
            if self._step % 20 == 0:
                print("run %d, loss = %.4f" % (self._step, run_values.results))

    for last_step in (60, 90):
        with tf.Graph().as_default():
            loss, train_op = build()
            hooks = [tf.train.StopAtStepHook(last_step=last_step), tf.train.NanTensorHook(loss),
                     LoggerHook(loss)]
            with tf.train.MonitoredTrainingSession(checkpoint_dir=train_dir, hooks=hooks,
                                                   save_checkpoint_steps=25) as sess:
                print("starts at step", sess.run(tf.train.get_global_step()))
                while not sess.should_stop():
                    sess.run(train_op)
        state = tf.train.get_checkpoint_state(train_dir)
        print("latest", os.path.basename(state.model_checkpoint_path))
    saved = sorted(int(p.split("-")[-1].split(".")[0])
                   for p in glob.glob(os.path.join(train_dir, "model.ckpt-*.index")))
    print("checkpoints at steps", saved)
    print("graph.pbtxt", os.path.exists(os.path.join(train_dir, "graph.pbtxt")))
    steps = []
    for path in sorted(glob.glob(os.path.join(train_dir, "events.out.tfevents.*"))):
        for event in tf.train.summary_iterator(path):
            steps += [event.step for v in event.summary.value if v.tag == "loss"]
    print("loss summaries at steps", sorted(steps))
    print("final step %d" % tf.train.load_variable(train_dir, "global_step"))
