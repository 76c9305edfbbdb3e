"""The flowboard Flask app: `create_app(logdir)` wires the data provider to the blueprints."""
from __future__ import annotations

import os

from flask import Flask, Response, request

from . import security
from .errors import HTTPError, NotFound
from .provider import DataProvider
from .util import json_response

PROVIDER = "flowboard.provider"


def _blueprints() -> list:
    """Every blueprint of the app, one line each."""
    from . import graphs, hparams, media, openapi, pages, scalars

    return [
        pages.bp,
        scalars.bp,
        media.bp,
        openapi.bp,
        graphs.bp,
        hparams.bp,
    ]


def create_app(logdir: str | os.PathLike, reload_interval: float = 5, host: str = "127.0.0.1",
               bind_all: bool = False, allowed_hosts: list[str] | None = None,
               start: bool = True) -> Flask:
    """A Flask app serving the logdir; loading starts in the background unless `start=False`.

    Requests must name `host` or a local name (or one of `allowed_hosts`) unless `bind_all`.
    """
    app = Flask(__name__, static_folder=None)
    provider = DataProvider(logdir, reload_interval)
    app.extensions[PROVIDER] = provider
    for bp in _blueprints():
        app.register_blueprint(bp)
    app.register_error_handler(HTTPError, _error)
    app.register_error_handler(404, lambda e: _error(NotFound(f"no such page {request.path!r}")))
    security.init_app(app, allowed_hosts=allowed_hosts, bind_all=bind_all, host=host)
    if start:
        provider.start()
    return app


def _error(e: HTTPError) -> Response:
    return json_response({"error": e.message}, e.status)
