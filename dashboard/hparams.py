"""Route of the hparams table: every run's hyperparameters beside the last values of its metrics."""
from __future__ import annotations

from flask import Blueprint

from .util import json_response, provider

bp = Blueprint("hparams", __name__)


@bp.route("/data/plugin/hparams/table")
def table():
    """[{run, hparams: {name: value}, metrics: {tag: last value or null}}], sorted by run."""
    return json_response(provider().hparams())
