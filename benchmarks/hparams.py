"""HParams table speed: seconds to build the table of 300 / 1 000 / 3 000 runs of a sweep.

Two sweeps: "started", where every run holds its training curve and what a sweep writes as
it starts (`hp.hparams`-style: the experiment and the run's hparams, no metric logged yet), the
case that used to take seconds; and "mixed", where a third of the runs are started, a third have
their final metrics from `add_hparams` in the run itself, and a third in a time-named sub-run as
torch and tensorboardX write them.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flowlog.dashboard.provider import DataProvider

from flowlog import SummaryWriter
from flowlog.summaries import hparams_plugin

METRICS = {"hparam/loss": 0.0, "hparam/accuracy": 0.0}
TARGET = 1.0  # seconds for 3 000 runs


def write_sweep(logdir: Path, runs: int, mixed: bool, steps: int = 20) -> None:
    """`runs` runs named `lr=…,seed=…,optimizer`, started only or in the three layouts above."""
    for i in range(runs):
        _write_run(logdir, i if mixed else 3 * i, steps)


def _write_run(logdir: Path, i: int, steps: int) -> None:
    hp = {"lr": 10.0 ** -(1 + i % 4), "seed": i // 4, "optimizer": ("adam", "sgd")[i % 2]}
    with SummaryWriter(logdir / f"lr={hp['lr']},seed={hp['seed']},{hp['optimizer']}") as w:
        for step in range(steps):
            w.add_scalar("loss/train", 1.0 / (step + 1 + i % 7), step)
        if i % 3 == 0:  # started: hparams and experiment only
            for summary in hparams_plugin.hparams(hp, METRICS):
                w.add_summary(summary)
        else:
            final = {"hparam/loss": 1.0 / (steps + i % 7), "hparam/accuracy": 0.5 + i % 5 / 10}
            w.add_hparams(hp, final, run_name="." if i % 3 == 1 else None)


def build_seconds(logdir: Path, repeat: int = 5) -> tuple[float, int]:
    """Best time of `repeat` table builds over a loaded logdir, and the number of rows."""
    provider = DataProvider(logdir, reload_interval=0)
    provider.reload()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        rows = provider.hparams()
        best = min(best, time.perf_counter() - start)
    return best, len(rows)


def main() -> None:
    """Print one row per sweep size."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="300,1000,3000")
    args = p.parse_args()
    print(f"{'sweep':<8} {'runs':>6} {'rows':>6} {'seconds':>8} {'µs/row':>7}")
    for mixed in (False, True):
        for size in (int(s) for s in args.sizes.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                write_sweep(Path(tmp), size, mixed)
                secs, rows = build_seconds(Path(tmp))
            verdict = "" if size != 3000 else ("  ok" if secs <= TARGET else "  SLOW")
            print(f"{'mixed' if mixed else 'started':<8} {size:>6} {rows:>6} {secs:>8.3f} "
                  f"{secs / max(rows, 1) * 1e6:>7.0f}{verdict}", flush=True)


if __name__ == "__main__":
    main()
