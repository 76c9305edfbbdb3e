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
def graph_server(graph_logdir, flowboard_server):
    """The real `flowboard` command serving `graph_logdir` on a free port; its URL."""
    return flowboard_server(graph_logdir)
