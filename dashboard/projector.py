"""Projector: the embeddings of each run (projector_config.pbtxt), projected server-side.

The files are TensorBoard's projector layout, read by `flowlog.summaries.projector` (tensors as TSV or
raw `.bytes`, metadata TSV, sprite sheet). A projection is PCA by SVD of the centred points,
over at most MAX_POINTS of them, chosen the same way on every request.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from flask import Blueprint, Response
from google.protobuf.text_format import ParseError

from flowlog import storage
from flowlog.codecs.png import encode_png
from flowlog.summaries.projector import CONFIG_NAME, Embedding, read_embedding_config

from .errors import BadRequest, NotFound
from .openapi import INTEGER, NUMBER, RUN, STRING, STRINGS, _by_run, _get, _obj, _param
from .provider import DataProvider
from .util import arg, json_response, number, provider

bp = Blueprint("projector", __name__)

# Points projected and sent at most: a scatter of more is a blur, and SVD time grows with it.
MAX_POINTS = 10_000
# Projections kept, newest used last: switching 2-D/3-D or back is then instant.
CACHED_PROJECTIONS = 8
_SERVICE = "flowboard.projector"


class Projector:
    """Each run's embeddings, read once per change of its config, and their projections."""

    def __init__(self, data: DataProvider):
        self._data = data
        self._lock = threading.Lock()
        # run -> (reload count, config bytes, embeddings or the error reading them, generation)
        self._read: dict[str, tuple[int, bytes | None, list[Embedding] | str, int]] = {}
        self._generation = 0  # counts re-reads: a projection is of one reading of the files
        self._projections: OrderedDict = OrderedDict()

    def embeddings(self, run: str) -> list[Embedding] | str:
        """The embeddings of `run`, or why they cannot be read (a message)."""
        return self._reading(run)[2]

    def _reading(self, run: str) -> tuple:
        """What `_read` holds for `run`, its config looked at once per reload and its files
        read again only when the config changed (a new add_embedding rewrites it)."""
        path = self._data.run(run).path
        reloads = self._data.reloads
        with self._lock:
            cached = self._read.get(run)
            if cached and cached[0] == reloads:
                return cached
            config = storage.read_bytes(storage.join(path, CONFIG_NAME))
            if cached and cached[1] == config:
                self._read[run] = (reloads, *cached[1:])
                return self._read[run]
            found: list[Embedding] | str = []
            if config is not None:
                try:
                    found = read_embedding_config(path)
                except (OSError, ValueError, ParseError, UnicodeDecodeError) as e:
                    found = f"cannot read the projector files of run {run!r}: {e}"
            self._generation += 1
            self._read[run] = (reloads, config, found, self._generation)
            return self._read[run]

    def listing(self) -> dict:
        """{"runs": {run: [embedding info]}, "errors": {run: message}} of every run with a
        projector config."""
        runs, errors = {}, {}
        for run in self._data.projector_runs():
            found = self.embeddings(run)
            if isinstance(found, str):
                errors[run] = found
            else:
                runs[run] = [_info(e) for e in _latest(found).values()]
        return {"runs": runs, "errors": errors}

    def embedding(self, run: str, name: str, found: list[Embedding] | str | None = None
                  ) -> Embedding:
        """The embedding called `name` (`tag:step`) in `run` (among `found`, if given)."""
        found = self.embeddings(run) if found is None else found
        if isinstance(found, str):
            raise NotFound(found)
        emb = _latest(found).get(name)
        if emb is None:
            raise NotFound(f"unknown embedding {name!r} in run {run!r}; it has "
                           f"{sorted(_latest(found))}")
        return emb

    def projection(self, run: str, name: str, dims: int) -> dict:
        """PCA of one embedding to `dims` (2 or 3) components, with each point's metadata."""
        if dims not in (2, 3):
            raise BadRequest(f"dims must be 2 or 3, got {dims}")
        _, _, found, generation = self._reading(run)
        emb = self.embedding(run, name, found)
        key = (run, name, dims, generation)
        with self._lock:
            if key in self._projections:
                self._projections.move_to_end(key)
                return self._projections[key]
        answer = _project(emb, dims)
        with self._lock:
            self._projections[key] = answer
            while len(self._projections) > CACHED_PROJECTIONS:
                self._projections.popitem(last=False)
        return answer

    def sprite(self, run: str, name: str) -> bytes:
        """The sprite sheet of one embedding as PNG."""
        emb = self.embedding(run, name)
        if emb.sprite is None:
            raise NotFound(f"embedding {name!r} of run {run!r} has no sprite image")
        return encode_png(emb.sprite)


