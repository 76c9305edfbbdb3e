"""The hparams table of a 3 000-run sweep: every row right in every layout, built in one pass."""
from __future__ import annotations

import sys

import pytest
from flowlog.dashboard import provider as provider_module
from flowlog.dashboard.provider import DataProvider

from flowlog import SummaryWriter
from flowlog.summaries import hparams_plugin

RUNS = 3000
METRICS = {"hparam/loss": 0.0, "hparam/accuracy": 0.0}


def layout(i: int) -> str:
    """Run i's layout: metrics not logged yet, in the run itself, or in a time-named sub-run."""
    return ("started", "in run", "sub-run")[i % 3]


def hparams_of(i: int) -> dict:
    return {"index": i, "lr": 10.0 ** -(1 + i % 4), "optimizer": ("adam", "sgd")[i % 2],
            "nesterov": i % 5 == 0}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> DataProvider:
    logdir = tmp_path_factory.mktemp("sweep")
    for i in range(RUNS):
        with SummaryWriter(logdir / f"trial_{i:04d}") as w:
            w.add_scalar("loss/train", 1.0 / (i + 1), 0)
            if layout(i) == "started":  # what a sweep writes as it starts, like `hp.hparams`
                for summary in hparams_plugin.hparams(hparams_of(i), METRICS):
                    w.add_summary(summary)
            else:
                w.add_hparams(hparams_of(i), {"hparam/loss": i / 1024, "hparam/accuracy": 0.5},
                              run_name="." if layout(i) == "in run" else None)
    p = DataProvider(logdir, reload_interval=0)
    p.reload()
    return p


def test_every_row_of_a_3000_run_sweep_holds_its_own_values(sweep):
    rows = sweep.hparams()
    assert len(rows) == RUNS
    assert [r["run"] for r in rows] == sorted(r["run"] for r in rows)
    for row in rows:
        i = int(row["hparams"]["index"])
        top = f"trial_{i:04d}"
        assert row["run"] == top if layout(i) != "sub-run" else row["run"].startswith(top + "/")
        assert row["hparams"] == {**hparams_of(i), "index": float(i)}
        want = ({"hparam/loss": None, "hparam/accuracy": None} if layout(i) == "started"
                else {"hparam/loss": i / 1024, "hparam/accuracy": 0.5})  # exact in float32
        assert row["metrics"] == want, row["run"]


def provider_lines(call) -> tuple[object, int]:
    """call()'s result and how many lines of the provider module it executed (a deterministic
    measure of its work, unlike wall time on a shared machine)."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += event == "line"
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename == provider_module.__file__ else None

    sys.settrace(calls)
    try:
        return call(), count
    finally:
        sys.settrace(None)


def test_the_table_takes_a_bounded_number_of_steps_per_run(sweep):
    """Linear: a metric not logged yet must not send its lookup through every other run.

    Here about 70 lines run per run; the search through every run it replaces ran about 3 000
    per run at 900 runs, 10 000 at this size, and took seconds.
    """
    rows, lines = provider_lines(sweep.hparams)
    assert len(rows) == RUNS
    assert lines <= 150 * RUNS, f"{lines} provider lines for {RUNS} runs"


def test_a_missing_metric_is_found_in_the_newest_run_below(logdir):
    """The parent's sub-runs are still searched, newest last point first, deeper ones too."""
    with SummaryWriter(logdir / "p") as w:
        for summary in hparams_plugin.hparams({"lr": 0.1}, {"acc": 0}):
            w.add_summary(summary)
    for sub, wall, acc in (("old", 100.0, 0.25), ("new/deeper", 200.0, 0.75)):
        with SummaryWriter(logdir / "p" / sub) as w:
            w.add_scalar("acc", acc, 0, walltime=wall)
    with SummaryWriter(logdir / "other") as w:  # not below "p": never looked into
        w.add_scalar("acc", 9.0, 0, walltime=300.0)
    p = DataProvider(logdir, reload_interval=0)
    p.reload()
    assert p.hparams() == [{"run": "p", "hparams": {"lr": 0.1}, "metrics": {"acc": 0.75}}]
