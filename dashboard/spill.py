"""Scalar columns within a memory budget: the least recently used series move to files.

Every point is kept, so a large logdir's points cannot all stay in RAM. Each `ScalarSeries`
reports what it holds and when it is used; once the series hold more than the budget, the
least recently used ones are written to the cache directory as one `.npy` file each (a
structured array of step, wall time and value: NumPy reads it back in one call, with no
parsing) and dropped from memory. A spilled series is read back for the moment a reader needs
its columns (a full-resolution zoom, a new chart envelope), and taken back into memory when
points are appended to it (a live run). The per-pixel envelopes the page draws from are kept
by the chart cache, so a page showing spilled runs reads their files only when it zooms.
"""
from __future__ import annotations

import itertools
import os
import secrets
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict

import numpy as np

POINT = np.dtype([("step", "<i8"), ("wall", "<f8"), ("value", "<f8")])


class Spill:
    """The memory budget (bytes) of a provider's scalar columns, and the files past it."""

    def __init__(self, budget: int, directory: str | None = None):
        if budget <= 0:
            raise ValueError(f"the memory budget must be positive, got {budget} bytes")
        self.budget = budget
        self._own = directory is None  # a directory we made is removed with us
        self.directory = directory or tempfile.mkdtemp(prefix="flowboard-cache-")
        os.makedirs(self.directory, exist_ok=True)
        self._lru: OrderedDict[int, weakref.ref] = OrderedDict()  # id -> series, oldest first
        self._lock = threading.Lock()
        self._names = itertools.count()
        self._stem = secrets.token_hex(6)
        self.resident = 0  # bytes the series hold in memory
        self.spilled = 0  # series written out so far
        if self._own:
            weakref.finalize(self, shutil.rmtree, self.directory, True)

    def path(self) -> str:
        """A new file name in the cache directory (never one an earlier process left)."""
        return os.path.join(self.directory, f"{self._stem}-{next(self._names)}.npy")

    def forget_others(self, keep: set[str]) -> None:
        """Remove the column files of the directory that no series uses (left by a crash)."""
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".npy") and entry.path not in keep:
                os.remove(entry.path)

    def used(self, series) -> None:
        """`series` was just used: it is the last to leave memory."""
        key = id(series)
        with self._lock:
            if key in self._lru:
                self._lru.move_to_end(key)
            else:
                self._lru[key] = weakref.ref(series)

    def change(self, delta: int, keep=None) -> None:
        """The series hold `delta` bytes more; past the budget, write some out (not `keep`)."""
        with self._lock:
            self.resident += delta
            over = self.resident > self.budget
        if over:
            self._fit(keep)

    def _fit(self, keep) -> None:
        """Write out the least recently used series (never `keep`) until the rest fit, with
        room to spare, so that writing out is not needed again at the next append."""
        with self._lock:
            order = list(self._lru.items())
        goal = self.budget * 3 // 4
        for key, ref in order:
            if self.resident <= goal:
                break
            series = ref()
            if series is None:
                with self._lock:
                    self._lru.pop(key, None)
                continue
            if series is keep or not series.nbytes:
                continue
            freed = series.spill(self.path())
            if freed:
                with self._lock:
                    self.resident -= freed
                    self.spilled += 1
