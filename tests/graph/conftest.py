"""Fixtures for the graph tests: log dirs holding graphs (see graph_logs.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import graph_logs


@pytest.fixture(scope="module")
def graph_logdir(tmp_path_factory) -> Path:
    """Runs `neuron` (with run metadata), `mlp`, `nograph` and `broken`."""
    return graph_logs.write_logs(tmp_path_factory.mktemp("graphs"))


@pytest.fixture(scope="module")
def graph_server(graph_logdir):
    """The real `flowboard` command serving `graph_logdir` on a free port; yields its URL."""
    import re
    import subprocess
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "flowlog.dashboard", "--logdir",
                             str(graph_logdir), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in proc.stdout:  # the URL line comes first; EOF if the server dies
            match = re.search(r"http://\S+/", line)
            if match:
                threading.Thread(target=proc.stdout.read, daemon=True).start()
                yield match.group(0)
                break
        else:
            raise AssertionError(f"flowboard exited ({proc.wait()}) without printing its URL")
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()
