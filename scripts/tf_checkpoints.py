"""Checkpoints both ways between TensorFlow and flowlog.

    .venv-bench/bin/python scripts/tf_checkpoints.py write DIR
        TensorFlow (tf.compat.v1) trains a small model 7 steps, saves it to DIR/model.ckpt-7
        with a Saver and prints its values as JSON (the suite's fixture was made so)
    .venv-bench/bin/python scripts/tf_checkpoints.py restore PREFIX
        TensorFlow restores the same model from PREFIX and prints its values as JSON
    .venv/bin/python scripts/tf_checkpoints.py check
        flowlog trains the same model, saves it, has TensorFlow (in .venv-bench) restore it,
        and compares every value; exits 1 on a difference

TensorFlow stays out of the test environment: `write` and `restore` run in the benchmark venv.

The model: a float32 [2, 3] weight, a float64 vector, an int64 global step, a scoped bias
and Adam's slots for the weight — names as TF1 programs have them.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def model(tf):
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3) / 7, name="weight")
    tf.Variable(np.array([0.5, -1.25, 3.0]), name="vector")  # float64
    with tf.variable_scope("layer"):
        b = tf.get_variable("bias", initializer=tf.constant([1.5, -2.5], tf.float32))
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_sum(tf.square(w)) + tf.reduce_sum(b)
    train = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    return train


def values(tf, sess) -> dict:
    return {v.op.name: sess.run(v).tolist() for v in tf.global_variables()}


def check() -> int:
    import flowlog as fl

    train = model(fl)
    saver = fl.train.Saver()
    with fl.Session() as sess:
        sess.run(fl.global_variables_initializer())
        for _ in range(7):
            sess.run(train)
        prefix = saver.save(sess, f"{tempfile.mkdtemp()}/model.ckpt", global_step=7)
        ours = values(fl, sess)
    out = subprocess.run([str(ROOT / ".venv-bench/bin/python"), __file__, "restore", prefix],
                         capture_output=True, text=True, check=True).stdout
    theirs = json.loads(out.splitlines()[-1])
    same = sorted(ours) == sorted(theirs) and all(
        np.allclose(ours[k], theirs[k], rtol=0, atol=0) for k in ours)
    print(f"TensorFlow restored flowlog's checkpoint: {len(theirs)} variables, "
          f"{'all equal' if same else 'DIFFERENT'}")
    return 0 if same else 1


def main() -> None:
    if sys.argv[1] == "check":
        sys.exit(check())
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    what, where = sys.argv[1], sys.argv[2]
    train = model(tf)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        if what == "write":
            sess.run(tf.global_variables_initializer())
            for _ in range(7):
                sess.run(train)
            saver.save(sess, f"{where}/model.ckpt", global_step=7)
        else:
            saver.restore(sess, where)
        print(json.dumps(values(tf, sess), sort_keys=True))


if __name__ == "__main__":
    main()
