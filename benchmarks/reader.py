"""Reading a 2M-scalar logdir: TensorBoard's EventAccumulator vs `fl.read_scalars`.

Usage: python benchmarks/reader.py [N]   (N scalars in all; the logdir is cached in the temp dir)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import flowlog as fl

RUNS, TAGS = 4, 5


def make_logdir(n: int) -> str:
    """4 runs x 5 tags of simple scalars, written once and reused across invocations."""
    logdir = os.path.join(tempfile.gettempdir(), f"flowlog-bench-scalars-{n}")
    done = os.path.join(logdir, "complete")
    if not os.path.exists(done):
        steps = n // (RUNS * TAGS)
        for r in range(RUNS):
            with fl.SummaryWriter(os.path.join(logdir, f"run{r}")) as w:
                for step in range(steps):
                    for t in range(TAGS):
                        w.add_scalar(f"metrics/tag{t}", step * 0.01 + t, step)
        open(done, "w").close()
    return logdir


def event_accumulator(logdir: str) -> int:
    count = 0
    for run in sorted(os.listdir(logdir)):
        if not os.path.isdir(os.path.join(logdir, run)):
            continue
        acc = EventAccumulator(os.path.join(logdir, run), size_guidance={"scalars": 0})
        acc.Reload()
        count += sum(len(acc.Scalars(tag)) for tag in acc.Tags()["scalars"])
    return count


def flowlog(logdir: str) -> int:
    runs = fl.read_scalars(logdir)
    return sum(len(series[0]) for tags in runs.values() for series in tags.values())


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    logdir = make_logdir(n)
    rates = {}
    for name, fn in (
        ("flowlog read_scalars", flowlog),
        ("tensorboard EventAccumulator", event_accumulator),
    ):
        start = time.perf_counter()
        count = fn(logdir)
        rates[name] = count / (time.perf_counter() - start)
        print(f"{name:30s} {count:10,d} scalars {rates[name]:12,.0f} scalars/s")
    ratio = rates["flowlog read_scalars"] / rates["tensorboard EventAccumulator"]
    print(f"flowlog / EventAccumulator: {ratio:.1f}x  (target 30x)")


if __name__ == "__main__":
    main()
