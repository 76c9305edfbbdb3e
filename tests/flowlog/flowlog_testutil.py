"""Helpers shared by the event-file tests."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from flowlog.events.record_reader import read_records
from flowlog.proto import event_pb2


def event_files(logdir):
    """The event files directly in `logdir`, sorted."""
    return sorted(p for p in Path(logdir).iterdir() if "tfevents" in p.name)


def events(path):
    """Every Event of one file, parsed strictly."""
    return [event_pb2.Event.FromString(r) for r in read_records(path)]


def scalar_points(logdir):
    """[(tag, step, value)] of every simple_value in every file of `logdir`, in file order."""
    return [
        (v.tag, e.step, v.simple_value)
        for f in event_files(logdir)
        for e in events(f)
        for v in e.summary.value
        if v.WhichOneof("value") == "simple_value"
    ]


def python(code, *args, **kwargs):
    """Start `code` in a fresh interpreter (stdout piped), with flowlog importable."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )
