"""Every engine test starts, and leaves, with an empty default graph."""
from __future__ import annotations

import pytest

import flowlog as fl


@pytest.fixture(autouse=True)
def fresh_graph():
    fl.reset_default_graph()
    yield
    fl.reset_default_graph()
