"""TF1's or TF2's rule for op seeds under a graph seed alone, in TensorFlow or flowlog.

TF 1.x takes the op seed from the id of the graph's last op (numbered from 1); TF 2's
`tf.compat.v1` numbers seeded ops 0, 1, 2, ... per graph. Only TF 2 is installable here, so
TF 1.x's rule is put back into it for comparisons; flowlog has both
(`flowlog.engine.random_ops.op_seed_rule`). Shared by the differential and the fixtures.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def op_seed_rule(tf, rule: str):
    if tf.__name__.startswith("flowlog"):
        from flowlog.engine.random_ops import op_seed_rule

        with op_seed_rule(rule):
            yield
        return
    from tensorflow.python.framework import ops, random_seed

    tf2_get_seed = random_seed.get_seed

    def tf1_get_seed(op_seed):  # TF 1.x: the id of the graph's last op, numbered from 1
        graph = ops.get_default_graph()
        if graph.seed is not None and op_seed is None:
            op_seed = len(graph.get_operations())
        return tf2_get_seed(op_seed)

    if rule == "tf1":
        random_seed.get_seed = tf1_get_seed
    try:
        yield
    finally:
        random_seed.get_seed = tf2_get_seed