def _name(emb: Embedding) -> str:
    return f"{emb.tag}:{emb.step:05d}"


def _latest(found: list[Embedding]) -> dict[str, Embedding]:
    """{name: embedding}; a name listed twice (an embedding logged again) is the last one."""
    return {_name(e): e for e in found}


def _metadata(emb: Embedding) -> tuple[list[str], list[list[str]], str | None]:
    """(column names, rows, warning): a single column is "label"; metadata whose rows do not
    match the points is left out, with a warning saying why."""
    rows, header = emb.metadata, emb.metadata_header
    n = len(emb.tensor)
    if rows is None:
        return [], [], None
    if header is None and len(rows) == n + 1:  # one column with a header line (torch's)
        header, rows = rows[0], rows[1:]
    if len(rows) != n:
        return [], [], f"metadata has {len(rows)} rows for {n} points; left out"
    columns = list(header) if header else ["label"]
    width = len(columns)
    return columns, [(r + [""] * width)[:width] for r in rows], None


def _info(emb: Embedding) -> dict:
    columns, _, warning = _metadata(emb)
    return {"name": _name(emb), "tag": emb.tag, "step": emb.step,
            "shape": list(emb.tensor.shape), "columns": columns,
            "sprite": emb.sprite is not None, "warning": warning}


