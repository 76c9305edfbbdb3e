"""Routes for the page itself: index.html, its static files and plotly.js from the plotly package."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

from .errors import NotFound

bp = Blueprint("pages", __name__)


def static_dir() -> Path:
    """Where the page's files are: inside the installed package, or beside it in the repo."""
    here = Path(__file__).resolve().parent
    inside = here / "static"
    return inside if inside.is_dir() else here.parent / "static"


def plotly_dir() -> Path:
    """The folder of the installed plotly package that holds plotly.min.js."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


@bp.route("/")
def index():
    """The page."""
    return send_from_directory(static_dir(), "index.html", max_age=0)


@bp.route("/static/<path:name>")
def static(name: str):
    """A file of the page (send_from_directory refuses paths leaving the folder)."""
    return send_from_directory(static_dir(), name, max_age=0)


@bp.route("/vendor/plotly.min.js")
def plotly_js():
    """plotly.js, served from the installed plotly package (no CDN: works offline)."""
    folder = plotly_dir()
    if not (folder / "plotly.min.js").is_file():
        raise NotFound("plotly.min.js is missing from the installed plotly package")
    return send_from_directory(folder, "plotly.min.js", max_age=86400)
