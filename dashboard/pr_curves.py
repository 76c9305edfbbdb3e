"""PR curves: one precision–recall curve per run and tag at a chosen step."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pr_curves", __name__)


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {}
