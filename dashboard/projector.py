"""Projector: the embeddings of each run (projector_config.pbtxt), projected server-side."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projector", __name__)


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {}
