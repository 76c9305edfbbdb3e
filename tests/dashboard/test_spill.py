"""Scalar columns within a memory budget: series past it move to files, and every point stays."""
from __future__ import annotations

import os

import numpy as np
from dashboard_events import append, histogram, new_file, scalar, start
from flowlog.dashboard.provider import DataProvider


def test_past_the_budget_series_move_to_files_and_every_point_is_still_served(tmp_path):
    logdir = tmp_path / "logs"
    for r in range(20):
        new_file(logdir / f"run{r:02d}", [scalar(f"t{t}", s, s * 0.5 + r)
                                          for s in range(2000) for t in range(3)])
    budget = 300_000  # 60 series x 2 000 points x 24 bytes would need 2.9 MB
    p = DataProvider(logdir, reload_interval=0, max_memory=4 * budget,  # a quarter: columns
                     cache_dir=str(tmp_path / "c"))
    p.reload()
    assert p.spill.resident <= budget and p.spill.spilled > 40
    assert len(os.listdir(tmp_path / "c")) == p.spill.spilled
    assert p.memory()[1] == 20 * 3 * 2000  # every point is still there
    for r in range(20):
        step, _, value = p.scalars(f"run{r:02d}", "t1")
        assert step.tolist() == list(range(2000)) and value.tolist() == [s * 0.5 + r
                                                                          for s in range(2000)]
    # hparams-style questions answer from memory, not the file
    assert p.run("run00").scalars["t0"].last() == (1.7e9 + 1999, 1999 * 0.5)


def test_a_spilled_series_takes_appends_and_restarts(tmp_path):
    logdir = tmp_path / "logs"
    path = new_file(logdir / "a", [scalar("loss", s, float(s)) for s in range(3000)])
    new_file(logdir / "b", [scalar("loss", s, float(s)) for s in range(3000)])
    p = DataProvider(logdir, reload_interval=0, max_memory=100_000)
    p.reload()
    series = p.run("a").scalars["loss"]
    if series._file is None:  # the other run's went out; use that one
        path, series = logdir / "b" / path.name, p.run("b").scalars["loss"]
    assert series._file is not None and os.path.exists(series._file)
    append(path, [start(2500), *(scalar("loss", s, -float(s)) for s in range(2500, 2600))])
    p.reload()
    step, _, value = series.columns()
    assert step.tolist() == list(range(2600))
    assert value[2500:].tolist() == [-float(s) for s in range(2500, 2600)]
    assert np.all(np.diff(step) == 1)


def test_a_restart_with_a_cache_dir_reuses_what_was_read(tmp_path, caplog):
    logdir, cache = tmp_path / "logs", str(tmp_path / "cache")
    paths = [new_file(logdir / f"run{r}", [scalar("loss", s, s + r) for s in range(3000)]
                      + [histogram("w", 5, [1.0, 2.0])]) for r in range(6)]
    first = DataProvider(logdir, reload_interval=0, max_memory=150_000, cache_dir=cache)
    first.reload()
    first.save_cache(force=True)
    assert first.spill.spilled > 0
    served = {r: first.scalars(r, "loss")[2].tolist() for r in first.runs()}
    append(paths[0], [scalar("loss", s, -s) for s in range(3000, 3010)])

    again = DataProvider(logdir, reload_interval=0, max_memory=150_000, cache_dir=cache)
    assert again.runs() == first.runs()  # before reading anything
    assert {r: again.scalars(r, "loss")[2].tolist() for r in again.runs()} == served
    assert len(again.histograms("run3", "w")) == 1
    read_before = again.status()["bytes_read"]
    again.reload()  # only what was appended since
    appended = paths[0].stat().st_size - first.run("run0").bytes_read
    assert again.status()["bytes_read"] - read_before == appended
    assert again.scalars("run0", "loss")[0].tolist() == list(range(3010))

    with caplog.at_level("INFO"):  # another logdir's cache is not taken
        other = DataProvider(tmp_path / "elsewhere", reload_interval=0, cache_dir=cache)
    assert other.runs() == []
