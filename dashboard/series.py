"""Scalar points of one (run, tag) in compact NumPy columns, with restart purging and downsampling."""
from __future__ import annotations

import itertools
import os
import threading
import time

import numpy as np

from .spill import POINT, Spill

NEVER = np.iinfo(np.int64).max
# Every change to any series takes the next tick of one clock, so a page that saw the data at
# tick C needs only what changed after C. It starts at the time in microseconds, so a restarted
# server never reuses a tick an open page has already seen.
_CLOCK = itertools.count(time.time_ns() // 1000)
_latest = next(_CLOCK)
# How many appends a series remembers for answering "what is new since tick C" with a delta.
APPEND_LOG = 32


def tick() -> int:
    """The next tick of the change clock."""
    global _latest
    _latest = next(_CLOCK)  # itertools.count is atomic under the GIL
    return _latest


def clock() -> int:
    """The newest tick handed out: no series has changed after it."""
    return _latest
# Buffers grow by this factor, so at most a fifth of their capacity is ever unused
# (24 bytes per point stored, at most 30 allocated).
GROWTH = 1.25


class ScalarSeries:
    """Every point of one tag: step int64, wall time float64, value float64, ascending step.

    Readers call `columns()` and get views that later appends never touch: appends write past
    the published length, and growing or purging switches to new buffers.
    """

    def __init__(self, spill: Spill | None = None) -> None:
        self._step = np.zeros(0, np.int64)
        self._wall = np.zeros(0, np.float64)
        self._value = np.zeros(0, np.float64)
        self._n = 0
        self.last_step: int | None = None  # step of the latest point read, kept or not
        self._published = (self._step, self._wall, self._value)
        self.version = 0  # tick of the latest change
        self._reset = 0  # tick of the latest change that removed points
        self._appends: list[tuple[int, int]] = []  # (tick, length before) of recent appends
        # Past a memory budget the columns may live in a file (see spill.py); the newest
        # point is kept here either way, for the cheap questions.
        self._spill = spill
        self._file: str | None = None
        self._tail: tuple[int, float, float] | None = None  # step, wall, value
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._n

    def __getstate__(self) -> dict:  # for the cache: the points only, no lock, no budget
        state = dict(self.__dict__)
        for key in ("_lock", "_spill", "_published"):
            del state[key]
        for key in ("_step", "_wall", "_value"):
            state[key] = state[key][: self._n].copy()
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock(), _spill=None)
        self._published = (self._step, self._wall, self._value)

    def attach(self, spill: Spill | None) -> None:
        """Share `spill`'s memory budget (a series loaded from the cache)."""
        self._spill = spill
        if spill is not None:
            spill.used(self)
            spill.change(self.nbytes)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(step, wall_time, value) of every point, oldest first."""
        if self._spill is not None:
            self._spill.used(self)
        published, path = self._published, self._file
        if path is None:
            return published
        try:
            points = np.load(path)
        except FileNotFoundError:  # taken back into memory meanwhile
            return self._published
        return points["step"], points["wall"], points["value"]

    def last(self) -> tuple[float, float] | None:
        """(wall_time, value) of the newest point kept, or None."""
        return self._tail[1:] if self._tail is not None else None

    @property
    def nbytes(self) -> int:
        """Bytes allocated for the columns in memory."""
        return self._step.nbytes + self._wall.nbytes + self._value.nbytes

    def spill(self, path: str) -> int:
        """Move the columns to the file `path`; returns the bytes freed."""
        with self._lock:
            if self._file is not None or not self._n:
                return 0
            points = np.empty(self._n, POINT)
            points["step"], points["wall"], points["value"] = self._published
            np.save(path, points)
            freed = self.nbytes
            self._file = path
            empty = (np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.float64))
            self._step, self._wall, self._value = empty
            self._published = empty
            return freed

    def _unspill(self) -> None:
        """Take the columns back into memory (to change them)."""
        path = self._file
        if path is None:
            return
        points = np.load(path)
        self._step, self._wall, self._value = (
            points["step"].copy(), points["wall"].copy(), points["value"].copy())
        self._published = (self._step, self._wall, self._value)
        self._file = None
        os.remove(path)

    def appended_since(self, since: int) -> int | None:
        """Index of the first point added after tick `since` (the length if none), or None when
        points were removed since, or the appends since are too many to remember."""
        if self._reset > since:
            return None
        log = self._appends
        if log and log[0][0] > since and len(log) == APPEND_LOG:
            return None
        for t, n in log:
            if t > since:
                return n
        return self._n

    def add(self, step: np.ndarray, wall: np.ndarray, value: np.ndarray,
            restarts: np.ndarray | None = None) -> None:
        """Append points read in this order, applying TensorBoard's restart semantics.

        A step lower than the one before it means the run restarted from that step: earlier
        points with step >= it are dropped. `restarts[i]` is the lowest step of a
        `SessionLog.START` read after point i (NEVER if none), dropping points the same way
        (the caller purges points stored before the batch).
        """
        if not step.size:
            return
        prev = np.empty_like(step)
        prev[0] = step[0] if self.last_step is None else self.last_step
        prev[1:] = step[:-1]
        back = np.where(step < prev, step, NEVER)
        later = np.minimum.accumulate(back[::-1])[::-1]  # lowest restart at or after i
        limit = np.append(later[1:], NEVER)
        if restarts is not None:
            limit = np.minimum(limit, restarts)
        self.purge(int(later[0]))
        keep = step < limit
        self.last_step = int(step[-1])
        if keep.all():
            self._append(step, wall, value)
        else:
            self._append(step[keep], wall[keep], value[keep])

    def purge(self, min_step: int) -> None:
        """Drop the points with step >= `min_step`."""
        if not self._n or self._tail[0] < min_step:
            return
        with self._lock:
            before = self.nbytes
            self._unspill()
            self._purge(min_step)
            after = self.nbytes
        if self._spill is not None:  # never while holding our lock: it may spill others
            self._spill.change(after - before)

    def _purge(self, min_step: int) -> None:
        step, wall, value = self._published
        keep = step < min_step
        self._step, self._wall, self._value = step[keep], wall[keep], value[keep]
        self._n = int(keep.sum())
        self._published = (self._step, self._wall, self._value)
        self._tail = (int(self._step[-1]), float(self._wall[-1]), float(self._value[-1])) \
            if self._n else None
        self.version = self._reset = tick()
        self._appends.clear()

    def _append(self, step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
        with self._lock:
            before = self.nbytes
            self._unspill()
            self._grow(step, wall, value)
            self._tail = (int(step[-1]), float(wall[-1]), float(value[-1]))
            after = self.nbytes
        if self._spill is not None:  # never while holding our lock: it may spill others
            self._spill.used(self)
            self._spill.change(after - before, keep=self)

    def _grow(self, step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
        n, k = self._n, step.size
        if n + k > self._step.size:
            cap = max(n + k, int(n * GROWTH))
            self._step, self._wall, self._value = (
                _regrow(self._step, n, cap), _regrow(self._wall, n, cap),
                _regrow(self._value, n, cap))
        self._step[n : n + k] = step
        self._wall[n : n + k] = wall
        self._value[n : n + k] = value
        self._n = n + k
        self._published = (self._step[: self._n], self._wall[: self._n], self._value[: self._n])
        # Published before the tick: a reader that saw this tick also sees these points.
        self.version = tick()
        self._appends.append((self.version, n))
        del self._appends[:-APPEND_LOG]


def _regrow(a: np.ndarray, n: int, cap: int) -> np.ndarray:
    out = np.empty(cap, a.dtype)
    out[:n] = a[:n]
    return out


def downsample(step: np.ndarray, value: np.ndarray, width: int,
               lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Indices of the points to draw a line `width` pixels wide over steps [lo, hi].

    The steps are cut into `width` buckets and each bucket keeps its first, last, lowest and
    highest point, so spikes survive. One point beyond each end is kept so lines run to the
    edge. Few enough points come back whole.
    """
    n = step.size
    i0 = 0 if lo is None else max(int(np.searchsorted(step, lo, "left")) - 1, 0)
    i1 = n if hi is None else min(int(np.searchsorted(step, hi, "right")) + 1, n)
    if i1 - i0 <= 4 * width:
        return np.arange(i0, i1)
    s, v = step[i0:i1], value[i0:i1]
    m = s.size
    edges = s[0] + (float(s[-1]) - float(s[0])) * np.arange(1, width) / width
    bounds = np.concatenate(([0], np.searchsorted(s, edges, "left"), [m]))
    nonempty = bounds[1:] > bounds[:-1]
    first, end = bounds[:-1][nonempty], bounds[1:][nonempty]
    seg = np.repeat(np.arange(first.size), end - first)
    picks = [first, end - 1]
    for reduce in (np.fmin, np.fmax):
        extreme = reduce.reduceat(v, first)
        at = np.flatnonzero(v == extreme[seg])
        if at.size:
            picks.append(at[np.r_[True, seg[at][1:] != seg[at][:-1]]])
    return np.unique(np.concatenate(picks)) + i0


