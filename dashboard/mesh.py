"""Meshes and point clouds written by add_mesh."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mesh", __name__)


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {}
