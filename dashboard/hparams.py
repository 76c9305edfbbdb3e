"""Route of the hparams table: every run's hyperparameters beside the last values of its metrics."""
from __future__ import annotations

from flask import Blueprint, request

from .util import json_response, provider

bp = Blueprint("hparams", __name__)


@bp.route("/data/plugin/hparams/table")
def table():
    """[{run, hparams: {name: value}, metrics: {tag: last value or null}}], sorted by run.

    The page asks every few seconds; an answer it already has costs a 304 and no body (3 000
    runs are a few hundred kB of JSON), so the answer carries an ETag and must be revalidated.
    """
    response = json_response(provider().hparams())
    response.add_etag()
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)
