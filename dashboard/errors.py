"""Errors that carry their HTTP status, raised by the provider and turned into JSON by the app."""
from __future__ import annotations


class HTTPError(Exception):
    """An error a route answers with `status` and `{"error": message}`."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(HTTPError):
    """An unknown run, tag or item (404)."""

    status = 404


class BadRequest(HTTPError):
    """A missing or malformed request parameter (400)."""

    status = 400
