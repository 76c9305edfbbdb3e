"""DataFrames of a logdir agree with tbparse's reading of the same files, point for point."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tbparse import SummaryReader
from tensorboardX import SummaryWriter as TBXWriter

import flowlog as fl

KEY = ["run", "tag", "step", "wall_time"]
# tbparse sorts with an argument newer pandas deprecates; its warning is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("frames")
    rng = np.random.default_rng(0)
    with fl.SummaryWriter(d) as w:  # the logdir itself is run "."
        w.add_scalar("top", 3.5, 7)
    for lr in (0.1, 0.01):
        with fl.SummaryWriter(d / "sweep" / f"lr={lr}") as w:
            for step in range(0, 200, 3):
                w.add_scalar("loss/train", float(rng.normal()) / (step + 1), step)
                w.add_scalars("acc", {"train": step / 200, "val": step / 250}, step)
                if step % 50 == 0:
                    w.add_histogram("weights", rng.normal(step, 1, 300), step)
            w.add_hparams({"lr": lr, "optimizer": "sgd", "nesterov": lr > 0.05},
                          {"hp/accuracy": 1 - lr, "hp/loss": lr * 2})
    with TBXWriter(str(d / "tbx")) as w:  # another writer's files
        for step in range(20):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_histogram("h", np.arange(100.0), 0)
    return d


def _tbparse(logdir, *extra):
    return SummaryReader(str(logdir), extra_columns={"dir_name", "wall_time", *extra})


def _named(frame):
    return frame.rename(columns={"dir_name": "run"}).assign(
        run=lambda f: f["run"].replace("", "."))


def test_scalars_frame_equals_tbparse(logdir):
    ours = fl.read_scalars_frame(logdir)
    assert list(ours.columns) == ["run", "tag", "step", "wall_time", "value"]
    theirs = _named(_tbparse(logdir).scalars)[["run", "tag", "step", "wall_time", "value"]]
    assert len(ours) == len(theirs) > 300
    ours, theirs = (f.sort_values(KEY).reset_index(drop=True) for f in (ours, theirs))
    pd.testing.assert_frame_equal(ours.astype({"run": str, "tag": str}),
                                  theirs.astype({"run": str, "tag": str}))
    assert set(ours["run"]) >= {".", "sweep/lr=0.1", "sweep/lr=0.1/acc_val", "tbx"}


def test_scalars_frame_filters_by_regex(logdir):
    frame = fl.read_scalars_frame(logdir, run=r"lr=0\.1$", tag="^loss")
    assert set(frame["run"]) == {"sweep/lr=0.1"} and set(frame["tag"]) == {"loss/train"}
    with pytest.raises(ValueError, match=r"tag filter '\[' is not a valid regular expression"):
        fl.read_scalars_frame(logdir, tag="[")


def test_histograms_frame_equals_tbparse(logdir):
    ours = fl.read_histograms_frame(logdir)
    stats = ["min", "max", "num", "sum", "sum_squares"]
    theirs = _named(_tbparse(logdir, *stats).histograms)
    assert len(ours) == len(theirs) == 5
    ours, theirs = (f.sort_values(KEY).reset_index(drop=True) for f in (ours, theirs))
    plain = ["run", "tag", "step", "wall_time", *stats]
    pd.testing.assert_frame_equal(ours[plain].astype({"run": str, "tag": str}),
                                  theirs[plain].astype({"run": str, "tag": str}))
    for column in ("limits", "counts"):
        for a, b in zip(ours[column], theirs[column]):
            np.testing.assert_array_equal(a, b)


def test_hparams_frame_has_one_row_per_run_with_hparams_and_last_metrics(logdir):
    ours = fl.read_hparams_frame(logdir).set_index("run")
    reader = _tbparse(logdir)
    theirs = _named(reader.hparams).pivot(index="run", columns="tag", values="value")
    assert sorted(ours.index) == sorted(theirs.index) and len(ours) == 2
    scalars = _named(reader.scalars)
    for run, row in ours.iterrows():
        assert {k: row[k] for k in ("lr", "optimizer", "nesterov")} == theirs.loc[run].to_dict()
        for metric in ("hp/accuracy", "hp/loss"):
            points = scalars[(scalars.run == run) & (scalars.tag == metric)]
            assert row[metric] == points.sort_values("step")["value"].iloc[-1]
    assert list(ours.columns) == ["lr", "nesterov", "optimizer", "hp/accuracy", "hp/loss"]
