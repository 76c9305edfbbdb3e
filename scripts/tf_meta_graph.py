"""`.meta` files both ways between TensorFlow and flowlog.

    .venv-bench/bin/python scripts/tf_meta_graph.py write DIR
        the fixture of tests/engine/test_meta_graph.py: TensorFlow (tf.compat.v1 with TF1
        behaviour: `VariableV2` variables, as TF1 wrote them) trains a small softmax classifier
        5 steps and saves it to DIR/model.ckpt-5 (with its `.meta`); DIR/values.json holds the
        output `y:0` and `loss:0` for the inputs stored there, and the variables after one more
        run of the `train_op` collection's op: what flowlog must give after `import_meta_graph`
        and `restore`
    .venv/bin/python scripts/tf_meta_graph.py check
        the other way: flowlog trains the same model and saves it; TensorFlow (in .venv-bench)
        imports flowlog's `.meta`, restores the checkpoint, and its `y:0`, `loss:0` and the
        variables after one more training step are compared with flowlog's; exits 1 on a
        difference
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def inputs():
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (6, 4)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > x[:, 2]).astype(np.int64) + (x[:, 3] > 0.5)
    return x, labels


def model(tf):
    """The classifier, its placeholders and its Momentum training op (in `train_op`)."""
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    step = tf.train.get_or_create_global_step()
    with tf.variable_scope("hidden"):
        w1 = tf.get_variable("weights", initializer=tf.constant(
            np.linspace(-1, 1, 20, dtype=np.float32).reshape(4, 5)))
        b1 = tf.get_variable("biases", [5], initializer=tf.constant_initializer(0.1))
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
    w2 = tf.Variable(np.linspace(0.5, -0.5, 15, dtype=np.float32).reshape(5, 3), name="w2")
    b2 = tf.Variable(tf.zeros([3]), name="b2")
    logits = tf.add(tf.matmul(h, w2), b2, name="logits")
    tf.nn.softmax(logits, name="y")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits), name="loss")
    tf.summary.scalar("loss", loss)
    tf.summary.histogram("w2", w2)
    rate = tf.train.exponential_decay(0.5, step, 2, 0.9, staircase=True)
    train = tf.train.MomentumOptimizer(rate, 0.9).minimize(loss, global_step=step)
    tf.add_to_collection("train_op", train)
    return x, labels, train


def outcome(tf, sess, feed) -> dict:
    """`y:0` and `loss:0` now, and every variable after one more training step."""
    y, loss_value = sess.run(["y:0", "loss:0"], feed)
    sess.run(tf.get_collection("train_op")[0], feed)
    after = {v.op.name: sess.run(v).tolist() for v in tf.global_variables()}
    return {"y": y.tolist(), "loss": float(loss_value), "after_one_more_step": after}


def write(tf, where: str) -> None:
    x_in, labels_in = inputs()
    x, labels, train = model(tf)
    saver = tf.train.Saver()
    feed = {x: x_in, labels: labels_in}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train, feed)
        saver.save(sess, f"{where}/model.ckpt", global_step=5)
        result = outcome(tf, sess, feed)
    with open(f"{where}/values.json", "w") as f:
        json.dump({"x": x_in.tolist(), "labels": labels_in.tolist(), **result}, f, indent=1)


def restore(tf, prefix: str) -> dict:
    x_in, labels_in = inputs()
    saver = tf.train.import_meta_graph(prefix + ".meta")
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        return outcome(tf, sess, {"x:0": x_in, "labels:0": labels_in})


def check() -> int:
    import flowlog as fl

    where = tempfile.mkdtemp()
    write(fl, where)
    prefix = f"{where}/model.ckpt-5"
    ours = json.loads(Path(f"{where}/values.json").read_text())
    done = subprocess.run([str(ROOT / ".venv-bench/bin/python"), __file__, "restore", prefix],
                          capture_output=True, text=True, check=True)
    theirs = json.loads(done.stdout.splitlines()[-1])
    diffs = [float(np.max(np.abs(np.subtract(ours[k], theirs[k])))) for k in ("y", "loss")]
    diffs += [float(np.max(np.abs(np.subtract(v, theirs["after_one_more_step"][k]))))
              for k, v in ours["after_one_more_step"].items()]
    same = sorted(ours["after_one_more_step"]) == sorted(theirs["after_one_more_step"]) \
        and max(diffs) < 1e-5
    print(f"TensorFlow imported flowlog's .meta, restored its checkpoint and trained a step: "
          f"largest difference {max(diffs):.1e}, {'same' if same else 'DIFFERENT'}")
    return 0 if same else 1


def main() -> None:
    what = sys.argv[1]
    if what == "check":
        sys.exit(check())
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    if what == "write":
        write(tf, sys.argv[2])
    else:
        print(json.dumps(restore(tf, sys.argv[2])))


if __name__ == "__main__":
    main()
