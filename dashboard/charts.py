"""Chart data for many runs at once: one answer per chart, only what changed, ~1 point per pixel.

No HTTP here: `chart_data(provider, query)` answers a parsed request, `export_rows` streams every
point of many series. The routes in `scalars.py` are one line over these.
"""
from __future__ import annotations

import json
import math
import struct
import threading
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from .errors import BadRequest, HTTPError, NotFound
from .series import clock, envelopes

MAX_WIDTH = 10_000
# One answer holds at most this many (series x pixel) slots: 10 000 runs on a 500-pixel chart,
# about 60 MB at worst, instead of whatever a URL can ask for.
MAX_SLOTS = 5_000_000
# Full-resolution answers (every point of a series, exports) build or stream big bodies; this
# many at a time, the others wait up to BUSY_WAIT seconds and then get a 503.
FULL_RESOLUTION_SLOTS = 4
BUSY_WAIT = 20.0
_full = threading.BoundedSemaphore(FULL_RESOLUTION_SLOTS)


class Busy(HTTPError):
    """Too many full-resolution answers in progress (503)."""

    status = 503


@contextmanager
def full_resolution():
    """Hold one of the few full-resolution slots (503 if none frees up in time)."""
    if not _full.acquire(timeout=BUSY_WAIT):
        raise Busy(f"{FULL_RESOLUTION_SLOTS} full-resolution downloads are already running; "
                   "try again in a moment")
    try:
        yield
    finally:
        _full.release()


def parse_query(body: object) -> dict:
    """The chart request as sent by the page (JSON), checked; bad values are a 400 naming them.

    {"runs": [names], "tags": [tags], "width": pixels, "min_step": lo, "max_step": hi,
     "since": tick, "known": k, "bucket": b}: series are every (run, tag) pair; the first `known`
    runs are ones the page already holds as of tick `since`, drawn with buckets of `bucket` steps.
    """
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a JSON object, got {type(body).__name__}")
    runs, tags = _names(body, "runs"), _names(body, "tags")
    if not runs or not tags:
        raise BadRequest(f"missing {'runs' if not runs else 'tags'}: a chart needs a run and a tag")
    # A run listed twice is fetched once: its first place is the one that counts.
    runs, tags = list(dict.fromkeys(runs)), list(dict.fromkeys(tags))
    width = _int(body, "width", 800)
    if not 1 <= width <= MAX_WIDTH:
        raise BadRequest(f"width must be between 1 and {MAX_WIDTH}, got {width}")
    if len(runs) * len(tags) * width > MAX_SLOTS:
        raise BadRequest(f"{len(runs)} runs x {len(tags)} tags x width {width} is more than "
                         f"{MAX_SLOTS} points in one answer; ask for fewer runs or tags")
    lo, hi = _num(body, "min_step"), _num(body, "max_step")
    if lo is not None and hi is not None and lo > hi:
        raise BadRequest(f"min_step {lo} is above max_step {hi}")
    return {"runs": runs, "tags": tags, "width": width, "lo": lo, "hi": hi,
            "since": _int(body, "since", 0), "known": min(_int(body, "known", 0), len(runs)),
            "bucket": _int(body, "bucket", 0)}


def _names(body: dict, key: str) -> list[str]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise BadRequest(f"{key!r} must be a list of names, got {json.dumps(value)[:80]}")
    return value


def _int(body: dict, key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key} must be an integer, got {json.dumps(value)[:80]}")
    return value