def envelope(step: np.ndarray, value: np.ndarray, bucket: int, i0: int, i1: int) -> np.ndarray:
    """Indices into [i0, i1) keeping the lowest and highest point of each run of steps that
    share `step // bucket`, and the first and last point, so a line one bucket per two pixels
    wide loses no spike and reaches the newest step (see `envelopes`)."""
    return envelopes([(step[i0:i1], value[i0:i1])], bucket)[0] + i0


def envelopes(parts: list[tuple[np.ndarray, np.ndarray]], bucket: int) -> list[np.ndarray]:
    """For each (step, value) of `parts`, the indices of the points to draw: the lowest and
    highest point of each run of steps sharing `step // bucket`, and the first and last point.
    A series that would keep half its points or more comes back whole.

    Buckets are aligned to multiples of `bucket`, not to the first point, so points appended
    later change only the last bucket and the ones after it. A bucket of only NaN keeps its
    first point (a gap in the line). All series are done in one pass of NumPy calls: a chart
    of a thousand runs costs about what one run does.
    """
    lengths = np.array([len(p[0]) for p in parts], np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    if not parts or not ends[-1]:
        return [np.zeros(0, np.int64) for _ in parts]
    s = np.concatenate([p[0] for p in parts])
    v = np.concatenate([p[1] for p in parts])
    which = np.repeat(np.arange(len(parts)), lengths)  # the series of each point
    ids = s // max(bucket, 1)
    first = np.flatnonzero(np.r_[True, (ids[1:] != ids[:-1]) | (which[1:] != which[:-1])])
    buckets = np.bincount(which[first], minlength=len(parts))
    whole = (bucket <= 1) | (lengths <= 2) | (buckets * 2 >= lengths)
    seg = np.repeat(np.arange(first.size), np.diff(np.r_[first, s.size]))
    keep = np.repeat(whole, lengths)  # a mark per point, not a sort: linear in the points
    keep[starts[lengths > 0]] = keep[ends[lengths > 0] - 1] = True  # lines reach the newest point
    for reduce in (np.fmin, np.fmax):
        extreme = reduce.reduceat(v, first)
        at = np.flatnonzero(v == extreme[seg])
        if at.size:
            keep[at[np.r_[True, seg[at][1:] != seg[at][:-1]]]] = True
    keep[first[np.isnan(np.fmin.reduceat(v, first))]] = True  # all-NaN buckets: the gap
    idx = np.flatnonzero(keep)
    cut = np.searchsorted(idx, ends)
    return [idx[a:b] - off for a, b, off in zip(np.r_[0, cut[:-1]], cut, starts)]
