"""The hparams table: provider (our writer, tensorboardX) and its route."""
from __future__ import annotations

import math

import pytest
import tensorboardX
from dashboard_events import loaded_client, new_file, scalar
from flowlog.dashboard.app import PROVIDER, create_app
from flowlog.dashboard.demo import write_sweep
from flowlog.dashboard.provider import DataProvider

from flowlog import SummaryWriter
from flowlog.summaries import hparams_plugin


def loaded(logdir) -> DataProvider:
    p = DataProvider(logdir, reload_interval=0)
    p.reload()
    return p


def test_our_add_hparams_indexes_values_and_last_metric_values(logdir):
    with SummaryWriter(logdir / "a") as w:
        for step in range(10):
            w.add_scalar("hparam/loss", 1.0 / (step + 1), step)
        w.add_hparams({"lr": 0.1, "optimizer": "adam", "nesterov": True, "layers": 3},
                      {"hparam/loss": 0.25}, run_name=".", global_step=10)
    new_file(logdir / "plain", [scalar("loss", 0, 1.0)])
    rows = loaded(logdir).hparams()
    assert rows == [{"run": "a", "hparams": {"layers": 3.0, "lr": 0.1, "nesterov": True,
                                             "optimizer": "adam"},
                     "metrics": {"hparam/loss": 0.25}}]  # "plain" has no hparams: absent


def test_metrics_written_into_a_time_named_sub_run_are_found(logdir):
    with SummaryWriter(logdir / "b") as w:
        w.add_hparams({"lr": 0.5}, {"hparam/acc": 0.75})  # default run_name: the time
    p = loaded(logdir)
    sub = [r for r in p.runs() if r.startswith("b/")]
    assert len(sub) == 1
    assert p.hparams() == [{"run": sub[0], "hparams": {"lr": 0.5},
                            "metrics": {"hparam/acc": 0.75}}]


def test_tensorboardx_add_hparams_is_read(logdir):
    with tensorboardX.SummaryWriter(str(logdir / "tbx")) as w:
        w.add_hparams({"lr": 0.01, "bsize": 64, "opt": "sgd", "bn": False},
                      {"hparam/accuracy": 0.5, "hparam/loss": 1.5}, name="trial")
    (row,) = loaded(logdir).hparams()
    assert row["run"] == "tbx/trial"
    assert row["hparams"] == {"bn": False, "bsize": 64.0, "lr": 0.01, "opt": "sgd"}
    assert row["metrics"] == {"hparam/accuracy": 0.5, "hparam/loss": 1.5}


def test_metrics_in_the_run_itself_win_and_missing_ones_are_none(logdir):
    """hparams written alone (as `hp.hparams` does), metrics in the run, a sub-run and nowhere."""
    with SummaryWriter(logdir / "c") as w:
        for summary in hparams_plugin.hparams({"lr": 1.0}, {"final": 0, "never": 0, "only_eval": 0}):
            w.add_summary(summary)
        for step in range(5):
            w.add_scalar("final", float(step), step)
    new_file(logdir / "c" / "eval", [scalar("final", 9, 9.0), scalar("only_eval", 3, 7.0)])
    (row,) = loaded(logdir).hparams()
    assert row == {"run": "c", "hparams": {"lr": 1.0},
                   "metrics": {"final": 4.0, "never": None, "only_eval": 7.0}}


def test_newest_hparams_of_a_run_are_kept_and_reload_picks_up_new_ones(logdir):
    with SummaryWriter(logdir / "d") as w:
        w.add_hparams({"lr": 0.1}, {"m": 1.0}, run_name=".")
    p = loaded(logdir)
    assert p.hparams()[0]["hparams"] == {"lr": 0.1}
    with SummaryWriter(logdir / "d") as w:
        w.add_hparams({"lr": 0.2, "wd": 1e-4}, {"m": 0.5}, run_name=".")
    p.reload()
    assert p.hparams() == [{"run": "d", "hparams": {"lr": 0.2, "wd": 1e-4},
                            "metrics": {"m": 0.5}}]


def test_bad_hparam_values_name_the_value(logdir):
    with SummaryWriter(logdir / "e") as w, pytest.raises(TypeError, match="'lr'"):
        w.add_hparams({"lr": [1, 2]}, {"m": 1.0})


@pytest.fixture
def client(logdir):
    write_sweep(logdir / "sweep", steps=20)
    with SummaryWriter(logdir / "odd") as w:
        w.add_hparams({"lr": math.inf, "name": "<b>x</b>"}, {"m": math.nan}, run_name=".")
    new_file(logdir / "plain", [scalar("loss", 0, 1.0)])
    return loaded_client(logdir)


def test_table_route_answers_every_run_with_hparams(client):
    rows = client.get("/data/plugin/hparams/table").json
    runs = [r["run"] for r in rows]
    assert runs == sorted(runs) and runs[0] == "odd" and len(runs) == 13  # "plain" is absent
    assert rows[0] == {"run": "odd", "hparams": {"lr": "Infinity", "name": "<b>x</b>"},
                       "metrics": {"m": "NaN"}}
    sweep = {r["run"]: r for r in rows[1:]}
    row = sweep["sweep/lr=0.1,bs=32,adam"]
    assert row["hparams"] == {"batch_size": 32, "lr": 0.1, "optimizer": "adam"}
    assert set(row["metrics"]) == {"hparam/accuracy", "hparam/loss"}
    loss = client.get("/data/plugin/scalars/scalars?run=sweep/lr=0.1,bs=32,adam"
                      "&tag=hparam/loss").json
    assert row["metrics"]["hparam/loss"] == loss[-1][2]


def test_table_route_is_an_empty_list_without_hparams(logdir):
    new_file(logdir / "plain", [scalar("loss", 0, 1.0)])
    app = create_app(logdir, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    assert app.test_client().get("/data/plugin/hparams/table").json == []


def test_an_unchanged_table_costs_a_304_and_a_changed_one_does_not(client, logdir):
    first = client.get("/data/plugin/hparams/table")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/data/plugin/hparams/table", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    with SummaryWriter(logdir / "late") as w:
        w.add_hparams({"lr": 0.3}, {"m": 1.0}, run_name=".")
    client.application.extensions[PROVIDER].reload()
    changed = client.get("/data/plugin/hparams/table", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "late" in [r["run"] for r in changed.json]
