"""Fixtures for the dashboard tests."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    """An empty logdir."""
    d = tmp_path / "logs"
    d.mkdir()
    return d


@pytest.fixture(scope="module")
def flowboard_server():
    """Start the real `flowboard` command on a free port: `start(logdir, *args) -> url`.

    Every server started is stopped when the module's tests are done.
    """
    import re
    import subprocess
    import sys
    import threading

    procs = []

    def start(logdir, *args: str) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowlog.dashboard", "--logdir", str(logdir), "--port", "0",
             *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(proc)
        for line in proc.stdout:  # the URL line comes first; EOF if the server dies
            match = re.search(r"http://\S+/", line)
            if match:
                threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining
                return match.group(0)
        raise AssertionError(f"flowboard exited ({proc.wait()}) without printing its URL")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)
