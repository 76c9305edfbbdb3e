"""What the differential scripts share: running one side in its own interpreter, and comparing
what TensorFlow and flowlog printed."""
from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# A number standing alone (not the digits of a name such as conv2d or layer_1).
NUMBER = re.compile(r"(?<![\w.-])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _shape_of(text: str) -> list[str]:
    # words and brackets without the numbers, or the padding NumPy sizes to the widest number
    return [re.sub(r"\s+", "", line) for line in NUMBER.sub("#", text).splitlines()]


def compare(a: str, b: str, floor: float = 1e-3) -> tuple[bool, float]:
    """(same words, largest difference between corresponding numbers, relative to the larger
    of `b`'s number and `floor`)."""
    if _shape_of(a) != _shape_of(b):
        return False, float("inf")
    x = np.array([float(v) for v in NUMBER.findall(a)])
    y = np.array([float(v) for v in NUMBER.findall(b)])
    if not x.size:
        return True, 0.0
    return True, float(np.max(np.abs(x - y) / np.maximum(np.abs(y), floor)))


def parser(doc: str) -> argparse.ArgumentParser:
    """The options every differential takes: the two interpreters, and the hidden child mode."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--tf-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    p.add_argument("--flowlog-python", default=str(ROOT / ".venv" / "bin" / "python"))
    p.add_argument("-v", "--verbose", action="store_true", help="show differing prints")
    p.add_argument("--child", choices=("tf", "flowlog"), help=argparse.SUPPRESS)
    return p


def run_child(script: str, python: str, engine: str, *args: str, env: dict | None = None) -> dict:
    """`script --child engine` run by `python`: the JSON it prints last."""
    done = subprocess.run([python, script, "--child", engine, *args], capture_output=True,
                          text=True, cwd=ROOT, check=False, env=env)
    if done.returncode:
        raise SystemExit(f"{engine} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])
