"""Reading scalars as users bring them: `fl.read_scalars` vs TensorBoard's EventAccumulator.

Each layout is written by its real writer: tensorboardX and torch (`add_scalar`, one value per
event), TensorFlow 2 (`tf.summary.scalar`: a scalar tensor per event, as Keras' callback
writes), TensorFlow 1 (`tf.compat.v1.summary.merge_all` of ten scalars: ten values per event),
and flowlog's own engine (`fl.summary.merge_all`) and `fl.SummaryWriter`. TensorFlow lives in
the engine benchmark's venv (`make bench-engine` builds `.venv-bench`); its layouts are written
by a child process there and skipped, with a note, where that venv is missing. Logdirs are
cached in the temp dir. Prints one line per layout: points/s of each reader, their ratio, and
whether every (tag, step, value) agrees.

Usage: python benchmarks/reader.py [N]   (N scalars per layout, default 200 000: 10 tags)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

TAGS = 10
HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_PYTHON = os.path.join(HERE, "..", ".venv-bench", "bin", "python")


def value(t: int, step: int) -> float:
    return float(np.float32(np.sin(step * 0.001 + t) * (t + 1)))


def tags() -> list[str]:
    return [f"metrics/tag_{t}" for t in range(TAGS)]


def write_tensorboardx(logdir: str, steps: int) -> None:
    from tensorboardX import SummaryWriter

    with SummaryWriter(logdir, flush_secs=60) as w:
        for step in range(steps):
            for t, tag in enumerate(tags()):
                w.add_scalar(tag, value(t, step), step)


def write_torch(logdir: str, steps: int) -> None:
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(logdir, flush_secs=60)
    for step in range(steps):
        for t, tag in enumerate(tags()):
            w.add_scalar(tag, value(t, step), step)
    w.close()


def write_flowlog(logdir: str, steps: int) -> None:
    import flowlog as fl

    with fl.SummaryWriter(logdir) as w:
        for step in range(steps):
            for t, tag in enumerate(tags()):
                w.add_scalar(tag, value(t, step), step)


def _merged_program(tf, steps: int, logdir: str) -> None:
    """TF1's tutorial way, in `tf` (TensorFlow's compat.v1 or flowlog): merge_all of ten scalars."""
    step_ph = tf.placeholder(tf.float32, [], name="step")
    for t, tag in enumerate(tags()):
        tf.summary.scalar(tag, tf.sin(step_ph * 0.001 + t) * (t + 1))
    merged = tf.summary.merge_all()
    writer = tf.summary.FileWriter(logdir)
    with tf.Session() as sess:
        for step in range(steps):
            writer.add_summary(sess.run(merged, {step_ph: step}), step)
    writer.close()


def write_flowlog_merged(logdir: str, steps: int) -> None:
    import flowlog as fl

    fl.reset_default_graph()
    _merged_program(fl, steps, logdir)


def write_tf1_merged(logdir: str, steps: int) -> None:
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    _merged_program(tf, steps, logdir)


def write_tf2(logdir: str, steps: int) -> None:
    import tensorflow as tf

    writer = tf.summary.create_file_writer(logdir, max_queue=10_000, flush_millis=60_000)
    with writer.as_default():
        for step in range(steps):
            for t, tag in enumerate(tags()):
                tf.summary.scalar(tag, value(t, step), step=step)
    writer.close()


LAYOUTS = [  # name, writer, needs TensorFlow
    ("tensorboardX add_scalar (1 value/event)", write_tensorboardx, False),
    ("torch add_scalar (1 value/event)", write_torch, False),
    ("tf.summary.scalar TF2 (tensor/event)", write_tf2, True),
    ("tf.compat.v1 merge_all (10 values/event)", write_tf1_merged, True),
    ("flowlog engine merge_all (10/event)", write_flowlog_merged, False),
    ("flowlog SummaryWriter (1 value/event)", write_flowlog, False),
]


def logdir_for(name: str, writer, needs_tf: bool, n: int) -> str | None:
    logdir = os.path.join(tempfile.gettempdir(), f"flowlog-bench-read-{writer.__name__}-{n}")
    done = os.path.join(logdir, "complete")
    if os.path.exists(done):
        return logdir
    steps = n // TAGS
    if needs_tf:
        if not os.path.exists(BENCH_PYTHON):
            print(f"{name:42s} skipped: no TensorFlow (run `make bench-engine` once)")
            return None
        subprocess.run([BENCH_PYTHON, __file__, "--write", writer.__name__, logdir, str(steps)],
                       check=True)
    else:
        writer(os.path.join(logdir, "run"), steps)
    open(done, "w").close()
    return logdir


def by_event_accumulator(logdir: str) -> dict[str, tuple[list, list]]:
    """{tag: (steps, values)} through EventAccumulator: simple values and scalar tensors."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    out = {}
    for run in sorted(os.listdir(logdir)):
        if not os.path.isdir(os.path.join(logdir, run)):
            continue
        acc = EventAccumulator(os.path.join(logdir, run),
                               size_guidance={"scalars": 0, "tensors": 0})
        acc.Reload()
        found = acc.Tags()
        for tag in found["scalars"]:
            events = acc.Scalars(tag)
            out[tag] = ([e.step for e in events], [e.value for e in events])
        for tag in found["tensors"]:
            events = acc.Tensors(tag)
            out[tag] = ([e.step for e in events],
                        [float(tensor_util.make_ndarray(e.tensor_proto)) for e in events])
    return out


def by_flowlog(logdir: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import flowlog as fl

    runs = fl.read_scalars(logdir)
    return {tag: (s[0], s[2]) for tags_ in runs.values() for tag, s in tags_.items()}


def timed(fn, logdir, repeat: int = 3):
    """The result and the best time of `repeat` reads (the first also pays for imports)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(logdir)
        best = min(best, time.perf_counter() - start)
    return result, best


def equal(ours: dict, theirs: dict) -> bool:
    if sorted(ours) != sorted(theirs):
        return False
    return all(np.array_equal(ours[t][0], theirs[t][0])
               and np.array_equal(np.float32(ours[t][1]), np.float32(theirs[t][1]))
               for t in ours)


def main() -> None:
    if sys.argv[1:2] == ["--write"]:  # the child that writes TensorFlow's layouts
        fn, logdir, steps = sys.argv[2], sys.argv[3], int(sys.argv[4])
        globals()[fn](os.path.join(logdir, "run"), steps)
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    print(f"{'layout (writer)':42s} {'flowlog':>12s} {'EventAcc.':>10s} {'ratio':>7s}  equal")
    worst = None
    for name, writer, needs_tf in LAYOUTS:
        logdir = logdir_for(name, writer, needs_tf, n)
        if logdir is None:
            continue
        ours, t_ours = timed(by_flowlog, logdir)
        theirs, t_theirs = timed(by_event_accumulator, logdir)
        points = sum(len(s[0]) for s in ours.values())
        rate, peer = points / t_ours, sum(len(s[0]) for s in theirs.values()) / t_theirs
        ratio = rate / peer
        worst = ratio if worst is None else min(worst, ratio)
        print(f"{name:42s} {rate / 1e6:9.2f} M/s {peer / 1e3:7.1f} k/s {ratio:6.1f}x  "
              f"{'yes' if equal(ours, theirs) else 'NO'}")
    print(f"worst ratio {worst:.1f}x  (targets: every layout >= 2 M points/s and >= 30x)")


if __name__ == "__main__":
    main()
