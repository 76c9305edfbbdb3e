"""The HParams tab of the real `flowboard` in headless Chromium: rows, values, sorting."""
from __future__ import annotations

import pytest
from dashboard_events import new_file, scalar
from flowlog.dashboard.demo import write_sweep
from playwright.sync_api import expect

from flowlog import SummaryWriter

MARKUP = "<img src=x onerror=document.title='pwned'>"


@pytest.fixture(scope="module")
def server(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("hparams")
    write_sweep(logdir / "sweep", steps=20)
    with SummaryWriter(logdir / "odd") as w:
        w.add_hparams({"lr": 0.5, "optimizer": MARKUP}, {"hparam/loss": 9.0}, run_name=".")
    new_file(logdir / "plain", [scalar("loss", 0, 1.0)])
    empty = tmp_path_factory.mktemp("no-hparams")
    new_file(empty / "plain", [scalar("loss", 0, 1.0)])
    return {"url": flowboard_server(logdir), "empty": flowboard_server(empty)}


@pytest.fixture
def page(checked_page):
    return checked_page


def column(page, key: str) -> list[str]:
    return page.locator(f'#tab-hparams tbody td[data-key="{key}"]').all_inner_texts()


def test_table_shows_each_run_with_hparams_and_its_values(page, server):
    page.goto(server["url"] + "?tab=hparams")
    rows = page.locator("#tab-hparams tbody tr[data-run]")
    expect(rows).to_have_count(13)  # 12 sweep runs and "odd"; "plain" has no hparams
    runs = rows.evaluate_all("trs => trs.map(tr => tr.dataset.run)")
    assert "plain" not in runs and "odd" in runs
    headers = page.locator("#tab-hparams thead th").all_inner_texts()
    # hparams in the order add_hparams logged them (lr, batch_size, optimizer), metrics after
    assert [h.strip() for h in headers] == ["Run", "lr", "batch_size", "optimizer",
                                            "hparam/loss", "hparam/accuracy"]
    row = page.locator('#tab-hparams tr[data-run="sweep/lr=0.01,bs=128,sgd"]')
    assert row.locator('td[data-key="h:lr"]').inner_text() == "0.01"
    assert row.locator('td[data-key="h:batch_size"]').inner_text() == "128"
    assert row.locator('td[data-key="h:optimizer"]').inner_text() == "sgd"
    # numbers right-aligned, text left; the markup is shown as text, never run
    assert row.locator('td[data-key="h:lr"]').evaluate("td => getComputedStyle(td).textAlign") == "right"
    odd = page.locator('#tab-hparams tr[data-run="odd"] td[data-key="h:optimizer"]')
    assert odd.inner_text() == MARKUP
    assert odd.evaluate("td => getComputedStyle(td).textAlign") in ("left", "start")
    assert page.locator("#tab-hparams img").count() == 0 and page.title() != "pwned"
    assert page.locator('#tab-hparams tr[data-run="odd"] .chip').count() == 1
    # unticking a run removes its row; its line stays in the parallel coordinates
    page.uncheck('input[data-run="odd"]')
    expect(rows).to_have_count(12)
    expect(page.locator('.hp-parcoords path.hp-line[data-run="odd"]')).to_have_count(1)


def test_clicking_a_header_sorts_and_clicking_again_reverses(page, server):
    page.goto(server["url"] + "?tab=hparams")
    expect(page.locator("#tab-hparams tbody tr[data-run]")).to_have_count(13)
    page.click('#tab-hparams th[data-key="m:hparam/loss"] button')
    losses = [float(x) for x in column(page, "m:hparam/loss")]
    assert losses == sorted(losses) and len(set(losses)) > 5
    assert page.get_attribute('th[data-key="m:hparam/loss"]', "aria-sort") == "ascending"
    page.click('#tab-hparams th[data-key="m:hparam/loss"] button')
    assert [float(x) for x in column(page, "m:hparam/loss")] == sorted(losses, reverse=True)
    page.click('#tab-hparams th[data-key="h:optimizer"] button')
    opts = column(page, "h:optimizer")
    assert opts == sorted(opts) and opts[0] == MARKUP


def test_empty_state_tells_how_to_log_hparams(page, server):
    page.goto(server["empty"] + "?tab=hparams")
    expect(page.locator("#tab-hparams .empty-title")).to_have_text(
        "No hparams logged yet — use SummaryWriter.add_hparams(...)")
