"""Event data as pandas DataFrames in the long format tbparse made familiar: one row per point.

    fl.read_scalars_frame("runs")     # run, tag, step, wall_time, value
    fl.read_histograms_frame("runs")  # run, tag, step, wall_time, min, max, num, sum,
                                      # sum_squares, limits, counts
    fl.read_hparams_frame("runs")     # run, then one column per hparam and per metric

pandas is optional (`pip install 'flowlog[pandas]'`); `scalar_columns` needs only NumPy and
is what `flowboard export` writes from.
"""
from __future__ import annotations

import os
import re

import numpy as np

from flowlog.events.reader import read_scalars
from flowlog.events.typed_readers import read_histograms, read_hparams

SCALAR_COLUMNS = ("run", "tag", "step", "wall_time", "value")


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("DataFrames need pandas: pip install pandas "
                          "(or pip install 'flowlog[pandas]')") from None
    return pandas


def _pattern(regex: str | None, what: str) -> re.Pattern | None:
    if regex is None:
        return None
    try:
        return re.compile(regex)
    except re.error as e:
        raise ValueError(f"{what} {regex!r} is not a valid regular expression: {e}") from None


def scalar_columns(logdir: str | os.PathLike, run: str | None = None, tag: str | None = None,
                   storage_options: dict | None = None) -> dict[str, np.ndarray]:
    """Every scalar point under `logdir` as columns {run, tag, step, wall_time, value}.

    `run` and `tag` are regular expressions a run's or tag's name must contain (`re.search`)
    for its points to be kept. Runs and tags appear as `read_scalars` gives them, points in
    file order.
    """
    run_re, tag_re = _pattern(run, "run filter"), _pattern(tag, "tag filter")
    names: list[tuple[str, str, int]] = []
    parts: list[tuple] = []
    for run_name, tags in read_scalars(logdir, storage_options).items():
        if run_re is not None and not run_re.search(run_name):
            continue
        for tag_name, series in tags.items():
            if tag_re is None or tag_re.search(tag_name):
                names.append((run_name, tag_name, len(series[0])))
                parts.append(series)
    counts = [n for _, _, n in names]
    return {
        "run": np.repeat(np.array([r for r, _, _ in names], dtype=object), counts),
        "tag": np.repeat(np.array([t for _, t, _ in names], dtype=object), counts),
        "step": np.concatenate([p[0] for p in parts]).astype(np.int64) if parts
        else np.zeros(0, np.int64),
        "wall_time": np.concatenate([p[1] for p in parts]).astype(np.float64) if parts
        else np.zeros(0),
        "value": np.concatenate([p[2] for p in parts]).astype(np.float64) if parts
        else np.zeros(0),
    }


def read_scalars_frame(logdir: str | os.PathLike, run: str | None = None,
                       tag: str | None = None, storage_options: dict | None = None):
    """Every scalar under `logdir` as a DataFrame with columns run, tag, step, wall_time,
    value (one row per point), optionally only runs and tags matching the `run` and `tag`
    regular expressions. Runs are named as `read_scalars` names them ("." for the logdir)."""
    pd = _pandas()
    return pd.DataFrame(scalar_columns(logdir, run, tag, storage_options),
                        columns=list(SCALAR_COLUMNS))


def read_histograms_frame(logdir: str | os.PathLike):
    """Every histogram under `logdir` as a DataFrame, one row per histogram: run, tag, step,
    wall_time, min, max, num, sum, sum_squares, and `limits` and `counts` (NumPy arrays: the
    right edge and count of each bucket, as the event files hold them)."""
    pd = _pandas()
    rows = [(run, tag, h.step, h.wall_time, h.min, h.max, h.num, h.sum, h.sum_squares,
             h.bucket_limits, h.bucket_counts)
            for run, tags in read_histograms(logdir).items()
            for tag, items in tags.items() for h in items]
    return pd.DataFrame(rows, columns=["run", "tag", "step", "wall_time", "min", "max", "num",
                                       "sum", "sum_squares", "limits", "counts"])


def read_hparams_frame(logdir: str | os.PathLike):
    """One row per run with hparams: `run`, then a column per hparam, then a column per metric
    holding the run's last value of it (NaN where a run lacks one), each group sorted by name
    (event files keep no order of hparams). A metric named like an hparam is called
    `metric:<name>`."""
    pd = _pandas()
    found = sorted(read_hparams(logdir).items())
    hparams = sorted({name for _, hp in found for name in hp.hparams})
    metrics = sorted({name for _, hp in found for name in hp.metrics})
    shown = {m: f"metric:{m}" if m in hparams or m == "run" else m for m in metrics}
    rows = [{"run": run, **hp.hparams, **{shown[m]: v for m, v in hp.metrics.items()}}
            for run, hp in found]
    return pd.DataFrame(rows, columns=["run", *hparams, *shown.values()])
