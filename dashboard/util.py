"""Small helpers shared by the blueprints: the provider, query parameters, JSON responses."""
from __future__ import annotations

import json
import math

from flask import Response, current_app, request

from .errors import BadRequest
from .provider import DataProvider

# Where an app keeps its data provider (`app.extensions[PROVIDER]`).
PROVIDER = "flowboard.provider"


def provider() -> DataProvider:
    """The app's data provider."""
    return current_app.extensions[PROVIDER]


def arg(name: str) -> str:
    """A required query parameter."""
    value = request.args.get(name)
    if value is None:
        raise BadRequest(f"missing query parameter {name!r}")
    return value


def number(name: str, kind=int, default=None):
    """An optional numeric query parameter."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        out = kind(value)
    except ValueError:
        raise BadRequest(f"{name} must be {'an integer' if kind is int else 'a number'}, "
                         f"got {value!r}") from None
    if kind is float and not math.isfinite(out):
        raise BadRequest(f"{name} must be finite, got {value!r}")
    return out


def json_response(data, status: int = 200) -> Response:
    """`data` as JSON; NaN and infinities become TensorBoard's strings."""
    try:
        body = json.dumps(data, allow_nan=False, separators=(",", ":"))
    except ValueError:
        body = json.dumps(_cleanse(data), separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


def _cleanse(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, dict):
        return {k: _cleanse(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_cleanse(v) for v in x]
    return x
