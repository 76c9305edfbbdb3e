"""The data provider: discovers runs under a logdir, loads them in the background, answers queries."""
from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from flowlog import storage
from flowlog.events.wire import fields
from flowlog.storage import is_url, list_runs, local
from flowlog.summaries.projector import CONFIG_NAME as PROJECTOR_CONFIG

from . import cache, hparams_table
from .errors import BadRequest, NotFound
from .runs import Run, read_image
from .series import downsample
from .spill import Spill

log = logging.getLogger("flowlog.dashboard")
MAX_WIDTH = 10_000
# What one histogram answer holds at most (TensorBoard keeps 500 histograms per tag).
MAX_HISTOGRAMS = 500
MAX_BUCKETS = 256
# Runs loaded at once: decoding is mostly NumPy, which releases the GIL, so a second loader
# uses a second core; more would only take memory (a chunk each) and time from requests.
LOADERS = min(2, os.cpu_count() or 1)


class DataProvider:
    """All runs of a logdir, kept up to date by a background thread; knows nothing of HTTP."""

    def __init__(self, logdir: str | os.PathLike | dict, reload_interval: float = 5,
                 workers: int = LOADERS, max_memory: int | None = None,
                 cache_dir: str | None = None):
        # Several logdirs come as {name: logdir}; their runs are called "name/run" ("name" for
        # the logdir itself), so every run name shows where it came from.
        named = logdir if isinstance(logdir, dict) else {"": logdir}
        self.logdirs = {name: _absolute(d) for name, d in named.items()}
        self.logdir = (self.logdirs[""] if "" in self.logdirs
                       else ",".join(f"{n}:{d}" for n, d in self.logdirs.items()))
        self.reload_interval = reload_interval
        self._runs: dict[str, Run] = {}
        self._workers = workers
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loaded = threading.Event()  # set after the first full pass
        self._loading = False
        self._target = 0  # bytes read once the pass in progress is done
        self.reloads = 0
        self._warned: set[str] = set()  # unreadable directories already reported
        # Scalar columns may take a quarter of `max_memory` (the rest is for the process,
        # reading, requests and the chart cache); past that they move to files (spill.py).
        self.spill = Spill(max_memory // 4, cache_dir) if max_memory else None
        # With a cache directory, what was read is kept there and reused at the next start.
        self._cache_dir = cache_dir
        self._saved: dict[str, tuple[int, float]] = {}
        self._projector_runs: tuple[int, list[str]] = (-1, [])  # (reload count, runs)
        if cache_dir:
            self._restore()

    # -- loading -------------------------------------------------------------------------
    def start(self) -> DataProvider:
        """Start loading in the background (reloading every `reload_interval` seconds)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="flowboard-loader",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop reloading; waits (at most `timeout` seconds) for the pass in progress and the
        last save of the cache if `wait`."""
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(timeout)

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Wait until the first pass over the logdir has finished."""
        return self._loaded.wait(timeout)

    def _loop(self) -> None:
        with ThreadPoolExecutor(self._workers, thread_name_prefix="flowboard-run") as pool:
            while not self._stop.is_set():
                try:
                    self.reload(pool)
                except RuntimeError as e:
                    # The pool is shut down only by the interpreter exiting (threading's exit
                    # hooks run before the main thread counts as stopped): no new work starts.
                    if "after shutdown" in str(e) or "interpreter shutdown" in str(e):
                        return
                    raise
                self.save_cache()
                if self.reload_interval <= 0 or self._stop.wait(self.reload_interval):
                    break
        self.save_cache(force=True)

    def _restore(self) -> None:
        """Take the runs saved in the cache directory for this logdir (see cache.py)."""
        for name, run in cache.load(self._cache_dir, self.logdir).items():
            run.attach(self.spill)
            self._runs[name] = run
            self._saved[name] = (run.bytes_read, time.time())
        if self._runs:
            log.info("%d runs taken from the cache in %s", len(self._runs), self._cache_dir)
        if self.spill is not None:
            self.spill.forget_others({s._file for r in self._runs.values()
                                      for s in r.scalars.values() if s._file})

    def save_cache(self, force: bool = False) -> None:
        """Save what changed to the cache directory, if there is one."""
        if not self._cache_dir:
            return
        try:
            cache.save(self._cache_dir, self.logdir, dict(self._runs), self._saved, force)
        except OSError as e:
            log.warning("cannot save the cache in %s: %s", self._cache_dir, e)

    def reload(self, pool: ThreadPoolExecutor | None = None) -> None:
        """Discover runs and read everything appended since the last reload."""
        self._loading = True
        try:
            self._discover()
            runs = list(self._runs.values())
            before = sum(r.bytes_read for r in runs)
            self._target = before + sum(r.pending_bytes() for r in runs)
            if pool is None:
                opened = sum(run.load() for run in runs)
            else:
                # Biggest first, so one huge run does not finish last on its own.
                runs.sort(key=lambda r: -r.pending_bytes())
                opened = sum(pool.map(Run.load, runs))
            # What a reload cost: on an object store, a listing (one request per page of
            # keys) and a read or two per file opened.
            log.info("reload %d: listed %d runs, opened %d files, read %d bytes", self.reloads,
                     len(runs), opened, sum(r.bytes_read for r in runs) - before)
        finally:
            self._loading = False
            self.reloads += 1
            self._loaded.set()

    def _discover(self) -> None:
        """List the whole logdir once (one listing, not one per run) and hand each run its
        files."""
        found = {}
        for prefix, logdir in self.logdirs.items():
            for name, files in list_runs(logdir, self._unreadable).items():
                found[_joined(prefix, name)] = files
        for name, files in found.items():
            if name not in self._runs:
                self._runs[name] = Run(name, files.directory, self.spill)
            self._runs[name].listed(files)
        for name in set(self._runs) - set(found):  # deleted since
            del self._runs[name]

    def _unreadable(self, e: OSError) -> None:
        if e.filename not in self._warned:  # once, not at every reload
            self._warned.add(e.filename)
            log.warning("skipping %s: cannot list it (%s)", e.filename, e.strerror)

    def status(self) -> dict:
        """Loading progress: whether a pass is running and how many bytes are left."""
        runs = list(self._runs.values())
        read = sum(r.bytes_read for r in runs)
        nbytes, points = self.memory()
        return {
            "loading": self._loading or not self._loaded.is_set(),
            "runs": len(runs),
            "bytes_read": read,
            "bytes_total": max(read, self._target),
            "reloads": self.reloads,
            "reload_interval": self.reload_interval,
            "scalar_points": points,
            "scalar_bytes": nbytes,
            "time": time.time(),
        }

    # -- queries -------------------------------------------------------------------------
    def runs(self) -> list[str]:
        """Names of the runs found so far, sorted."""
        return sorted(self._runs)

    def run(self, name: str) -> Run:
        """The run called `name`; NotFound if there is none."""
        run = self._runs.get(name)
        if run is None:
            raise NotFound(f"unknown run {name!r}")
        return run

    def scalar_tags(self) -> dict[str, list[str]]:
        """Scalar tags of every run."""
        return {name: sorted(r.scalars) for name, r in sorted(self._runs.items())}

    def scalars(self, run: str, tag: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(step, wall_time, value) columns of every point of one scalar tag."""
        series = _lookup(self.run(run).scalars, tag, run, "scalar")
        return series.columns()

    def downsampled(self, run: str, tag: str, width: int, lo: float | None = None,
                    hi: float | None = None) -> dict:
        """The points of one series to draw it `width` pixels wide (see `downsample`)."""
        if not 1 <= width <= MAX_WIDTH:
            raise BadRequest(f"width must be between 1 and {MAX_WIDTH}, got {width}")
        step, wall, value = self.scalars(run, tag)
        idx = downsample(step, value, width, lo, hi)
        return {"step": step[idx], "wall_time": wall[idx], "value": value[idx],
                "total": int(step.size)}

    def histogram_tags(self) -> dict[str, list[str]]:
        """Histogram tags of every run."""
        return {name: sorted(r.histograms) for name, r in sorted(self._runs.items())}

    def histograms(self, run: str, tag: str, max_buckets: int | None = MAX_BUCKETS) -> list:
        """[(wall_time, step, (k, 3) array of left, right, count)] of one histogram tag.

        At most MAX_HISTOGRAMS of them, spread evenly over the steps (the last always kept),
        each with at most `max_buckets` buckets (neighbours merged; None keeps them all): a
        picture needs no more, and a huge histogram must not make a huge answer.
        """
        items = list(_lookup(self.run(run).histograms, tag, run, "histogram"))
        if len(items) > MAX_HISTOGRAMS:
            keep = np.unique(np.linspace(0, len(items) - 1, MAX_HISTOGRAMS).round().astype(int))
            items = [items[i] for i in keep.tolist()]
        if max_buckets is None:
            return items
        return [(w, s, _merge_buckets(b, max_buckets)) for w, s, b in items]

    def image_tags(self) -> dict[str, dict[str, int]]:
        """Image tags of every run, with the most images any one step holds."""
        return {name: {t: max((len(refs) for _, _, refs in items), default=0)
                       for t, items in sorted(r.images.items())}
                for name, r in sorted(self._runs.items())}

    def images(self, run: str, tag: str) -> list:
        """[(wall_time, step, [ImageRef])] of one image tag."""
        return list(_lookup(self.run(run).images, tag, run, "image"))

    def image(self, run: str, tag: str, index: int, sample: int = 0) -> bytes:
        """Encoded bytes of image `sample` of entry `index` of an image tag."""
        items = self.images(run, tag)
        if not 0 <= index < len(items) or not 0 <= sample < len(items[index][2]):
            raise NotFound(f"no image {index}/{sample} for tag {tag!r} of run {run!r}")
        try:
            return read_image(items[index][2][sample])
        except (OSError, IndexError, ValueError) as e:
            raise NotFound(f"image {index} of tag {tag!r} is no longer readable: {e}") from e

    def text_tags(self) -> dict[str, list[str]]:
        """Text tags of every run."""
        return {name: sorted(r.texts) for name, r in sorted(self._runs.items())}

    def text(self, run: str, tag: str) -> list:
        """[(wall_time, step, text)] of one text tag."""
        return list(_lookup(self.run(run).texts, tag, run, "text"))

    def plugin_tags(self, plugin: str) -> dict[str, list[str]]:
        """Tags of `plugin` (one of runs.OTHER_PLUGINS) in every run that has any."""
        return {name: sorted(r.others[plugin]) for name, r in sorted(self._runs.items())
                if r.others.get(plugin)}

    def plugin_values(self, plugin: str, run: str, tag: str) -> list:
        """[(wall_time, step, Summary.Value)] of one tag of `plugin` in `run`."""
        return list(_lookup(self.run(run).others.get(plugin, {}), tag, run, plugin))

    def plugins_present(self) -> set[str]:
        """The kinds of data some run holds (names as TensorBoard's plugins call them)."""
        found = set()
        for r in list(self._runs.values()):
            if r.scalars:
                found.add("scalars")
            if r.histograms:
                found.update(("histograms", "distributions"))
            if r.images:
                found.add("images")
            if r.texts:
                found.add("text")
            if r.graph is not None or r.meta_graph is not None or r.others.get(
                    "graph_keras_model"):  # a Keras model's config draws as its layer graph
                found.add("graphs")
            if r.hparams is not None or r.hparam_metrics is not None:
                found.add("hparams")
            found.update(p for p, tags in r.others.items() if tags)
        if self.projector_runs():
            found.add("projector")
        return found

    def projector_runs(self) -> list[str]:
        """Runs whose directory holds a projector config (looked for once per reload: on an
        object store each look is a request)."""
        seen, runs = self._projector_runs
        if seen != self.reloads:
            runs = [name for name, r in sorted(self._runs.items())
                    if storage.exists(storage.join(r.path, PROJECTOR_CONFIG))]
            self._projector_runs = (self.reloads, runs)
        return runs

    def graph(self, run: str) -> bytes | None:
        """The newest serialized GraphDef of a run, or None."""
        r = self.run(run)
        if r.graph is not None:
            return r.graph
        return _graph_of_meta(r.meta_graph) if r.meta_graph else None

    def run_metadata_tags(self, run: str) -> list[str]:
        """Tags of the run's `tagged_run_metadata` events."""
        return sorted(self.run(run).run_metadata)

    def run_metadata(self, run: str, tag: str) -> bytes | None:
        """The newest serialized RunMetadata of a tag, or None."""
        return self.run(run).run_metadata.get(tag)

    def hparams(self) -> list[dict]:
        """[{run, hparams: {name: value}, metrics: {tag: last value or None}}] of every run
        with hparams, sorted by run (see hparams_table.table)."""
        return hparams_table.table(dict(self._runs))

    def memory(self) -> tuple[int, int]:
        """(bytes allocated for scalar columns, scalar points stored)."""
        series = [s for r in list(self._runs.values()) for s in list(r.scalars.values())]
        return sum(s.nbytes for s in series), sum(len(s) for s in series)


def _absolute(logdir: str | os.PathLike) -> str:
    logdir = os.fspath(logdir)
    return logdir if is_url(logdir) else os.path.abspath(local(logdir))


def _joined(prefix: str, run: str) -> str:
    """Run `run` of the logdir called `prefix`: "a" + "." -> "a", "a" + "x/y" -> "a/x/y"."""
    if not prefix:
        return run
    return prefix if run == "." else f"{prefix}/{run}"


def _merge_buckets(buckets: np.ndarray, most: int) -> np.ndarray:
    """Rows [left, right, count] with runs of neighbours merged, so at most `most` remain."""
    k = len(buckets)
    if k <= most:
        return buckets
    starts = np.arange(0, k, -(-k // most))
    ends = np.append(starts[1:], k) - 1
    return np.column_stack([buckets[starts, 0], buckets[ends, 1],
                            np.add.reduceat(buckets[:, 2], starts)])


def _lookup(index: dict, tag: str, run: str, kind: str):
    try:
        return index[tag]
    except KeyError:
        raise NotFound(f"unknown {kind} tag {tag!r} in run {run!r}") from None



def _graph_of_meta(meta: bytes) -> bytes | None:
    """The GraphDef inside a serialized MetaGraphDef (its field 2)."""
    try:
        for num, wire, a, b in fields(meta, 0, len(meta)):
            if num == 2 and wire == 2:
                return meta[a:b]
    except ValueError:
        return None
    return None
