"""Write ResNet50's TF1 training graph as TensorFlow's FileWriter does (needs TensorFlow).

Run by the benchmark venv's interpreter (`.venv-bench/bin/python benchmarks/resnet_graph.py
LOGDIR`): `tf.keras.applications.ResNet50(weights=None)` called inside a `tf.compat.v1` graph,
a softmax cross-entropy loss, one Adam step, written by `tf.compat.v1.summary.FileWriter`.
That is the graph a user of Keras-in-TF1 sees first in the graph view.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(logdir: str) -> None:
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    graph = tf.Graph()
    with graph.as_default():
        images = tf1.placeholder(tf.float32, (None, 224, 224, 3), name="images")
        labels = tf1.placeholder(tf.int64, (None,), name="labels")
        model = tf.keras.applications.ResNet50(weights=None)
        logits = model(images)
        loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
        tf1.train.AdamOptimizer(1e-3).minimize(loss)
        tf1.global_variables_initializer()
        tf1.train.Saver()
    writer = tf1.summary.FileWriter(logdir, graph)
    writer.close()
    print(f"{len(graph.get_operations())} ops written to {logdir}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: resnet_graph.py LOGDIR")
    main(sys.argv[1])
