"""The flowboard Flask app: `create_app(logdir)` wires the data provider to the blueprints."""
from __future__ import annotations

import html
import json
import os
import re

from flask import Flask, Response, request

from . import security
from .errors import HTTPError, NotFound
from .provider import LOADERS, DataProvider
from .util import PROVIDER, json_response


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
        *(m.bp for m in plugin_modules()),
    ]


def plugin_modules() -> list:
    """The blueprints of the further data kinds, each with its own `paths()` for the OpenAPI
    document."""
    from . import audio, custom_scalars, mesh, pr_curves, projector

    return [pr_curves, custom_scalars, audio, projector, mesh]


def create_app(logdir: str | os.PathLike | dict, reload_interval: float = 5,
               host: str = "127.0.0.1", bind_all: bool = False,
               allowed_hosts: list[str] | None = None, start: bool = True,
               path_prefix: str = "", frame_ancestors: list[str] | None = None,
               window_title: str | None = None, workers: int = LOADERS,
               max_memory: int | None = None, cache_dir: str | None = None) -> Flask:
    """A Flask app serving the logdir; loading starts in the background unless `start=False`.

    `logdir` may be a `{name: logdir}` dict: runs of each under its name. Requests must name
    `host` or a local name (or one of `allowed_hosts`) unless `bind_all`. With `path_prefix`
    ("/p"), every route answers under it ("/p/", "/p/data/runs") and nowhere else, as behind a
    reverse proxy that passes the full path on. `frame_ancestors` lets those pages frame the
    dashboard (notebooks); `window_title` replaces the page's title.
    """
    prefix = normalize_prefix(path_prefix)
    app = Flask(__name__, static_folder=None)
    provider = DataProvider(logdir, reload_interval, workers=workers, max_memory=max_memory,
                            cache_dir=cache_dir)
    app.extensions[PROVIDER] = provider
    for bp in _blueprints():
        app.register_blueprint(bp)
    app.register_error_handler(HTTPError, _error)
    app.register_error_handler(404, lambda e: _error(NotFound(f"no such page {request.path!r}")))
    security.init_app(app, allowed_hosts=allowed_hosts, bind_all=bind_all, host=host,
                      frame_ancestors=frame_ancestors)
    if window_title:
        _set_title(app, window_title)
    if prefix:
        app.wsgi_app = PrefixMiddleware(app.wsgi_app, prefix)
    if start:
        provider.start()
    return app


def _error(e: HTTPError) -> Response:
    return json_response({"error": e.message}, e.status)


def _set_title(app: Flask, title: str) -> None:
    """Serve the page with `title` in its <title> (what the browser's tab shows)."""
    tag = f"<title>{html.escape(title)}</title>".encode()

    @app.after_request
    def _title(response: Response) -> Response:
        if request.path != "/" or response.status_code != 200:
            return response
        response.direct_passthrough = False  # send_from_directory streams the file
        response.set_data(re.sub(rb"<title>.*?</title>", tag, response.get_data(), count=1))
        # The file's validators no longer describe this body.
        response.headers.pop("ETag", None)
        response.headers.pop("Last-Modified", None)
        return response


# -- serving under a path prefix ----------------------------------------------------------
_BAD_PREFIX = re.compile(r"[?#%\s\\]|/\.\.?(/|$)|//")


def normalize_prefix(prefix: str | None) -> str:
    """`--path_prefix` as "/a/b" (leading slash, no trailing one), or "" for none.

    ValueError names a prefix that could not be part of a URL path as written.
    """
    if not prefix:
        return ""
    p = "/" + prefix.strip("/")
    if p == "/":
        return ""
    if _BAD_PREFIX.search(p):
        raise ValueError(f"path prefix {prefix!r} is not a plain URL path; expected something "
                         "like /flowboard or /user/me/proxy/6006")
    return p


class PrefixMiddleware:
    """Serves the app under `prefix`: "/p/x" reaches the app's "/x" (with SCRIPT_NAME "/p", so
    any URL the app builds carries the prefix), "/p" redirects to "/p/" so that the page's
    relative URLs resolve under the prefix, and anything else is 404."""

    def __init__(self, app, prefix: str):
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.prefix + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix):]
            return self.app(environ, start_response)
        if path == self.prefix:
            query = environ.get("QUERY_STRING")
            location = self.prefix + "/" + (f"?{query}" if query else "")
            return _plain(start_response, "308 Permanent Redirect", b"",
                          [("Location", location)])
        body = json.dumps({"error": f"no such page {path!r}: flowboard is served under "
                                    f"{self.prefix}/"}).encode()
        return _plain(start_response, "404 Not Found", body,
                      [("Content-Type", "application/json")])


def _plain(start_response, status: str, body: bytes, extra: list) -> list[bytes]:
    start_response(status, [*extra, ("Content-Length", str(len(body))),
                             *security.SECURITY_HEADERS.items()])
    return [body]
