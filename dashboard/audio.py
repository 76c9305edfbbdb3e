"""Audio: the clips of each tag and run, served as WAV."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audio", __name__)


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {}
