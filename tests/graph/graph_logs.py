"""Log dirs for the graph tests: a neuron with timings, an MLP, an engine graph, no graph, a broken one."""
from __future__ import annotations

from pathlib import Path

from graph_samples import mlp_graphdef, neuron_graphdef

import flowlog as fl
from flowlog import FileWriter, SummaryWriter
from flowlog.proto import event_pb2, step_stats_pb2

# A GraphDef whose first field claims more bytes than follow: protobuf refuses it.
BROKEN_GRAPH = b"\x0a\xff\xff\x03garbage"


def neuron_run_metadata() -> step_stats_pb2.RunMetadata:
    """RunMetadata with a compute time for every op of the neuron graph (`output` slowest)."""
    meta = step_stats_pb2.RunMetadata()
    dev = meta.step_stats.dev_stats.add(device="/job:localhost/replica:0/task:0/device:CPU:0")
    for i, node in enumerate(neuron_graphdef().node):
        dev.node_stats.add(node_name=node.name, all_start_micros=1000 + i,
                           op_start_rel_micros=1, op_end_rel_micros=5 + i,
                           all_end_rel_micros=900 if node.name == "output" else 6 + i)
    return meta


def engine_graph():
    """The seed's neuron built by flowlog's engine, trained with GradientDescent."""
    g = fl.Graph()
    with g.as_default():
        x = fl.constant(1.0, name="input")
        w = fl.Variable(0.8, name="weight")
        y = fl.multiply(w, x, name="output")
        loss = fl.pow(y - fl.constant(0.0, name="correct_value"), 2, name="loss")
        fl.train.GradientDescentOptimizer(0.025).minimize(loss)
    return g


def write_logs(root: Path) -> Path:
    """Runs `neuron`, `mlp`, `engine`, `nograph` and `broken` under `root`."""
    with FileWriter(root / "neuron") as w:
        w.add_graph(neuron_graphdef())
        w.add_run_metadata(neuron_run_metadata(), "step_0")
    with FileWriter(root / "mlp") as w:
        w.add_graph(mlp_graphdef(2))
    with FileWriter(root / "engine", graph=engine_graph()):
        pass
    with SummaryWriter(root / "nograph") as w:
        w.add_scalar("loss", 1.0, 0)
    with FileWriter(root / "broken") as w:
        w.add_event(event_pb2.Event(wall_time=1.0, graph_def=BROKEN_GRAPH))
    return root
