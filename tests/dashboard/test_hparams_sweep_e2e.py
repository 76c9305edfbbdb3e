"""The HParams tab of a 1 000-run sweep in headless Chromium: every run drawn, rows virtualised,
filters still tick exactly the passing runs, runs still without metrics kept apart."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from flowlog import SummaryWriter
from flowlog.summaries import hparams_plugin

RUNS = 1000
LRS = (0.1, 0.03, 0.01, 0.003, 0.001)


def started(i: int) -> bool:
    """Every seventh run has only started: hparams logged, metrics not yet."""
    return i % 7 == 3


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("sweep-1000")
    for i in range(RUNS):
        hp = {"lr": LRS[i % 5], "optimizer": ("adam", "sgd", "rmsprop")[i % 3], "seed": i // 15}
        with SummaryWriter(logdir / f"lr={hp['lr']},{hp['optimizer']},seed={hp['seed']}") as w:
            w.add_scalar("loss/train", 1.0, 0)
            if started(i):
                for summary in hparams_plugin.hparams(hp, {"hparam/loss": 0}):
                    w.add_summary(summary)
            else:
                w.add_hparams(hp, {"hparam/loss": i / 1024}, run_name=".")
    return flowboard_server(logdir)


@pytest.fixture
def page(checked_page):
    return checked_page


def loaded_table(page, url) -> dict:
    """{run: row} of the hparams answer once the server has read every run."""
    for _ in range(600):
        status = page.request.get(url + "data/status").json()
        if not status["loading"] and status["runs"] == RUNS:
            break
        page.wait_for_timeout(100)
    return {r["run"]: r for r in page.request.get(url + "data/plugin/hparams/table").json()}


def test_a_thousand_runs_are_all_drawn_and_filtered_but_few_rows_are_built(page, sweep):
    table = loaded_table(page, sweep)
    assert len(table) == RUNS
    page.goto(sweep + "?tab=hparams")
    expect(page.locator(".hp-parcoords path.hp-line")).to_have_count(RUNS)
    expect(page.locator(".hp-scatter circle.hp-dot")).to_have_count(
        sum(not started(i) for i in range(RUNS)))  # no loss logged: no dot
    rows = page.locator(".hp-table tbody tr[data-run]")
    assert 0 < rows.count() < 100
    # the rows below are built as they scroll into view; the table sorts in the URL's order
    page.click('.hp-table th[data-key="m:hparam/loss"] button')
    page.click('.hp-table th[data-key="m:hparam/loss"] button')
    newest = max(table, key=lambda r: table[r]["metrics"]["hparam/loss"] or -1)
    expect(rows.first).to_have_attribute("data-run", newest)
    page.locator(".hp-table .hparams-wrap").evaluate("w => { w.scrollTop = w.scrollHeight; }")
    not_logged = [r for r in table if table[r]["metrics"]["hparam/loss"] is None]
    expect(rows.last).to_have_attribute("data-run", max(not_logged))  # missing last, by run
    assert rows.count() < 100

    # a loss range leaves out the runs that have not logged it yet
    page.fill('.hp-bound[data-key="m:hparam/loss"][data-bound="lo"]', "0.25")
    page.fill('.hp-bound[data-key="m:hparam/loss"][data-bound="hi"]', "0.5")
    page.press('.hp-bound[data-key="m:hparam/loss"][data-bound="hi"]', "Enter")
    want = {r for r, row in table.items()
            if row["metrics"]["hparam/loss"] is not None and 0.25 <= row["metrics"]["hparam/loss"] <= 0.5}
    expect(page.locator(".hp-parcoords .hp-lines:not(.hp-off) .hp-line")).to_have_count(len(want))
    expect(page.locator(".hparams-caption")).to_contain_text(f"{len(want)} ticked")
    page.click('.tabs button[data-tab="scalars"]')
    assert set(page.evaluate("flowboard.selectedRuns()")) == want
