"""A hyperparameter sweep written with tensorboardX, the writer sweeps really use.

`python benchmarks/sweep_logdir.py DIR [--runs 1000] [--steps 2000]` writes runs named
`lr=0.01,seed=3`, each with tags `train/loss`, `train/accuracy`, `eval/loss` (every 10th step) and
a constant `lr`. Reused when DIR/done exists.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import os
from pathlib import Path

import numpy as np

LRS = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
TAGS = ["train/loss", "train/accuracy", "eval/loss", "lr"]


def run_names(runs: int) -> list[str]:
    """`lr=...,seed=...` names: every learning rate once per seed."""
    return [f"lr={LRS[i % len(LRS)]},seed={i // len(LRS)}" for i in range(runs)]


def _write_run(args: tuple) -> None:
    from tensorboardX import SummaryWriter

    logdir, name, index, steps = args
    lr = float(name.split(",")[0][3:])
    rng = np.random.default_rng(index)
    rate = 0.5 + abs(math.log10(lr) + 2) * -0.1 + 0.6  # lr=0.01 learns fastest
    noise = rng.normal(0, 0.05, steps)
    with SummaryWriter(os.path.join(logdir, name), flush_secs=3600) as w:
        for s in range(steps):
            loss = 2.0 * math.exp(-rate * s / 400) + 0.1 + noise[s] * 0.2
            w.add_scalar("train/loss", loss, s)
            w.add_scalar("train/accuracy", 1 - loss / 2.2, s)
            if s % 10 == 0:
                w.add_scalar("eval/loss", loss * 1.1 + 0.02, s)
            w.add_scalar("lr", lr, s)


def write_sweep(logdir: Path, runs: int = 1000, steps: int = 2000, procs: int = 2) -> Path:
    """Write the sweep (in `procs` processes) unless DIR/done says it is already there."""
    done = logdir / "done"
    if done.exists() and done.read_text() == f"{runs} {steps}":
        return logdir
    logdir.mkdir(parents=True, exist_ok=True)
    jobs = [(str(logdir), name, i, steps) for i, name in enumerate(run_names(runs))]
    with multiprocessing.Pool(procs) as pool:
        for _ in pool.imap_unordered(_write_run, jobs, chunksize=4):
            pass
    done.write_text(f"{runs} {steps}")
    return logdir


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("logdir", type=Path)
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--steps", type=int, default=2000)
    a = p.parse_args()
    write_sweep(a.logdir, a.runs, a.steps)
