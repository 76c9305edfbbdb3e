"""`flowboard --demo`: the example scripts write runs into a temporary logdir while it is served."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def start_demo(logdir: Path) -> list[subprocess.Popen]:
    """Run every example into `logdir/NAME` in the background; synthetic runs if they cannot.

    A small hyperparameter sweep (`write_sweep`) is written first, for the HParams view.

    The examples live in the repository's `examples/` folder, absent from an installed wheel.
    Returns the running processes so the caller can stop them.
    """
    write_sweep(logdir / "sweep")
    write_kinds(logdir / "kinds")
    scripts = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith(("_", "common")))
    if not scripts:
        write_synthetic(logdir)
        return []
    procs = [subprocess.Popen([sys.executable, str(s), "--logdir", str(logdir / s.stem)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for s in scripts]
    threading.Thread(target=_watch, args=(procs, scripts, logdir), daemon=True).start()
    return procs


def _watch(procs: list[subprocess.Popen], scripts: list[Path], logdir: Path) -> None:
    failed = []
    for proc, script in zip(procs, scripts):
        _, err = proc.communicate()
        if proc.returncode not in (0, -15):  # -15: stopped by us on exit
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            print(f"flowboard demo: example {script.name} failed: {last[0]}", file=sys.stderr)
            failed.append(script)
    if failed:
        write_synthetic(logdir)


def write_synthetic(logdir: Path, steps: int = 400) -> None:
    """Two training-like runs with scalars, histograms, images and text."""
    from flowlog import SummaryWriter

    rng = np.random.default_rng(0)
    for name, lr in (("synthetic/lr=0.1", 0.1), ("synthetic/lr=0.03", 0.03)):
        with SummaryWriter(logdir / name) as w:
            w.add_text("notes", f"# Synthetic run\nLearning rate **{lr}**; no examples folder "
                       "was found, so these curves are generated.", 0)
            for step in range(steps):
                decay = np.exp(-lr * step / 20)
                w.add_scalar("loss/train", float(decay + 0.05 * rng.standard_normal()), step)
                w.add_scalar("accuracy/train", float(1 - 0.9 * decay + 0.02 * rng.standard_normal()),
                             step)
                if step % 20 == 0:
                    w.add_scalar("loss/eval", float(decay * 1.1 + 0.02), step)
                    w.add_histogram("weights/dense", rng.normal(0, 1 + step / steps, 1000), step)
                    x = np.linspace(0, 1, 32)
                    img = np.outer(np.sin(x * 6 + step / 40) ** 2, x)
                    w.add_image("samples/pattern", img, step, dataformats="HW")


def write_sweep(logdir: Path, steps: int = 100) -> None:
    """A small hyperparameter sweep: learning rate x batch size x optimizer -> loss, accuracy.

    Each run logs its training curve, then `add_hparams` with its final metrics into the run
    itself (`run_name="."`), so the HParams table and the scalar charts name the same runs.
    """
    from flowlog import SummaryWriter

    rng = np.random.default_rng(1)
    speed = {"adam": 1.6, "sgd": 1.0}
    for lr in (0.1, 0.01, 0.001):
        for batch in (32, 128):
            for opt in ("adam", "sgd"):
                rate = speed[opt] * (lr * 100) ** 0.5 * (64 / batch) ** 0.25 / 20
                noise = 0.02 * rng.standard_normal(steps)
                loss = 0.1 + 2.2 * np.exp(-rate * np.arange(steps)) + noise
                acc = np.clip(1 - loss / 2.5, 0, 1)
                with SummaryWriter(logdir / f"lr={lr},bs={batch},{opt}") as w:
                    for step in range(steps):
                        w.add_scalar("loss/train", float(loss[step]), step)
                    w.add_hparams({"lr": lr, "batch_size": batch, "optimizer": opt},
                                  {"hparam/loss": float(loss[-1]), "hparam/accuracy": float(acc[-1])},
                                  run_name=".", global_step=steps - 1)


def write_kinds(logdir: Path, steps: int = 5) -> None:
    """One run holding every other kind of data a view shows: PR curves, audio, a video,
    embeddings, a mesh, a custom scalars layout with a margin chart, and a markdown table."""
    from flowlog import SummaryWriter

    rng = np.random.default_rng(2)
    with SummaryWriter(logdir) as w:
        w.add_custom_scalars({"Accuracy": {"with its spread": ["Margin", ["acc", "acc/low", "acc/high"]],
                                           "train and eval": ["Multiline", ["loss/.*"]]}})
        w.add_text("results", "| model | accuracy |\n| --- | ---: |\n| small | 0.91 |\n| large | **0.95** |", 0)
        points = np.concatenate([rng.normal(c, 0.4, (60, 8)) for c in range(5)])
        w.add_embedding(points, metadata=[f"class {i // 60}" for i in range(len(points))], tag="clusters")
        for step in range(steps):
            labels = rng.integers(0, 2, 400)
            w.add_pr_curve("pr/positive", labels, np.clip(labels * 0.3 * (step + 1) / steps
                                                          + rng.random(400) * 0.7, 0, 1), step)
            for k in range(20):
                t = step * 20 + k
                acc = 0.6 + 0.3 * t / (steps * 20)
                w.add_scalar("acc", acc, t)
                w.add_scalar("acc/low", acc - 0.05, t)
                w.add_scalar("acc/high", acc + 0.05, t)
                w.add_scalar("loss/train", 1 - acc, t)
                w.add_scalar("loss/eval", 1.05 - acc, t)
            tone = np.sin(2 * np.pi * (220 + 110 * step) * np.arange(8000) / 8000)
            w.add_audio("audio/tone", (0.3 * tone).astype(np.float32), step, sample_rate=8000)
            frames = np.stack([np.roll(np.eye(16), f + step, axis=1) for f in range(8)])
            w.add_video("video/diagonal", (frames[None, :, None] * 255).astype(np.uint8), step, fps=4)
            angle = np.linspace(0, 2 * np.pi, 200)
            cloud = np.stack([np.cos(angle), np.sin(angle), angle / 6 * (step + 1) / steps], 1)
            w.add_mesh("mesh/helix", cloud[None], global_step=step,
                       colors=(np.stack([angle / angle.max(), 0.5 + 0 * angle, 1 - angle / angle.max()], 1)
                               * 255).astype(np.uint8)[None])