def _num(body: dict, key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{key} must be a number, got {json.dumps(value)[:80]}")
    return float(value)


def bucket_size(span: float, width: int) -> int:
    """Steps per bucket: the smallest power of two giving at most one bucket per two pixels.

    Powers of two change only when the range doubles, so a growing run keeps its buckets (and
    the page its data) until then.
    """
    buckets = max(width // 2, 1)
    b = 1
    while b * buckets < span:
        b *= 2
    return b


# The answer, for the page to read with typed arrays:
#   u32 little-endian H | H bytes of UTF-8 JSON header | columns
# header: {"clock": tick of the data, "bucket": b, "missing": [[run, tag]] lacking the tag,
#          "series": [{"run", "tag", "version", "from", "n", "total", "step0", "wall0"}]}
# then, for each series in header order, n x u32 (step - step0), n x f32 (wall time - wall0),
# n x f32 value. "from" null: these points replace what the page holds for the series; a number:
# they replace its points from that step on. Unchanged series are left out of the answer.
def chart_data(provider, q: dict) -> bytes:
    """The answer to one chart's request (see above); unknown runs count as missing."""
    now = clock()  # read first: whatever changes while we read is sent again next time
    present = []
    missing = []
    for r, name in enumerate(q["runs"]):
        try:
            run = provider.run(name)
        except NotFound:  # deleted since the page listed it: drawn as having no data
            run = None
        for tag in q["tags"]:
            series = run.scalars.get(tag) if run is not None else None
            if series is None or not len(series):
                missing.append([name, tag])
            else:
                present.append((r, name, tag, series))
    lo, hi = q["lo"], q["hi"]
    cols = {id(s): s.columns() for *_, s in present}
    if lo is None or hi is None:
        firsts = [int(cols[id(s)][0][0]) for *_, s in present]
        lasts = [int(cols[id(s)][0][-1]) for *_, s in present]
        span_lo = lo if lo is not None else min(firsts, default=0)
        span_hi = hi if hi is not None else max(lasts, default=0)
    else:
        span_lo, span_hi = lo, hi
    b = bucket_size(span_hi - span_lo + 1, q["width"])
    # A page holding buckets half this size keeps them: a growing run is sent again whole only
    # when its range has grown fourfold, at most two points per pixel meanwhile.
    if q["since"] > 0 and q["bucket"] * 2 == b:
        b = q["bucket"]
    deltas_ok = q["bucket"] == b and q["since"] > 0
    answers: list = []  # per series sent: [run, tag, (entry, column bytes) or None yet]
    todo = []  # (answer, cache key, series, columns, i0, i1, from step) to compute
    for r, name, tag, series in present:
        known = deltas_ok and r < q["known"]
        if known and series.version <= q["since"]:
            continue
        start = series.appended_since(q["since"]) if known else None
        key = (id(series), series.version, b, lo, hi, start)
        answer = [name, tag, _cache.get(key)]
        if answer[2] is None:
            window = _window(cols[id(series)][0], b, lo, hi, start)
            if window is None:
                continue
            todo.append((answer, key, series, cols[id(series)], *window))
        answers.append(answer)
    for batch in _batches(todo):
        for (answer, key, *_), drawn in zip(batch, _drawn(batch, b)):
            answer[2] = drawn
            _cache.put(key, drawn)
    header = [{"run": name, "tag": tag, **entry} for name, tag, (entry, _) in answers]
    chunks = [c for *_, (_, cols_bytes) in answers for c in cols_bytes]
    head = json.dumps({"clock": now, "bucket": b, "missing": missing, "series": header},
                      separators=(",", ":")).encode()
    return b"".join([struct.pack("<I", len(head)), head, *chunks])


class EnvelopeCache:
    """The drawn points of recently asked series, by what makes them: the series' version, the
    bucket size, the zoom window and the step a delta starts from. Pages reloading, several
    tabs, and charts asked again after a tick that did not touch their series cost a lookup."""

    def __init__(self, max_bytes: int = 64 << 20):
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key, item: tuple) -> None:
        size = sum(len(c) for c in item[1])
        with self._lock:
            if key in self._items or size > self.max_bytes:
                return
            self._items[key] = item
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, (_, old) = self._items.popitem(last=False)
                self.nbytes -= sum(len(c) for c in old)


_cache = EnvelopeCache()


def _window(step: np.ndarray, b: int, lo, hi, start) -> tuple | None:
    """(i0, i1, from step) of the points of one series to draw with buckets of `b` steps in
    [lo, hi] (one point beyond each end, so lines reach the edges), from the bucket of point
    `start` on if given (None: nothing new)."""
    n = step.size
    i0 = 0 if lo is None else max(int(np.searchsorted(step, lo, "left")) - 1, 0)
    i1 = n if hi is None else min(int(np.searchsorted(step, hi, "right")) + 1, n)
    frm = None
    if start is not None:
        if start >= n:
            return None
        frm = int(step[start]) // b * b
        i0 = max(i0, int(np.searchsorted(step, frm, "left")))
    return i0, max(i0, i1), frm


# Points bucketed in one pass: enough to make NumPy's per-call cost vanish, few enough that the
# pass's temporaries (a dozen arrays of this length) stay a few megabytes per request.
BATCH_POINTS = 1 << 18


def _batches(todo: list):
    """`todo` in runs of about BATCH_POINTS points (a longer series alone)."""
    start, points = 0, 0
    for k, (*_, i0, i1, _) in enumerate(todo):
        if points and points + (i1 - i0) > BATCH_POINTS:
            yield todo[start:k]
            start, points = k, 0
        points += i1 - i0
    if start < len(todo):
        yield todo[start:]


def _drawn(todo: list, b: int) -> list[tuple]:
    """(header fields, column bytes) of each series of `todo` drawn with buckets of `b` steps:
    its points, as offsets from its first step and time, in one pass over all the series."""
    parts = [tuple(col[i0:i1] for col in columns) for _, _, _, columns, i0, i1, _ in todo]
    picked = envelopes([(step, value) for step, _, value in parts], b)
    counts = np.array([idx.size for idx in picked], np.int64)
    if not counts.sum():
        s = w = v = np.zeros(0)
    else:
        s, w, v = (np.concatenate([p[k][idx] for p, idx in zip(parts, picked)]) for k in range(3))
    ends = np.cumsum(counts)
    firsts = np.minimum(ends - counts, max(s.size - 1, 0))
    step0 = np.where(counts > 0, s[firsts] if s.size else 0, 0).astype(np.int64)
    wall0 = np.where(counts > 0, w[firsts] if w.size else 0.0, 0.0)
    wall0[~np.isfinite(wall0)] = 0.0
    ds = s - np.repeat(step0, counts)
    if ds.size and ds.max() >= 2**32:
        worst = int(np.searchsorted(ends, int(np.argmax(ds)), "right"))
        raise BadRequest(f"a series spans more than 2**32 steps ({int(step0[worst])} to "
                         f"{int(step0[worst] + ds.max())})")
    columns = [ds.astype("<u4"), (w - np.repeat(wall0, counts)).astype("<f4"), v.astype("<f4")]
    out = []
    for k, (_, _, series, (step, _, _), _, _, frm) in enumerate(todo):
        cut = slice(int(ends[k] - counts[k]), int(ends[k]))
        entry = {"version": series.version, "from": frm, "n": int(counts[k]),
                 "total": int(step.size), "step0": int(step0[k]), "wall0": float(wall0[k])}
        out.append((entry, [c[cut].tobytes() for c in columns]))
    return out


EXPORT_FORMATS = ("csv", "json")


def export_rows(provider, runs: list[str], tags: list[str], fmt: str):
    """Every point of every (run, tag) pair that exists, streamed as CSV
    (`Run,Tag,Wall time,Step,Value`) or JSON (`{run: {tag: [[wall, step, value]]}}`)."""
    pairs = []
    for name in dict.fromkeys(runs):
        run = provider.run(name)  # unknown run: 404 before anything is sent
        for tag in dict.fromkeys(tags):
            if tag in run.scalars:
                pairs.append((name, tag, run.scalars[tag].columns()))
    if fmt == "csv":
        yield "Run,Tag,Wall time,Step,Value\n"
        for name, tag, (step, wall, value) in pairs:
            prefix = f"{_csv_field(name)},{_csv_field(tag)},"
            for i in range(0, step.size, 65536):  # bounded chunks: memory stays flat
                sl = slice(i, i + 65536)
                yield "".join(f"{prefix}{w!r},{s},{v!r}\n" for w, s, v in
                              zip(wall[sl].tolist(), step[sl].tolist(), value[sl].tolist()))
        return
    yield "{"
    last = None
    for name, tag, (step, wall, value) in pairs:
        if name != last:
            yield ("}," if last is not None else "") + json.dumps(name) + ":{"
        else:
            yield ","
        last = name
        yield json.dumps(tag) + ":["
        for i in range(0, step.size, 65536):
            sl = slice(i, i + 65536)
            yield ("," if i else "") + ",".join(
                f"[{_js(w)},{s},{_js(v)}]" for w, s, v in
                zip(wall[sl].tolist(), step[sl].tolist(), value[sl].tolist()))
        yield "]"
    yield ("}" if last is not None else "") + "}"


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


def _js(x: float) -> str:
    """A float as JSON, with TensorBoard's strings for NaN and infinities."""
    if math.isfinite(x):
        return repr(x)
    return '"NaN"' if math.isnan(x) else ('"Infinity"' if x > 0 else '"-Infinity"')
