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
