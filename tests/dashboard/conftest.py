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




@pytest.fixture
def checked_page(browser):
    """A 1300×900 page that fails the test if any script errs (a CSP block shows up here)."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert errors == [], errors