def sample_rows(n: int, most: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most `most` of `n` rows, sorted: all of them, or a sample drawn with a
    fixed seed, so every request (and every restart) shows the same points."""
    if n <= most:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, most, replace=False))


def pca(points: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """(coordinates (n, dims), explained variance ratio per component) by SVD of the centred
    points. Each axis' sign is fixed (its largest loading positive) so that answers do not
    flip between runs of LAPACK; missing components (fewer dimensions than `dims`) are 0."""
    centred = points.astype(np.float64) - points.mean(axis=0)
    s, axes = top_singular(centred, dims)
    k = len(s)
    signs = np.sign(axes[np.arange(k), np.abs(axes).argmax(axis=1)])
    axes = axes * np.where(signs == 0, 1, signs)[:, None]
    coords = np.zeros((len(points), dims))
    coords[:, :k] = centred @ axes.T
    total = float(np.einsum("ij,ij->", centred, centred))  # the sum of all squared singulars
    explained = np.zeros(dims)
    if total > 0:
        explained[:k] = s ** 2 / total
    return coords, explained


def top_singular(a: np.ndarray, k: int, extra: int = 10, rounds: int = 4):
    """The `k` largest singular values of `a` and their right singular vectors (rows).

    Randomized SVD (Halko, Martinsson and Tropp, 2011): `a` is multiplied by k + `extra`
    random vectors (fixed seed) and `rounds` power iterations sharpen that basis, then an
    exact SVD of the small projected matrix. O(n·d) work where LAPACK's full SVD takes
    O(n·d·min(n, d)) (10 000 x 768 points: well under a second instead of a minute); exact when
    k + `extra` covers min(n, d), and for the leading components to float64 precision in practice.
    """
    n, d = a.shape
    width = min(k + extra, n, d)
    if width == 0:
        return np.zeros(0), np.zeros((0, d))
    basis = a @ np.random.default_rng(0).normal(size=(d, width))
    for _ in range(rounds):  # QR between products keeps the basis from collapsing
        basis = a @ np.linalg.qr(a.T @ np.linalg.qr(basis)[0])[0]
    q = np.linalg.qr(basis)[0]
    _, s, vt = np.linalg.svd(q.T @ a, full_matrices=False)
    return s[:k], vt[:k]


def rounded(column: np.ndarray) -> list[float]:
    """A coordinate column to six significant digits of its scale: a smaller answer."""
    scale = float(np.abs(column).max(initial=0))
    digits = 6 - int(np.ceil(np.log10(scale))) if scale > 0 else 0
    return np.round(column, max(0, digits)).tolist()


def _project(emb: Embedding, dims: int) -> dict:
    tensor = emb.tensor
    finite = np.flatnonzero(np.isfinite(tensor).all(axis=1))
    index = finite[sample_rows(len(finite))]
    columns, rows, warning = _metadata(emb)
    if len(index):
        coords, explained = pca(tensor[index], dims)
    else:
        coords, explained = np.zeros((0, dims)), np.zeros(dims)
    by_column = [[rows[i][c] for i in index.tolist()] for c in range(len(columns))]
    sprite = None
    if emb.sprite is not None and emb.sprite_image_dim:
        w, h = emb.sprite_image_dim
        sprite = {"width": int(w), "height": int(h), "per_row": int(emb.sprite.shape[1] // w)}
    return {
        "name": _name(emb), "dims": dims, "total": len(tensor), "points": len(index),
        "max_points": MAX_POINTS, "skipped_nonfinite": int(len(tensor) - len(finite)),
        "index": index.tolist(), "coords": [rounded(c) for c in coords.T],
        "explained": explained.tolist(), "columns": columns, "metadata": by_column,
        "sprite": sprite, "warning": warning,
    }


def _service() -> Projector:
    from flask import current_app

    ext = current_app.extensions
    if _SERVICE not in ext:
        ext[_SERVICE] = Projector(provider())
    return ext[_SERVICE]


@bp.route("/data/plugin/projector/embeddings")
def embeddings():
    """{"runs": {run: [{name, tag, step, shape, columns, sprite, warning}]}, "errors": {...}}."""
    return json_response(_service().listing())


@bp.route("/data/plugin/projector/projection")
def projection():
    """PCA coordinates (column per axis), explained variance and metadata of one embedding."""
    return json_response(_service().projection(arg("run"), arg("tag"), number("dims", int, 2)))


@bp.route("/data/plugin/projector/sprite")
def sprite():
    """The sprite sheet of one embedding (PNG), for hover thumbnails."""
    data = _service().sprite(arg("run"), arg("tag"))
    return Response(data, mimetype="image/png", headers={"Cache-Control": "private, max-age=60"})


EMBEDDING_TAG = _param("tag", STRING, doc="an embedding's name, `tag:step` as listed by "
                       "/data/plugin/projector/embeddings")
INFO = _obj({"name": STRING, "tag": STRING, "step": INTEGER,
             "shape": {"type": "array", "items": INTEGER}, "columns": STRINGS,
             "sprite": {"type": "boolean"},
             "warning": {"anyOf": [STRING, {"type": "null"}]}})
COLUMN = {"type": "array", "items": NUMBER}


def paths() -> dict:
    """This plugin's routes for the OpenAPI document (see openapi.py)."""
    return {
        "/data/plugin/projector/embeddings": _get(
            "The embeddings of every run with a projector config, and runs whose files are "
            "unreadable", _obj({"runs": _by_run({"type": "array", "items": INFO}),
                                "errors": _by_run(STRING)}), errors=()),
        "/data/plugin/projector/projection": _get(
            f"PCA of one embedding (at most {MAX_POINTS} points, a fixed sample of larger "
            "ones): coordinates per axis, explained variance ratios, metadata per column",
            _obj({"name": STRING, "dims": INTEGER, "total": INTEGER, "points": INTEGER,
                  "max_points": INTEGER, "skipped_nonfinite": INTEGER,
                  "index": {"type": "array", "items": INTEGER},
                  "coords": {"type": "array", "items": COLUMN}, "explained": COLUMN,
                  "columns": STRINGS, "metadata": {"type": "array", "items": STRINGS},
                  "sprite": {"anyOf": [{"type": "null"}, _obj({
                      "width": INTEGER, "height": INTEGER, "per_row": INTEGER})]},
                  "warning": {"anyOf": [STRING, {"type": "null"}]}}),
            (RUN, EMBEDDING_TAG, _param("dims", {"type": "integer", "enum": [2, 3]}, False,
                                        "components: 2 (default) or 3"))),
        "/data/plugin/projector/sprite": _get(
            "The sprite sheet of one embedding: its points' images tiled row by row",
            {"type": "string", "format": "binary"}, (RUN, EMBEDDING_TAG), media="image/png"),
    }
