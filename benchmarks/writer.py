"""Scalars per second: tensorboardX, tensorboard's EventFileWriter (torch's path) and flowlog.

Usage: python benchmarks/writer.py [N]   (N scalars per writer, close() included)
"""

from __future__ import annotations

import sys
import tempfile
import time

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboardX import SummaryWriter as TbxSummaryWriter

import flowlog as fl


def tensorboardx(logdir: str, n: int) -> None:
    w = TbxSummaryWriter(logdir)
    for i in range(n):
        w.add_scalar("loss", i * 0.001, i)
    w.close()


def tensorboard_event_file_writer(logdir: str, n: int) -> None:
    """What torch.utils.tensorboard's add_scalar does per call, minus its tensor handling."""
    w = EventFileWriter(logdir)
    for i in range(n):
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="loss", simple_value=i * 0.001)]
        )
        event = event_pb2.Event(summary=summary)
        event.wall_time = time.time()
        event.step = int(i)
        w.add_event(event)
    w.close()


def flowlog(logdir: str, n: int) -> None:
    w = fl.SummaryWriter(logdir)
    for i in range(n):
        w.add_scalar("loss", i * 0.001, i)
    w.close()


def rate(fn, n: int) -> float:
    with tempfile.TemporaryDirectory() as logdir:
        start = time.perf_counter()
        fn(logdir, n)
        return n / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    writers = {
        "tensorboardX SummaryWriter.add_scalar": tensorboardx,
        "tensorboard EventFileWriter (torch path)": tensorboard_event_file_writer,
        "flowlog SummaryWriter.add_scalar": flowlog,
    }
    # Best of three runs each: the machine is shared, and the best run is the least disturbed.
    rates = {name: max(rate(fn, n) for _ in range(3)) for name, fn in writers.items()}
    for name, r in rates.items():
        print(f"{name:45s} {r:12,.0f} scalars/s")
    *peers, ours = rates.values()
    print(f"flowlog / faster peer: {ours / max(peers):.1f}x  (target 40x)")


if __name__ == "__main__":
    main()
