"""Custom scalars: the layout written by add_custom_scalars (multiline and margin charts)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("custom_scalars", __name__)


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {}
